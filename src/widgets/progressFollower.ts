import type { TranslationBundle } from '@jupyterlab/translation';
import type { IDisposable } from '@lumino/disposable';
import {
  abortTimeout,
  type IProgress,
  type IRequester,
  isUnfinished,
  measureProgress,
  noProgress,
  type TaskStore
} from 'jupyterlab-asyncresult-node/core';
import { ProgressBar } from './progressBar';

/**
 * Keeps a ProgressBar in step with some AsyncResults of a task store.
 *
 * It redraws at most every `interval` ms (200 by default) however many
 * tasks change, and
 * once a second while work runs so elapsed time and ETA move between
 * events. The Abort button asks the bridge to abort the unfinished results.
 */
export class ProgressFollower implements IDisposable {
  constructor(options: ProgressFollower.IOptions) {
    this._store = options.store;
    this._requester = options.requester;
    this._bar = options.bar;
    this._trans = options.trans;
    this._interval = options.interval ?? ProgressFollower.DEFAULT_INTERVAL;
    this._tickEvery = options.tick ?? 1000;
    this._abortDeferred = options.abortDeferred ?? (() => false);
    this._kernelGone = options.kernelGone ?? (() => '');
    this._notice = options.notice ?? (() => '');
    this._label = options.label;
    this._resultIds = options.resultIds.slice();
    this._progress = this._measure();
    this._bar.abortRequested.connect(this._onAbort, this);
    this._watchResults();
    this.update();
  }

  /** The progress drawn last. */
  get progress(): IProgress {
    return this._progress;
  }

  /** How many times the bar was drawn (for tests and benchmarks). */
  get renders(): number {
    return this._renders;
  }

  /** The results followed (one, or all of a cell's). */
  get resultIds(): ReadonlyArray<string> {
    return this._resultIds;
  }
  set resultIds(ids: ReadonlyArray<string>) {
    this._resultIds = ids.slice();
    this._watchResults();
    this.schedule();
  }

