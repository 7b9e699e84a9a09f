import type { TranslationBundle } from '@jupyterlab/translation';
import type { IDisposable } from '@lumino/disposable';
import { type ISignal, Signal } from '@lumino/signaling';
import { BAR_SEGMENTS, type IProgress } from 'jupyterlab-asyncresult-node/core';

/**
 * The DOM of one live progress bar: a header line (name, done / total,
 * failures, running, queued, elapsed, rate, ETA, Abort), a bar split by
 * status, an optional strip with one cell per engine, and a status line.
 *
 * It only draws what it is given; ProgressFollower decides when.
 */
export class ProgressBar implements IDisposable {
  constructor(trans: TranslationBundle) {
    this._trans = trans;
    const node = (this.node = document.createElement('div'));
    node.className = 'jp-AsyncResultProgress';

    const header = Private.el('div', 'jp-AsyncResultProgress-header', node);
    this._label = Private.el('span', 'jp-AsyncResultProgress-label', header);
    this._count = Private.el('span', 'jp-AsyncResultProgress-count', header);
    this._stats = Private.el('span', 'jp-AsyncResultProgress-stats', header);
    const button = (this._abort = document.createElement('button'));
    button.className = 'jp-Button jp-mod-styled jp-mod-warn jp-AsyncResultProgress-abort';
    button.type = 'button';
    button.textContent = trans.__('Abort');
    button.addEventListener('click', this._onAbortClick);
    header.appendChild(button);

    this._bar = Private.el('div', 'jp-AsyncResultProgress-bar', node);
    this._bar.setAttribute('role', 'progressbar');
    this._bar.setAttribute('aria-valuemin', '0');
    for (const { status, count } of BAR_SEGMENTS) {
      const segment = Private.el('div', 'jp-AsyncResultProgress-segment', this._bar);
      segment.dataset.status = status;
      this._segments.set(count, segment);
    }
    this._engines = Private.el('div', 'jp-AsyncResultProgress-engines', node);
    this._message = Private.el('div', 'jp-AsyncResultProgress-message', node);
    this._message.setAttribute('role', 'status');
  }

  /** The element to put in the page. */
  readonly node: HTMLElement;

  /** Emitted when the user presses Abort. */
  get abortRequested(): ISignal<this, void> {
    return this._abortRequested;
  }

  /** Whether the per-engine strip shows. */
  showEngines = true;

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /** Draw one state; `message` is the line under the bar ('' for none). */
  render(label: string, p: IProgress, options: ProgressBar.IRenderOptions): void {
    const trans = this._trans;
    const finishedCount = p.done + p.failed + p.aborted;
    const stopped = options.stopped ?? false;
    // 'stopped': the work can no longer move (kernel or controller gone)
    const status = p.finished ? p.status : stopped ? 'stopped' : 'running';
    Private.setAttr(this.node, 'data-status', status);
    Private.setText(this._label, label);
    Private.setAttr(this._label, 'title', label);
    Private.setText(this._count, trans.__('%1 / %2 done', p.done, p.total));

    const stats: string[] = [];
    if (p.failed) {
      stats.push(trans._n('%1 failed', '%1 failed', p.failed));
    }
    if (p.aborted) {
      stats.push(trans.__('%1 aborted', p.aborted));
    }
    if (!p.finished && !stopped) {
      stats.push(trans.__('%1 running', p.running));
      stats.push(trans.__('%1 queued', p.queued));
    } else if (!p.finished && p.total > finishedCount) {
      stats.push(trans.__('%1 unfinished', p.total - finishedCount));
    }
    if (p.elapsed !== null) {
      stats.push(formatDuration(p.elapsed));
    }
    // a rate of the past is no rate: shown only while the numbers are live
    if (p.rate !== null && !options.lastKnown) {
      stats.push(trans.__('%1 tasks/s', formatRate(p.rate)));
    }
    if (p.eta !== null && !stopped) {
      stats.push(trans.__('ETA %1', formatDuration(p.eta)));
    }
    Private.setText(this._stats, stats.join(' · '));

    const total = Math.max(p.total, 1);
    for (const [count, segment] of this._segments) {
      const width = `${((100 * p[count]) / total).toFixed(2)}%`;
      if (segment.style.width !== width) {
        segment.style.width = width;
      }
    }
    Private.setAttr(this._bar, 'aria-valuemax', String(p.total));
    Private.setAttr(this._bar, 'aria-valuenow', String(finishedCount));
    Private.setAttr(
      this._bar,
      'aria-label',
      trans.__('%1: %2 of %3 tasks finished', label, finishedCount, p.total)
    );

    this._renderEngines(p);

    const button = this._abort;
    const hidden = p.finished || stopped || (options.lastKnown ?? false);
    if (button.hidden !== hidden) {
      button.hidden = hidden;
    }
    if (button.disabled !== options.aborting) {
      button.disabled = options.aborting;
    }
    const title = options.abortDeferred
      ? trans.__(
          'Abort the queued tasks. This kernel cannot take control messages while a cell runs: the abort acts when the running cell ends.'
        )
      : trans.__('Abort the tasks that have not started yet');
    Private.setAttr(button, 'title', title);
    Private.setText(this._message, options.message);
    this._message.classList.toggle('jp-mod-error', options.messageIsError ?? false);
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._abort.removeEventListener('click', this._onAbortClick);
    this.node.remove();
    Signal.clearData(this);
  }

