import type { IDisposable } from '@lumino/disposable';
import { SortedTimes } from './sortedTimes';
import { taskBar } from './timeline';
import type { ITaskRecord } from './protocol';
import type { TaskStore } from './taskStore';

/**
 * How busy the engines were: how many tasks of a store ran at each moment,
 * against how many engines the cluster had. Times are the kernel's clock
 * (seconds since the epoch), as on the timeline.
 */

/** The engine count the controller gave at one moment. */
export interface IEngineSample {
  time: number;
  engines: number;
}

/**
 * The running tasks of a store over time, kept change by change: a task's
 * start and end go into two sorted lists of times, so "how many ran at t"
 * is two binary searches, and the average over a pixel column is two
 * prefix sums. A frame of W columns costs O(W log N) however many tasks
 * there are; a delta costs what it changed (a snapshot, a reset or a very
 * large delta rebuilds by one sort).
 */
export class UtilisationModel implements IDisposable {
  constructor(store: TaskStore) {
    this._store = store;
    store.changed.connect(this._onChanged, this);
  }

  /** Tasks running now. */
  get running(): number {
    this._ensure();
    return this._running;
  }

  /** Tasks that ran or run (have a start). */
  get tasks(): number {
    this._ensure();
    return this._spans.size;
  }

  /** The engine counts noted so far, oldest first. */
  get engineSamples(): ReadonlyArray<IEngineSample> {
    return this._samples;
  }

  /**
   * Note how many engines the cluster has at `time` (from `queue_status`);
   * a repeat of the last count is not kept.
   */
  noteEngines(time: number, engines: number): void {
    const last = this._samples[this._samples.length - 1];
    if (last && last.engines === engines) {
      return;
    }
    if (last && time < last.time) {
      time = last.time; // the kernel's clock as seen here may step back a little
    }
    this._samples.push({ time, engines });
  }

  /** The engine count at `time`: the last noted before it (the first, before any). */
  enginesAt(time: number): number | null {
    const samples = this._samples;
    if (!samples.length) {
      return null;
    }
    let lo = 0;
    let hi = samples.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (samples[mid].time <= time) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return samples[Math.max(0, lo - 1)].engines;
  }

  /** How many tasks ran at `time` (one that started then counts, one that ended then does not). */
  busyAt(time: number): number {
    this._ensure();
    if (!this._starts) {
      return 0;
    }
    return this._starts.countUpTo(time) - this._ends!.countUpTo(time);
  }

  /**
   * The average number of running tasks in each of `width` columns from
   * `from` to `to`; NaN for columns wholly after `now` (the future), and a
   * column that holds `now` averages up to `now` only.
   */
  busyColumns(from: number, to: number, width: number, now: number): Float64Array {
    this._ensure();
    const columns = Math.max(0, Math.floor(width));
    const out = new Float64Array(columns);
    const step = (to - from) / Math.max(1, columns);
    if (!this._starts || step <= 0) {
      out.fill(0);
      for (let x = 0; x < columns; x++) {
        if (from + x * step > now) {
          out[x] = NaN;
        }
      }
      return out;
    }
    // edges only clip at `now`, after which every column is NaN: each
    // column's left area is the previous column's right one
    let areaLeft = this._area(from);
    for (let x = 0; x < columns; x++) {
      const left = from + x * step;
      if (left > now) {
        out[x] = NaN;
        continue;
      }
      const right = Math.min(from + (x + 1) * step, now);
      const areaRight = this._area(right);
      out[x] = right > left ? (areaRight - areaLeft) / (right - left) : this.busyAt(left);
      areaLeft = areaRight;
    }
    return out;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._store.changed.disconnect(this._onChanged, this);
    this._spans.clear();
  }

  /** Integral of the running count from the first start up to `time`. */
  private _area(time: number): number {
    return this._starts!.areaUpTo(time) - this._ends!.areaUpTo(time);
  }

  private _onChanged(store: TaskStore, change: TaskStore.IChange): void {
    if (
      this._stale ||
      change.kind !== 'delta' ||
      change.tasks.length > UtilisationModel.REBUILD_ABOVE ||
      // a dropped result takes its tasks with it, unnamed in the change
      change.results.some(id => !store.result(id))
    ) {
      this._stale = true;
      return;
    }
    for (const msgId of change.tasks) {
      this._place(msgId);
    }
  }

