import type { ITranslator, TranslationBundle } from '@jupyterlab/translation';
import { nullTranslator } from '@jupyterlab/translation';
import { type ISignal, Signal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';
import {
  barAt,
  ClusterWatch,
  type ITaskSource,
  type ITimelineLane,
  drawnStart,
  laneColumns,
  lastFinish,
  summarizeLane,
  type TaskStatus,
  TimelineModel,
  timelineSpan
} from 'jupyterlab-asyncresult-node/core';
import { paintTimeAxis, statusLegend } from './timelineAxis';
import { UtilisationChart } from './utilisationChart';

/** Layout of the drawing, CSS px. */
const GUTTER = 76;
const LANE = 18;
const GAP = 4;
const AXIS = 22;

/**
 * Which engine ran what, when: one lane per engine and a bar per task,
 * live, on a canvas (a lane of 100,000 tasks costs one pass and one pixel
 * column each). Wheel or +/- zooms around the pointer, dragging or the
 * arrow keys pan, double-click or 0 fits everything and follows the work
 * again. Above the lanes, on the same time axis, a chart of how many
 * engines were busy; a click on a bar says which task it is.
 */
export class TimelineView extends Widget {
  constructor(options: TimelineView.IOptions) {
    super();
    this._source = options.source;
    this._trans = (options.translator ?? nullTranslator).load('jupyterlab-asyncresult');
    this.addClass('jp-AsyncResultTimeline');

    const bar = document.createElement('div');
    bar.className = 'jp-AsyncResultTimeline-toolbar';
    this._status = document.createElement('span');
    this._status.className = 'jp-AsyncResultTimeline-status';
    const fit = document.createElement('button');
    fit.className = 'jp-Button jp-mod-minimal jp-AsyncResultTimeline-fit';
    fit.textContent = this._trans.__('Fit and follow');
    fit.title = this._trans.__('Show all the work, and keep up with it (double-click, or 0)');
    fit.addEventListener('click', () => this.fit());
    bar.append(statusLegend(this._trans), this._status, fit);

    this._canvas = document.createElement('canvas');
    this._canvas.className = 'jp-AsyncResultTimeline-canvas';
    this._canvas.tabIndex = 0;
    this._canvas.setAttribute('role', 'img');
    // the canvas holds the lanes in view only; the sizer gives the scroll
    // bar the height of them all (1,000 engines make 22,000 px of lanes)
    const holder = (this._body = document.createElement('div'));
    holder.className = 'jp-AsyncResultTimeline-body';
    this._sizer = document.createElement('div');
    holder.append(this._canvas, this._sizer);
    holder.addEventListener('scroll', () => this.schedule(), { passive: true });
    this._chart = new UtilisationChart(this._source.store, this._trans);
    this.node.append(bar, this._chart.node, holder);
    this._model = new TimelineModel(this._source.store);
    // the controller's engine count, asked only while the view is shown
    this._cluster = new ClusterWatch(this._source);
    this._cluster.changed.connect(() => {
      if (this._cluster.queues) {
        this._chart.noteQueues(this._cluster.queues);
      }
      this.schedule();
    });

    // the chart and the lanes zoom and pan together
    for (const canvas of [this._canvas, this._chart.node]) {
      canvas.addEventListener('wheel', this._onWheel, { passive: false });
      canvas.addEventListener('pointerdown', this._onPointerDown);
      canvas.addEventListener('dblclick', () => this.fit());
      canvas.addEventListener('keydown', this._onKeyDown);
    }
    this._source.store.changed.connect(this.schedule, this);
    this._source.disposed.connect(this._onSourceGone, this);
  }

  /** Emitted with a task's msg_id when the user clicks its bar. */
  get taskClicked(): ISignal<this, string> {
    return this._taskClicked;
  }

  /** The chart of busy engines above the lanes. */
  get chart(): UtilisationChart {
    return this._chart;
  }

  /** The engines' lanes as last drawn. */
  get lanes(): ReadonlyArray<ITimelineLane> {
    return this._lanes;
  }

  /** Show all the work, and follow it as it grows. */
  fit(): void {
    this._window = null;
    this.schedule();
  }

  /** Draw on the next animation frame (once, however often called). */
  schedule(): void {
    if (this._frame || this.isDisposed) {
      return;
    }
    this._frame = requestAnimationFrame(() => {
      this._frame = 0;
      this.draw();
    });
  }

  /** Draw now. */
  draw(): void {
    if (this.isDisposed) {
      return;
    }
    const store = this._source.store;
    const now = store.kernelNow();
    this._lanes = this._model.lanes();
    const span = timelineSpan(this._lanes, now);
    const [from, to] = this._window ?? span ?? [now - 60, now];
    this._shown = [from, to];
    const summaries = this._lanes.map(summarizeLane);
    this.node.dataset.lanes = String(this._lanes.length);
    // the numbers the picture shows, for screen readers and tests
    this.node.dataset.summary = JSON.stringify(summaries);
    const running = summaries.reduce((n, s) => n + s.running, 0);
    this._status.textContent = this._source.isDisposed
      ? this._trans.__('The kernel of this timeline is gone: this is its last state.')
      : this._trans._n(
          '%1 engine, %2 tasks, %3 running',
          '%1 engines, %2 tasks, %3 running',
          this._lanes.length,
          summaries.reduce((n, s) => n + s.tasks, 0),
          running
        );
    this._canvas.setAttribute(
      'aria-label',
      summaries
        .map(s =>
          this._trans.__(
            'engine %1: %2 tasks, %3 running, %4 failed',
            s.engine,
            s.tasks,
            s.running,
            s.failed
          )
        )
        .join('; ') || this._trans.__('No task has reached an engine yet.')
    );
    const width = Math.max(200, this._body.clientWidth || 600);
    this._paint(from, to, now, width);
    const live = !this._source.isDisposed;
    this._chart.draw(from, to, now, width, GUTTER, this._lanes.length, live);
    this._setTicking(running > 0 && !this._source.isDisposed);
  }

  protected onResize(): void {
    this.schedule();
  }

  protected onAfterShow(): void {
    this._cluster.start();
    this.schedule();
  }

  protected onAfterAttach(): void {
    if (this.isVisible) {
      this._cluster.start();
    }
  }

  protected onBeforeHide(): void {
    this._cluster.stop();
  }

  protected onBeforeDetach(): void {
    this._cluster.stop();
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    if (this._frame) {
      cancelAnimationFrame(this._frame);
    }
    this._setTicking(false);
    this._source.store.changed.disconnect(this.schedule, this);
    this._source.disposed.disconnect(this._onSourceGone, this);
    this._model.dispose();
    this._cluster.dispose();
    this._chart.dispose();
    Signal.clearData(this);
    super.dispose();
  }

  private _paint(from: number, to: number, now: number, width: number): void {
    const canvas = this._canvas;
    const pitch = LANE + GAP;
    const all = AXIS + GAP + this._lanes.length * pitch;
    const viewport = this._body.clientHeight || all;
    const height = Math.min(all, Math.max(viewport, AXIS + GAP + pitch));
    this._sizer.style.height = `${Math.max(0, all - height)}px`;
    const firstLane = Math.min(
      Math.max(0, this._lanes.length - 1),
      Math.floor(this._body.scrollTop / pitch)
    );
    const shown = this._lanes.slice(firstLane, firstLane + Math.ceil(height / pitch) + 1);
    this._shownLanes = shown;
    const ratio = window.devicePixelRatio || 1;
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    canvas.style.width = `${width}px`;
    canvas.style.height = `${height}px`;
    const ctx = canvas.getContext('2d');
    if (!ctx) {
      return; // no canvas here (a test's DOM): the summary above still tells
    }
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    const css = getComputedStyle(this.node);
    const color = (name: string) => css.getPropertyValue(name).trim() || '#888';
    const colors: Partial<Record<TaskStatus, string>> = {
      done: color('--jp-success-color1'),
      error: color('--jp-error-color1'),
      aborted: color('--jp-warn-color1'),
      running: color('--jp-brand-color1')
    };
    ctx.clearRect(0, 0, width, height);
    ctx.font = `${css.getPropertyValue('--jp-ui-font-size1').trim() || '13px'} ${css.getPropertyValue('--jp-ui-font-family').trim() || 'sans-serif'}`;
    ctx.textBaseline = 'middle';
    const plot = width - GUTTER - 8;
    const x = (t: number) => GUTTER + ((t - from) / (to - from)) * plot;

    // the axis counts from the first task's start, in round steps
    ctx.fillStyle = color('--jp-ui-font-color2');
    ctx.strokeStyle = color('--jp-border-color2');
    const origin = timelineSpan(this._lanes, now)?.[0] ?? from;
    paintTimeAxis(ctx, from, to, origin, { left: GUTTER, width: plot, band: AXIS, bottom: height });

    shown.forEach((lane, i) => {
      const top = AXIS + GAP + i * pitch;
      ctx.fillStyle = color('--jp-ui-font-color1');
      ctx.fillText(this._trans.__('engine %1', lane.engine), 4, top + LANE / 2);
      if (lane.bars.length * 3 <= plot) {
        const finished = lastFinish(lane);
        for (const bar of lane.bars) {
          const a = Math.max(GUTTER, x(drawnStart(bar, finished, now)));
          const b = Math.min(GUTTER + plot, x(bar.end ?? now));
          if (b < GUTTER || a > GUTTER + plot) {
            continue;
          }
          ctx.fillStyle = colors[bar.status] ?? color('--jp-layout-color3');
          ctx.fillRect(a, top, Math.max(1, b - a - 1), LANE);
        }
      } else {
        // denser than pixels: one status per pixel column
        laneColumns(lane, from, to, plot, now).forEach((status, px) => {
          if (status) {
            ctx.fillStyle = colors[status] ?? color('--jp-layout-color3');
            ctx.fillRect(GUTTER + px, top, 1, LANE);
          }
        });
      }
    });
    if (now >= from && now <= to && !this._source.isDisposed) {
      ctx.strokeStyle = color('--jp-ui-font-color2');
      ctx.setLineDash([3, 3]);
      ctx.beginPath();
      ctx.moveTo(Math.round(x(now)) + 0.5, AXIS - 4);
      ctx.lineTo(Math.round(x(now)) + 0.5, height);
      ctx.stroke();
      ctx.setLineDash([]);
    }
  }

  /** Zoom by `factor` (<1 in) around time `at`. */
  private _zoom(factor: number, at: number): void {
    const [from, to] = this._shown;
    const span = Math.max(1e-3, (to - from) * factor);
    const left = (at - from) / (to - from);
    this._window = [at - left * span, at - left * span + span];
    this.schedule();
  }

  private _pan(fraction: number): void {
    const [from, to] = this._shown;
    const shift = (to - from) * fraction;
    this._window = [from + shift, to + shift];
    this.schedule();
  }

  private _timeAt(clientX: number): number {
    const rect = this._canvas.getBoundingClientRect();
    const plot = rect.width - GUTTER - 8;
    const [from, to] = this._shown;
    return from + ((clientX - rect.left - GUTTER) / Math.max(1, plot)) * (to - from);
  }

  private _onWheel = (event: WheelEvent): void => {
    event.preventDefault();
    this._zoom(event.deltaY > 0 ? 1.25 : 0.8, this._timeAt(event.clientX));
  };

  private _onPointerDown = (event: PointerEvent): void => {
    const startX = event.clientX;
    const startY = event.clientY;
    const onLanes = event.target === this._canvas;
    const [from, to] = this._shown;
    const plot = Math.max(1, this._canvas.getBoundingClientRect().width - GUTTER - 8);
    const move = (e: PointerEvent) => {
      const shift = ((startX - e.clientX) / plot) * (to - from);
      this._window = [from + shift, to + shift];
      this.schedule();
    };
    const up = (e: PointerEvent) => {
      window.removeEventListener('pointermove', move);
      window.removeEventListener('pointerup', up);
      // a click, not a drag: which task is there
      if (onLanes && Math.abs(e.clientX - startX) + Math.abs(e.clientY - startY) < 4) {
        this._pick(e.clientX, e.clientY);
      }
    };
    window.addEventListener('pointermove', move);
    window.addEventListener('pointerup', up);
  };

  /** Say which task's bar is at a point of the lanes' canvas. */
  private _pick(clientX: number, clientY: number): void {
    const rect = this._canvas.getBoundingClientRect();
    const i = Math.floor((clientY - rect.top - AXIS - GAP) / (LANE + GAP));
    const lane = this._shownLanes[i];
    if (!lane || clientY - rect.top - AXIS - GAP - i * (LANE + GAP) > LANE) {
      return;
    }
    const [from, to] = this._shown;
    const slack = (3 / Math.max(1, rect.width - GUTTER - 8)) * (to - from);
    const bar = barAt(lane, this._timeAt(clientX), slack, this._source.store.kernelNow());
    if (bar) {
      this._taskClicked.emit(bar.msgId);
    }
  }

  private _onKeyDown = (event: KeyboardEvent): void => {
    const [from, to] = this._shown;
    const middle = (from + to) / 2;
    const actions: Record<string, () => void> = {
      '+': () => this._zoom(0.8, middle),
      '=': () => this._zoom(0.8, middle),
      '-': () => this._zoom(1.25, middle),
      '0': () => this.fit(),
      ArrowLeft: () => this._pan(-0.1),
      ArrowRight: () => this._pan(0.1)
    };
    const action = actions[event.key];
    if (action) {
      event.preventDefault();
      action();
    }
  };

  private _onSourceGone(): void {
    this._setTicking(false);
    this.schedule();
  }

  private _setTicking(on: boolean): void {
    if (on && this._ticker === null) {
      this._ticker = setInterval(() => this.schedule(), 1000);
    } else if (!on && this._ticker !== null) {
      clearInterval(this._ticker);
      this._ticker = null;
    }
  }

  private _source: ITaskSource;
  private _trans: TranslationBundle;
  private _canvas: HTMLCanvasElement;
  private _body: HTMLElement;
  private _sizer: HTMLElement;
  private _model: TimelineModel;
  private _status: HTMLElement;
  private _lanes: ITimelineLane[] = [];
  private _shownLanes: ITimelineLane[] = [];
  private _chart: UtilisationChart;
  private _cluster: ClusterWatch;
  private _taskClicked = new Signal<this, string>(this);
  /** The times shown, or null to fit and follow. */
  private _window: [number, number] | null = null;
  private _shown: [number, number] = [0, 1];
  private _frame = 0;
  private _ticker: ReturnType<typeof setInterval> | null = null;
}

/** Types that go with TimelineView. */
export namespace TimelineView {
  export interface IOptions {
    source: ITaskSource;
    translator?: ITranslator;
  }
}
