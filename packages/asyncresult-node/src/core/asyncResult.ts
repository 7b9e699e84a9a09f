import {
  CancelledError,
  CompositeError,
  errorFromInfo,
  NotReadyError,
  type TaskError,
  TimeoutError
} from './errors';
import type { IFullMetadata, ITaskMetadata } from './metadata';
import { type IStreamChunk, OutputStream } from './outputStream';
import { type GroupBy, groupOutputs, type OutputItem } from './outputs';
import { FINISHED, type IErrorInfo, type IRequester, type ValueReply } from './protocol';
import { compositeInfo } from './resultState';
import { ResultWaiting } from './resultWaiting';
import type { TaskStore } from './taskStore';
import { timers } from './timing';
import { decodeValue } from './values';

/**
 * The frontend twin of one ipyparallel AsyncResult: a live view over the
 * tasks a TaskStore holds for it (state and waiting in ResultState and
 * ResultWaiting); here, what needs the kernel: values, outputs, control.
 * Values and control go through `requester` (the kernel bridge).
 */
export class AsyncResult extends ResultWaiting {
  constructor(
    store: TaskStore,
    id: string,
    requester?: IRequester,
    options: AsyncResult.IOptions = {}
  ) {
    super(store, id, requester);
    this._factory = options.factory ?? null;
  }

  /**
   * The result, once ready: the value itself when it is plain JSON, else
   * a ResultRepr. Rejects with what ipyparallel's `get()` raises (a
   * RemoteError, a CompositeError of every failed task, TaskAborted), a
   * TimeoutError after `timeout` seconds, a CancelledError after `cancel()`,
   * or a ConnectionLostError when the kernel forgets the result first.
   */
  async get(timeout = -1, options: AsyncResult.IGetOptions = {}): Promise<unknown> {
    if (!(await this.waitReady(timeout, options.returnWhen))) {
      this._throwIfCancelled('get');
      this._throwIfLost('get');
      throw new TimeoutError(`get: not ready after ${timeout} s`, this.where);
    }
    this._throwIfCancelled('get');
    if (!this.ready()) {
      // FIRST_EXCEPTION: a task failed before the rest finished; ipyparallel
      // raises the get() of that task alone
      const i = this._firstFailed();
      throw this._taskError(this.tasks()[i], this.msgIds[i])!;
    }
    if (options.returnExceptions) {
      return this._valuesWithExceptions();
    }
    const reply = await this._request('get_value', options.full ? { full: true } : {});
    if (reply.status === 'error') {
      throw errorFromInfo(reply.error, this.where);
    }
    if (!this.successful()) {
      // ipyparallel 9.2 gives an aborted map's TaskAborted objects as its
      // values; we reject like a failure (docs/protocol.md)
      throw this.exception()!;
    }
    return decodeValue(reply.value);
  }

  /**
   * ipyparallel's `wait`: with a number, resolve whether the result became
   * ready within `timeout` seconds; with `{returnWhen}`, resolve
   * `{done, pending}`: the result split per task (in the kernel), as
   * ipyparallel's `(done, pending)` sets.
   */
  wait(timeout?: number, returnWhen?: ResultWaiting.ReturnWhen): Promise<boolean>;
  wait(options: AsyncResult.IWaitOptions): Promise<AsyncResult.IDoneAndPending>;
  wait(
    timeoutOrOptions: number | AsyncResult.IWaitOptions = -1,
    returnWhen: ResultWaiting.ReturnWhen = 'ALL_COMPLETED'
  ): Promise<boolean> | Promise<AsyncResult.IDoneAndPending> {
    if (typeof timeoutOrOptions === 'number') {
      if (returnWhen === 'FIRST_COMPLETED') {
        return this.until(
          () => this.tasks().some(t => FINISHED.has(t?.status ?? '')),
          timeoutOrOptions
        );
      }
      return this.waitReady(timeoutOrOptions, returnWhen);
    }
    return this._waitSplit(timeoutOrOptions);
  }

  /**
   * Every task's value, failed ones as their error in place, one entry per
   * element (a failed map chunk's error repeated for each of its elements),
   * as ipyparallel's get(return_exceptions=True) means to.
   */
  private async _valuesWithExceptions(): Promise<unknown> {
    const chunks = await this._request('get_chunks', { msg_ids: this.msgIds });
    const record = this.record;
    const isMap = record.kind === 'AsyncMapResult';
    const out: unknown[] = [];
    for (const msgId of this.msgIds) {
      const chunk = chunks[msgId];
      if (chunk.status === 'error') {
        const error = errorFromInfo(chunk.error, this.where);
        const size = isMap ? (record.chunk_sizes?.[msgId] ?? 1) : 1;
        out.push(...Array.from({ length: size }, () => error));
        continue;
      }
      const value = decodeValue(chunk.value);
      if (isMap && Array.isArray(value)) {
        out.push(...value);
      } else {
        out.push(value);
      }
    }
    return record.single ? out[0] : out;
  }

