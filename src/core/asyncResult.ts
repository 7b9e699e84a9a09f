import type { IDisposable } from '@lumino/disposable';
import { type ISignal, Signal } from '@lumino/signaling';
import { ConnectionLostError, RemoteError, TimeoutError } from './errors';
import type {
  IErrorInfo,
  IRequester,
  IResultRecord,
  ITaskRecord,
  IValue
} from './protocol';
import { summarize, TaskStore } from './taskStore';

/** The ends of a time span: one time, or many reduced by a key. */
export type Stamps = number | ReadonlyArray<number | null>;

/** Reduces many times to one, like Python's `min` / `max`. */
export type StampKey = (stamps: number[]) => number;

// Every runtime we target has timers, but lib ES2022 does not declare them
// (the core is compiled without DOM or Node types on purpose).
const timers = globalThis as unknown as {
  setTimeout(handler: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
};

const earliest: StampKey = s => Math.min(...s);
const latest: StampKey = s => Math.max(...s);

/** Raised by members that need a finished result, as ipyparallel 9 does. */
export class NotReadyError extends Error {
  constructor(member: string) {
    super(`${member}: the AsyncResult is not ready`);
    this.name = 'NotReadyError';
  }
}

/** A result that is not plain JSON: its Python repr, maybe cut short. */
export class ResultRepr {
  constructor(value: IValue) {
    this.repr = value.repr;
    this.truncated = value.repr_truncated;
  }

  readonly repr: string;
  readonly truncated: boolean;

  toString(): string {
    return this.repr;
  }
}

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
    store.changed.connect(this._onStoreChanged, this);
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

  /** The number of tasks (ipyparallel's `len(ar)`). */
  get length(): number {
    return this.msgIds.length;
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

  /** The number of finished tasks. */
  get progress(): number {
    return summarize(this.tasks()).finished;
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
    return this.tasks().reduce(
      (sum, t) => sum + ((t!.completed ?? 0) - (t!.started ?? 0)),
      0
    );
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
    return Private.pick(end, endKey) - Private.pick(start, startKey);
  }

  /**
   * The result, once ready: the value itself when it is plain JSON, else
   * a ResultRepr. Rejects with a RemoteError carrying what the engine
   * raised, a TimeoutError after `timeout` seconds, or a
   * ConnectionLostError when the kernel forgets the result first.
   */
  async get(timeout = -1): Promise<unknown> {
    if (!(await this.wait(timeout))) {
      this._throwIfLost('get');
      throw new TimeoutError(`get: not ready after ${timeout} s`);
    }
    const reply = (await this._request('get_value')) as {
      status: 'ok' | 'error';
      value?: IValue;
      error?: IErrorInfo;
    };
    if (reply.status === 'error') {
      throw new RemoteError(reply.error!);
    }
    const value = reply.value!;
    return 'json' in value ? value.json : new ResultRepr(value);
  }

  /** The first error a task raised, if any (without asking the kernel). */
  exception(): RemoteError | null {
    const failed = this.tasks().find(t => t?.status === 'error' && t.error);
    return failed ? new RemoteError(failed.error!) : null;
  }

  /** Abort the queued tasks; running ones finish. Rejects when done. */
  async abort(): Promise<void> {
    await this._request('abort');
  }

  /**
   * Resolve true once the result is ready, or false after `timeout` seconds
   * (never, when timeout is negative or omitted). Settles false if the
   * result is disposed first.
   */
  wait(timeout = -1): Promise<boolean> {
    if (this.ready()) {
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
        if (disposed || !this.known) {
          finish(false);
        } else if (this.ready()) {
          finish(true);
        }
      };
      this._waiters.add(check);
      if (timeout >= 0) {
        timer = timers.setTimeout(
          () => finish(this.ready()),
          timeout * 1000
        );
      }
    });
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this.store.changed.disconnect(this._onStoreChanged, this);
    for (const check of Array.from(this._waiters)) {
      check(true);
    }
    Signal.clearData(this);
  }

  private _throwIfLost(member: string): void {
    if (this._isDisposed) {
      throw new ConnectionLostError(`${member}: the AsyncResult was disposed`);
    }
    if (!this.known) {
      throw new ConnectionLostError(
        `${member}: the kernel no longer reports this result (it restarted or forgot it)`
      );
    }
  }

  private _request(op: 'get_value' | 'abort'): Promise<unknown> {
    this._throwIfLost(op);
    if (!this._requester) {
      return Promise.reject(
        new Error(`${op}: this AsyncResult has no connection to a kernel`)
      );
    }
    return this._requester.request(op, { result_id: this.id });
  }

  private _stamps(
    key: 'submitted' | 'started' | 'completed' | 'received'
  ): number[] {
    return this.tasks()
      .map(t => (t ? t[key] : null))
      .filter((s): s is number => s !== null);
  }

  private _onStoreChanged(_: TaskStore, change: TaskStore.IChange): void {
    const record = this.store.result(this.id);
    const mine =
      change.kind !== 'delta' ||
      record === undefined ||
      change.results.includes(this.id) ||
      (record !== undefined &&
        change.tasks.some(m => record.msg_ids.includes(m)));
    if (!mine) {
      return;
    }
    for (const check of Array.from(this._waiters)) {
      check(false);
    }
    this._changed.emit();
  }

  private _requester: IRequester | null;
  private _waiters = new Set<(disposed: boolean) => void>();
  private _isDisposed = false;
  private _changed = new Signal<this, void>(this);
}

namespace Private {
  export function pick(stamps: Stamps, key: StampKey): number {
    if (typeof stamps === 'number') {
      return stamps;
    }
    const known = stamps.filter((s): s is number => s !== null);
    if (!known.length) {
      throw new Error('timedelta: no timestamps to compare');
    }
    return key(known);
  }
}
