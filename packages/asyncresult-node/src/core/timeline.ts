import type { IDisposable } from '@lumino/disposable';
import { type ITaskRecord, TASK_STATUSES, type TaskStatus } from './protocol';
import type { TaskStore } from './taskStore';

/**
 * Which engine ran what, when: the tasks of a store as bars on one lane per
 * engine, and, where bars are denser than pixels, one status per pixel
 * column. Times are the kernel's clock (seconds since the epoch).
 */

/** One task on its engine's lane, from its start to its end (null: still running). */
export interface ITimelineBar {
  msgId: string;
  start: number;
  end: number | null;
  status: TaskStatus;
  /**
   * The start is the submission: ipyparallel 9 tells a task's start only
   * with its reply, so a running task's true start is not known yet.
   */
  guessed?: boolean;
}

/** One engine's lane. */
export interface ITimelineLane {
  engine: number;
  /** By start time. */
  bars: ITimelineBar[];
}

/** What a lane says in words and numbers (for screen readers and tests). */
export interface ILaneSummary {
  engine: number;
  tasks: number;
  running: number;
  failed: number;
  /** The first start and the last end on the lane (null while all run). */
  first: number | null;
  last: number | null;
}

/**
 * The lanes of every engine that took a task of `resultIds` (all results
 * when not given). A task is placed once an engine has it; it starts when
 * ipyparallel says it started, or, before the hub tells (ipyparallel 9
 * stores `started` only with the reply), when the bridge saw it running.
 */
export function timelineLanes(
  store: TaskStore,
  resultIds?: ReadonlyArray<string>
): ITimelineLane[] {
  const lanes = new Map<number, ITimelineBar[]>();
  const seen = new Set<string>();
  const records = resultIds
    ? resultIds.map(id => store.result(id)).filter(r => r !== undefined)
    : store.results();
  for (const record of records) {
    for (const msgId of record.msg_ids) {
      if (seen.has(msgId)) {
        continue;
      }
      seen.add(msgId);
      const task = store.task(msgId);
      const bar = task ? taskBar(task) : null;
      if (!bar) {
        continue;
      }
      let lane = lanes.get(task!.engine_id!);
      if (!lane) {
        lane = [];
        lanes.set(task!.engine_id!, lane);
      }
      lane.push(bar);
    }
  }
  return Array.from(lanes.entries())
    .sort(([a], [b]) => a - b)
    .map(([engine, bars]) => ({ engine, bars: bars.sort((a, b) => a.start - b.start) }));
}

/**
 * The lanes of every task of a store, kept up to date change by change: a
 * delta costs what it changed, not what the store holds, so a live
 * timeline of 100,000 tasks redraws in a frame. Bars within a lane are in
 * no particular order (drawing and counting need none).
 */
export class TimelineModel implements IDisposable {
  constructor(store: TaskStore) {
    this._store = store;
    store.changed.connect(this._onChanged, this);
  }

  /** The lanes now, by engine id. */
  lanes(): ITimelineLane[] {
    if (this._stale) {
      this._rebuild();
    }
    for (const engine of this._dirty) {
      const bars = this._byEngine.get(engine);
      if (bars && bars.size) {
        this._lanes.set(engine, { engine, bars: Array.from(bars.values()) });
      } else {
        this._byEngine.delete(engine);
        this._lanes.delete(engine);
      }
    }
    if (this._dirty.size) {
      this._dirty.clear();
      this._sorted = Array.from(this._lanes.values()).sort((a, b) => a.engine - b.engine);
    }
    return this._sorted;
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
  }

  private _onChanged(store: TaskStore, change: TaskStore.IChange): void {
    if (this._stale || store.touchedBy(change) === null) {
      this._stale = true;
      return;
    }
    for (const msgId of change.tasks) {
      this._place(msgId);
    }
  }