  private _renderEngines(p: IProgress): void {
    const strip = this._engines;
    strip.hidden = !this.showEngines || p.engines.length === 0;
    if (strip.hidden) {
      return;
    }
    while (strip.children.length > p.engines.length) {
      strip.lastElementChild!.remove();
    }
    p.engines.forEach((engine, i) => {
      let cell = strip.children[i] as HTMLElement | undefined;
      if (!cell) {
        cell = Private.el('span', 'jp-AsyncResultProgress-engine', strip);
      }
      Private.setText(cell, String(engine.id));
      Private.setAttr(
        cell,
        'data-state',
        engine.died ? 'dead' : engine.running ? 'running' : engine.failed ? 'error' : 'idle'
      );
      const counts = this._trans.__(
        'engine %1: %2 done, %3 failed, %4 running',
        engine.id,
        engine.done,
        engine.failed,
        engine.running
      );
      Private.setAttr(
        cell,
        'title',
        engine.died ? this._trans.__('%1. This engine died under a task.', counts) : counts
      );
    });
  }

  private _onAbortClick = (): void => {
    this._abortRequested.emit();
  };

  private _trans: TranslationBundle;
  private _label: HTMLElement;
  private _count: HTMLElement;
  private _stats: HTMLElement;
  private _abort: HTMLButtonElement;
  private _bar: HTMLElement;
  private _segments = new Map<(typeof BAR_SEGMENTS)[number]['count'], HTMLElement>();
  private _engines: HTMLElement;
  private _message: HTMLElement;
  private _isDisposed = false;
  private _abortRequested = new Signal<this, void>(this);
}

/** Types that go with ProgressBar. */
export namespace ProgressBar {
  /** What the bar says besides the numbers. */
  export interface IRenderOptions {
    /** The line under the bar, '' for none. */
    message: string;
    messageIsError?: boolean;
    /** An abort is on its way: the button is disabled. */
    aborting: boolean;
    /** Control waits for the running cell (the kernel has no subshells). */
    abortDeferred: boolean;
    /**
     * The work can no longer move (the kernel or controller is gone): no
     * running or queued counts, no ETA, no Abort.
     */
    stopped?: boolean;
    /**
     * The numbers are the last known state, not live (the kernel has not
     * answered this page yet): no rate, and no Abort, which could not be sent.
     */
    lastKnown?: boolean;
  }
}

/** Seconds as "4.2 s", "3 min 05 s" or "1 h 02 min". */
export function formatDuration(seconds: number): string {
  if (seconds < 60) {
    return `${seconds.toFixed(1)} s`;
  }
  const whole = Math.round(seconds);
  const minutes = Math.floor(whole / 60);
  if (minutes < 60) {
    return `${minutes} min ${String(whole % 60).padStart(2, '0')} s`;
  }
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}

/** A rate with sensible precision: 0.25, 4.2, 1234. */
export function formatRate(rate: number): string {
  if (rate >= 100) {
    return String(Math.round(rate));
  }
  if (rate >= 1) {
    return rate.toFixed(1);
  }
  return rate.toPrecision(2);
}

namespace Private {
  /**
   * Write only what changed: an identical write still costs the page a
   * style and layout pass, ten times a second, for every bar on screen.
   */
  export function setText(node: HTMLElement, text: string): void {
    if (node.textContent !== text) {
      node.textContent = text;
    }
  }

  export function setAttr(node: HTMLElement, name: string, value: string): void {
    if (node.getAttribute(name) !== value) {
      node.setAttribute(name, value);
    }
  }

  export function el(tag: string, className: string, parent: HTMLElement): HTMLElement {
    const node = document.createElement(tag);
    node.className = className;
    parent.appendChild(node);
    return node;
  }
}
