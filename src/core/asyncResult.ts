import type { IDisposable } from '@lumino/disposable';
import { type ISignal, Signal } from '@lumino/signaling';
import { ConnectionLostError, NotReadyError, RemoteError, TimeoutError } from './errors';
import { type ITaskMetadata, metadataOf } from './metadata';
import { type IStreamChunk, OutputStream } from './outputStream';
import { type GroupBy, groupOutputs, type ITaskOutputs, type OutputItem } from './outputs';
import type {
  IErrorInfo,
  IRequester,
  IResultRecord,
  ITaskRecord,
  IValue,
  RequestOp
} from './protocol';
import { summarize, TaskStore } from './taskStore';
import { earliest, latest, type StampKey, type Stamps, timedelta, timers } from './timing';
import { decodeValue } from './values';

const FINISHED = new Set(['done', 'error', 'aborted']);

/**
 * The frontend twin of one ipyparallel AsyncResult: a live view over the
 * tasks a TaskStore holds for it. Times are seconds on the kernel's clock.
 * Values and control go through `requester` (the kernel bridge).
 */
export class AsyncResult implements IDisposable {
  constructor(store: TaskStore, id: string, requester?: IRequester) {
    this.store = store;
    this.id = id;
    this._requester = requester ?? null;
    // only the changes that concern this result reach it: thousands of
    // live proxies must not each hear every change
    this._watch = store.watch(id, change => this._onStoreChanged(store, change));
  }

  /** The store this result reads from. */
  readonly store: TaskStore;

  /** The bridge's id of the result. */
  readonly id: string;

  /** Emitted when any task of this result changes. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** The result's record; throws when the store no longer has it. */
  get record(): IResultRecord {
    const record = this.store.result(this.id);
    if (!record) {
      throw new Error(`AsyncResult ${this.id} is not in the store`);
    }
    return record;
  }

  get msgIds(): string[] {
    return this.record.msg_ids;
  }

  get fname(): string {
    return this.record.fname;
  }

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

  /** Alias of `ready()`, as on a concurrent.futures.Future. */
  done(): boolean {
    return this.ready();
  }

