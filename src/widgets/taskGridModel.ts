import type { TranslationBundle } from '@jupyterlab/translation';
import { DataModel } from '@lumino/datagrid';
import {
  TASK_TABLE_COLUMNS,
  type ITaskTableRow,
  type TaskStatus,
  type TaskTableColumn,
  type TaskTableModel
} from 'jupyterlab-asyncresult-node/core';
import { formatSeconds } from './taskRowView';

/**
 * A TaskTableModel as @lumino/datagrid reads it: cells as text, made when
 * the grid paints them (only the rows in view), and change by change
 * notices for the rows that changed, never a reset for one task's news.
 */
export class TaskGridModel extends DataModel {
  constructor(table: TaskTableModel, trans: TranslationBundle) {
    super();
    this._table = table;
    this._titles = {
      msg_id: trans.__('msg_id'),
      engine: trans.__('engine'),
      status: trans.__('status'),
      submitted: trans.__('submitted'),
      started: trans.__('started'),
      completed: trans.__('completed'),
      duration: trans.__('duration'),
      error: trans.__('error')
    };
    this._statuses = {
      pending: trans.__('queued'),
      running: trans.__('running'),
      done: trans.__('done'),
      error: trans.__('failed'),
      aborted: trans.__('aborted'),
      unknown: trans.__('unknown')
    };
  }

  /** The table behind the grid. */
  get table(): TaskTableModel {
    return this._table;
  }

  rowCount(region: DataModel.RowRegion): number {
    return region === 'body' ? this._table.rowCount : 1;
  }

  columnCount(region: DataModel.ColumnRegion): number {
    return region === 'body' ? TASK_TABLE_COLUMNS.length : 1;
  }

  data(region: DataModel.CellRegion, row: number, column: number): string {
    if (region === 'column-header') {
      return this._titles[TASK_TABLE_COLUMNS[column]];
    }
    if (region === 'row-header') {
      return String(row);
    }
    if (region === 'corner-header') {
      return '';
    }
    return this.text(this._table.row(row), TASK_TABLE_COLUMNS[column]);
  }

  /** One cell of a row, in words. */
  text(row: ITaskTableRow, column: TaskTableColumn): string {
    switch (column) {
      case 'msg_id':
        return row.msg_id;
      case 'engine':
        return row.engine === null ? '' : String(row.engine);
      case 'status':
        return this._statuses[row.status];
      case 'submitted':
      case 'started':
      case 'completed':
        return Private.clock(row[column]);
      case 'duration':
        return row.duration === null ? '' : Private.duration(row.duration);
      case 'error':
        return row.error;
    }
  }

  /**
   * Tell the grid what changed since the last call: the changed rows in
   * runs, the running rows' durations (they grow without news), or
   * everything when the rows themselves changed.
   */
  flush(ticking: boolean): void {
    const { reset, rows } = this._table.takeChanges();
    if (reset) {
      this.emitChanged({ type: 'model-reset' });
      return;
    }
    const columns = TASK_TABLE_COLUMNS.length;
    for (const [row, rowSpan] of Private.runs(rows)) {
      this.emitChanged({
        type: 'cells-changed',
        region: 'body',
        row,
        rowSpan,
        column: 0,
        columnSpan: columns
      });
    }
    if (ticking) {
      const duration = TASK_TABLE_COLUMNS.indexOf('duration');
      for (const [row, rowSpan] of Private.runs(this._table.runningRows())) {
        this.emitChanged({
          type: 'cells-changed',
          region: 'body',
          row,
          rowSpan,
          column: duration,
          columnSpan: 1
        });
      }
    }
  }

  private _table: TaskTableModel;
  private _titles: Record<TaskTableColumn, string>;
  private _statuses: Record<TaskStatus, string>;
}

namespace Private {
  /** A kernel time as the wall clock reads it, to the millisecond. */
  export function clock(time: number | null): string {
    if (time === null) {
      return '';
    }
    const date = new Date(time * 1000);
    const pad = (n: number, w = 2) => String(n).padStart(w, '0');
    return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
  }

  /** A task's duration: milliseconds matter here, as in ipyparallel's metadata. */
  export function duration(seconds: number): string {
    if (seconds < 1) {
      return `${Math.round(seconds * 1000)} ms`;
    }
    return seconds < 60 ? `${seconds.toFixed(3)} s` : formatSeconds(seconds);
  }

  /** Ascending row numbers as [first, count] runs of neighbours. */
  export function runs(rows: ReadonlyArray<number>): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    for (const row of rows) {
      const last = out[out.length - 1];
      if (last && last[0] + last[1] === row) {
        last[1] += 1;
      } else {
        out.push([row, 1]);
      }
    }
    return out;
  }
}