  /** The name shown on the bar. */
  get label(): string {
    return this._label;
  }
  set label(value: string) {
    this._label = value;
    this.schedule();
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /** Redraw soon, no sooner than `interval` after the last redraw. */
  schedule(): void {
    if (this._timer !== null || this._isDisposed) {
      return;
    }
    const wait = Math.max(0, this._last + this._interval - Date.now());
    this._timer = setTimeout(() => {
      this._timer = null;
      this.update();
    }, wait);
  }

  /** Measure and redraw now. */
  update(): void {
    if (this._isDisposed) {
      return;
    }
    this._last = Date.now();
    this._renders += 1;
    let p = this._measure();
    // only work the store lost can have been lost with the kernel
    const gone = p.missing ? this._kernelGone() : '';
    if (p.missing && this._lastKnown && (gone || this._store.synced)) {
      // the kernel forgot this work (restart, shutdown): show what was
      // last known of it, settled, rather than an empty bar that waits
      p = ProgressFollower.settle(this._lastKnown);
    } else if (!p.missing) {
      this._lastKnown = p;
    }
    this._progress = p;
    const controllerLost = !this._store.isDisposed && !this._store.controller.ok && !p.finished;
    const aborting =
      this._abortState === 'sending' || (this._abortState === 'sent' && p.queued > 0);
    const notice = gone ? '' : this._notice();
    if (controllerLost || aborting || notice) {
      // no estimate holds while the controller is gone or an abort lands
      p = { ...p, eta: null };
    }
    const stopped = gone !== '' || controllerLost;
    this._bar.render(this._label, p, {
      message: notice && !this._abortError ? notice : this._message(p, gone, controllerLost),
      messageIsError: this._abortError !== '' || stopped,
      aborting: aborting || this._abortState === 'sent' || controllerLost,
      abortDeferred: this._abortDeferred(),
      stopped,
      lastKnown: notice !== ''
    });
    this._setTicking(!p.finished && !stopped && !notice);
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    if (this._timer !== null) {
      clearTimeout(this._timer);
      this._timer = null;
    }
    this._setTicking(false);
    this._watches.forEach(w => w.dispose());
    this._watches = [];
    this._bar.abortRequested.disconnect(this._onAbort, this);
  }

  private _measure(): IProgress {
    if (this._store.isDisposed) {
      return { ...ProgressFollower.EMPTY, missing: this._resultIds.length };
    }
    return measureProgress(this._store, this._resultIds);
  }

  private _message(p: IProgress, gone: string, controllerLost: boolean): string {
    const trans = this._trans;
    if (this._abortError) {
      return trans.__('Abort failed: %1', this._abortError);
    }
    if (gone) {
      return this._lastKnown
        ? trans.__('%1 The counts above are the last known state of this work.', gone)
        : gone;
    }
    if (p.missing && !this._store.synced) {
      return trans.__('Waiting for the kernel…');
    }
    if (p.missing && !this._lastKnown) {
      return trans.__('The kernel no longer follows this work.');
    }
    if (p.missing) {
      return trans.__(
        'The kernel no longer follows this work. The counts above are the last known state.'
      );
    }
    if (controllerLost) {
      return trans.__('Controller lost: %1', this._store.controller.detail);
    }
    switch (this._abortState) {
      case 'sending':
        return this._abortDeferred()
          ? trans.__('Abort requested: it acts when the running cell ends.')
          : trans.__('Aborting the queued tasks…');
      case 'sent':
        // ipyparallel aborts a queued task when an engine reaches it
        return p.queued > 0
          ? trans.__('Aborting: %1 aborted so far, %2 still queued.', p.aborted, p.queued)
          : trans._n('Aborted %1 queued task.', 'Aborted %1 queued tasks.', p.aborted);
      default:
        return '';
    }
  }

  /** Hear only the changes to the followed results and their tasks. */
  private _watchResults(): void {
    this._watches.forEach(w => w.dispose());
    this._watches = this._resultIds.map(id => this._store.watch(id, () => this.schedule()));
  }

  private async _onAbort(): Promise<void> {
    if (this._abortState === 'sending') {
      return;
    }
    this._abortState = 'sending';
    this._abortError = '';
    this.update();
    const unfinished = this._resultIds.filter(id =>
      isUnfinished(measureProgress(this._store, [id]))
    );
    try {
      const timeout = abortTimeout(!this._abortDeferred());
      await Promise.all(
        unfinished.map(id => this._requester.request('abort', { result_id: id }, timeout))
      );
      this._abortState = 'sent';
    } catch (reason) {
      this._abortState = 'idle';
      this._abortError = reason instanceof Error ? reason.message : String(reason);
    }
    this.update();
  }

  private _setTicking(on: boolean): void {
    if (on && this._ticker === null && !this._isDisposed) {
      this._ticker = setInterval(() => this.schedule(), this._tickEvery);
    } else if (!on && this._ticker !== null) {
      clearInterval(this._ticker);
      this._ticker = null;
    }
  }

  private _store: TaskStore;
  private _requester: IRequester;
  private _bar: ProgressBar;
  private _trans: TranslationBundle;
  private _interval: number;
  private _tickEvery: number;
  private _abortDeferred: () => boolean;
  private _kernelGone: () => string;
  private _notice: () => string;
  private _lastKnown: IProgress | null = null;
  private _label: string;
  private _resultIds: string[];
  private _watches: IDisposable[] = [];
  private _progress: IProgress;
  private _timer: ReturnType<typeof setTimeout> | null = null;
  private _ticker: ReturnType<typeof setInterval> | null = null;
  private _last = 0;
  private _renders = 0;
  private _abortState: 'idle' | 'sending' | 'sent' = 'idle';
  private _abortError = '';
  private _isDisposed = false;
}

/** Types that go with ProgressFollower. */
export namespace ProgressFollower {
  /**
   * Least time between redraws, ms. Each redraw costs the page a style,
   * layout and paint pass that competes with the engines for the same
   * cores (BENCHMARKS.md); 5 a second reads as smooth.
   */
  export const DEFAULT_INTERVAL = 200;

  export interface IOptions {
    store: TaskStore;
    /** Where Abort goes: the kernel transport. */
    requester: IRequester;
    bar: ProgressBar;
    trans: TranslationBundle;
    resultIds: ReadonlyArray<string>;
    label: string;
    /** Least time between redraws, ms (default DEFAULT_INTERVAL). */
    interval?: number;
    /** Redraw this often while work runs, ms (default 1000). */
    tick?: number;
    /** Whether control waits for the running cell (no subshells). */
    abortDeferred?: () => boolean;
    /**
     * A sentence when the kernel that ran this work is gone (restarted,
     * shut down, dead), else ''. The bar then settles on the last known
     * state and says so.
     */
    kernelGone?: () => string;
    /**
     * A sentence while the numbers are not live (the kernel has not
     * answered this page yet), else ''. It stands in for the ETA.
     */
    notice?: () => string;
  }

  /** Progress of nothing, for a store that is gone. */
  export const EMPTY: IProgress = noProgress();

  /**
   * The last known progress of work nobody follows any more: what was done,
   * failed or aborted stays; nothing runs or waits, and no ETA.
   */
  export function settle(last: IProgress): IProgress {
    return {
      ...last,
      running: 0,
      queued: 0,
      eta: null,
      engines: last.engines.map(e => ({ ...e, running: 0 })),
      missing: 0
    };
  }
}
