import type { ITranslator, TranslationBundle } from '@jupyterlab/translation';
import { nullTranslator } from '@jupyterlab/translation';
import { type ISignal, Signal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';
import {
  arrangeRows,
  defaultQuery,
  finishedKeys,
  type IPanelQuery,
  type IPanelRow,
  type IPanelSection,
  type IPanelView,
  type ITaskSourceEntry,
  type ITaskSources,
  isUnfinished,
  ProgressCache
} from 'jupyterlab-asyncresult-node/core';
import { PanelToolbar } from './panelToolbar';
import { renderNoKernel, renderSectionHead } from './sectionView';
import { TaskListView } from './taskListView';
import { note, renderRow } from './taskRowView';
import { WatchedSources } from './watchedSources';

/**
 * The Parallel tasks panel: every AsyncResult of every open kernel, live,
 * in sections per notebook, filtered, sorted, and acted on (Abort, go to
 * the cell; more through the commands that read `activeRow`).
 *
 * It draws at most once per animation frame whatever the rate of changes,
 * and only the rows in view (see `TaskListView`).
 */
export class TaskSidebar extends Widget {
  constructor(options: TaskSidebar.IOptions) {
    super();
    this._sources = options.sources;
    this._trans = (options.translator ?? nullTranslator).load('jupyterlab-asyncresult');
    this.addClass('jp-AsyncResultSidebar');
    this.title.caption = this._trans.__('Parallel Tasks');

    const header = document.createElement('h2');
    header.className = 'jp-AsyncResultSidebar-header';
    header.textContent = this._trans.__('Parallel tasks');
    this._toolbar = new PanelToolbar(this._trans);
    this._toolbar.changed.connect(this._onToolbar, this);
    this._list = new TaskListView();
    this._scroller = this._list.node;
    this._scroller.addEventListener('scroll', () => this.scheduleRender(), { passive: true });
    this._scroller.addEventListener('click', this._onClick);
    this._scroller.addEventListener('keydown', this._onKeyDown);
    this._scroller.addEventListener('contextmenu', this._onPointTo, true);
    this._scroller.addEventListener('focusin', this._onPointTo);
    this.node.append(header, this._toolbar.node, this._scroller);

    this._watched = new WatchedSources(this._sources);
    this._watched.changed.connect(this.scheduleRender, this);
    this.scheduleRender();
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

  /** The query and the folded sections together, as kept between sessions. */
  get view(): IPanelView {
    return { query: this._query, collapsed: this._collapsed };
  }
  set view(value: IPanelView) {
    this._query = { ...value.query, cleared: new Set(value.query.cleared) };
    this._collapsed = new Set(value.collapsed);
    this._toolbar.show(this._query);
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
    const misjudged = this._list.draw({
      before,
      sections: this._sections,
      folded: section => this._isFolded(section),
      head: section => this._renderHeading(section),
      row: (row, section) =>
        renderRow(row, this._trans, {
          showPath: !section.entry,
          abort: this._aborts.get(row.key) ?? null
        })
    });
    if (misjudged) {
      this.scheduleRender();
    }
    this._setTicking(this._sections.some(s => s.rows.some(r => isUnfinished(r.progress))));
  }

  protected onAfterAttach(): void {
    this.scheduleRender();
  }

  protected onAfterShow(): void {
    this._watched.active = true;
    if (this._stale) {
      this._stale = false;
      this.scheduleRender();
    }
  }

  protected onAfterHide(): void {
    // the controller is asked only while someone looks
    this._watched.active = false;
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
    this._watched.dispose();
    this._toolbar.dispose();
    Signal.clearData(this);
    super.dispose();
  }

  private _isFolded(section: IPanelSection): boolean {
    return !!section.entry && this._collapsed.has(Private.sectionPath(section.entry));
  }

  private _renderHeading(section: IPanelSection): HTMLElement {
    const entry = section.entry!;
    return renderSectionHead(section, {
      collapsed: this._isFolded(section),
      cluster: this._watched.cluster(entry.source),
      ahead: this._watched.queueAhead(entry.source),
      pathsOf: key =>
        this._sources
          .sources()
          .find(e => e.source.id === key)
          ?.paths.join(', ') ?? key,
      trans: this._trans
    });
  }

  private _rowOf(target: EventTarget | null): IPanelRow | null {
    const key = this._list.rowKeyAt(target);
    return (key && this._rows.get(key)) || null;
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
      const key = this._list.sectionKeyAt(target);
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
    if (!this._list.isRow(target)) {
      return;
    }
    const row = this._rowOf(target);
    if ((event.key === 'Enter' || event.key === ' ') && row) {
      event.preventDefault();
      this._goToCell(row);
    } else if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      this._list.moveFocus(target, event.key === 'ArrowDown' ? 1 : -1);
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

  private _sources: ITaskSources;
  private _trans: TranslationBundle;
  private _toolbar: PanelToolbar;
  private _list: TaskListView;
  private _scroller: HTMLElement;
  private _query: IPanelQuery = defaultQuery();
  private _collapsed = new Set<string>();
  private _showFinished = true;
  private _cache = new ProgressCache();
  private _sections: IPanelSection[] = [];
  private _rows = new Map<string, IPanelRow>();
  private _aborts = new Map<string, TaskSidebar.AbortState>();
  private _activeKey: string | null = null;
  private _frame = 0;
  private _stale = true;
  private _ticker: ReturnType<typeof setInterval> | null = null;
  private _watched: WatchedSources;
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
  /** What names a section across kernels: its documents' paths. */
  export function sectionPath(entry: ITaskSourceEntry): string {
    return entry.paths.join('\n');
  }
}
