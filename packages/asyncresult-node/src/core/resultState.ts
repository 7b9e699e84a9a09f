import type { IDisposable } from '@lumino/disposable';
import { type ISignal, Signal } from '@lumino/signaling';
import {
  CompositeError,
  ConnectionLostError,
  type ConnectionSide,
  errorFromInfo,
  NotReadyError,
  TaskAborted,
  type TaskError
} from './errors';
import { type ITaskMetadata, metadataOf } from './metadata';
import {
  type IErrorInfo,
  type IRequester,
  type IRequestArgs,
  type IRequestReplies,
  type IResultRecord,
  type ITaskRecord,
  FINISHED,
  parseReply,
  type RequestOp
} from './protocol';
import { summarize, type TaskStore } from './taskStore';
import { earliest, latest, type StampKey, type Stamps, timedelta } from './timing';

/**
 * The state of one ipyparallel AsyncResult as the task store holds it:
 * readiness, progress, errors, metadata and timing, all read without
 * asking the kernel. Times are seconds on the kernel's clock.
 */
export class ResultState implements IDisposable {
  constructor(store: TaskStore, id: string, requester?: IRequester) {
    this.store = store;
    this.id = id;
    this._requester = requester ?? null;
    // only the changes that concern this result reach it: thousands of
    // live proxies must not each hear every change
    this._watch = store.watch(id, change => this._onStoreChanged(change));
  }

  /** The store this result reads from. */
  readonly store: TaskStore;

  /** The bridge's id of the result. */
  readonly id: string;

  /** Emitted when any task of this result changes. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** The connection this proxy's requests travel. */
  get where(): ConnectionSide {
    return this._requester?.where ?? 'kernel';
  }

  /** The result's record; throws when the store no longer has it. */
  get record(): IResultRecord {
    const record = this.store.result(this.id);
    if (!record) {
      throw new ConnectionLostError(
        `AsyncResult ${this.id} is not in the store (the ${this.where} forgot it)`,
        this.where
      );
    }
    return record;
  }

  /** ipyparallel's `msg_ids`. */
  get msgIds(): string[] {
    return this.record.msg_ids;
  }

  /** The name ipyparallel shows for the work (`_fname`). */
  get fname(): string {
    return this.record.fname;
  }

  /** The task label, when all tasks share one. */
  get label(): string | null {
    return this.record.label;
  }

  /** ipyparallel's `len(ar)`: elements, counting each map chunk's size. */
  get length(): number {
    const sizes = this.store.result(this.id)?.chunk_sizes ?? {};
    return this.msgIds.reduce((n, m) => n + (sizes[m] ?? 1), 0);
  }

  /** Task records in msg_id order; undefined where the store lacks one. */
  tasks(): Array<ITaskRecord | undefined> {
    const record = this.store.result(this.id);
    return record ? record.msg_ids.map(m => this.store.task(m)) : [];
  }

  /** Whether the store still has this result (a restart forgets it). */
  get known(): boolean {
    return this.store.result(this.id) !== undefined;
  }

  /** ipyparallel's `progress`: finished elements, chunk-aware like length. */
  get progress(): number {
    const sizes = this.store.result(this.id)?.chunk_sizes ?? {};
    return this.tasks().reduce(
      (n, t, i) => (t && FINISHED.has(t.status) ? n + (sizes[this.msgIds[i]] ?? 1) : n),
      0
    );
  }

  /** Whether every task has finished. */
  ready(): boolean {
    const s = summarize(this.tasks());
    return s.total > 0 && s.finished === s.total;
  }

  /** Whether it is ready or cancelled, as concurrent.futures' `done()`. */
  done(): boolean {
    return this.ready() || this._cancelled;
  }

  /**
   * Whether a task runs now. ipyparallel's `running()` always says false
   * (its Future never enters RUNNING); this one tells the truth.
   */
  running(): boolean {
    return !this.ready() && this.tasks().some(t => t?.status === 'running');
  }

  /** Whether `cancel()` cancelled this proxy. */
  cancelled(): boolean {
    return this._cancelled;
  }

  /** Whether every task succeeded; throws NotReadyError before the end. */
  successful(): boolean {
    if (!this.ready()) {
      throw new NotReadyError('successful', this.where);
    }
    return this.tasks().every(t => t!.status === 'done');
  }

