import type { ITaskRecord } from './protocol';
import type { TaskStore } from './taskStore';

/**
 * How far some AsyncResults have come: what a progress bar shows.
 *
 * Counts are weighted like ipyparallel's `len(ar)` and `ar.progress`: a
 * task of a chunked map counts as many elements as its chunk holds.
 */
export interface IProgress {
  total: number;
  done: number;
  failed: number;
  aborted: number;
  running: number;
  /** Submitted and waiting for an engine (or not heard of yet). */
  queued: number;
  /** Every task has finished (done, failed or aborted). */
  finished: boolean;
  /** Seconds from the first submission to the last completion, or to now. */
  elapsed: number | null;
  /** Finished elements per second so far. */
  rate: number | null;
  /** Seconds left at the current rate. */
  eta: number | null;
  /** Tasks per engine that has taken any, by engine id. */
  engines: IEngineProgress[];
  /** Result ids the store does not know (not flushed yet, or pruned). */
  missing: number;
}

/** What one engine did for the results being followed. */
export interface IEngineProgress {
  id: number;
  done: number;
  failed: number;
  running: number;
}

/**
 * Measure the progress of some results from a task store; `now` is the
 * kernel's clock in seconds (defaults to the store's estimate of it).
 */
export function measureProgress(
  store: TaskStore,
  resultIds: ReadonlyArray<string>,
  now: number = store.kernelNow()
): IProgress {
  const p: IProgress = {
    total: 0,
    done: 0,
    failed: 0,
    aborted: 0,
    running: 0,
    queued: 0,
    finished: false,
    elapsed: null,
    rate: null,
    eta: null,
    engines: [],
    missing: 0
  };
  const engines = new Map<number, IEngineProgress>();
  const seen = new Set<string>();
  let first: number | null = null;
  let born: number | null = null;
  let last: number | null = null;
  for (const id of resultIds) {
    const record = store.result(id);
    if (!record) {
      p.missing += 1;
      continue;
    }
    if (born === null || record.created < born) {
      born = record.created;
    }
    const sizes = record.chunk_sizes ?? {};
    for (const msgId of record.msg_ids) {
      if (seen.has(msgId)) {
        continue; // results of one aggregated bar may share tasks
      }
      seen.add(msgId);
      const weight = sizes[msgId] ?? 1;
      const task = store.task(msgId);
      p.total += weight;
      Private.count(p, task, weight);
      if (!task) {
        continue;
      }
      if (task.submitted !== null && (first === null || task.submitted < first)) {
        first = task.submitted;
      }
      const end = task.completed ?? task.received;
      if (end !== null && (last === null || end > last)) {
        last = end;
      }
      if (task.engine_id !== null && task.status !== 'pending') {
        let engine = engines.get(task.engine_id);
        if (!engine) {
          engine = { id: task.engine_id, done: 0, failed: 0, running: 0 };
          engines.set(task.engine_id, engine);
        }
        if (task.status === 'done') {
          engine.done += 1;
        } else if (task.status === 'error') {
          engine.failed += 1;
        } else if (task.status === 'running') {
          engine.running += 1;
        }
      }
    }
  }
  // until a task says when it was submitted, the result's birth will do
  first = first ?? born;
  const finishedCount = p.done + p.failed + p.aborted;
  p.finished = p.missing === 0 && p.total > 0 && finishedCount === p.total;
  const end = p.finished ? (last ?? now) : now;
  if (first !== null) {
    p.elapsed = Math.max(0, end - first);
  }
  const completed = p.done + p.failed;
  if (p.elapsed !== null && p.elapsed > 0 && completed > 0) {
    p.rate = completed / p.elapsed;
    if (!p.finished) {
      const remaining = p.total - finishedCount;
      p.eta = remaining / p.rate;
    }
  }
  p.engines = Array.from(engines.values()).sort((a, b) => a.id - b.id);
  return p;
}

namespace Private {
  export function count(p: IProgress, task: ITaskRecord | undefined, weight: number): void {
    switch (task?.status) {
      case 'done':
        p.done += weight;
        break;
      case 'error':
        p.failed += weight;
        break;
      case 'aborted':
        p.aborted += weight;
        break;
      case 'running':
        p.running += weight;
        break;
      default:
        p.queued += weight;
    }
  }
}
