import type { ITaskTableRow } from './taskTable';
import type { ITaskSource } from './taskSources';

/**
 * Abort some tasks of one AsyncResult, as the user chose them in a task
 * table: only the queued ones are sent, since ipyparallel aborts a task
 * only before an engine starts it (a running task finishes, whatever the
 * user asks), and the user is told how many of each there were.
 */

/** Rows of a table, as the choice reads them. */
export interface ITaskRows {
  readonly rowCount: number;
  row(index: number): ITaskTableRow;
}

/** What aborting some rows of a table can do. */
export interface IAbortChoice {
  /** msg_ids of the chosen tasks still queued: the ones abort can stop. */
  queued: string[];
  /** How many chosen tasks run now: ipyparallel cannot abort them. */
  running: number;
  /** How many chosen tasks have already finished (done, failed, aborted) or are not known. */
  finished: number;
}

/** A selected block of rows, from `r1` to `r2` (in either order, both included). */
export interface IRowRange {
  r1: number;
  r2: number;
}

/** The distinct rows that `ranges` cover, ascending, within `rowCount`. */
export function rowsOfRanges(ranges: Iterable<IRowRange>, rowCount: number): number[] {
  const rows = new Set<number>();
  for (const { r1, r2 } of ranges) {
    const first = Math.max(0, Math.min(r1, r2));
    const last = Math.min(rowCount - 1, Math.max(r1, r2));
    for (let r = first; r <= last; r++) {
      rows.add(r);
    }
  }
  return Array.from(rows).sort((a, b) => a - b);
}

/** Sort the chosen rows by what abort can do with them, as the table reads them now. */
export function abortChoice(table: ITaskRows, rows: Iterable<number>): IAbortChoice {
  const choice: IAbortChoice = { queued: [], running: 0, finished: 0 };
  for (const index of rows) {
    if (index < 0 || index >= table.rowCount) {
      continue;
    }
    const row = table.row(index);
    if (row.status === 'pending') {
      choice.queued.push(row.msg_id);
    } else if (row.status === 'running') {
      choice.running += 1;
    } else {
      choice.finished += 1;
    }
  }
  return choice;
}

/**
 * Send the `abort` request for the queued tasks of a choice (nothing when
 * none is queued). A kernel without subshells answers only when its
 * running cell ends, so the wait is then as long as a cell may run.
 */
export async function abortQueuedTasks(
  source: ITaskSource,
  resultId: string,
  choice: IAbortChoice
): Promise<void> {
  if (!choice.queued.length) {
    return;
  }
  await source.request(
    'abort',
    { result_id: resultId, msg_ids: choice.queued },
    abortTimeout(source.supportsSubshells)
  );
}

/** Seconds an abort may wait for a kernel that answers while a cell runs. */
export const ABORT_TIMEOUT = 60;

/** Seconds an abort may wait for a kernel without subshells (behind its running cell). */
export const ABORT_TIMEOUT_BLOCKED = 24 * 3600;

/**
 * Seconds an abort request may wait: a kernel that answers while a cell
 * runs (it has subshells) answers at once, one without answers only when
 * its running cell ends, which may take as long as a cell may run.
 */
export function abortTimeout(answersWhileBusy: boolean): number {
  return answersWhileBusy ? ABORT_TIMEOUT : ABORT_TIMEOUT_BLOCKED;
}
