import { TimeoutError } from './errors';
import { ResultState } from './resultState';
import { timers } from './timing';

/**
 * Waiting on a result's state: `wait`, `waitInteractive`, `waitForSend`,
 * done callbacks and `cancel`, all driven by the task store's changes,
 * never by polling the kernel.
 */
export class ResultWaiting extends ResultState {
  /**
   * Resolve true once the result is ready, or false after `timeout` seconds
   * (never, when timeout is negative or omitted); with FIRST_EXCEPTION also
   * true as soon as a task failed. Settles false if the result is
   * cancelled, disposed or forgotten by the kernel first.
   */
  waitReady(
    timeout = -1,
    returnWhen: ResultWaiting.ReturnWhen = 'ALL_COMPLETED'
  ): Promise<boolean> {
    const early = returnWhen === 'FIRST_EXCEPTION';
    return this.until(() => this.ready() || (early && this._firstFailed() >= 0), timeout);
  }

  /**
   * Call `onProgress` every `interval` seconds until the result is ready
   * (and once more then), as ipyparallel's `wait_interactive` drives its
   * bar; resolve whether it became ready within `timeout` seconds.
   */
  async waitInteractive(
    onProgress: (state: ResultWaiting.IProgress) => void,
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
      if (left <= 0 || this.isDisposed || !this.known || this._cancelled) {
        return false;
      }
      await this.waitReady(Math.min(interval, left));
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
      throw new TimeoutError(`waitForSend: not sent after ${timeout} s`, this.where);
    }
  }

  /** Resolve true once every task's output has arrived (or false at timeout). */
  waitForOutput(timeout = -1): Promise<boolean> {
    return this.until(
      () => this.ready() && this.tasks().every(t => t?.output_done !== false),
      timeout
    );
  }

  /**
   * Call `callback(this)` once the result is ready (at once if it is), as
   * concurrent.futures' add_done_callback. Not called if the kernel forgets
   * the result or the proxy is disposed first.
   */
  addDoneCallback(callback: (result: this) => void): void {
    void this.waitReady().then(ready => {
      if (ready) {
        callback(this);
      }
    });
  }

  /**
   * Cancel this proxy, as ipyparallel's `cancel()` (concurrent.futures'):
   * true unless it is already done. Its waits settle and `get` rejects with
   * a CancelledError; the tasks themselves go on (use `abort` to stop
   * queued ones), as in ipyparallel.
   */
  cancel(): boolean {
    if (this.ready()) {
      return false;
    }
    this._cancelled = true;
    this._notify(false);
    return true;
  }

  /**
   * Resolve true once `predicate` holds after a change of this result, or
   * false after `timeout` seconds, on cancel, on dispose, or when the kernel
   * forgets the result.
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
        if (disposed || this._cancelled || !this.known || !this.store.controller.ok) {
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

  /** The index of the first failed or aborted task, or -1. */
  protected _firstFailed(): number {
    return this.tasks().findIndex(t => t?.status === 'error' || t?.status === 'aborted');
  }
}

/** Types that go with ResultWaiting. */
export namespace ResultWaiting {
  /** When a wait stops (concurrent.futures' words). */
  export type ReturnWhen = 'ALL_COMPLETED' | 'FIRST_EXCEPTION' | 'FIRST_COMPLETED';

  /** What `waitInteractive` reports each interval. */
  export interface IProgress {
    progress: number;
    length: number;
    elapsed: number;
  }
}
