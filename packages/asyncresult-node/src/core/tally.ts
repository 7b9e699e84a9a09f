import type { ITaskRecord } from './protocol';

/** The class name ipyparallel gives the error of a task whose engine died. */
export const ENGINE_DIED = 'EngineError';

/** What one engine did for the tasks of a tally. */
export interface IEngineTally {
  done: number;
  failed: number;
  running: number;
  /** Tasks that died with the engine (EngineError). */
  died: number;
  /** Tasks it took that are not pending: the engine shows while above 0. */
  tasks: number;
}

/**
 * What some tasks add up to: weighted counts by status, the engines that
 * took them, and the first submission and last completion among them.
 *
 * A tally is kept up to date one task change at a time (`move`), so a
 * progress bar costs what changed, not how many tasks there are. Counts
 * are exact after any sequence of moves. The two stamps only move outward;
 * when a task leaves a stamp it held, the tally turns `stale` and its
 * owner recounts the stamps (`restamp`).
 */
export class Tally {
  total = 0;
  done = 0;
  failed = 0;
  aborted = 0;
  running = 0;
  /** Waiting for an engine, or not heard of yet. */
  queued = 0;
  /** Tasks the store holds a record of (unweighted). */
  known = 0;
  /** Earliest submission, kernel seconds. */
  first: number | null = null;
  /** Latest completion (or receipt), kernel seconds. */
  last: number | null = null;
  /** A stamp may be off: recount with `restamp`. */
  stale = false;
  /** By engine id. */
  engines = new Map<number, IEngineTally>();

  /** Count one more task (or element of a chunk, by `weight`). */
  add(task: ITaskRecord | undefined, weight: number): void {
    this.total += weight;
    this._count(task, weight, 1);
    this._stamp(task);
  }

  /**
   * Count the tasks of `msgIds` that `seen` does not hold yet (each once),
   * weighted by a record's `sizes` (chunk sizes; 1 where absent), their
   * records read through `task`; adds them to `seen`.
   */
  addTasks(
    msgIds: Iterable<string>,
    sizes: Readonly<Record<string, number>> | undefined,
    task: (msgId: string) => ITaskRecord | undefined,
    seen: Set<string> = new Set()
  ): void {
    for (const msgId of msgIds) {
      if (!seen.has(msgId)) {
        seen.add(msgId);
        this.add(task(msgId), sizes?.[msgId] ?? 1);
      }
    }
  }

  /** One task changed from `previous` to `next` (undefined: not known). */
  move(previous: ITaskRecord | undefined, next: ITaskRecord | undefined, weight: number): void {
    this._count(previous, -weight, -1);
    this._count(next, weight, 1);
    const s0 = previous?.submitted ?? null;
    const e0 = Private.end(previous);
    if (
      (s0 !== null && s0 === this.first && s0 !== (next?.submitted ?? null)) ||
      (e0 !== null && e0 === this.last && e0 !== Private.end(next))
    ) {
      this.stale = true;
    }
    this._stamp(next);
  }

  /** Recount the stamps from every task of the tally. */
  restamp(tasks: Iterable<ITaskRecord | undefined>): void {
    this.first = null;
    this.last = null;
    this.stale = false;
    for (const task of tasks) {
      this._stamp(task);
    }
  }

  private _count(task: ITaskRecord | undefined, weight: number, one: 1 | -1): void {
    switch (task?.status) {
      case 'done':
        this.done += weight;
        break;
      case 'error':
        this.failed += weight;
        break;
      case 'aborted':
        this.aborted += weight;
        break;
      case 'running':
        this.running += weight;
        break;
      default:
        this.queued += weight;
    }
    if (!task) {
      return;
    }
    this.known += one;
    if (task.engine_id === null || task.status === 'pending') {
      return;
    }
    let engine = this.engines.get(task.engine_id);
    if (!engine) {
      engine = { done: 0, failed: 0, running: 0, died: 0, tasks: 0 };
      this.engines.set(task.engine_id, engine);
    }
    engine.tasks += one;
    if (task.status === 'done') {
      engine.done += one;
    } else if (task.status === 'error') {
      engine.failed += one;
      if (task.error?.ename === ENGINE_DIED) {
        engine.died += one;
      }
    } else if (task.status === 'running') {
      engine.running += one;
    }
    if (engine.tasks <= 0) {
      this.engines.delete(task.engine_id);
    }
  }

  private _stamp(task: ITaskRecord | undefined): void {
    if (!task) {
      return;
    }
    if (task.submitted !== null && (this.first === null || task.submitted < this.first)) {
      this.first = task.submitted;
    }
    const end = Private.end(task);
    if (end !== null && (this.last === null || end > this.last)) {
      this.last = end;
    }
  }
}

namespace Private {
  /** When a task ended, as far as the kernel heard. */
  export function end(task: ITaskRecord | undefined): number | null {
    return task ? (task.completed ?? task.received) : null;
  }
}