  /** ipyparallel's `ar[i]`: element `i` (negative from the end) of `get()`. */
  async at(index: number): Promise<unknown> {
    const values = await this._indexable('at');
    const i = index < 0 ? values.length + index : index;
    if (!Number.isInteger(i) || i < 0 || i >= values.length) {
      throw new RangeError(`at: index ${index} out of range for ${values.length} values`);
    }
    return values[i];
  }

  /** ipyparallel's `ar[start:end]`: a slice of `get()`, Python's rules. */
  async slice(start?: number, end?: number): Promise<unknown[]> {
    return (await this._indexable('slice')).slice(start, end);
  }

  /**
   * Iterate the values as ipyparallel does: a finished result's all at
   * once (rejecting as `get()` when it failed); a running one's task by
   * task as each finishes, in submission order, then the CompositeError of
   * the first failed task. A single result is not iterable (TypeError).
   */
  [Symbol.asyncIterator](): AsyncIterator<unknown> {
    return this._iterate(true, false);
  }

  /** The values of tasks as they finish; see `[Symbol.asyncIterator]`. */
  protected async *_iterate(
    ordered: boolean,
    flatten: boolean
  ): AsyncGenerator<unknown, void, undefined> {
    if (this.record.single) {
      throw new TypeError('AsyncResults with a single result are not iterable.');
    }
    if (this.ready() && !this.successful()) {
      throw this.exception()!;
    }
    const pending = [...this.msgIds];
    while (pending.length) {
      const done = await this._finished(ordered ? [pending[0]] : pending, !ordered);
      const chunks = await this._request('get_chunks', { msg_ids: done });
      for (const msgId of done) {
        pending.splice(pending.indexOf(msgId), 1);
        yield* this._values(chunks[msgId], flatten);
      }
    }
  }

  /**
   * The outputs of every task grouped as ipyparallel's
   * `display_outputs(groupby, result_only)` would show them; the UI renders
   * the items (through rendermime, sanitised). Needs a ready result.
   */
  async displayOutputs(groupby: GroupBy = 'type', resultOnly = false): Promise<OutputItem[]> {
    if (!this.ready()) {
      throw new NotReadyError('displayOutputs', this.where);
    }
    const reply = await this._request('get_outputs', {});
    return groupOutputs(reply.tasks, groupby, {
      single: this.record.single ?? false,
      resultOnly
    });
  }

  /**
   * Call `onChunk` with each task's new stdout / stderr as it arrives, until
   * all output is in (`done` settles) or the stream is disposed.
   */
  streamOutput(onChunk: (chunk: IStreamChunk) => void): OutputStream {
    return new OutputStream(this, onChunk, async offsets => {
      return (await this._request('get_outputs', { offsets })).tasks;
    });
  }

