import type { IClusterQueues } from './clusterWatch';
import type { TaskStore } from './taskStore';

/**
 * Whose work a kernel's queued tasks wait behind on their controller: the
 * other open kernels that talk to the same controller (known by the
 * `controller_id` their bridges give), with what they run and what they
 * queued before this kernel's oldest queued task, and what the controller
 * counts that no open kernel accounts for (other clients).
 */

/** One kernel's unfinished work, as its own store says. */
export interface IKernelWork {
  /** The source's id (the kernel's). */
  key: string;
  /** The controller its Client talks to, when its bridge said (null: not known). */
  controllerId: string | null;
  /** Its tasks an engine runs now. */
  running: number;
  /**
   * When each of its queued tasks was submitted, on this machine's clock
   * (seconds; -Infinity when not known: counted as ahead of anything).
   */
  queued: number[];
}

/** Another kernel's work ahead of this one's queued tasks. */
export interface IKernelAhead {
  key: string;
  running: number;
  /** Its queued tasks submitted no later than this kernel's oldest queued one. */
  queued: number;
}

/** What a kernel's queued tasks wait behind. */
export interface IQueueAhead {
  /** This kernel's queued tasks. */
  waiting: number;
  /** Other open kernels on the same controller with work ahead, most first. */
  kernels: IKernelAhead[];
  /**
   * Running or queued tasks the controller counts that no open kernel on
   * it accounts for: other clients' (their order against ours is not known).
   */
  others: number;
}

/** A kernel's unfinished work from its store (each task once, however many results hold it). */
export function kernelWork(
  key: string,
  controllerId: string | null,
  store: TaskStore
): IKernelWork {
  const work: IKernelWork = { key, controllerId, running: 0, queued: [] };
  const seen = new Set<string>();
  const offset = store.clockOffset;
  for (const record of store.results()) {
    for (const msgId of record.msg_ids) {
      if (seen.has(msgId)) {
        continue;
      }
      seen.add(msgId);
      const task = store.task(msgId);
      if (task?.status === 'running') {
        work.running += 1;
      } else if (task?.status === 'pending') {
        work.queued.push(task.submitted === null ? -Infinity : task.submitted + offset);
      }
    }
  }
  return work;
}

/**
 * What `own`'s queued tasks wait behind, from every open kernel's work and
 * the controller's queues as `own`'s bridge last read them; null when
 * nothing of its own waits, its controller is not known, or nothing is ahead.
 */
export function queueAhead(
  own: IKernelWork,
  all: ReadonlyArray<IKernelWork>,
  queues: IClusterQueues
): IQueueAhead | null {
  if (own.controllerId === null || !own.queued.length) {
    return null;
  }
  // the scheduler hands out tasks in the order they arrived: another
  // kernel's queued task is ahead when it was submitted first
  let oldest = Infinity;
  for (const t of own.queued) {
    if (Number.isFinite(t) && t < oldest) {
      oldest = t;
    }
  }
  const kernels: IKernelAhead[] = [];
  let accounted = own.running + own.queued.length;
  for (const work of all) {
    if (work.key === own.key || work.controllerId !== own.controllerId) {
      continue;
    }
    accounted += work.running + work.queued.length;
    const queued = work.queued.filter(t => t <= oldest).length;
    if (work.running + queued > 0) {
      kernels.push({ key: work.key, running: work.running, queued });
    }
  }
  kernels.sort((a, b) => b.running + b.queued - (a.running + a.queued));
  const total = queues.engines.reduce((sum, e) => sum + e.busy, 0) + queues.unassigned;
  const others = Math.max(0, total - accounted);
  if (!kernels.length && !others) {
    return null;
  }
  return { waiting: own.queued.length, kernels, others };
}
