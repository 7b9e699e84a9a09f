import { type IProgress, isUnfinished, measureProgress } from './progress';
import type { IResultRecord } from './protocol';
import type { ITaskSource, ITaskSourceEntry } from './taskSources';
import type { TaskStore } from './taskStore';

/**
 * What the task panel lists, as data: its rows grouped, filtered and
 * sorted, with the same counting as the bars in the cells. No DOM here, so
 * the rules are tested alone and any view (the panel, a Node monitor) can
 * share them.
 */

/** Which results a status filter keeps. */
export type StatusFilter =
  | 'all'
  | 'unfinished'
  | 'running'
  | 'queued'
  | 'failed'
  | 'aborted'
  | 'done';

/** Every status filter, in the order a menu offers them. */
export const STATUS_FILTERS: ReadonlyArray<StatusFilter> = [
  'all',
  'unfinished',
  'running',
  'queued',
  'failed',
  'aborted',
  'done'
];

/** How rows are ordered: newest submission first, or longest running first. */
export type PanelSort = 'newest' | 'longest';

/** One section per kernel (by notebook), or every result in one list. */
export type PanelGrouping = 'notebook' | 'flat';

/** What the user asked the panel to show. */
export interface IPanelQuery {
  /** Words every shown row must contain (name, label, `In [n]`, id, path), any case. */
  text: string;
  status: StatusFilter;
  sort: PanelSort;
  groupBy: PanelGrouping;
  /** Rows the user cleared (see `rowKey`): finished results to hide. */
  cleared: ReadonlySet<string>;
}

/** The query of a panel nobody has touched. */
export function defaultQuery(): IPanelQuery {
  return { text: '', status: 'all', sort: 'newest', groupBy: 'notebook', cleared: new Set() };
}

/** One AsyncResult as a row of the panel. */
export interface IPanelRow {
  /** `sourceId/resultId`: unique across sources. */
  key: string;
  source: ITaskSource;
  record: IResultRecord;
  progress: IProgress;
  /** When the bridge saw it submitted, kernel clock (seconds since the epoch). */
  submitted: number;
  /** Seconds from submission to its end, or to now while it runs. */
  duration: number | null;
  /** The path of the document its kernel serves, for the flat list. */
  path: string;
}

/** A heading and its rows: one kernel, or everything in the flat list. */
export interface IPanelSection {
  /** The source id, or '' for the flat list. */
  key: string;
  /** Null for the flat list. */
  entry: ITaskSourceEntry | null;
  rows: IPanelRow[];
  /** Results of this section the filters hid (cleared ones included). */
  hidden: number;
}

/** The key of a row: `sourceId/resultId`. */
export function rowKey(sourceId: string, resultId: string): string {
  return `${sourceId}/${resultId}`;
}

/** The `In [n]` of a record, or '' when it was not made by a counted cell. */
export function promptOf(record: IResultRecord): string {
  return typeof record.execution_count === 'number' ? `In [${record.execution_count}]` : '';
}

/**
 * Measures results once per change: a finished result's progress is kept
 * until the store says one of its tasks or its record changed; unfinished
 * ones are measured at each call, as their elapsed time moves.
 */
export class ProgressCache {
  /** The progress of one result of `store`, as `measureProgress` gives it. */
  progress(store: TaskStore, resultId: string, now: number): IProgress {
    let kept = this._kept.get(store);
    if (!kept) {
      kept = new Map();
      this._kept.set(store, kept);
      store.changed.connect((_, change) => {
        const touched = store.touchedBy(change);
        if (touched === null) {
          kept!.clear();
        } else {
          touched.forEach(id => kept!.delete(id));
        }
      });
    }
    const known = kept.get(resultId);
    if (known) {
      return known;
    }
    const p = measureProgress(store, [resultId], now);
    if (!isUnfinished(p) && p.missing === 0) {
      kept.set(resultId, p);
    }
    return p;
  }

  private _kept = new WeakMap<TaskStore, Map<string, IProgress>>();
}

/**
 * The sections the panel shows for `entries` under `query`, at kernel time
 * `now` of each store (its own estimate when not given).
 */
export function arrangeRows(
  entries: ReadonlyArray<ITaskSourceEntry>,
  query: IPanelQuery,
  cache: ProgressCache = new ProgressCache(),
  now?: number
): IPanelSection[] {
  const words = query.text.toLowerCase().split(/\s+/).filter(Boolean);
  const sections: IPanelSection[] = [];
  for (const entry of entries) {
    const { source } = entry;
    const store = source.store;
    const at = now ?? store.kernelNow();
    const path = entry.paths.join(', ');
    const section: IPanelSection = { key: source.id, entry, rows: [], hidden: 0 };
    for (const record of store.results()) {
      const key = rowKey(source.id, record.id);
      const progress = cache.progress(store, record.id, at);
      const row = Private.row(key, source, record, progress, path);
      if (
        (query.cleared.has(key) && !isUnfinished(progress)) ||
        !matchesStatus(progress, query.status) ||
        !Private.matchesWords(row, words)
      ) {
        section.hidden += 1;
        continue;
      }
      section.rows.push(row);
    }
    sections.push(section);
  }
  if (query.groupBy === 'flat') {
    const rows = sections.flatMap(s => s.rows);
    const hidden = sections.reduce((n, s) => n + s.hidden, 0);
    return [{ key: '', entry: null, rows: sortRows(rows, query.sort), hidden }];
  }
  for (const section of sections) {
    section.rows = sortRows(section.rows, query.sort);
  }
  return sections;
}

/** Whether a result's progress passes a status filter. */
export function matchesStatus(p: IProgress, filter: StatusFilter): boolean {
  switch (filter) {
    case 'all':
      return true;
    case 'unfinished':
      return isUnfinished(p);
    case 'running':
      return p.running > 0;
    case 'queued':
      return !p.finished && p.queued > 0;
    case 'failed':
      return p.failed > 0;
    case 'aborted':
      return p.aborted > 0;
    case 'done':
      return p.status === 'done';
  }
}

/** Rows in the order `sort` asks; ties keep the newest first. */
export function sortRows(rows: IPanelRow[], sort: PanelSort): IPanelRow[] {
  const newest = (a: IPanelRow, b: IPanelRow) =>
    b.submitted - a.submitted || b.record.created - a.record.created;
  if (sort === 'longest') {
    return rows.sort((a, b) => (b.duration ?? -1) - (a.duration ?? -1) || newest(a, b));
  }
  return rows.sort(newest);
}

/** The finished rows of some sections, by key: what "Clear finished" hides. */
export function finishedKeys(sections: ReadonlyArray<IPanelSection>): string[] {
  return sections.flatMap(s => s.rows.filter(r => !isUnfinished(r.progress)).map(r => r.key));
}

namespace Private {
  export function row(
    key: string,
    source: ITaskSource,
    record: IResultRecord,
    progress: IProgress,
    path: string
  ): IPanelRow {
    return {
      key,
      source,
      record,
      progress,
      submitted: record.created,
      duration: progress.elapsed,
      path
    };
  }

  export function matchesWords(row: IPanelRow, words: string[]): boolean {
    if (!words.length) {
      return true;
    }
    const { record } = row;
    const text = [record.fname, record.label ?? '', promptOf(record), record.id, row.path]
      .join(' ')
      .toLowerCase();
    return words.every(w => text.includes(w));
  }
}