  /** Put one task where it belongs now (or nowhere). */
  private _place(msgId: string): void {
    const old = this._engineOf.get(msgId);
    const task = this._store.task(msgId);
    const bar = task ? taskBar(task) : null;
    if (old !== undefined && (!bar || task!.engine_id !== old)) {
      this._byEngine.get(old)?.delete(msgId);
      this._engineOf.delete(msgId);
      this._dirty.add(old);
    }
    if (!bar) {
      return;
    }
    const engine = task!.engine_id!;
    let bars = this._byEngine.get(engine);
    if (!bars) {
      bars = new Map();
      this._byEngine.set(engine, bars);
    }
    bars.set(msgId, bar);
    this._engineOf.set(msgId, engine);
    this._dirty.add(engine);
  }

  private _rebuild(): void {
    this._stale = false;
    this._byEngine.clear();
    this._engineOf.clear();
    this._lanes.clear();
    this._dirty.clear();
    for (const lane of timelineLanes(this._store)) {
      this._byEngine.set(lane.engine, new Map(lane.bars.map(b => [b.msgId, b])));
      lane.bars.forEach(b => this._engineOf.set(b.msgId, lane.engine));
      this._dirty.add(lane.engine);
    }
  }

  private _store: TaskStore;
  private _stale = true;
  private _byEngine = new Map<number, Map<string, ITimelineBar>>();
  private _engineOf = new Map<string, number>();
  private _lanes = new Map<number, ITimelineLane>();
  private _sorted: ITimelineLane[] = [];
  private _dirty = new Set<number>();
  private _isDisposed = false;
}

/** The span the lanes cover, running bars up to `now`; null when empty. */
export function timelineSpan(
  lanes: ReadonlyArray<ITimelineLane>,
  now: number
): [number, number] | null {
  let first = Infinity;
  let last = -Infinity;
  for (const { bars } of lanes) {
    for (const bar of bars) {
      first = Math.min(first, bar.start);
      last = Math.max(last, bar.end ?? now);
    }
  }
  return first === Infinity ? null : [first, Math.max(last, first + 1e-3)];
}

/** A lane in numbers. */
export function summarizeLane(lane: ITimelineLane): ILaneSummary {
  let first: number | null = null;
  let last: number | null = null;
  let running = 0;
  let failed = 0;
  for (const bar of lane.bars) {
    first = first === null ? bar.start : Math.min(first, bar.start);
    if (bar.end === null) {
      running += 1;
    } else {
      last = last === null ? bar.end : Math.max(last, bar.end);
    }
    if (bar.status === 'error') {
      failed += 1;
    }
  }
  return { engine: lane.engine, tasks: lane.bars.length, running, failed, first, last };
}

/** When the last finished task of `lane` ended (-Infinity if none has). */
export function lastFinish(lane: ITimelineLane): number {
  let last = -Infinity;
  for (const bar of lane.bars) {
    if (bar.end !== null && bar.end > last) {
      last = bar.end;
    }
  }
  return last;
}

/**
 * Where to draw `bar` from. An engine runs one task at a time: a running
 * task whose start is not known yet began after every finished task of its
 * lane ended (`lastFinish`), not at its submission, which would draw it
 * over them while it queued.
 */
export function drawnStart(bar: ITimelineBar, lastFinished: number, now: number): number {
  return bar.guessed ? Math.min(bar.end ?? now, Math.max(bar.start, lastFinished)) : bar.start;
}

/**
 * One status per pixel column of a lane drawn `width` px wide for times
 * `from` to `to`: the status covering most of the column, or null where no
 * bar is. Costs one pass over the bars plus one over the columns, however
 * many bars share a pixel; a failure wins its column, so none is hidden.
 */
