import type { IWatchContext } from './clientContext';

/**
 * Asks the hub a cheap question (queue status) every `interval` seconds
 * while this client has unfinished tasks, so that a controller that died or
 * hangs is noticed: its tasks' waiters then fail with a ConnectionLostError
 * (via the store's controller state) instead of waiting forever. When the
 * hub answers again, the state is restored.
 */
export class ControllerWatch {
  constructor(
    private readonly _client: IWatchContext,
    private readonly _interval = 2
  ) {
    this._schedule();
  }

  /** Stop watching. */
  dispose(): void {
    this._disposed = true;
    if (this._timer !== null) {
      clearTimeout(this._timer);
      this._timer = null;
    }
  }

  private _schedule(): void {
    if (this._disposed) {
      return;
    }
    this._timer = setTimeout(() => void this._check(), this._interval * 1000);
    // the watch alone must not keep a Node process alive
    this._timer.unref();
  }

  private async _check(): Promise<void> {
    this._timer = null;
    const client = this._client;
    const down = !client.book.store.controller.ok;
    if (client.isDisposed || (!down && client.book.unfinished().length === 0)) {
      this._schedule();
      return;
    }
    try {
      await client.hub.queueStatus(null, false);
      client.book.setController({ ok: true, detail: '' });
    } catch (reason) {
      if (!client.isDisposed) {
        client.book.setController({
          ok: false,
          detail: `the controller does not answer (${(reason as Error).message})`
        });
      }
    }
    this._schedule();
  }

  private _timer: ReturnType<typeof setTimeout> | null = null;
  private _disposed = false;
}
