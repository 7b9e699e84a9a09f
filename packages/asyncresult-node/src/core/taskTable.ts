import type { IDisposable } from '@lumino/disposable';
import { type ISignal, Signal } from '@lumino/signaling';
import type { ITaskRecord, TaskStatus } from './protocol';
import type { TaskStore } from './taskStore';

/**
 * The tasks of one AsyncResult as table rows, in the result's msg_id order:
 * the data behind the monitor's task table. Cells are read from the store
 * when asked (a grid asks only for the rows in view), and a change marks
 * only the rows it touched, so a table of 100,000 tasks is never rebuilt
 * for one task's news.
 */

/** The table's columns, in order. */
export const TASK_TABLE_COLUMNS = [
  'engine',
  'status',
  'submitted',
  'started',
  'completed',
  'duration',
  'error',
  // last: long, and what tells tasks apart is its end, so it would push
  // the status and the error out of a normal-width view
  'msg_id'
] as const;

/** One column's name. */
export type TaskTableColumn = (typeof TASK_TABLE_COLUMNS)[number];

/** One task as a row: times are kernel seconds since the epoch, null when not known. */
export interface ITaskTableRow {
  msg_id: string;
  engine: number | null;
  status: TaskStatus;
  submitted: number | null;
  started: number | null;
  completed: number | null;
  /** Completed minus started, or up to `now` while it runs. */
  duration: number | null;
  /** "ename: evalue" of a failed task ('' otherwise). */
  error: string;
}

/** What changed since the last `takeChanges`. */
export interface ITaskTableChanges {
  /** The rows themselves changed (count or order): redraw all. */
  reset: boolean;
  /** Row indices whose cells changed, ascending. */
  rows: number[];
}

/** One task record as a row (a task the store lacks is 'unknown'). */
export function taskTableRow(
  msgId: string,
  task: ITaskRecord | undefined,
  now: number
): ITaskTableRow {
  if (!task) {
    return {
      msg_id: msgId,
      engine: null,
      status: 'unknown',
      submitted: null,
      started: null,
      completed: null,
      duration: null,
      error: ''
    };
  }
  const end = task.status === 'running' ? now : task.completed;
  const error = task.error ? [task.error.ename, task.error.evalue].filter(Boolean).join(': ') : '';
  return {
    msg_id: msgId,
    engine: task.engine_id,
    status: task.status,
    submitted: task.submitted,
    started: task.started,
    completed: task.completed,
    duration: task.started !== null && end !== null ? Math.max(0, end - task.started) : null,
    error
  };
}

/**
 * The rows of one result of a store, live. Announce nothing per task:
 * `changed` is emitted once per store change that touched the result, and
 * `takeChanges` says which rows, so a view can redraw them once a frame.
 */
export class TaskTableModel implements IDisposable {
  constructor(store: TaskStore, resultId: string) {
    this._store = store;
    this._resultId = resultId;
    this._watch = store.watch(resultId, change => this._onChange(change));
    this._index();
  }

  /** The result shown. */
  get resultId(): string {
    return this._resultId;
  }

  /** Whether the store still holds the result. */
  get exists(): boolean {
    return this._store.result(this._resultId) !== undefined;
  }

  /** The number of rows (tasks of the result). */
  get rowCount(): number {
    return this._msgIds.length;
  }

  /** Emitted after a change that touched the result's rows. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** Row `index` now; running durations count up to the kernel's now. */
  row(index: number): ITaskTableRow {
    const msgId = this._msgIds[index];
    return taskTableRow(msgId, this._store.task(msgId), this._store.kernelNow());
  }

  /** The row of a task, or -1. */
  indexOf(msgId: string): number {
    return this._rowOf.get(msgId) ?? -1;
  }

  /** Rows that run now (their duration grows without news). */
  runningRows(): number[] {
    return Array.from(this._running).sort((a, b) => a - b);
  }

  /** What changed since the last call, and forget it. */
  takeChanges(): ITaskTableChanges {
    const out = { reset: this._reset, rows: this._reset ? [] : Array.from(this._dirty) };
    out.rows.sort((a, b) => a - b);
    this._reset = false;
    this._dirty.clear();
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
    this._watch.dispose();
    Signal.clearData(this);
  }

  private _onChange(change: TaskStore.IChange): void {
    const msgIds = this._store.result(this._resultId)?.msg_ids ?? [];
    if (change.kind !== 'delta' || msgIds !== this._msgIds) {
      // a new record (a map still growing, a snapshot): rows may move
      if (msgIds !== this._msgIds) {
        this._index();
      } else {
        this._noteRunning(msgIds.keys());
      }
      this._reset = true;
    } else {
      for (const msgId of change.tasks) {
        const row = this._rowOf.get(msgId);
        if (row !== undefined) {
          this._dirty.add(row);
          this._noteRunning([row]);
        }
      }
    }
    this._changed.emit();
  }

  /** Map msg_ids to rows again (the result's msg_ids changed). */
  private _index(): void {
    this._msgIds = this._store.result(this._resultId)?.msg_ids ?? [];
    this._rowOf.clear();
    this._running.clear();
    this._msgIds.forEach((m, i) => this._rowOf.set(m, i));
    this._noteRunning(this._msgIds.keys());
  }

  private _noteRunning(rows: Iterable<number>): void {
    for (const row of rows) {
      if (this._store.task(this._msgIds[row])?.status === 'running') {
        this._running.add(row);
      } else {
        this._running.delete(row);
      }
    }
  }

  private _store: TaskStore;
  private _resultId: string;
  private _watch: IDisposable;
  private _msgIds: ReadonlyArray<string> = [];
  private _rowOf = new Map<string, number>();
  private _running = new Set<number>();
  private _dirty = new Set<number>();
  private _reset = false;
  private _changed = new Signal<this, void>(this);
  private _isDisposed = false;
}
