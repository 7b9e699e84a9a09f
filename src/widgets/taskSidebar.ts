import type { ITranslator, TranslationBundle } from '@jupyterlab/translation';
import { nullTranslator } from '@jupyterlab/translation';
import { type ISignal, Signal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';
import {
  arrangeRows,
  ClusterWatch,
  defaultQuery,
  finishedKeys,
  type IPanelQuery,
  type IPanelRow,
  type IPanelSection,
  type ITaskSource,
  type ITaskSourceEntry,
  type ITaskSources,
  isUnfinished,
  ProgressCache,
  visibleWindow
} from '../core';
import { PanelToolbar } from './panelToolbar';
import { renderNoKernel, renderSectionHead } from './sectionView';
import { note, renderRow, ROW_HEIGHT } from './taskRowView';

/**
 * The Parallel tasks panel: every AsyncResult of every open kernel, live,
 * in sections per notebook, filtered, sorted, and acted on (Abort, go to
 * the cell; more through the commands that read `activeRow`).
 *
 * It draws at most once per animation frame whatever the rate of changes,
 * and only the rows in view: a list of any length costs what a screenful
 * does.
 */
export class TaskSidebar extends Widget {
  constructor(options: TaskSidebar.IOptions) {
    super();
    this._sources = options.sources;
    this._trans = (options.translator ?? nullTranslator).load('jupyterlab-asyncresult');
    this.addClass('jp-AsyncResultSidebar');
    this.title.caption = this._trans.__('Parallel tasks');

    const header = document.createElement('h2');
    header.className = 'jp-AsyncResultSidebar-header';
    header.textContent = this._trans.__('Parallel tasks');
    this._toolbar = new PanelToolbar(this._trans);
    this._toolbar.changed.connect(this._onToolbar, this);
    this._scroller = document.createElement('div');
    this._scroller.className = 'jp-AsyncResultSidebar-body';
    this._scroller.setAttribute('role', 'list');
    this._scroller.addEventListener('scroll', () => this.scheduleRender(), { passive: true });
    this._scroller.addEventListener('click', this._onClick);
    this._scroller.addEventListener('keydown', this._onKeyDown);
    this._scroller.addEventListener('contextmenu', this._onPointTo, true);
    this._scroller.addEventListener('focusin', this._onPointTo);
    this.node.append(header, this._toolbar.node, this._scroller);

    this._sources.changed.connect(this._onSourcesChanged, this);
    this._onSourcesChanged();
  }

  /** Emitted when the user asks to see the cell that made a result. */
  get cellRequested(): ISignal<this, TaskSidebar.ICellRequest> {
    return this._cellRequested;
  }

  /** Emitted when the user presses an Abort button of a row or a section. */
  get abortRequested(): ISignal<this, TaskSidebar.IAbortRequest> {
    return this._abortRequested;
  }

  /** Emitted with a source id when the user asks for its timeline. */
  get timelineRequested(): ISignal<this, string> {
    return this._timelineRequested;
  }

  /** Emitted when the query or the collapsed sections change (to keep them). */
  get viewChanged(): ISignal<this, void> {
    return this._viewChanged;
  }

  /** What the panel shows: filters, sorting, grouping and cleared rows. */
  get query(): IPanelQuery {
    return this._query;
  }
  set query(value: IPanelQuery) {
    this._query = { ...value, cleared: new Set(value.cleared) };
    this._toolbar.show(this._query);
    this._viewChanged.emit();
    this.scheduleRender();
  }

  /** Paths of the sections folded away (paths outlive kernels). */
  get collapsed(): ReadonlySet<string> {
    return this._collapsed;
  }
  set collapsed(value: ReadonlySet<string>) {
    this._collapsed = new Set(value);
    this._viewChanged.emit();
    this.scheduleRender();
  }

  /** Whether finished results stay in the list (the `showFinished` setting). */
  get showFinished(): boolean {
    return this._showFinished;
  }
  set showFinished(value: boolean) {
    this._showFinished = value;
    this.scheduleRender();
  }

  /** The row the user last focused, clicked or opened a context menu on. */
  get activeRow(): IPanelRow | null {
    const key = this._activeKey;
    return (key && this._rows.get(key)) || null;
  }

  /** The sections as last drawn. */
  get sections(): ReadonlyArray<IPanelSection> {
    return this._sections;
  }

  /** The row of one result of one source, as last drawn. */
  row(sourceId: string, resultId: string): IPanelRow | undefined {
    return this._rows.get(`${sourceId}/${resultId}`);
  }

  /**
   * Say on some rows where their Abort stands: `sending` until the bridge
   * answers, `sent` once it did (ipyparallel aborts a queued task when an
   * engine reaches it), or the error; `null` forgets it.
   */
  noteAbort(keys: string[], state: TaskSidebar.AbortState | null): void {
    for (const key of keys) {
      if (state === null) {
        this._aborts.delete(key);
      } else {
        this._aborts.set(key, state);
      }
    }
    this.scheduleRender();
  }

  /** Hide every finished row shown now; work still running stays. */
  clearFinished(): void {
    const cleared = new Set(this._query.cleared);
    finishedKeys(this._sections).forEach(k => cleared.add(k));
    this.query = { ...this._query, cleared };
  }

  /** Bring back the rows "Clear finished" hid. */
  restoreCleared(): void {
    this.query = { ...this._query, cleared: new Set() };
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

  /** Arrange and draw the rows in view now. */
  render(): void {
    if (this.isDisposed) {
      return;
    }
    const query = this._showFinished
      ? this._query
      : { ...this._query, status: 'unfinished' as const };
    this._sections = arrangeRows(this._sources.sources(), query, this._cache);
    this._rows = new Map(this._sections.flatMap(s => s.rows.map(r => [r.key, r] as const)));

    const before: HTMLElement[] = [];
    for (const path of this._sources.withoutKernel()) {
      before.push(renderNoKernel(path, this._trans));
    }
    if (!this._sections.length && !before.length) {
      before.push(
        note(
          this._trans.__(
            'No notebook or console is open. Results of ipyparallel work appear here while it runs.'
          )
        )
      );
    }
    const items = this._items();
    const heights = items.map(item =>
      item.row ? ROW_HEIGHT : (this._headingHeights.get(item.section.key) ?? 64)
    );
    const win = visibleWindow(heights, this._scroller.scrollTop, this._scroller.clientHeight);

    const focused = this._focusedKey();
    const body = document.createDocumentFragment();
    body.append(...before);
    body.appendChild(Private.spacer(win.before));
    let current: { section: IPanelSection; node: HTMLElement; list: HTMLElement } | null = null;
    for (const item of items.slice(win.start, win.end)) {
      if (current?.section !== item.section) {
        current = this._openSection(item.section);
        body.appendChild(current.node);
      }
      if (item.row) {
        current.list.appendChild(
          renderRow(item.row, this._trans, {
            showPath: !item.section.entry,
            abort: this._aborts.get(item.row.key) ?? null
          })
        );
      } else {
        current.node.insertBefore(this._renderHeading(item.section), current.list);
      }
    }
    body.appendChild(Private.spacer(win.after));
    this._scroller.replaceChildren(body);
    this._measureHeadings();
    if (focused) {
      // keep keyboard focus on the same row across redraws
      this._scroller.querySelector<HTMLElement>(Private.rowSelector(focused))?.focus();
    }
    this._setTicking(this._sections.some(s => s.rows.some(r => isUnfinished(r.progress))));
  }

  protected onAfterAttach(): void {
    this.scheduleRender();
  }

  protected onAfterShow(): void {
    this._clusters.forEach(w => w.start());
    if (this._stale) {
      this._stale = false;
      this.scheduleRender();
    }
  }

  protected onAfterHide(): void {
    // the controller is asked only while someone looks
    this._clusters.forEach(w => w.stop());
  }

  protected onResize(): void {
    this.scheduleRender();
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    if (this._frame) {
      cancelAnimationFrame(this._frame);
    }
    this._setTicking(false);
    this._clusters.forEach(w => w.dispose());
    this._clusters.clear();
    this._watched.clear();
    this._toolbar.dispose();
    Signal.clearData(this);
    super.dispose();
  }

  /** The list as items: a heading per kernel, then its rows unless folded. */
  private _items(): Private.IItem[] {
    const items: Private.IItem[] = [];
    for (const section of this._sections) {
      if (section.entry) {
        items.push({ section, row: null });
        if (this._collapsed.has(Private.sectionPath(section.entry))) {
          continue;
        }
      }
      for (const row of section.rows) {
        items.push({ section, row });
      }
    }
    return items;
  }

  private _openSection(section: IPanelSection): {
    section: IPanelSection;
    node: HTMLElement;
    list: HTMLElement;
  } {
    const node = document.createElement('section');
    node.className = 'jp-AsyncResultSidebar-kernel';
    const source = section.entry?.source;
    if (source) {
      node.dataset.kernelId = source.id;
      node.dataset.state = source.state;
    }
    const list = document.createElement('ul');
    list.className = 'jp-AsyncResultSidebar-list';
    node.appendChild(list);
    return { section, node, list };
  }

  private _renderHeading(section: IPanelSection): HTMLElement {
    const entry = section.entry!;
    return renderSectionHead(section, {
      collapsed: this._collapsed.has(Private.sectionPath(entry)),
      cluster: this._clusters.get(entry.source) ?? null,
      trans: this._trans
    });
  }

  /** Note the drawn headings' heights, and draw again if a guess was off. */
  private _measureHeadings(): void {
    let changed = false;
    this._scroller
      .querySelectorAll<HTMLElement>('.jp-AsyncResultSidebar-sectionHead')
      .forEach(el => {
        const height = el.offsetHeight;
        const key = el.dataset.sectionKey!;
        if (height > 0 && this._headingHeights.get(key) !== height) {
          this._headingHeights.set(key, height);
          changed = true;
        }
      });
    if (changed) {
      this.scheduleRender();
    }
  }

  private _focusedKey(): string | null {
    const active = document.activeElement as HTMLElement | null;
    if (!active || !this._scroller.contains(active) || !active.dataset.resultId) {
      return null;
    }
    return `${active.dataset.kernelId}/${active.dataset.resultId}`;
  }

  private _rowOf(target: EventTarget | null): IPanelRow | null {
    const el = (target as HTMLElement | null)?.closest?.<HTMLElement>(
      '.jp-AsyncResultSidebar-result'
    );
    if (!el) {
      return null;
    }
    return this._rows.get(`${el.dataset.kernelId}/${el.dataset.resultId}`) ?? null;
  }

  private _onPointTo = (event: Event): void => {
    const row = this._rowOf(event.target);
    if (row) {
      this._activeKey = row.key;
    }
  };

  private _onClick = (event: MouseEvent): void => {
    const target = event.target as HTMLElement;
    const action = target.closest<HTMLElement>('[data-action]')?.dataset.action;
    const row = this._rowOf(target);
    if (row) {
      this._activeKey = row.key;
    }
    if (action === 'abort' && row) {
      this._abortRequested.emit({ sourceId: row.source.id, resultIds: [row.record.id] });
    } else if (action === 'abort-kernel' || action === 'toggle' || action === 'timeline') {
      const key = target.closest<HTMLElement>('[data-section-key]')?.dataset.sectionKey;
      const section = this._sections.find(s => s.key === key);
      if (!section?.entry) {
        return;
      }
      if (action === 'timeline') {
        this._timelineRequested.emit(section.key);
      } else if (action === 'toggle') {
        const path = Private.sectionPath(section.entry);
        const collapsed = new Set(this._collapsed);
        if (!collapsed.delete(path)) {
          collapsed.add(path);
        }
        this.collapsed = collapsed;
      } else {
        const resultIds = section.rows.filter(r => isUnfinished(r.progress)).map(r => r.record.id);
        this._abortRequested.emit({ sourceId: section.key, resultIds });
      }
    } else if (row) {
      this._goToCell(row);
    }
  };

  private _onKeyDown = (event: KeyboardEvent): void => {
    const target = event.target as HTMLElement;
    if (!target.classList.contains('jp-AsyncResultSidebar-result')) {
      return;
    }
    const row = this._rowOf(target);
    if ((event.key === 'Enter' || event.key === ' ') && row) {
      event.preventDefault();
      this._goToCell(row);
    } else if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      const rows = Array.from(
        this._scroller.querySelectorAll<HTMLElement>('.jp-AsyncResultSidebar-result')
      );
      const next = rows[rows.indexOf(target) + (event.key === 'ArrowDown' ? 1 : -1)];
      next?.focus();
      next?.scrollIntoView({ block: 'nearest' });
    }
  };

  private _goToCell(row: IPanelRow): void {
    if (row.record.cell_id) {
      this._cellRequested.emit({ kernelId: row.source.id, cellId: row.record.cell_id });
    }
  }

  private _onToolbar(_: PanelToolbar, change: Partial<IPanelQuery> | 'clear'): void {
    if (change === 'clear') {
      this.clearFinished();
    } else {
      this.query = { ...this._query, ...change };
    }
  }

  private _setTicking(on: boolean): void {
    // a running result's duration moves even when nothing else does
    if (on && this._ticker === null) {
      this._ticker = setInterval(() => this.scheduleRender(), 1000);
    } else if (!on && this._ticker !== null) {
      clearInterval(this._ticker);
      this._ticker = null;
    }
  }

  private _onSourcesChanged(): void {
    for (const { source } of this._sources.sources()) {
      if (!this._watched.has(source)) {
        this._watched.add(source);
        source.store.changed.connect(this.scheduleRender, this);
        source.stateChanged.connect(this.scheduleRender, this);
        source.disposed.connect(this._onSourceDisposed, this);
        const watch = new ClusterWatch(source);
        watch.changed.connect(this.scheduleRender, this);
        this._clusters.set(source, watch);
        if (this.isVisible) {
          watch.start();
        }
      }
    }
    this.scheduleRender();
  }

  private _onSourceDisposed(source: ITaskSource): void {
    this._watched.delete(source);
    source.store.changed.disconnect(this.scheduleRender, this);
    source.stateChanged.disconnect(this.scheduleRender, this);
    source.disposed.disconnect(this._onSourceDisposed, this);
    this._clusters.get(source)?.dispose();
    this._clusters.delete(source);
    this.scheduleRender();
  }

  private _sources: ITaskSources;
  private _trans: TranslationBundle;
  private _toolbar: PanelToolbar;
  private _scroller: HTMLElement;
  private _query: IPanelQuery = defaultQuery();
  private _collapsed = new Set<string>();
  private _showFinished = true;
  private _cache = new ProgressCache();
  private _sections: IPanelSection[] = [];
  private _rows = new Map<string, IPanelRow>();
  private _headingHeights = new Map<string, number>();
  private _aborts = new Map<string, TaskSidebar.AbortState>();
  private _activeKey: string | null = null;
  private _frame = 0;
  private _stale = true;
  private _ticker: ReturnType<typeof setInterval> | null = null;
  private _watched = new Set<ITaskSource>();
  private _clusters = new Map<ITaskSource, ClusterWatch>();
  private _cellRequested = new Signal<this, TaskSidebar.ICellRequest>(this);
  private _abortRequested = new Signal<this, TaskSidebar.IAbortRequest>(this);
  private _viewChanged = new Signal<this, void>(this);
  private _timelineRequested = new Signal<this, string>(this);
}

/** Types that go with TaskSidebar. */
export namespace TaskSidebar {
  export interface IOptions {
    sources: ITaskSources;
    translator?: ITranslator;
  }

  /** A request to reveal the cell that created a result. */
  export interface ICellRequest {
    kernelId: string;
    cellId: string;
  }

  /** Where a row's Abort stands: on its way, answered, or refused (the message). */
  export type AbortState = 'sending' | 'sent' | { error: string };

  /** A request to abort the queued tasks of some results of one source. */
  export interface IAbortRequest {
    sourceId: string;
    resultIds: string[];
  }
}

namespace Private {
  /** One line of the virtual list: a section's heading, or one of its rows. */
  export interface IItem {
    section: IPanelSection;
    row: IPanelRow | null;
  }

  export function spacer(height: number): HTMLElement {
    const div = document.createElement('div');
    div.className = 'jp-AsyncResultSidebar-spacer';
    div.style.height = `${height}px`;
    return div;
  }

  export function sectionPath(entry: ITaskSourceEntry): string {
    return entry.paths.join('\n');
  }

  export function rowSelector(key: string): string {
    const slash = key.indexOf('/');
    return (
      `.jp-AsyncResultSidebar-result[data-kernel-id="${CSS.escape(key.slice(0, slash))}"]` +
      `[data-result-id="${CSS.escape(key.slice(slash + 1))}"]`
    );
  }
}