  /**
   * What `get()` raises, once ready (null before, or on success), as
   * ipyparallel's `exception()`: a single task's RemoteError, TaskAborted
   * or EngineError; for many tasks a CompositeError of every RemoteError.
   */
  exception(): TaskError | null {
    if (!this.ready()) {
      return null;
    }
    const tasks = this.tasks();
    if (this.record.single) {
      return this._taskError(tasks[0], this.msgIds[0]);
    }
    // ipyparallel's collect_exceptions: RemoteErrors only, composites flattened
    const elist: IErrorInfo[] = [];
    for (const t of tasks) {
      const error = t?.status === 'error' ? (t.error ?? Private.unknownError(t)) : null;
      if (error && Private.isRemote(error)) {
        elist.push(...(error.ename === 'CompositeError' ? (error.elist ?? []) : [error]));
      }
    }
    if (elist.length) {
      return new CompositeError(compositeInfo(this.fname, elist), this.where);
    }
    // only aborted tasks or dead engines: ipyparallel 9.2 then calls the
    // result successful with TaskAborted objects as values; we give the first
    const i = tasks.findIndex(t => t?.status === 'error' || t?.status === 'aborted');
    return i < 0 ? null : this._taskError(tasks[i], this.msgIds[i]);
  }

  /** Like ipyparallel's repr: `<AsyncMapResult(f): failed>`. */
  toString(): string {
    const record = this.store.result(this.id);
    if (!record) {
      return `<AsyncResult(${this.id}): forgotten>`;
    }
    const state = this.ready() ? (this.successful() ? 'finished' : 'failed') : 'pending';
    return `<${record.kind}(${record.fname}): ${state}>`;
  }

  /** Seconds since the first submission, or the wall time once ready. */
  get elapsed(): number {
    if (this.ready()) {
      return this.wallTime;
    }
    const now = this.store.kernelNow();
    const submitted = this._stamps('submitted').filter(s => s < now);
    return now - (submitted.length ? earliest(submitted) : now);
  }

  /** Sum over tasks of (completed - started); needs a ready result. */
  get serialTime(): number {
    if (!this.ready()) {
      throw new NotReadyError('serialTime', this.where);
    }
    return this.tasks().reduce((sum, t) => sum + ((t!.completed ?? 0) - (t!.started ?? 0)), 0);
  }

  /** Latest received minus earliest submitted; needs a ready result. */
  get wallTime(): number {
    if (!this.ready()) {
      throw new NotReadyError('wallTime', this.where);
    }
    return this.timedelta(this._stamps('submitted'), this._stamps('received'));
  }

  /**
   * Seconds between two sets of times: by default the earliest of `start`
   * and the latest of `end`, as ipyparallel's `timedelta`.
   */
  timedelta(
    start: Stamps,
    end: Stamps,
    startKey: StampKey = earliest,
    endKey: StampKey = latest
  ): number {
    return timedelta(start, end, startKey, endKey);
  }

  /**
   * ipyparallel's metadata without the big keys (see `fullMetadata`): one
   * record per task, or the record itself for a single result.
   */
  get metadata(): ITaskMetadata | ITaskMetadata[] {
    const all = this.tasks().map((t, i) => metadataOf(t, this.msgIds[i]));
    return this.record.single ? all[0] : all;
  }

  /** One metadata key across tasks (ipyparallel's `ar[key]` / `ar.key`). */
  getKey<K extends keyof ITaskMetadata>(key: K): ITaskMetadata[K] | Array<ITaskMetadata[K]> {
    const values = this.tasks().map((t, i) => metadataOf(t, this.msgIds[i])[key]);
    return this.record.single ? values[0] : values;
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
    this._notify(true);
    Signal.clearData(this);
  }

  /** Throw the ConnectionLostError that explains why nothing more comes. */
  protected _throwIfLost(member: string): void {
    if (this._isDisposed) {
      throw new ConnectionLostError(`${member}: the AsyncResult was disposed`, this.where);
    }
    if (!this.known) {
      throw new ConnectionLostError(
        `${member}: the ${this.where} no longer reports this result (it restarted or forgot it)`,
        this.where
      );
    }
    if (!this.store.controller.ok && !this.ready()) {
      throw new ConnectionLostError(`${member}: ${this.store.controller.detail}`, 'controller');
    }
  }

