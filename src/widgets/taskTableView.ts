import type { ITranslator, TranslationBundle } from '@jupyterlab/translation';
import { nullTranslator } from '@jupyterlab/translation';
import {
  BasicKeyHandler,
  BasicMouseHandler,
  BasicSelectionModel,
  DataGrid,
  RendererMap,
  TextRenderer
} from '@lumino/datagrid';
import { BoxLayout, Widget } from '@lumino/widgets';
import {
  type ITaskSource,
  promptOf,
  rowsOfRanges,
  TaskTableModel
} from 'jupyterlab-asyncresult-node/core';
import { TaskGridModel } from './taskGridModel';

/**
 * The tasks of one AsyncResult in a grid: msg_id, engine, status, times,
 * duration and error, for any number of tasks (the grid paints only the
 * rows in view), live: changes reach the grid once per animation frame,
 * as the rows they touched. Colours follow the theme.
 */
export class TaskTableView extends Widget {
  constructor(options: TaskTableView.IOptions) {
    super();
    this._source = options.source;
    this._trans = (options.translator ?? nullTranslator).load('jupyterlab-asyncresult');
    this.addClass('jp-AsyncResultTaskTable');
    this._heading = new Widget();
    this._heading.addClass('jp-AsyncResultTaskTable-heading');
    this._heading.node.textContent = this._trans.__(
      'Click a bar above, or use "Show Tasks of This Result" on a row of the Parallel tasks panel, to list its tasks here.'
    );
    this.grid = new DataGrid({
      style: TaskTableView.themeStyle(document.body),
      headerVisibility: 'column',
      defaultSizes: {
        rowHeight: 22,
        columnWidth: 120,
        rowHeaderWidth: 40,
        columnHeaderHeight: 24
      }
    });
    this.grid.addClass('jp-AsyncResultTaskTable-grid');
    // the keyboard moves a cursor through the rows (Shift extends the
    // selection), the mouse selects rows (Shift: a range, Ctrl: one more),
    // Ctrl+C copies them
    this.grid.keyHandler = new BasicKeyHandler();
    this.grid.mouseHandler = new BasicMouseHandler();
    this.grid.copyConfig = { ...this.grid.copyConfig, headers: 'column' };
    this.grid.node.tabIndex = 0;
    // a right click on a row outside the selection acts on that row, as in
    // the file browser (before JupyterLab's own listener opens the menu)
    this.grid.node.addEventListener('contextmenu', this._onContextMenu, true);
    this.grid.node.setAttribute('aria-label', this._trans.__('Tasks of the selected result'));
    this._applyTheme();
    this._note = new Widget();
    this._note.addClass('jp-AsyncResultTaskTable-note');
    this._note.hide();
    const layout = (this.layout = new BoxLayout({ direction: 'top-to-bottom', spacing: 0 }));
    BoxLayout.setStretch(this._heading, 0);
    BoxLayout.setStretch(this._note, 0);
    BoxLayout.setStretch(this.grid, 1);
    layout.addWidget(this._heading);
    layout.addWidget(this._note);
    layout.addWidget(this.grid);
    // a theme switch changes the variables the grid's colours come from
    this._themeWatch = new MutationObserver(() => requestAnimationFrame(() => this._applyTheme()));
    this._themeWatch.observe(document.body, {
      attributes: true,
      attributeFilter: ['data-jp-theme-name', 'data-jp-theme-light']
    });
  }

  /** The grid itself. */
  readonly grid: DataGrid;

  /** The grid's model (null before a result is chosen). */
  get model(): TaskGridModel | null {
    return this._model;
  }

  /** List the tasks of one result of the source. */
  showResult(resultId: string): void {
    if (this._model?.table.resultId === resultId) {
      return;
    }
    this._clear();
    this.setNote('');
    const table = new TaskTableModel(this._source.store, resultId);
    this._model = new TaskGridModel(table, this._trans);
    this.grid.dataModel = this._model;
    this.grid.selectionModel = new BasicSelectionModel({
      dataModel: this._model,
      selectionMode: 'row'
    });
    table.changed.connect(this._schedule, this);
    this.node.dataset.result = resultId;
    this._fitColumns();
    this._update();
  }

  /** The rows selected now, ascending (none before a result is chosen). */
  selectedRows(): number[] {
    const selection = this.grid.selectionModel;
    if (!this._model || !selection) {
      return [];
    }
    return rowsOfRanges(selection.selections(), this._model.table.rowCount);
  }

  /**
   * Say something about the tasks shown under the heading (what an action
   * on them did), in one line, with more in its tooltip (`detail`); ''
   * hides it. Cleared when another result is shown.
   */
  setNote(text: string, isError = false, detail = text): void {
    this._note.node.textContent = text;
    this._note.node.title = detail;
    this._note.node.classList.toggle('jp-mod-error', isError);
    this._note.setHidden(!text);
  }

  /** Re-read the theme's colours (after a theme change). */
  refreshTheme(): void {
    this._applyTheme();
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._themeWatch.disconnect();
    this._clear();
    super.dispose();
  }

  private _clear(): void {
    if (this._frame) {
      cancelAnimationFrame(this._frame);
      this._frame = 0;
    }
    if (this._ticker !== null) {
      clearInterval(this._ticker);
      this._ticker = null;
    }
    if (this._model) {
      this._model.table.dispose();
      this.grid.dataModel = null;
      this._model = null;
    }
  }