  /**
   * Every key of ipyparallel's metadata, big ones included (stdout,
   * stderr, outputs, execute_input, execute_result, data), fetched now.
   */
  async fullMetadata(): Promise<IFullMetadata | IFullMetadata[]> {
    const { metadata } = await this._request('get_metadata', {});
    const all = metadata.map(md => {
      const data = (md.data ?? {}) as Record<string, never>;
      const decoded: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(data)) {
        decoded[key] = decodeValue(value);
      }
      return { ...md, data: decoded } as unknown as IFullMetadata;
    });
    return this.record.single ? all[0] : all;
  }

  /** ipyparallel's `split()`: one result per task, made in the kernel. */
  async split(): Promise<AsyncResult[]> {
    const { result_ids } = await this._request('split', {});
    return Promise.all(result_ids.map(id => this._proxyFor(id)));
  }

  /** ipyparallel's `AsyncResult.join(*results)`, made in the kernel. */
  static async join(...results: AsyncResult[]): Promise<AsyncResult> {
    if (!results.length) {
      throw new TypeError('join: give at least one AsyncResult');
    }
    const [first] = results;
    const { result_id } = await first._request('join', { result_ids: results.map(r => r.id) });
    return first._proxyFor(result_id);
  }

  /** `client.resubmit` of this result's tasks: an AsyncHubResult. */
  async resubmit(): Promise<AsyncResult> {
    const { result_id } = await this._request('resubmit', {});
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
   * Sync with the kernel now (the role of ipyparallel's spin): the bridge
   * sends what changed at once; resolves, once the store has it, whether
   * the result is ready.
   */
  async spin(): Promise<boolean> {
    const { seq } = await this._request('spin', {});
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
    if (!(await this.waitReady(timeout))) {
      this._throwIfCancelled('getDict');
      this._throwIfLost('getDict');
      throw new TimeoutError(`getDict: not ready after ${timeout} s`, this.where);
    }
    this._throwIfCancelled('getDict');
    const reply = await this._request('get_dict', {});
    if (reply.status === 'error') {
      throw errorFromInfo(reply.error, this.where);
    }
    const out: Record<string, unknown> = {};
    for (const [engine, value] of Object.entries(reply.value)) {
      out[engine] = decodeValue(value);
    }
    return out;
  }

  /** ipyparallel's `result_dict`: `getDict()` with no timeout. */
  get resultDict(): Promise<Record<string, unknown>> {
    return this.getDict();
  }

  /** Wait until all (or, with `any`, some) of `msgIds` have finished. */
  protected async _finished(msgIds: string[], any = false): Promise<string[]> {
    const done = () => msgIds.filter(m => FINISHED.has(this.store.task(m)?.status ?? ''));
    const enough = () => (any ? done().length > 0 : done().length === msgIds.length);
    if (!(await this.until(enough))) {
      this._throwIfCancelled('iterate');
      this._throwIfLost('iterate');
    }
    return done();
  }

  /**
   * One finished task's values for iteration; a failure throws what
   * ipyparallel's iterator raises then: a CompositeError of that task's
   * error (TaskAborted / EngineError as themselves, where ipyparallel would
   * yield a TaskAborted object).
   */
  protected *_values(chunk: ValueReply, flatten: boolean): Generator<unknown, void, undefined> {
    if (chunk.status === 'error') {
      throw this._iterationError(chunk.error);
    }
    const value = decodeValue(chunk.value);
    if (flatten && Array.isArray(value)) {
      yield* value;
    } else {
      yield value;
    }
  }

  private _iterationError(info: IErrorInfo): TaskError {
    if (info.ename === 'CompositeError') {
      return new CompositeError(compositeInfo(this.fname, info.elist ?? []), this.where);
    }
    const error = errorFromInfo(info, this.where);
    if (info.remote === false || error.name !== 'RemoteError') {
      return error;
    }
    return new CompositeError(compositeInfo(this.fname, [info]), this.where);
  }

  private async _indexable(member: string): Promise<unknown[]> {
    if (!this.ready()) {
      // ipyparallel's check_ready
      throw new TimeoutError(`${member}: Result not ready.`, this.where);
    }
    const value = await this.get();
    if (!Array.isArray(value)) {
      throw new TypeError(`${member}: the value is not a JSON list (${String(value)})`);
    }
    return value;
  }

  private async _waitSplit(
    options: AsyncResult.IWaitOptions
  ): Promise<AsyncResult.IDoneAndPending> {
    const parts = await this.split();
    const returnWhen = options.returnWhen ?? 'ALL_COMPLETED';
    const failed = (p: AsyncResult) => p.ready() && !p.successful();
    const enough = () =>
      parts.every(p => p.ready()) ||
      (returnWhen === 'FIRST_COMPLETED' && parts.some(p => p.ready())) ||
      (returnWhen === 'FIRST_EXCEPTION' && parts.some(failed));
    await this.until(enough, options.timeout ?? -1);
    return {
      done: parts.filter(p => p.ready()),
      pending: parts.filter(p => !p.ready())
    };
  }

  private _throwIfCancelled(member: string): void {
    if (this._cancelled) {
      throw new CancelledError(member, this.where);
    }
  }

  /**
   * A proxy for a result the kernel just made, once its record arrives
   * (it follows the reply in the next delta).
   */
  private _proxyFor(id: string, timeout = 30): Promise<AsyncResult> {
    const make = () =>
      this._factory
        ? this._factory(this.store, id, this._requester ?? undefined)
        : new AsyncResult(this.store, id, this._requester ?? undefined);
    if (this.store.result(id)) {
      return Promise.resolve(make());
    }
    return new Promise((resolve, reject) => {
      const timer = timers.setTimeout(() => {
        this.store.changed.disconnect(check);
        reject(
          new TimeoutError(
            `the ${this.where} did not report result ${id} in ${timeout} s`,
            this.where
          )
        );
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

  private _factory: AsyncResult.Factory | null;
}

/** Types that go with AsyncResult. */
export namespace AsyncResult {
  /** When `wait` / `get` stop waiting (concurrent.futures' words). */
  export type ReturnWhen = ResultWaiting.ReturnWhen;

  /** Makes the proxy of the right class for a result the kernel made. */
  export type Factory = (store: TaskStore, id: string, requester?: IRequester) => AsyncResult;

  /** Options of the constructor. */
  export interface IOptions {
    /**
     * Makes proxies for results that split / join / resubmit create
     * (proxies.ts's `createAsyncResult`); plain AsyncResults otherwise.
     */
    factory?: Factory;
  }

  /** Options of `get`. */
  export interface IGetOptions {
    /** Stop at the first failed task instead of waiting for all. */
    returnWhen?: ReturnWhen;
    /** Give failed tasks' errors in place of values, not reject. */
    returnExceptions?: boolean;
    /** Fetch the whole value (up to 50 MB), not the capped one. */
    full?: boolean;
  }

  /** Options of `wait` in its `(done, pending)` form. */
  export interface IWaitOptions {
    timeout?: number;
    returnWhen?: ReturnWhen;
  }

  /** ipyparallel's `(done, pending)`: the result's tasks as results. */
  export interface IDoneAndPending {
    done: AsyncResult[];
    pending: AsyncResult[];
  }

  /** What `waitInteractive` reports each interval. */
  export type IProgress = ResultWaiting.IProgress;

  /** ipyparallel's per-task metadata (see metadata.ts). */
  export type IMetadata = ITaskMetadata;
}
