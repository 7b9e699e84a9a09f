import { DisposableDelegate, type IDisposable } from '@lumino/disposable';
import { type ISignal, Signal } from '@lumino/signaling';
import type {
  BridgeMessage,
  IControllerState,
  IDeltaMessage,
  IRecordBatch,
  IResultRecord,
  ISnapshotMessage,
  ITaskRecord,
  TaskStatus
} from './protocol';
import { Tally } from './tally';
import { decodeTaskRow } from './taskRows';

/**
 * The frontend's copy of what one kernel bridge (or controller connection)
 * knows: AsyncResult records and their tasks, keyed by id and msg_id.
 *
 * Deltas apply in sequence; a gap or a delta before the first snapshot asks
 * for a snapshot instead of guessing.
 */
export class TaskStore implements IDisposable {
  /** Emitted after any change of results or tasks. */
  get changed(): ISignal<this, TaskStore.IChange> {
    return this._changed;
  }

  /**
   * Call `callback` after each change that concerns one result: its record
   * or one of its tasks changed, or the whole store did (snapshot, reset,
   * controller state). Cheaper than filtering `changed` when many results
   * are watched: a change reaches only the results it touches.
   */
  watch(resultId: string, callback: (change: TaskStore.IChange) => void): IDisposable {
    let set = this._watchers.get(resultId);
    if (!set) {
      set = new Set();
      this._watchers.set(resultId, set);
    }
    set.add(callback);
    return new DisposableDelegate(() => {
      set!.delete(callback);
      if (!set!.size && this._watchers.get(resultId) === set) {
        this._watchers.delete(resultId);
      }
    });
  }

  /** Emitted once when the store can only be repaired by a snapshot. */
  get snapshotNeeded(): ISignal<this, string> {
    return this._snapshotNeeded;
  }

  /** Sequence number of the last applied message; -1 before a snapshot. */
  get seq(): number {
    return this._seq;
  }

  /** Whether the store has applied a snapshot and has seen no gap since. */
  get synced(): boolean {
    return this._seq >= 0 && !this._awaitingSnapshot;
  }

  /**
   * Local clock minus the kernel's clock, in seconds, from the last message.
   * Add it to a kernel time to place it on this machine's clock.
   */
  get clockOffset(): number {
    return this._clockOffset;
  }

  /** The bridge session the last snapshot came from ('' before one, or from an old bridge). */
  get session(): string {
    return this._session;
  }

  /** Whether the kernel's controller answers, as the bridge last said. */
  get controller(): IControllerState {
    return this._controller;
  }

