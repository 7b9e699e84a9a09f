import type { TranslationBundle } from '@jupyterlab/translation';
import type { IDisposable } from '@lumino/disposable';
import type { ITaskSource } from 'jupyterlab-asyncresult-node/core';
import type { ProgressBar } from './progressBar';
import { ProgressFollower } from './progressFollower';

/**
 * A bar that follows some results of one kernel's transport, and says so
 * when that kernel restarts, shuts down, or has not answered this page yet.
 * The widget view and the bar's own renderer both draw through it.
 */
export class ProgressBinding implements IDisposable {
  constructor(options: ProgressBinding.IOptions) {
    const { transport, trans } = options;
    this._transport = transport;
    this.follower = new ProgressFollower({
      store: transport.store,
      requester: transport,
      bar: options.bar,
      trans,
      resultIds: options.resultIds,
      label: options.label,
      abortDeferred: () => !transport.isDisposed && !transport.supportsSubshells && transport.busy,
      kernelGone: () =>
        this._shutDown ? trans.__('The kernel was shut down.') : transport.lostWork,
      notice: () => {
        if (transport.isDisposed || transport.state !== 'connecting' || !transport.store.synced) {
          return '';
        }
        // what the last page kept: say it is not live, and why
        return trans.__(
          'Last known state: a running cell holds back the kernel’s first answer to this page. Live counts resume when it ends.'
        );
      }
    });
    transport.stateChanged.connect(this._redraw, this);
    transport.disposed.connect(this._onDisposed, this);
  }

  /** What keeps the bar in step. */
  readonly follower: ProgressFollower;

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._transport.stateChanged.disconnect(this._redraw, this);
    this._transport.disposed.disconnect(this._onDisposed, this);
    this.follower.dispose();
  }

  // a restart empties the store: redraw at once with the last known state
  private _redraw(): void {
    this.follower.update();
  }

  private _onDisposed(): void {
    this._shutDown = true;
    this.follower.update();
  }

  private _transport: ITaskSource;
  private _shutDown = false;
  private _isDisposed = false;
}

/** Types that go with ProgressBinding. */
export namespace ProgressBinding {
  export interface IOptions {
    bar: ProgressBar;
    transport: ITaskSource;
    trans: TranslationBundle;
    resultIds: ReadonlyArray<string>;
    label: string;
  }
}