  /** Whether every task succeeded; throws NotReadyError before the end. */
  successful(): boolean {
    if (!this.ready()) {
      throw new NotReadyError('successful');
    }
    return this.tasks().every(t => t!.status === 'done');
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
      throw new NotReadyError('serialTime');
    }
    return this.tasks().reduce((sum, t) => sum + ((t!.completed ?? 0) - (t!.started ?? 0)), 0);
  }

  /** Latest received minus earliest submitted; needs a ready result. */
  get wallTime(): number {
    if (!this.ready()) {
      throw new NotReadyError('wallTime');
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
   * The result, once ready: the value itself when it is plain JSON, else
   * a ResultRepr. Rejects with a RemoteError carrying what the engine
   * raised, a TimeoutError after `timeout` seconds, or a
   * ConnectionLostError when the kernel forgets the result first.
   */
  async get(timeout = -1, options: AsyncResult.IGetOptions = {}): Promise<unknown> {
    if (!(await this.wait(timeout, options.returnWhen))) {
      this._throwIfLost('get');
      throw new TimeoutError(`get: not ready after ${timeout} s`);
    }
    if (!this.ready()) {
      // returnWhen FIRST_EXCEPTION: a task failed before the rest finished
      throw this.exception()!;
    }
    if (options.returnExceptions) {
      return this._valuesWithExceptions();
    }
    const reply = (await this._request('get_value', options.full ? { full: true } : {})) as {
      status: 'ok' | 'error';
      value?: IValue;
      error?: IErrorInfo;
    };
    if (reply.status === 'error') {
      throw new RemoteError(reply.error!);
    }
    return decodeValue(reply.value!);
  }

  /**
   * Every task's value, failed ones as their RemoteError in place (a map's
   * chunks flattened), as ipyparallel's get(return_exceptions=True).
   */
  private async _valuesWithExceptions(): Promise<unknown> {
    const chunks = (await this._request('get_chunks', {
      msg_ids: this.msgIds
    })) as Record<string, { status: 'ok'; value: IValue } | { status: 'error'; error: IErrorInfo }>;
    const isMap = this.record.kind === 'AsyncMapResult';
    const out: unknown[] = [];
    for (const msgId of this.msgIds) {
      const chunk = chunks[msgId];
      if (chunk.status === 'error') {
        out.push(new RemoteError(chunk.error));
        continue;
      }
      const value = decodeValue(chunk.value);
      if (isMap && Array.isArray(value)) {
        out.push(...value);
      } else {
        out.push(value);
      }
    }
    return this.record.single ? out[0] : out;
  }

  /** The first error a task raised, if any (without asking the kernel). */
  exception(): RemoteError | null {
    const failed = this.tasks().find(t => t?.status === 'error' && t.error);
    return failed ? new RemoteError(failed.error!) : null;
  }

  /**
   * The outputs of every task grouped as ipyparallel's
   * `display_outputs(groupby, result_only)` would show them; the UI renders
   * the items (through rendermime, sanitised). Needs a ready result.
   */
  async displayOutputs(groupby: GroupBy = 'type', resultOnly = false): Promise<OutputItem[]> {
    if (!this.ready()) {
      throw new NotReadyError('displayOutputs');
    }
    const reply = (await this._request('get_outputs')) as {
      tasks: ITaskOutputs[];
    };
    return groupOutputs(reply.tasks, groupby, {
      single: this.record.single ?? false,
      resultOnly
    });
  }

  /** Resolve true once every task's output has arrived (or false at timeout). */
  waitForOutput(timeout = -1): Promise<boolean> {
    return this.until(
      () => this.ready() && this.tasks().every(t => t?.output_done !== false),
      timeout
    );
  }

  /**
   * Call `onChunk` with each task's new stdout / stderr as it arrives, until
   * all output is in (`done` settles) or the stream is disposed.
   */
  streamOutput(onChunk: (chunk: IStreamChunk) => void): OutputStream {
    return new OutputStream(this, onChunk, async offsets => {
      const reply = (await this._request('get_outputs', { offsets })) as {
        tasks: ITaskOutputs[];
      };
      return reply.tasks;
    });
  }

  /** ipyparallel's `split()`: one result per task, made in the kernel. */
  async split(): Promise<AsyncResult[]> {
    const { result_ids } = (await this._request('split')) as {
      result_ids: string[];
    };
    return Promise.all(result_ids.map(id => this._proxyFor(id)));
  }

  /** ipyparallel's `AsyncResult.join(*results)`, made in the kernel. */
  static async join(...results: AsyncResult[]): Promise<AsyncResult> {
    if (!results.length) {
      throw new Error('join: give at least one AsyncResult');
    }
    const [first] = results;
    const { result_id } = (await first._request('join', {
      result_ids: results.map(r => r.id)
    })) as { result_id: string };
    return first._proxyFor(result_id);
  }

  /** `client.resubmit` of this result's tasks: an AsyncHubResult. */
  async resubmit(): Promise<AsyncResult> {
    const { result_id } = (await this._request('resubmit')) as {
      result_id: string;
    };
    return this._proxyFor(result_id);
  }

  /**
   * Abort the queued tasks (or only `msgIds` of them); running ones
   * finish. Rejects when the result is already done.
   */
  async abort(msgIds?: string[]): Promise<void> {
    await this._request('abort', msgIds ? { msg_ids: msgIds } : {});
  }

  /**
   * Call `callback(this)` once the result is ready (at once if it is), as
   * concurrent.futures' add_done_callback. Not called if the kernel forgets
   * the result or the proxy is disposed first.
   */
  addDoneCallback(callback: (result: this) => void): void {
    void this.wait().then(ready => {
      if (ready) {
        callback(this);
      }
    });
  }

  /**
   * Sync with the kernel now (the role of ipyparallel's spin): the bridge
   * sends what changed at once; resolves, once the store has it, whether
   * the result is ready.
   */
  async spin(): Promise<boolean> {
    const { seq } = (await this._request('spin')) as { seq: number };
    await new Promise<void>(resolve => {
      const check = () => {
        if (this.store.seq >= seq || this.store.seq < 0) {
          this.store.changed.disconnect(check);
          resolve();
        }
      };
      this.store.changed.connect(check);
      check();
    });
    return this.ready();
  }

  /**
   * Resolve true once the result is ready, or false after `timeout` seconds
   * (never, when timeout is negative or omitted). Settles false if the
   * result is disposed or forgotten by the kernel first.
   */
  wait(timeout = -1, returnWhen: AsyncResult.ReturnWhen = 'ALL_COMPLETED'): Promise<boolean> {
    const early = returnWhen === 'FIRST_EXCEPTION';
    return this.until(() => this.ready() || (early && this.exception() !== null), timeout);
  }

  /**
   * Call `onProgress` every `interval` seconds until the result is ready
   * (and once more then), as ipyparallel's `wait_interactive` drives its
   * bar; resolve whether it became ready within `timeout` seconds.
   */
  async waitInteractive(
    onProgress: (state: AsyncResult.IProgress) => void,
    interval = 0.1,
    timeout = -1
  ): Promise<boolean> {
    const report = () =>
      onProgress({
        progress: this.progress,
        length: this.length,
        elapsed: this.known ? this.elapsed : 0
      });
    const deadline = timeout < 0 ? Infinity : Date.now() + timeout * 1000;
    report();
    while (!this.ready()) {
      const left = (deadline - Date.now()) / 1000;
      if (left <= 0 || this._isDisposed || !this.known) {
        return false;
      }
      await this.wait(Math.min(interval, left));
      report();
    }
    return true;
  }

  /** Whether every message of the result left the kernel's client. */
  get sent(): boolean {
    return this.store.result(this.id)?.sent ?? false;
  }

  /** Resolve once sent; reject with a TimeoutError after `timeout` s. */
  async waitForSend(timeout = -1): Promise<void> {
    if (!(await this.until(() => this.sent, timeout))) {
      this._throwIfLost('waitForSend');
      throw new TimeoutError(`waitForSend: not sent after ${timeout} s`);
    }
  }

  /**
   * Resolve true once `predicate` holds after a change of this result, or
   * false after `timeout` seconds, on dispose, or when the kernel forgets
   * the result.
   */
  protected until(predicate: () => boolean, timeout = -1): Promise<boolean> {
    if (predicate()) {
      return Promise.resolve(true);
    }
    return new Promise(resolve => {
      let timer: unknown = null;
      const finish = (value: boolean) => {
        if (timer !== null) {
          timers.clearTimeout(timer);
        }
        this._waiters.delete(check);
        resolve(value);
      };
      const check = (disposed: boolean) => {
        if (disposed || !this.known || !this.store.controller.ok) {
          finish(false);
        } else if (predicate()) {
          finish(true);
        }
      };
      this._waiters.add(check);
      if (timeout >= 0) {
        timer = timers.setTimeout(() => finish(predicate()), timeout * 1000);
      }
    });
  }

  /**
   * ipyparallel's metadata: one record per task, or the record itself for
   * a single result. Keys as in ipyparallel (msg_id, engine_id, status, ...).
   */
  get metadata(): AsyncResult.IMetadata | AsyncResult.IMetadata[] {
    const all = this.tasks().map((t, i) => metadataOf(t, this.msgIds[i]));
    return this.record.single ? all[0] : all;
  }

  /** One metadata key across tasks (ipyparallel's `ar[key]` / `ar.key`). */
  getKey<K extends keyof AsyncResult.IMetadata>(
    key: K
  ): AsyncResult.IMetadata[K] | Array<AsyncResult.IMetadata[K]> {
    const values = this.tasks().map((t, i) => metadataOf(t, this.msgIds[i])[key]);
    return this.record.single ? values[0] : values;
  }

  /** Alias of `get(timeout)` (concurrent.futures' `result`). */
  result(timeout = -1): Promise<unknown> {
    return this.get(timeout);
  }

  /** ipyparallel's `ar.r`: `get()` with no timeout. */
  get r(): Promise<unknown> {
    return this.get();
  }

  /**
   * The results keyed by engine id, as ipyparallel's `get_dict`; rejects
   * like `get`, and with a RemoteError (ValueError) when two tasks ran on
   * one engine.
   */
  async getDict(timeout = -1): Promise<Record<string, unknown>> {
    if (!(await this.wait(timeout))) {
      this._throwIfLost('getDict');
      throw new TimeoutError(`getDict: not ready after ${timeout} s`);
    }
    const reply = (await this._request('get_dict')) as {
      status: 'ok' | 'error';
      value?: Record<string, IValue>;
      error?: IErrorInfo;
    };
    if (reply.status === 'error') {
      throw new RemoteError(reply.error!);
    }
    const out: Record<string, unknown> = {};
    for (const [engine, value] of Object.entries(reply.value!)) {
      out[engine] = decodeValue(value);
    }
    return out;
  }

  /** ipyparallel's `result_dict`: `getDict()` with no timeout. */
  get resultDict(): Promise<Record<string, unknown>> {
    return this.getDict();
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
    for (const check of Array.from(this._waiters)) {
      check(true);
    }
    Signal.clearData(this);
  }

  /**
   * A proxy for a result the kernel just made, once its record arrives
   * (it follows the reply in the next delta).
   */
  private _proxyFor(id: string, timeout = 30): Promise<AsyncResult> {
    const make = () =>
      (AsyncResult.factory ?? ((st, i, rq) => new AsyncResult(st, i, rq)))(
        this.store,
        id,
        this._requester ?? undefined
      );
    if (this.store.result(id)) {
      return Promise.resolve(make());
    }
    return new Promise((resolve, reject) => {
      const timer = timers.setTimeout(() => {
        this.store.changed.disconnect(check);
        reject(new TimeoutError(`the kernel did not report result ${id} in ${timeout} s`));
      }, timeout * 1000);
      const check = () => {
        if (this.store.result(id)) {
          timers.clearTimeout(timer);
          this.store.changed.disconnect(check);
          resolve(make());
        }
      };
      this.store.changed.connect(check);
    });
  }

  /**
   * Makes the right proxy class for a record (set by proxies.ts, which
   * knows the subclasses; a plain AsyncResult otherwise).
   */
  static factory: ((store: TaskStore, id: string, requester?: IRequester) => AsyncResult) | null =
    null;

  protected _throwIfLost(member: string): void {
    if (this._isDisposed) {
      throw new ConnectionLostError(`${member}: the AsyncResult was disposed`);
    }
    if (!this.known) {
      throw new ConnectionLostError(
        `${member}: the kernel no longer reports this result (it restarted or forgot it)`
      );
    }
    if (!this.store.controller.ok && !this.ready()) {
      throw new ConnectionLostError(`${member}: ${this.store.controller.detail}`, 'controller');
    }
  }

  /** Put `op` about this result to the bridge. */
  protected _request(op: RequestOp, args: Record<string, unknown> = {}): Promise<unknown> {
    this._throwIfLost(op);
    if (!this._requester) {
      return Promise.reject(new Error(`${op}: this AsyncResult has no connection to a kernel`));
    }
    return this._requester.request(op, { ...args, result_id: this.id });
  }

  private _stamps(key: 'submitted' | 'started' | 'completed' | 'received'): number[] {
    return this.tasks()
      .map(t => (t ? t[key] : null))
      .filter((s): s is number => s !== null);
  }

  private _onStoreChanged(_: TaskStore, change: TaskStore.IChange): void {
    const record = this.store.result(this.id);
    const mine =
      change.kind !== 'delta' ||
      change.controller === true ||
      record === undefined ||
      change.results.includes(this.id) ||
      (record !== undefined && change.tasks.some(m => record.msg_ids.includes(m)));
    if (!mine) {
      return;
    }
    for (const check of Array.from(this._waiters)) {
      check(false);
    }
    this._changed.emit();
  }

  private _requester: IRequester | null;
  private _watch: IDisposable;
  private _waiters = new Set<(disposed: boolean) => void>();
  private _isDisposed = false;
  private _changed = new Signal<this, void>(this);
}

/** Types that go with AsyncResult. */
export namespace AsyncResult {
  /** When `wait` / `get` stop waiting (concurrent.futures' words). */
  export type ReturnWhen = 'ALL_COMPLETED' | 'FIRST_EXCEPTION';

  /** Options of `get`. */
  export interface IGetOptions {
    /** Stop at the first failed task instead of waiting for all. */
    returnWhen?: ReturnWhen;
    /** Give failed tasks' RemoteErrors in place of values, not reject. */
    returnExceptions?: boolean;
    /** Fetch the whole value (up to 50 MB), not the capped one. */
    full?: boolean;
  }

  /** What `waitInteractive` reports each interval. */
  export interface IProgress {
    progress: number;
    length: number;
    elapsed: number;
  }

  /** ipyparallel's per-task metadata (see metadata.ts). */
  export type IMetadata = ITaskMetadata;
}
