import { Tally } from './tally';
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

/** Results with this many tasks or more keep a tally in the store. */
export const KEEP_TALLY_FROM = 32;

/**
 * Measure the progress of some results from a task store; `now` is the
 * kernel's clock in seconds (defaults to the store's estimate of it).
 *
 * It adds up the store's tallies of big results, so a redraw costs the
 * number of results, not of their tasks. Small results (a loop of
 * `apply_async`) are counted task by task: a kept tally each would cost
 * more memory than their tasks. So are results that may share tasks (one
 * bar over `ar` and a result built from its msg_ids), each task once.
 */
export function measureProgress(
  store: TaskStore,
  resultIds: ReadonlyArray<string>,
  now: number = store.kernelNow()
): IProgress {
  const p = noProgress();
  const tallies: Tally[] = [];
  let born: number | null = null;
  const shared = store.mayShareTasks(resultIds);
  const loose = new Tally();
  const seen = new Set<string>();
  const task = (msgId: string) => store.task(msgId);
  for (const id of resultIds) {
    const record = store.result(id);
    if (!record) {
      p.missing += 1;
      continue;
    }
    if (born === null || record.created < born) {
      born = record.created;
    }
    if (!shared && record.msg_ids.length >= KEEP_TALLY_FROM) {
      tallies.push(store.tally(id)!);
      continue;
    }
    loose.addTasks(record.msg_ids, record.chunk_sizes, task, seen);
    if (!shared) {
      seen.clear(); // only tasks of one result can repeat here
    }
  }
  tallies.push(loose);
  const engines = new Map<number, IEngineProgress>();
  let known = 0;
  let first: number | null = null;
  let last: number | null = null;
  for (const t of tallies) {
    p.total += t.total;
    p.done += t.done;
    p.failed += t.failed;
    p.aborted += t.aborted;
    p.running += t.running;
    p.queued += t.queued;
    known += t.known;
    if (t.first !== null && (first === null || t.first < first)) {
      first = t.first;
    }
    if (t.last !== null && (last === null || t.last > last)) {
      last = t.last;
    }
    for (const [engineId, e] of t.engines) {
      let engine = engines.get(engineId);
      if (!engine) {
        engine = { id: engineId, done: 0, failed: 0, running: 0, died: false };
        engines.set(engineId, engine);
      }
      engine.done += e.done;
      engine.failed += e.failed;
      engine.running += e.running;
      engine.died = engine.died || e.died > 0;
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
}
