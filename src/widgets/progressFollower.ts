import type { TranslationBundle } from '@jupyterlab/translation';
import type { IDisposable } from '@lumino/disposable';
import { type IProgress, type IRequester, measureProgress, TaskStore } from '../core';
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
    this._label = options.label;
    this._resultIds = options.resultIds.slice();
    this._progress = measureProgress(this._store, this._resultIds);
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
    const p = (this._progress = measureProgress(this._store, this._resultIds));
    this._bar.render(this._label, p, {
      message: this._message(p),
      messageIsError: this._abortError !== '',
      aborting: this._abortState === 'sending',
      abortDeferred: this._abortDeferred()
    });
    this._setTicking(!p.finished);
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

  private _message(p: IProgress): string {
    const trans = this._trans;
    if (this._abortError) {
      return trans.__('Abort failed: %1', this._abortError);
    }
    if (p.missing && !this._store.synced) {
      return trans.__('Waiting for the kernel…');
    }
    if (p.missing) {
      return trans.__('The kernel no longer follows this work.');
    }
    switch (this._abortState) {
      case 'sending':
        return this._abortDeferred()
          ? trans.__('Abort requested: it acts when the running cell ends.')
          : trans.__('Aborting the queued tasks…');
      case 'sent':
        return trans._n('Aborted %1 queued task.', 'Aborted %1 queued tasks.', p.aborted);
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
    const unfinished = this._resultIds.filter(id => {
      const status = this._store.summary(id)?.status;
      return status === 'pending' || status === 'running';
    });
    try {
      // a kernel without subshells answers only when the running cell ends
      const timeout = this._abortDeferred() ? 24 * 3600 : 60;
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
  }
}
