import type { ITranslator, TranslationBundle } from '@jupyterlab/translation';
import { nullTranslator } from '@jupyterlab/translation';
import { type ISignal, Signal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';
import {
  BAR_SEGMENTS,
  type IProgress,
  type IResultRecord,
  isUnfinished,
  measureProgress
} from '../core';
import type { KernelTransport } from '../lab/kernelTransport';
import type { KernelTransports } from '../lab/transports';

/** How many results of one kernel the panel lists, newest first. */
const MAX_ROWS = 200;

/**
 * The pending-tasks panel: every AsyncResult of every open kernel, live,
 * with its name, done / total, failures and status.
 *
 * Renders at most once per animation frame, whatever the rate of changes.
 */
export class TaskSidebar extends Widget {
  constructor(options: TaskSidebar.IOptions) {
    super();
    this._transports = options.transports;
    this._trans = (options.translator ?? nullTranslator).load('jupyterlab-asyncresult');
    this.addClass('jp-AsyncResultSidebar');
    this.title.caption = this._trans.__('Parallel tasks');
    this._transports.changed.connect(this._onTransportsChanged, this);
    this._onTransportsChanged();
  }

  /** Emitted when the user asks to see the cell that made a result. */
  get cellRequested(): ISignal<this, TaskSidebar.ICellRequest> {
    return this._cellRequested;
  }

  /** Whether finished results stay in the list. */
  get showFinished(): boolean {
    return this._showFinished;
  }
  set showFinished(value: boolean) {
    this._showFinished = value;
    this.scheduleRender();
  }

  /**
   * Render on the next animation frame (once, however often called). A
   * hidden panel only notes that it is stale and renders when shown: it
   * must cost nothing while the user watches the cells instead.
   */
  scheduleRender(): void {
    if (this._frame !== 0 || this.isDisposed) {
      return;
    }
    if (!this.isVisible) {
      this._stale = true;
      return;
    }
    this._frame = requestAnimationFrame(() => {
      this._frame = 0;
      this.render();
    });
  }

  /** Rebuild the list now. */
  render(): void {
    if (this.isDisposed) {
      return;
    }
    const body = document.createElement('div');
    body.className = 'jp-AsyncResultSidebar-body';
    const header = document.createElement('h2');
    header.className = 'jp-AsyncResultSidebar-header';
    header.textContent = this._trans.__('Parallel tasks');
    body.appendChild(header);

    const entries = this._transports.entries();
    const withoutKernel = this._transports.withoutKernel();
    for (const name of withoutKernel) {
      body.appendChild(this._renderNoKernel(name));
    }
    if (!entries.length && !withoutKernel.length) {
      body.appendChild(
        Private.note(
          this._trans.__(
            'No notebook or console is open. Results of ipyparallel work appear here while it runs.'
          )
        )
      );
    }
    for (const entry of entries) {
      body.appendChild(this._renderKernel(entry));
    }
    // keep keyboard focus on the same row across re-renders
    const active = document.activeElement as HTMLElement | null;
    const focused = active && this.node.contains(active) ? active.dataset.resultId : undefined;
    this.node.replaceChildren(body);
    if (focused) {
      this.node.querySelector<HTMLElement>(`[data-result-id="${CSS.escape(focused)}"]`)?.focus();
    }
  }

  protected onAfterAttach(): void {
    this.scheduleRender();
  }

  protected onAfterShow(): void {
    if (this._stale) {
      this._stale = false;
      this.scheduleRender();
    }
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    if (this._frame) {
      cancelAnimationFrame(this._frame);
    }
    this._watched.clear();
    Signal.clearData(this);
    super.dispose();
  }

  private _renderKernel(entry: KernelTransports.IEntry): HTMLElement {
    const { transport } = entry;
    const section = document.createElement('section');
    section.className = 'jp-AsyncResultSidebar-kernel';
    section.dataset.kernelId = transport.kernel.id;
    section.dataset.state = transport.state;

    const title = document.createElement('h3');
    title.className = 'jp-AsyncResultSidebar-kernelName';
    title.textContent = entry.names.join(', ');
    title.title = this._trans.__('Kernel %1', transport.kernel.id);
    section.appendChild(title);

    const stateText = this._stateText(transport);
    if (stateText) {
      section.appendChild(Private.note(stateText));
    }
    if (!transport.store.controller.ok) {
      const lost = Private.note(
        this._trans.__('Controller lost: %1', transport.store.controller.detail)
      );
      lost.classList.add('jp-mod-error');
      section.appendChild(lost);
    }
    if (transport.state === 'live' && !transport.supportsSubshells) {
      section.appendChild(
        Private.note(
          this._trans.__(
            'This kernel has no subshells (ipykernel < 7): requests from this panel wait while a cell runs.'
          )
        )
      );
    }

    const store = transport.store;
    // the same counting as the bars in the cells (src/core/progress.ts)
    const now = store.kernelNow();
    const rows = store
      .results()
      .map(record => ({ record, progress: measureProgress(store, [record.id], now) }))
      .filter(r => this._showFinished || isUnfinished(r.progress))
      .reverse();
    if (transport.state === 'live' && !rows.length) {
      section.appendChild(Private.note(this._trans.__('No AsyncResults in this kernel yet.')));
    }
    const list = document.createElement('ul');
    list.className = 'jp-AsyncResultSidebar-list';
    for (const { record, progress } of rows.slice(0, MAX_ROWS)) {
      list.appendChild(this._renderRow(transport, record, progress));
    }
    section.appendChild(list);
    if (rows.length > MAX_ROWS) {
      section.appendChild(
        Private.note(this._trans.__('and %1 older results', rows.length - MAX_ROWS))
      );
    }
    return section;
  }

  private _renderNoKernel(name: string): HTMLElement {
    const section = document.createElement('section');
    section.className = 'jp-AsyncResultSidebar-kernel';
    section.dataset.state = 'no-kernel';
    const title = document.createElement('h3');
    title.className = 'jp-AsyncResultSidebar-kernelName';
    title.textContent = name;
    section.appendChild(title);
    section.appendChild(
      Private.note(
        this._trans.__(
          'No kernel: it was shut down. Start one to run parallel work; what ran before is not known to a new kernel.'
        )
      )
    );
    return section;
  }

  private _renderRow(transport: KernelTransport, record: IResultRecord, p: IProgress): HTMLElement {
    const row = document.createElement('li');
    row.className = 'jp-AsyncResultSidebar-result';
    row.dataset.resultId = record.id;
    row.dataset.status = p.status;
    row.tabIndex = 0;

    const line = document.createElement('div');
    line.className = 'jp-AsyncResultSidebar-line';
    const name = document.createElement('span');
    name.className = 'jp-AsyncResultSidebar-name';
    name.textContent = record.label ? `${record.fname} (${record.label})` : record.fname;
    const count = document.createElement('span');
    count.className = 'jp-AsyncResultSidebar-count';
    // done / total, like the bar: failed and aborted are told apart below
    count.textContent = `${p.done}/${p.total}`;
    line.append(name, count);
    if (p.status !== 'error' && p.status !== 'aborted') {
      // for a failed or aborted result the counts below say it better
      const status = document.createElement('span');
      status.className = 'jp-AsyncResultSidebar-status';
      status.textContent = this._statusText(p.status);
      line.appendChild(status);
    }
    if (p.failed) {
      const failures = document.createElement('span');
      failures.className = 'jp-AsyncResultSidebar-failed';
      failures.textContent = this._trans._n('%1 failed', '%1 failed', p.failed);
      const died = p.engines.filter(e => e.died).map(e => e.id);
      if (died.length) {
        failures.textContent +=
          ' ' +
          this._trans._n('(engine %1 died)', '(engines %1 died)', died.length, died.join(', '));
      }
      line.appendChild(failures);
    }
    if (p.aborted) {
      const aborted = document.createElement('span');
      aborted.className = 'jp-AsyncResultSidebar-aborted';
      aborted.textContent = this._trans.__('%1 aborted', p.aborted);
      line.appendChild(aborted);
    }
    row.appendChild(line);
    row.appendChild(this._renderBar(p));

    row.title = this._trans.__(
      '%1: %2 done, %3 failed, %4 aborted, %5 running, %6 queued',
      record.fname,
      p.done,
      p.failed,
      p.aborted,
      p.running,
      p.queued
    );
    if (record.cell_id) {
      const cellId = record.cell_id;
      const go = () => this._cellRequested.emit({ kernelId: transport.kernel.id, cellId });
      row.classList.add('jp-mod-link');
      row.addEventListener('click', go);
      row.addEventListener('keydown', event => {
        if (event.key === 'Enter' || event.key === ' ') {
          event.preventDefault();
          go();
        }
      });
    }
    return row;
  }

  private _renderBar(p: IProgress): HTMLElement {
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

  private _statusText(status: IProgress['status']): string {
    switch (status) {
      case 'pending':
        return this._trans.__('queued');
      case 'running':
        return this._trans.__('running');
      case 'done':
        return this._trans.__('done');
      case 'error':
        return this._trans.__('failed');
      case 'aborted':
        return this._trans.__('aborted');
      default:
        return this._trans.__('unknown');
    }
  }

  private _stateText(transport: KernelTransport): string {
    const detail = transport.detail;
    switch (transport.state) {
      case 'connecting':
        return detail || this._trans.__('Connecting to the kernel…');
      case 'unavailable':
        return this._trans.__('Not followed: %1', detail);
      case 'closed':
        return this._trans.__('Disconnected: %1', detail);
      default:
        return detail;
    }
  }

  private _onTransportsChanged(): void {
    for (const { transport } of this._transports.entries()) {
      if (!this._watched.has(transport)) {
        this._watched.add(transport);
        transport.store.changed.connect(this.scheduleRender, this);
        transport.stateChanged.connect(this.scheduleRender, this);
        transport.disposed.connect(this._onTransportDisposed, this);
      }
    }
    this.scheduleRender();
  }

  private _onTransportDisposed(transport: KernelTransport): void {
    this._watched.delete(transport);
    transport.store.changed.disconnect(this.scheduleRender, this);
    transport.stateChanged.disconnect(this.scheduleRender, this);
    transport.disposed.disconnect(this._onTransportDisposed, this);
    this.scheduleRender();
  }

  private _transports: KernelTransports;
  private _trans: TranslationBundle;
  private _showFinished = true;
  private _frame = 0;
  private _stale = true;
  private _watched = new Set<KernelTransport>();
  private _cellRequested = new Signal<this, TaskSidebar.ICellRequest>(this);
}

/** Types that go with TaskSidebar. */
export namespace TaskSidebar {
  export interface IOptions {
    transports: KernelTransports;
    translator?: ITranslator;
  }

  /** A request to reveal the cell that created a result. */
  export interface ICellRequest {
    kernelId: string;
    cellId: string;
  }
}

namespace Private {
  export function note(text: string): HTMLElement {
    const p = document.createElement('p');
    p.className = 'jp-AsyncResultSidebar-note';
    p.textContent = text;
    return p;
  }
}
