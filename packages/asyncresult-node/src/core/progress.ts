import type { ITaskRecord } from './protocol';
import type { TaskStore } from './taskStore';

/**
 * The one counting of work every view shows (the bar in a cell, its
 * summary line and the Parallel tasks panel), so they never disagree.
 *
 * Counts are weighted like ipyparallel's `len(ar)` and `ar.progress`: a
 * task of a chunked map counts as many elements as its chunk holds.
 * `done` is only what succeeded; failed and aborted are counted apart.
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
  /** One word for the whole: see `ProgressStatus`. */
  status: ProgressStatus;
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

/**
 * The state of some results as a whole: `pending` while nothing has started,
 * `running` until every task finished, then `error` if any failed, else
 * `aborted` if any was aborted, else `done`; `unknown` when the store has
 * none of their tasks.
 */
export type ProgressStatus = 'pending' | 'running' | 'done' | 'error' | 'aborted' | 'unknown';

/**
 * The segments of every progress bar (the cell's and the panel's), in the
 * order they stand: the task status each shows and the count that sizes it.
 */
export const BAR_SEGMENTS: ReadonlyArray<{
  status: 'done' | 'error' | 'aborted' | 'running';
  count: 'done' | 'failed' | 'aborted' | 'running';
}> = [
  { status: 'done', count: 'done' },
  { status: 'error', count: 'failed' },
  { status: 'aborted', count: 'aborted' },
  { status: 'running', count: 'running' }
];

/** What one engine did for the results being followed. */
export interface IEngineProgress {
  id: number;
  done: number;
  failed: number;
  running: number;
  /** The engine died under one of these tasks (ipyparallel's EngineError). */
  died: boolean;
}

/** The class name ipyparallel gives the error of a task whose engine died. */
export const ENGINE_DIED = 'EngineError';

/** The progress of nothing: every count zero, nothing known. */
export function noProgress(): IProgress {
  return {
    total: 0,
    done: 0,
    failed: 0,
    aborted: 0,
    running: 0,
    queued: 0,
    finished: false,
    status: 'unknown',
    elapsed: null,
    rate: null,
    eta: null,
    engines: [],
    missing: 0
  };
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
  const p = noProgress();
  const engines = new Map<number, IEngineProgress>();
  const seen = new Set<string>();
  let known = 0;
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
      known += 1;
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
          engine = { id: task.engine_id, done: 0, failed: 0, running: 0, died: false };
          engines.set(task.engine_id, engine);
        }
        if (task.status === 'done') {
          engine.done += 1;
        } else if (task.status === 'error') {
          engine.failed += 1;
          engine.died = engine.died || task.error?.ename === ENGINE_DIED;
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
  p.status = Private.status(p, known);
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

/**
 * Whether an abort can still change these results: some of their tasks
 * have not finished yet.
 */
export function isUnfinished(p: IProgress): boolean {
  return p.status === 'pending' || p.status === 'running';
}

namespace Private {
  export function status(p: IProgress, known: number): ProgressStatus {
    if (p.finished) {
      return p.failed ? 'error' : p.aborted ? 'aborted' : 'done';
    }
    if (p.running || p.done || p.failed || p.aborted) {
      return 'running';
    }
    return known > 0 ? 'pending' : 'unknown';
  }

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