export function laneColumns(
  lane: ITimelineLane,
  from: number,
  to: number,
  width: number,
  now: number
): Array<TaskStatus | null> {
  const columns = Math.max(0, Math.floor(width));
  const out: Array<TaskStatus | null> = new Array(columns).fill(null);
  if (columns === 0) {
    return out;
  }
  // one row of coverage per status, in the order the lane first shows them
  // (the first wins a tie), in one buffer reused from lane to lane: a frame
  // draws tens of lanes, and a buffer and a Map per lane cost more than the
  // drawing itself
  const cover = Private.scratch(columns * TASK_STATUSES.length);
  const order: number[] = [];
  const perPixel = (to - from) / columns;
  const finished = lastFinish(lane);
  let lo = columns;
  let hi = -1;
  for (const bar of lane.bars) {
    const end = bar.end ?? now;
    const start = drawnStart(bar, finished, now);
    if (end < from || start > to) {
      continue;
    }
    const kind = Private.STATUS_INDEX[bar.status];
    if (!order.includes(kind)) {
      order.push(kind);
    }
    const row = kind * columns;
    const a = (Math.max(start, from) - from) / perPixel;
    const b = (Math.min(end, to) - from) / perPixel;
    const first = Math.min(columns - 1, Math.floor(a));
    // a bar that ends on a pixel's edge does not reach into the next one
    const last = Math.min(columns - 1, Math.max(first, Math.ceil(b) - 1));
    for (let x = first; x <= last; x++) {
      // how much of pixel x this bar covers (a bar thinner than a pixel still counts)
      cover[row + x] += Math.max(Math.min(b, x + 1) - Math.max(a, x), 1e-6);
    }
    lo = Math.min(lo, first);
    hi = Math.max(hi, last);
  }
  const error = Private.STATUS_INDEX.error;
  for (let x = lo; x <= hi; x++) {
    let best = 0;
    for (const kind of order) {
      const value = cover[kind * columns + x];
      if (kind === error && value > 0) {
        out[x] = 'error';
        break;
      }
      if (value > best) {
        best = value;
        out[x] = TASK_STATUSES[kind];
      }
    }
  }
  // leave the buffer zeroed for the next lane
  for (const kind of order) {
    cover.fill(0, kind * columns + lo, kind * columns + hi + 1);
  }
  return out;
}

/**
 * Where a task sits on its engine's lane: from when it started (or, before
 * the hub tells, when the bridge saw it running) to when it ended (null
 * while it runs); null while no engine has it.
 */
export function taskBar(task: ITaskRecord): ITimelineBar | null {
  if (task.engine_id === null || task.status === 'pending') {
    return null;
  }
  const running = task.status === 'running';
  const finished = running ? null : (task.completed ?? task.received);
  // an aborted task never ran: a mark where the engine turned it away
  const start = task.started ?? (task.status === 'aborted' ? finished : null) ?? task.submitted;
  if (start === null) {
    return null;
  }
  return {
    msgId: task.msg_id,
    start,
    end: running ? null : (finished ?? start),
    status: task.status,
    ...(running && task.started === null ? { guessed: true } : {})
  };
}

/**
 * The bar of `lane` under time `at`, or the nearest within `slack` seconds
 * (a bar thinner than a pixel can still be picked); null when none is.
 */
export function barAt(
  lane: ITimelineLane,
  at: number,
  slack: number,
  now: number
): ITimelineBar | null {
  let best: ITimelineBar | null = null;
  let bestGap = Infinity;
  for (const bar of lane.bars) {
    const end = bar.end ?? now;
    const gap = at < bar.start ? bar.start - at : at > end ? at - end : 0;
    if (gap <= slack && gap < bestGap) {
      best = bar;
      bestGap = gap;
    }
  }
  return best;
}

/** Module-private helpers. */
namespace Private {
  /** Each status's row in the coverage buffer. */
  export const STATUS_INDEX = Object.fromEntries(TASK_STATUSES.map((s, i) => [s, i])) as Record<
    TaskStatus,
    number
  >;

  let buffer = new Float64Array(0);

  /** A zeroed buffer of at least `size` numbers, shared by every call (left zeroed after use). */
  export function scratch(size: number): Float64Array {
    if (buffer.length < size) {
      buffer = new Float64Array(size);
    }
    return buffer;
  }
}