  /** The kernel's clock now, in seconds since the epoch. */
  kernelNow(): number {
    return this._now() - this._clockOffset;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /** Apply one message from the bridge; says what became of it. */
  apply(message: BridgeMessage): TaskStore.Outcome {
    if (this._isDisposed) {
      return 'ignored';
    }
    switch (message.type) {
      case 'snapshot':
        this._applySnapshot(message);
        return 'applied';
      case 'delta':
        return this._applyDelta(message);
      default:
        return 'ignored';
    }
  }

  /** Forget everything, as after a kernel restart; a snapshot must follow. */
  reset(): void {
    this._parts = [];
    this._results.clear();
    this._tasks.clear();
    this._seq = -1;
    this._awaitingSnapshot = false;
    this._session = '';
    this._controller = { ok: true, detail: '' };
    this._resultsOfTask.clear();
    this._tallies.clear();
    this._shared.clear();
    this._emit({ kind: 'reset', results: [], tasks: [] });
  }

  /** Every result record, oldest first. */
  results(): IResultRecord[] {
    return Array.from(this._results.values());
  }

  /** One result record, if the store has it. */
  result(id: string): IResultRecord | undefined {
    return this._results.get(id);
  }

  /** One task record, if the store has it. */
  task(msgId: string): ITaskRecord | undefined {
    return this._tasks.get(msgId);
  }

  /** The ids of the results that hold a task, oldest first. */
  resultsOf(msgId: string): string[] {
    return Array.from(this._resultsOfTask.get(msgId) ?? []);
  }

  /**
   * What the tasks of one result add up to, kept up to date as their rows
   * arrive: made on the first call, after that it costs what changed.
   */
  tally(resultId: string): Tally | undefined {
    const record = this._results.get(resultId);
    if (!record) {
      return undefined;
    }
    let tally = this._tallies.get(resultId);
    if (!tally) {
      tally = new Tally();
      tally.addTasks(record.msg_ids, record.chunk_sizes, this._task);
      this._tallies.set(resultId, tally);
    } else if (tally.stale) {
      tally.restamp(record.msg_ids.map(m => this._tasks.get(m)));
    }
    return tally;
  }

  /**
   * Whether some of these results may hold a task in common, so that adding
   * up their tallies would count it twice. It can say yes where they do not
   * (a result that once shared a task with another); never no where they do.
   */
  mayShareTasks(resultIds: ReadonlyArray<string>): boolean {
    return resultIds.length > 1 && resultIds.some(id => this._shared.has(id));
  }

  /** The number of tasks the store holds. */
  get taskCount(): number {
    return this._tasks.size;
  }

  /** Counts of a result's tasks by status, and the status of the whole. */
  summary(resultId: string): TaskStore.ISummary | undefined {
    const record = this._results.get(resultId);
    if (!record) {
      return undefined;
    }
    return summarize(record.msg_ids.map(id => this._tasks.get(id)));
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._results.clear();
    this._tasks.clear();
    this._resultsOfTask.clear();
    this._tallies.clear();
    this._shared.clear();
    this._watchers.clear();
    Signal.clearData(this);
  }

  private _applySnapshot(message: ISnapshotMessage): void {
    // a big state comes in parts: hold them until the last one, so the
    // store never shows half a snapshot
    const part = message.part ?? 0;
    const parts = message.parts ?? 1;
    if (part !== this._parts.length) {
      this._parts = [];
      if (part !== 0) {
        this._awaitingSnapshot = true;
        this._snapshotNeeded.emit(`snapshot part ${part} came without the parts before it`);
        return;
      }
    }
    this._parts.push(message);
    if (part < parts - 1) {
      return;
    }
    const all = this._parts;
    this._parts = [];
    this._results.clear();
    this._tasks.clear();
    this._resultsOfTask.clear();
    this._tallies.clear();
    this._shared.clear();
    const tasks: string[] = [];
    for (const batch of all) {
      this._applyBatch(batch, tasks);
    }
    this._seq = message.seq;
    this._awaitingSnapshot = false;
    this._controller = message.controller ?? { ok: true, detail: '' };
    this._session = typeof message.bridge?.session === 'string' ? message.bridge.session : '';
    this._noteClock(message.clock);
    this._emit({ kind: 'snapshot', results: Array.from(this._results.keys()), tasks });
  }

  private _applyDelta(message: IDeltaMessage): TaskStore.Outcome {
    if (this._seq < 0 || this._awaitingSnapshot) {
      return 'waiting';
    }
    if (message.seq <= this._seq) {
      return 'duplicate';
    }
    if (message.seq > this._seq + 1) {
      this._awaitingSnapshot = true;
      this._snapshotNeeded.emit(`gap in sequence: expected ${this._seq + 1}, got ${message.seq}`);
      return 'gap';
    }
    const tasks: string[] = [];
    const results = this._applyBatch(message, tasks);
    if (message.removed.length) {
      this._remove(message.removed);
    }
    if (message.controller) {
      this._controller = message.controller;
    }
    this._seq = message.seq;
    this._noteClock(message.clock);
    this._emit({
      kind: 'delta',
      results: results.concat(message.removed),
      tasks,
      controller: message.controller !== undefined
    });
    return 'applied';
  }

  /**
   * Apply the records of a delta or snapshot part: whole results, result
   * patches, whole tasks and task rows. Pushes the msg_ids of the tasks it
   * set onto `tasks`; returns the ids of the results it set.
   */
  private _applyBatch(batch: IRecordBatch, tasks: string[]): string[] {
    const results: string[] = [];
    for (const r of batch.results) {
      this._setResult(r);
      results.push(r.id);
    }
    for (const change of batch.result_changes ?? []) {
      const old = this._results.get(change.id);
      if (!old) {
        continue;
      }
      const { msg_ids_at, add_msg_ids, ...fields } = change;
      const msgIds = add_msg_ids
        ? old.msg_ids.slice(0, msg_ids_at).concat(add_msg_ids)
        : old.msg_ids;
      // a map still being submitted grows by appends: every old msg_id
      // stays in place, and its tally takes the new tasks rather than being
      // counted again
      const appended = add_msg_ids !== undefined && msg_ids_at === old.msg_ids.length;
      const kept = appended ? msg_ids_at : undefined;
      const tally = this._tallies.get(change.id);
      const grown =
        appended && tally !== undefined && !('chunk_sizes' in fields)
          ? add_msg_ids.filter(m => !this._resultsOfTask.get(m)?.has(change.id))
          : null;
      this._setResult({ ...old, ...fields, msg_ids: msgIds }, kept);
      if (grown) {
        tally!.addTasks(grown, old.chunk_sizes, this._task);
        this._tallies.set(change.id, tally!);
      }
      results.push(change.id);
    }
    for (const t of batch.tasks) {
      this._setTask(t.msg_id, t);
      tasks.push(t.msg_id);
    }
    const changes = batch.changes ?? {};
    const t0 = batch.t0 ?? 0;
    for (const [engine, uuid] of Object.entries(batch.engines ?? {})) {
      this._engines.set(Number(engine), uuid);
    }
    for (const id of Object.keys(changes)) {
      const msgIds = this._results.get(id)?.msg_ids;
      if (!msgIds) {
        continue; // a result this store never had (or dropped): nothing to index
      }
      for (const row of changes[id]) {
        const msgId = msgIds[row[0]];
        if (msgId !== undefined) {
          const previous = this._tasks.get(msgId);
          this._setTask(msgId, decodeTaskRow(msgId, row, t0, this._engines, previous));
          tasks.push(msgId);
        }
      }
    }
    return results;
  }

  /** Store one task's new record, and move it in the tallies that count it. */
  private _setTask(msgId: string, task: ITaskRecord): void {
    const previous = this._tasks.get(msgId);
    this._tasks.set(msgId, task);
    if (!this._tallies.size) {
      return;
    }
    const holders = this._resultsOfTask.get(msgId);
    if (!holders) {
      return;
    }
    for (const id of holders) {
      const tally = this._tallies.get(id);
      if (tally) {
        tally.move(previous, task, this._results.get(id)?.chunk_sizes?.[msgId] ?? 1);
      }
    }
  }

  /** Drop results, and the tasks no remaining result refers to. */
  private _remove(ids: string[]): void {
    const orphans = new Set<string>();
    for (const id of ids) {
      const record = this._results.get(id);
      if (record) {
        record.msg_ids.forEach(m => orphans.add(m));
        this._unindex(record);
        this._results.delete(id);
        this._tallies.delete(id);
        this._shared.delete(id);
      }
    }
    for (const record of this._results.values()) {
      record.msg_ids.forEach(m => orphans.delete(m));
    }
    orphans.forEach(m => this._tasks.delete(m));
  }

  /** Store a result record; `kept`: how many of its old msg_ids it keeps at the start, if known. */
  private _setResult(record: IResultRecord, kept?: number): void {
    const old = this._results.get(record.id);
    // a record that kept its msg_ids, or grew them at the end (a map being
    // submitted, a field that changed), keeps its index: only new tasks are
    // indexed, so a patch to a big map costs what it added
    let from = 0;
    if (old) {
      from = kept ?? Private.keptPrefix(old.msg_ids, record.msg_ids);
      if (from < old.msg_ids.length) {
        this._unindex(old);
        from = 0;
      }
    }
    this._results.set(record.id, record);
    this._tallies.delete(record.id);
    const msgIds = record.msg_ids;
    for (let i = from; i < msgIds.length; i++) {
      const m = msgIds[i];
      let ids = this._resultsOfTask.get(m);
      if (!ids) {
        ids = new Set();
        this._resultsOfTask.set(m, ids);
      }
      ids.add(record.id);
      if (ids.size > 1) {
        ids.forEach(id => this._shared.add(id));
      }
    }
  }

  private _unindex(record: IResultRecord): void {
    for (const m of record.msg_ids) {
      const ids = this._resultsOfTask.get(m);
      ids?.delete(record.id);
      if (ids && !ids.size) {
        this._resultsOfTask.delete(m);
      }
    }
  }

  /**
   * The results a change concerns: those whose record or tasks it changed;
   * null when it concerns every result (a snapshot, a reset, the
   * controller's state).
   */
  touchedBy(change: TaskStore.IChange): Set<string> | null {
    if (change.kind !== 'delta' || change.controller) {
      return null;
    }
    const ids = new Set(change.results);
    for (const m of change.tasks) {
      this._resultsOfTask.get(m)?.forEach(id => ids.add(id));
    }
    return ids;
  }

  /** Announce a change on `changed`, then to the watchers of what it touched. */
  private _emit(change: TaskStore.IChange): void {
    this._changed.emit(change);
    if (!this._watchers.size) {
      return;
    }
    const touched = this.touchedBy(change) ?? Array.from(this._watchers.keys());
    for (const id of touched) {
      const set = this._watchers.get(id);
      if (set) {
        for (const callback of Array.from(set)) {
          try {
            callback(change);
          } catch (reason) {
            // one watcher's bug must not starve the rest, as with signals
            Signal.getExceptionHandler()(reason as Error);
          }
        }
      }
    }
  }

  private _noteClock(kernelClock: number): void {
    this._clockOffset = this._now() - kernelClock;
  }

  private _now = (): number => Date.now() / 1000;
  private _results = new Map<string, IResultRecord>();
  /** msg_id -> ids of the results that hold it, for `watch`. */
  private _resultsOfTask = new Map<string, Set<string>>();
  private _watchers = new Map<string, Set<(change: TaskStore.IChange) => void>>();
  private _tasks = new Map<string, ITaskRecord>();
  /** A task's record by msg_id, for tallies to read. */
  private _task = (msgId: string): ITaskRecord | undefined => this._tasks.get(msgId);
  /** Result id -> the tally of its tasks, for the results asked about. */
  private _tallies = new Map<string, Tally>();
  /** Results that hold (or held) a task another result holds too. */
  private _shared = new Set<string>();
  /** Engine id -> uuid, as the rows' messages named them. */
  private _engines = new Map<number, string>();
  /** The parts of a snapshot still arriving. */
  private _parts: ISnapshotMessage[] = [];
  private _session = '';
  private _seq = -1;
  private _awaitingSnapshot = false;
  private _clockOffset = 0;
  private _controller: IControllerState = { ok: true, detail: '' };
  private _isDisposed = false;
  private _changed = new Signal<this, TaskStore.IChange>(this);
  private _snapshotNeeded = new Signal<this, string>(this);
}

namespace Private {
  /**
   * How many msg_ids `next` keeps from `old` at its start: all of them
   * (old's length) when `next` is `old` or grew from it, else 0.
   */
  export function keptPrefix(old: string[], next: string[]): number {
    if (old === next) {
      return old.length;
    }
    if (next.length < old.length) {
      return 0;
    }
    for (let i = 0; i < old.length; i++) {
      if (old[i] !== next[i]) {
        return 0;
      }
    }
    return old.length;
  }
}

/** Count tasks by status; a missing task counts as unknown. */
export function summarize(tasks: ReadonlyArray<ITaskRecord | undefined>): TaskStore.ISummary {
  const counts: Record<TaskStatus, number> = {
    pending: 0,
    running: 0,
    done: 0,
    error: 0,
    aborted: 0,
    unknown: 0
  };
  for (const t of tasks) {
    counts[t ? t.status : 'unknown'] += 1;
  }
  const total = tasks.length;
  const finished = counts.done + counts.error + counts.aborted;
  let status: TaskStore.ResultStatus;
  if (total > 0 && finished === total) {
    status = counts.error ? 'error' : counts.aborted ? 'aborted' : 'done';
  } else if (counts.running || finished) {
    status = 'running';
  } else if (counts.pending) {
    status = 'pending';
  } else {
    status = 'unknown';
  }
  return { ...counts, total, finished, status };
}

/** Types that go with the TaskStore. */
export namespace TaskStore {
  /** What `apply` did with a message. */
  export type Outcome = 'applied' | 'duplicate' | 'gap' | 'waiting' | 'ignored';

  /** The status of a whole AsyncResult: the same words as for a task. */
  export type ResultStatus = TaskStatus;

  /** A change: which results and tasks it touched. */
  export interface IChange {
    kind: 'snapshot' | 'delta' | 'reset';
    results: string[];
    tasks: string[];
    /** The controller's state changed (see `controller`). */
    controller?: boolean;
  }

  /** Task counts of one AsyncResult. */
  export interface ISummary extends Record<TaskStatus, number> {
    total: number;
    finished: number;
    status: ResultStatus;
  }
}
