import type { TranslationBundle } from '@jupyterlab/translation';
import { formatSeconds } from './taskRowView';

/** The parts of the timeline that say what its picture means: axis and legend. */

/** Where the axis goes, CSS px. */
export interface IAxisGeometry {
  /** The plot's left edge and width. */
  left: number;
  width: number;
  /** The axis band's height; tick lines run down to `bottom`. */
  band: number;
  bottom: number;
}

/**
 * Draw the time axis for times `from` to `to`, counted from `origin` (the
 * first task's start) in round steps, with a tick line down the lanes.
 * The context's fill and stroke styles are the caller's.
 */
export function paintTimeAxis(
  ctx: CanvasRenderingContext2D,
  from: number,
  to: number,
  origin: number,
  geometry: IAxisGeometry
): void {
  const { left, width, band, bottom } = geometry;
  const x = (t: number) => left + ((t - from) / (to - from)) * width;
  const step = niceStep((to - from) / Math.max(1, width / 90));
  for (let k = Math.ceil((from - origin) / step); origin + k * step <= to; k++) {
    const px = Math.round(x(origin + k * step)) + 0.5;
    ctx.beginPath();
    ctx.moveTo(px, band - 4);
    ctx.lineTo(px, bottom);
    ctx.stroke();
    const sign = k < 0 ? '−' : '+';
    ctx.fillText(`${sign}${formatSeconds(Math.abs(k * step))}`, px + 3, band / 2);
  }
}

/** The colour key of the task statuses, in words. */
export function statusLegend(trans: TranslationBundle): HTMLElement {
  const legend = document.createElement('span');
  legend.className = 'jp-AsyncResultTimeline-legend';
  const entries: Array<[string, string]> = [
    ['done', trans.__('done')],
    ['error', trans.__('failed')],
    ['aborted', trans.__('aborted')],
    ['running', trans.__('running')]
  ];
  for (const [status, text] of entries) {
    const item = document.createElement('span');
    item.className = `jp-AsyncResultTimeline-key jp-mod-${status}`;
    item.textContent = text;
    legend.appendChild(item);
  }
  return legend;
}

/** A round step near `raw` seconds: 1, 2 or 5 times a power of ten. */
export function niceStep(raw: number): number {
  const power = Math.pow(10, Math.floor(Math.log10(Math.max(raw, 1e-3))));
  for (const m of [1, 2, 5, 10]) {
    if (m * power >= raw) {
      return m * power;
    }
  }
  return 10 * power;
}
