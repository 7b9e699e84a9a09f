import type { TranslationBundle } from '@jupyterlab/translation';
import {
  BAR_SEGMENTS,
  type IPanelRow,
  type IProgress,
  isUnfinished,
  promptOf
} from 'jupyterlab-asyncresult-node/core';

/**
 * The DOM of the task panel's rows and section headings. Built fresh for
 * the rows in view only (the panel is virtual), so each is small.
 */

/** The height of one row, px: the panel's virtual window counts on it (see base.css). */
export const ROW_HEIGHT = 58;

/** What a row's buttons ask for. */
export type RowAction = 'abort' | 'go-to-cell';

/** How to draw a row beyond its data. */
export interface IRowOptions {
  /** Show the document's path (in the flat list, where no heading says it). */
  showPath: boolean;
  /** Where an Abort of this row stands, if one was pressed. */
  abort: 'sending' | 'sent' | { error: string } | null;
}

/** One AsyncResult: name, In [n], start, duration, counts, bar, Abort. */
export function renderRow(
  row: IPanelRow,
  trans: TranslationBundle,
  { showPath, abort: aborting }: IRowOptions
): HTMLElement {
  const { record, progress: p } = row;
  const li = document.createElement('li');
  li.className = 'jp-AsyncResultSidebar-result';
  li.dataset.resultId = record.id;
  li.dataset.kernelId = row.source.id;
  li.dataset.status = p.status;
  li.tabIndex = 0;
  li.setAttribute('role', 'listitem');
  if (record.cell_id) {
    li.classList.add('jp-mod-link');
  }

  const line = document.createElement('div');
  line.className = 'jp-AsyncResultSidebar-line';
  const name = span(
    'jp-AsyncResultSidebar-name',
    record.label ? `${record.fname} (${record.label})` : record.fname
  );
  name.title = name.textContent!;
  // done / total, like the bar: failed and aborted are told apart beside it
  line.append(name, span('jp-AsyncResultSidebar-count', `${p.done}/${p.total}`));
  if (p.status !== 'error' && p.status !== 'aborted') {
    line.appendChild(span('jp-AsyncResultSidebar-status', statusText(p.status, trans)));
  }
  if (p.failed) {
    let text = trans._n('%1 failed', '%1 failed', p.failed);
    const died = p.engines.filter(e => e.died).map(e => e.id);
    if (died.length) {
      text += ' ' + trans._n('(engine %1 died)', '(engines %1 died)', died.length, died.join(', '));
    }
    line.appendChild(span('jp-AsyncResultSidebar-failed', text));
  }
  if (p.aborted) {
    line.appendChild(span('jp-AsyncResultSidebar-aborted', trans.__('%1 aborted', p.aborted)));
  }
  li.appendChild(line);

  const meta = document.createElement('div');
  meta.className = 'jp-AsyncResultSidebar-meta';
  const prompt = promptOf(record);
  if (prompt) {
    meta.appendChild(span('jp-AsyncResultSidebar-prompt', prompt));
  }
  const started = new Date(row.submitted * 1000);
  // the clock time, in the user's locale but always 24-hour: it must fit a narrow panel
  const time = span(
    'jp-AsyncResultSidebar-time',
    started.toLocaleTimeString(undefined, { hourCycle: 'h23' })
  );
  time.title = trans.__('Submitted %1', started.toLocaleString());
  meta.appendChild(time);
  if (row.duration !== null) {
    const duration = span('jp-AsyncResultSidebar-duration', formatSeconds(row.duration));
    duration.title = p.finished ? trans.__('Took this long') : trans.__('Running for this long');
    meta.appendChild(duration);
  }
  if (showPath && row.path) {
    const where = span('jp-AsyncResultSidebar-path', row.path);
    where.title = row.path;
    meta.appendChild(where);
  }
  if (isUnfinished(p)) {
    meta.appendChild(abortControl(record.fname, aborting, p.queued, trans));
  }
  li.appendChild(meta);
  li.appendChild(renderBar(p));

  li.title = trans.__(
    '%1: %2 done, %3 failed, %4 aborted, %5 running, %6 queued',
    record.fname,
    p.done,
    p.failed,
    p.aborted,
    p.running,
    p.queued
  );
  return li;
}

