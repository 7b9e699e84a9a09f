import type { TranslationBundle } from '@jupyterlab/translation';
import type { IDisposable } from '@lumino/disposable';
import {
  type IClusterQueues,
  type TaskStore,
  UtilisationModel
} from 'jupyterlab-asyncresult-node/core';

/** Height of the chart, CSS px. */
const HEIGHT = 64;
const PAD = 6;

/**
 * How many engines were busy, over the timeline's own time axis: the
 * average number of this kernel's running tasks per pixel column (a filled
 * area), against the engine count the controller gave (a stepped line).
 * A canvas of its own above the lanes, so it stays put while the lanes
 * scroll; the timeline tells it which times to show.
 */
export class UtilisationChart implements IDisposable {
  constructor(store: TaskStore, trans: TranslationBundle) {
    this._store = store;
    this._trans = trans;
    this.model = new UtilisationModel(store);
    this.node = document.createElement('canvas');
    this.node.className = 'jp-AsyncResultTimeline-chart';
    this.node.tabIndex = 0;
    this.node.setAttribute('role', 'img');
  }

  /** The running-task counts behind the picture. */
  readonly model: UtilisationModel;

  /** The canvas to place in the view. */
  readonly node: HTMLCanvasElement;

  /** Note the controller's answer: its engine count joins the chart. */
  noteQueues(queues: IClusterQueues): void {
    this._queues = queues;
    this.model.noteEngines(this._store.kernelNow(), queues.engines.length);
  }

  /**
   * Draw times `from` to `to` over `width` px, the plot starting `gutter`
   * px in (as the lanes'), with `fallbackEngines` (the lanes) while the
   * controller has not answered.
   */
  draw(
    from: number,
    to: number,
    now: number,
    width: number,
    gutter: number,
    fallbackEngines: number,
    live: boolean
  ): void {
    const model = this.model;
    const running = model.running;
    const engines = model.enginesAt(now) ?? fallbackEngines;
    const busy = this._queues?.engines.filter(e => e.busy > 0).length ?? null;
    const node = this.node;
    // the numbers the picture shows, for screen readers and tests
    node.dataset.running = String(running);
    node.dataset.engines = String(engines);
    node.dataset.controllerBusy = busy === null ? '' : String(busy);
    const words = this._trans._n(
      '%2 of %1 engine busy with this kernel’s tasks now',
      '%2 of %1 engines busy with this kernel’s tasks now',
      engines,
      live ? running : 0
    );
    node.setAttribute(
      'aria-label',
      busy === null
        ? words
        : `${words}; ${this._trans.__('the controller counts %1 busy (every client)', busy)}`
    );
    node.title = node.getAttribute('aria-label')!;

    const ratio = window.devicePixelRatio || 1;
    node.width = Math.round(width * ratio);
    node.height = Math.round(HEIGHT * ratio);
    node.style.width = `${width}px`;
    node.style.height = `${HEIGHT}px`;
    const ctx = node.getContext('2d');
    if (!ctx) {
      return; // no canvas here (a test's DOM): the numbers above still tell
    }
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    const css = getComputedStyle(node);
    const color = (name: string) => css.getPropertyValue(name).trim() || '#888';
    ctx.clearRect(0, 0, width, HEIGHT);
    ctx.font = `${css.getPropertyValue('--jp-ui-font-size0').trim() || '11px'} ${css.getPropertyValue('--jp-ui-font-family').trim() || 'sans-serif'}`;
    ctx.textBaseline = 'middle';
    const plot = Math.max(1, width - gutter - 8);
    const columns = model.busyColumns(from, to, plot, live ? now : Math.min(now, to));
    let top = Math.max(1, engines);
    columns.forEach(v => (top = Number.isNaN(v) ? top : Math.max(top, v)));
    const y = (v: number) => HEIGHT - PAD - (v / top) * (HEIGHT - 2 * PAD);

    // the running count: one bar per pixel column, its average there
    ctx.fillStyle = color('--jp-brand-color2');
    columns.forEach((v, x) => {
      if (!Number.isNaN(v) && v > 0) {
        ctx.fillRect(gutter + x, y(v), 1, HEIGHT - PAD - y(v));
      }
    });
    // the engine count, stepped where the controller said it changed
    ctx.strokeStyle = color('--jp-ui-font-color1');
    ctx.setLineDash([4, 2]);
    ctx.beginPath();
    const step = (to - from) / plot;
    for (let x = 0; x <= plot; x += 1) {
      const count = model.enginesAt(from + x * step) ?? fallbackEngines;
      const py = Math.round(y(count)) + 0.5;
      if (x === 0) {
        ctx.moveTo(gutter, py);
      } else {
        ctx.lineTo(gutter + x, py);
      }
    }
    ctx.stroke();
    ctx.setLineDash([]);
    ctx.strokeStyle = color('--jp-border-color2');
    ctx.beginPath();
    ctx.moveTo(gutter, HEIGHT - PAD + 0.5);
    ctx.lineTo(gutter + plot, HEIGHT - PAD + 0.5);
    ctx.stroke();

    ctx.fillStyle = color('--jp-ui-font-color1');
    ctx.fillText(this._trans.__('busy'), 4, HEIGHT / 2 - 8);
    ctx.fillStyle = color('--jp-ui-font-color2');
    ctx.fillText(this._trans.__('%1 of %2', live ? running : 0, engines), 4, HEIGHT / 2 + 8);
    ctx.textAlign = 'right';
    ctx.fillText(String(Math.round(top)), gutter - 4, PAD + 4);
    ctx.fillText('0', gutter - 4, HEIGHT - PAD - 2);
    ctx.textAlign = 'left';
  }

  get isDisposed(): boolean {
    return this.model.isDisposed;
  }

  dispose(): void {
    this.model.dispose();
  }

  private _store: TaskStore;
  private _trans: TranslationBundle;
  private _queues: IClusterQueues | null = null;
}