  /**
   * A task's span as counted here. ipyparallel 9 tells `started` only with
   * the reply, so a running task's bar starts at its submission, when it
   * may still have queued behind another task of its engine: it cannot
   * have started before that engine's last task ended (an engine runs one
   * task at a time), or the chart would count more busy than engines.
   */
  private _span(task: ITaskRecord | undefined): ISpan | null {
    const bar = task ? taskBar(task) : null;
    if (!bar) {
      return null;
    }
    const engine = task!.engine_id!;
    const guessed = bar.end === null && task!.started === null;
    const start = guessed ? Math.max(bar.start, this._lastEnd.get(engine) ?? -Infinity) : bar.start;
    return { start, end: bar.end, engine, guessed };
  }

  /** Move one task's start and end to where the store has them now. */
  private _place(msgId: string): void {
    const span = this._span(this._store.task(msgId));
    const old = this._spans.get(msgId);
    if (old && span && old.start === span.start && old.end === span.end) {
      return;
    }
    if (old) {
      this._starts!.remove(old.start);
      if (old.end === null) {
        this._running -= 1;
      } else {
        this._ends!.remove(old.end);
      }
      this._guessed.get(old.engine)?.delete(msgId);
      this._spans.delete(msgId);
    }
    if (!span) {
      return;
    }
    if (!this._starts) {
      this._starts = new SortedTimes(span.start);
      this._ends = new SortedTimes(span.start);
    }
    this._starts.insert(span.start);
    if (span.end === null) {
      this._running += 1;
    } else {
      this._ends!.insert(span.end);
    }
    this._spans.set(msgId, span);
    if (span.guessed) {
      let guessed = this._guessed.get(span.engine);
      if (!guessed) {
        guessed = new Set();
        this._guessed.set(span.engine, guessed);
      }
      guessed.add(msgId);
    } else if (span.end !== null && span.end > (this._lastEnd.get(span.engine) ?? -Infinity)) {
      // the engine was busy until then: its guessed starts move up
      this._lastEnd.set(span.engine, span.end);
      for (const other of Array.from(this._guessed.get(span.engine) ?? [])) {
        this._place(other);
      }
    }
  }

  /** After a snapshot or a large change: everything again, by one sort. */
  private _ensure(): void {
    if (!this._stale) {
      return;
    }
    this._stale = false;
    this._spans.clear();
    this._guessed.clear();
    this._lastEnd.clear();
    this._running = 0;
    const tasks: Array<[string, ITaskRecord]> = [];
    const seen = new Set<string>();
    for (const record of this._store.results()) {
      for (const msgId of record.msg_ids) {
        const task = this._store.task(msgId);
        if (!seen.has(msgId) && task) {
          seen.add(msgId);
          tasks.push([msgId, task]);
        }
      }
    }
    // each engine's last end first: guessed starts depend on it
    for (const [, task] of tasks) {
      const bar = taskBar(task);
      if (bar && bar.end !== null) {
        const last = this._lastEnd.get(task.engine_id!) ?? -Infinity;
        this._lastEnd.set(task.engine_id!, Math.max(last, bar.end));
      }
    }
    const starts: number[] = [];
    const ends: number[] = [];
    for (const [msgId, task] of tasks) {
      const span = this._span(task);
      if (!span) {
        continue;
      }
      starts.push(span.start);
      if (span.end === null) {
        this._running += 1;
      } else {
        ends.push(span.end);
      }
      this._spans.set(msgId, span);
      if (span.guessed) {
        let guessed = this._guessed.get(span.engine);
        if (!guessed) {
          guessed = new Set();
          this._guessed.set(span.engine, guessed);
        }
        guessed.add(msgId);
      }
    }
    if (!starts.length) {
      this._starts = this._ends = null;
      return;
    }
    const origin = starts[0];
    this._starts = SortedTimes.from(origin, starts);
    this._ends = SortedTimes.from(origin, ends);
  }

  private _store: TaskStore;
  private _stale = true;
  private _spans = new Map<string, ISpan>();
  /** Engine -> running tasks whose start is a guess (see `_span`). */
  private _guessed = new Map<number, Set<string>>();
  /** Engine -> when its last finished task ended. */
  private _lastEnd = new Map<number, number>();
  private _starts: SortedTimes | null = null;
  private _ends: SortedTimes | null = null;
  private _running = 0;
  private _samples: IEngineSample[] = [];
  private _isDisposed = false;
}

/** A task's span as the model counts it. */
interface ISpan {
  start: number;
  /** Null while it runs. */
  end: number | null;
  engine: number;
  /** The start is a guess: the task runs and ipyparallel has not said when it started. */
  guessed: boolean;
}

/** Constants of UtilisationModel. */
export namespace UtilisationModel {
  /** A delta that changes more tasks than this rebuilds by one sort instead. */
  export const REBUILD_ABOVE = 2000;
}