/**
 * Abort, or where an Abort stands: "Aborting…" until the bridge answers,
 * then how many queued tasks wait for an engine to abort them.
 */
function abortControl(
  fname: string,
  state: IRowOptions['abort'],
  queued: number,
  trans: TranslationBundle
): HTMLElement {
  if (state === 'sending' || state === 'sent') {
    // short: it shares a line with the time and the duration
    const text = state === 'sending' ? trans.__('Aborting…') : trans.__('Abort sent');
    const el = span('jp-AsyncResultSidebar-abortState', text);
    el.dataset.state = state;
    el.dataset.queued = String(queued);
    el.title = trans._n(
      'ipyparallel aborts a queued task when an engine reaches it (%1 still queued); running tasks finish.',
      'ipyparallel aborts a queued task when an engine reaches it (%1 still queued); running tasks finish.',
      queued
    );
    return el;
  }
  const abort = document.createElement('button');
  abort.className = 'jp-Button jp-mod-minimal jp-AsyncResultSidebar-abort';
  abort.dataset.action = 'abort' satisfies RowAction;
  abort.textContent = trans.__('Abort');
  abort.title = state
    ? trans.__('The last abort failed: %1. Press to try again.', state.error)
    : trans.__('Abort the queued tasks of %1 (running ones finish)', fname);
  if (state) {
    abort.classList.add('jp-mod-error');
  }
  return abort;
}

/** The folder of a path, shortened to its last two parts: `…/runs/a`. */
export function folderOf(path: string): string {
  const parts = path.split('/').slice(0, -1).filter(Boolean);
  if (parts.length <= 2) {
    return parts.join('/');
  }
  return `…/${parts.slice(-2).join('/')}`;
}

/** A line of explanation in the panel. */
export function note(text: string, error = false): HTMLElement {
  const p = document.createElement('p');
  p.className = 'jp-AsyncResultSidebar-note';
  if (error) {
    p.classList.add('jp-mod-error');
  }
  p.textContent = text;
  return p;
}

/** `4.2 s`, `3 min 05 s`, `2 h 07 min`. */
export function formatSeconds(seconds: number): string {
  if (seconds < 60) {
    return `${seconds < 10 ? seconds.toFixed(1) : Math.round(seconds)} s`;
  }
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) {
    return `${minutes} min ${String(Math.floor(seconds % 60)).padStart(2, '0')} s`;
  }
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}

function renderBar(p: IProgress): HTMLElement {
  const bar = document.createElement('div');
  bar.className = 'jp-AsyncResultSidebar-bar';
  bar.setAttribute('role', 'progressbar');
  bar.setAttribute('aria-valuemin', '0');
  bar.setAttribute('aria-valuemax', String(p.total));
  bar.setAttribute('aria-valuenow', String(p.done + p.failed + p.aborted));
  for (const { status, count } of BAR_SEGMENTS) {
    if (!p[count] || !p.total) {
      continue;
    }
    const part = document.createElement('div');
    part.className = `jp-AsyncResultSidebar-bar-${status}`;
    part.style.width = `${(100 * p[count]) / p.total}%`;
    bar.appendChild(part);
  }
  return bar;
}

function statusText(status: IProgress['status'], trans: TranslationBundle): string {
  switch (status) {
    case 'pending':
      return trans.__('queued');
    case 'running':
      return trans.__('running');
    case 'done':
      return trans.__('done');
    case 'error':
      return trans.__('failed');
    case 'aborted':
      return trans.__('aborted');
    default:
      return trans.__('unknown');
  }
}

/** A span of one class and some text. */
export function span(className: string, text: string): HTMLElement {
  const el = document.createElement('span');
  el.className = className;
  el.textContent = text;
  return el;
}