  /** Once per frame, however many changes came. */
  private _schedule(): void {
    if (!this._frame && !this.isDisposed) {
      this._frame = requestAnimationFrame(() => {
        this._frame = 0;
        this._update();
      });
    }
  }

  private _update(ticking = false): void {
    const model = this._model;
    if (!model) {
      return;
    }
    model.flush(ticking);
    const table = model.table;
    const record = this._source.store.result(table.resultId);
    const summary = this._source.store.summary(table.resultId);
    const name = record ? (record.label ?? record.fname) : table.resultId;
    const prompt = record ? promptOf(record) : '';
    this.node.dataset.rows = String(table.rowCount);
    this._heading.node.textContent = !record
      ? this._trans.__('%1 is no longer in this kernel.', name)
      : this._trans._n(
          '%2%3: %1 task, %4 done, %5 failed, %6 aborted, %7 running, %8 queued',
          '%2%3: %1 tasks, %4 done, %5 failed, %6 aborted, %7 running, %8 queued',
          table.rowCount,
          name,
          prompt ? ` ${prompt}` : '',
          summary?.done ?? 0,
          summary?.error ?? 0,
          summary?.aborted ?? 0,
          summary?.running ?? 0,
          summary?.pending ?? 0
        );
    // running durations grow without news: redraw them every second
    const running = table.runningRows().length > 0;
    if (running && this._ticker === null) {
      this._ticker = setInterval(() => this._update(true), 1000);
    } else if (!running && this._ticker !== null) {
      clearInterval(this._ticker);
      this._ticker = null;
    }
  }

  private _onContextMenu = (event: MouseEvent): void => {
    const selection = this.grid.selectionModel;
    if (!selection || !this._model) {
      return;
    }
    const hit = this.grid.hitTest(event.clientX, event.clientY);
    if (hit.region === 'body' && !selection.isRowSelected(hit.row)) {
      selection.select({
        r1: hit.row,
        c1: 0,
        r2: hit.row,
        c2: this._model.columnCount('body') - 1,
        cursorRow: hit.row,
        cursorColumn: hit.column,
        clear: 'all'
      });
    }
  };

  private _fitColumns(): void {
    // in TASK_TABLE_COLUMNS order: numbers and times short, errors and msg_ids long
    const widths = [60, 80, 110, 110, 110, 90, 360, 350];
    widths.forEach((w, i) => this.grid.resizeColumn('body', i, w));
  }

  private _applyTheme(): void {
    const css = getComputedStyle(document.body);
    const color = (name: string, fallback: string) => css.getPropertyValue(name).trim() || fallback;
    this.grid.style = TaskTableView.themeStyle(document.body);
    const font = `${color('--jp-code-font-size', '13px')} ${color('--jp-ui-font-family', 'sans-serif')}`;
    const body = new TextRenderer({ font, textColor: color('--jp-ui-font-color1', '#000') });
    this.grid.cellRenderers = new RendererMap(
      {
        'column-header': new TextRenderer({
          font: `bold ${font}`,
          textColor: color('--jp-ui-font-color1', '#000')
        })
      },
      body
    );
    this.node.dataset.theme = document.body.dataset.jpThemeLight === 'false' ? 'dark' : 'light';
  }

  private _source: ITaskSource;
  private _trans: TranslationBundle;
  private _heading: Widget;
  private _note: Widget;
  private _model: TaskGridModel | null = null;
  private _themeWatch: MutationObserver;
  private _frame = 0;
  private _ticker: ReturnType<typeof setInterval> | null = null;
}

/** Types and helpers that go with TaskTableView. */
export namespace TaskTableView {
  export interface IOptions {
    source: ITaskSource;
    translator?: ITranslator;
  }

  /** The grid's colours from the theme's CSS variables on `element`. */
  export function themeStyle(element: Element): DataGrid.Style {
    const css = getComputedStyle(element);
    const color = (name: string, fallback: string) => css.getPropertyValue(name).trim() || fallback;
    return {
      ...DataGrid.defaultStyle,
      voidColor: color('--jp-layout-color1', '#fff'),
      backgroundColor: color('--jp-layout-color1', '#fff'),
      rowBackgroundColor: i => (i % 2 ? color('--jp-layout-color2', '#eee') : ''),
      gridLineColor: color('--jp-border-color3', '#ddd'),
      headerBackgroundColor: color('--jp-layout-color2', '#eee'),
      headerGridLineColor: color('--jp-border-color2', '#ccc'),
      selectionFillColor: Private.translucent(color('--jp-brand-color2', '#90caf9')),
      selectionBorderColor: color('--jp-brand-color1', '#1976d2'),
      cursorBorderColor: color('--jp-brand-color1', '#1976d2'),
      headerSelectionFillColor: Private.translucent(color('--jp-brand-color3', '#bbdefb')),
      headerSelectionBorderColor: color('--jp-brand-color1', '#1976d2')
    };
  }
}

namespace Private {
  /** A colour at 30% opacity (the grid paints the selection over the text). */
  export function translucent(color: string): string {
    return `color-mix(in srgb, ${color} 30%, transparent)`;
  }
}