  /** Put `op` about this result to the bridge; check the reply's shape. */
  protected async _request<K extends RequestOp>(
    op: K,
    args: Omit<IRequestArgs[K], 'result_id'>
  ): Promise<IRequestReplies[K]> {
    this._throwIfLost(op);
    if (!this._requester) {
      throw new ConnectionLostError(
        `${op}: this AsyncResult has no connection to a ${this.where}`,
        this.where
      );
    }
    // TypeScript cannot see that Omit<A, 'result_id'> plus result_id is A
    const full = { ...args, result_id: this.id } as IRequestArgs[K];
    const value = await this._requester.request(op, full);
    return parseReply(op, value);
  }

  /** The error one finished task gives, in its proper class. */
  protected _taskError(t: ITaskRecord | undefined, msgId: string): TaskError | null {
    if (t?.status === 'aborted') {
      return new TaskAborted(Private.abortedInfo(msgId, t), this.where);
    }
    if (t?.status === 'error') {
      return errorFromInfo(t.error ?? Private.unknownError(t), this.where);
    }
    return null;
  }

  /** Tell every waiter that something changed (or that we are disposed). */
  protected _notify(disposed: boolean): void {
    for (const check of Array.from(this._waiters)) {
      check(disposed);
    }
  }

  protected readonly _waiters = new Set<(disposed: boolean) => void>();
  protected readonly _requester: IRequester | null;
  protected _cancelled = false;

  private _stamps(key: 'submitted' | 'started' | 'completed' | 'received'): number[] {
    return this.tasks()
      .map(t => (t ? t[key] : null))
      .filter((s): s is number => s !== null);
  }

  private _onStoreChanged(change: TaskStore.IChange): void {
    const record = this.store.result(this.id);
    const mine =
      change.kind !== 'delta' ||
      change.controller === true ||
      record === undefined ||
      change.results.includes(this.id) ||
      change.tasks.some(m => record.msg_ids.includes(m));
    if (!mine) {
      return;
    }
    this._notify(false);
    this._changed.emit();
  }

  private _watch: IDisposable;
  private _isDisposed = false;
  private _changed = new Signal<this, void>(this);
}

/**
 * The error info of ipyparallel's CompositeError over `elist`, with the
 * same message: `one or more exceptions raised in: f` and the first four
 * members as `[engine:method]ename: evalue`.
 */
export function compositeInfo(fname: string, elist: IErrorInfo[]): IErrorInfo {
  const limit = 4;
  let text = `one or more exceptions raised in: ${fname}`;
  for (const e of elist.slice(0, limit)) {
    const label =
      e.engine_id === null || e.engine_id === undefined
        ? '[Engine Exception]'
        : `[${e.engine_id}:${e.method ?? 'apply'}]`;
    text += `\n${label}${e.ename}: ${e.evalue}`;
  }
  if (elist.length > limit) {
    text += `\n.... ${elist.length - limit} more exceptions ...`;
  }
  return {
    ename: 'CompositeError',
    evalue: text,
    traceback: '',
    engine_id: null,
    method: null,
    remote: true,
    elist,
    elist_total: elist.length
  };
}

namespace Private {
  /** Whether ipyparallel's collect_exceptions would keep it (a RemoteError). */
  export function isRemote(e: IErrorInfo): boolean {
    return e.remote ?? e.ename !== 'TaskAborted';
  }

  /** A failed task whose record carries no error (a bridge too old to say). */
  export function unknownError(t: ITaskRecord): IErrorInfo {
    return {
      ename: 'RemoteError',
      evalue: 'the task failed; the bridge did not say how',
      traceback: '',
      engine_id: t.engine_id
    };
  }

  /** ipyparallel's TaskAborted(msg_id) of an aborted task. */
  export function abortedInfo(msgId: string, t: ITaskRecord): IErrorInfo {
    return {
      ename: 'TaskAborted',
      evalue: msgId,
      traceback: '',
      engine_id: t.engine_id,
      method: null,
      remote: false
    };
  }
}
