import { defaultQuery, type IPanelQuery, STATUS_FILTERS } from './taskPanel';

/**
 * The part of the task panel's view a user expects back after a reload:
 * what it shows (filters, sorting, grouping, cleared rows) and which
 * sections are folded. Kept as plain JSON in JupyterLab's state database.
 */
export interface IPanelView {
  query: IPanelQuery;
  /** Paths of the folded sections (paths outlive kernels). */
  collapsed: ReadonlySet<string>;
}

/** The view as JSON for the state database. */
export interface IPanelViewJSON {
  text: string;
  status: string;
  sort: string;
  groupBy: string;
  cleared: string[];
  collapsed: string[];
  [key: string]: string | string[];
}

/**
 * How many cleared rows are kept: they name kernel ids, so they are few
 * in use and stale once their kernel is gone; the cap keeps a forgotten
 * browser profile from growing without end.
 */
export const MAX_KEPT_CLEARED = 2000;

/** The view as JSON to save. */
export function viewToJSON(view: IPanelView): IPanelViewJSON {
  const { text, status, sort, groupBy, cleared } = view.query;
  return {
    text,
    status,
    sort,
    groupBy,
    cleared: Array.from(cleared).slice(-MAX_KEPT_CLEARED),
    collapsed: Array.from(view.collapsed)
  };
}

/**
 * The view saved earlier, or the default view for what is missing or not
 * understood (an older or hand-edited entry must never break the panel).
 */
export function viewFromJSON(saved: unknown): IPanelView {
  const view: Partial<Record<string, unknown>> =
    saved && typeof saved === 'object' && !Array.isArray(saved)
      ? (saved as Record<string, unknown>)
      : {};
  const base = defaultQuery();
  const status = STATUS_FILTERS.find(s => s === view.status) ?? base.status;
  return {
    query: {
      text: typeof view.text === 'string' ? view.text : base.text,
      status,
      sort: view.sort === 'longest' ? 'longest' : 'newest',
      groupBy: view.groupBy === 'flat' ? 'flat' : 'notebook',
      cleared: new Set(Private.strings(view.cleared))
    },
    collapsed: new Set(Private.strings(view.collapsed))
  };
}

namespace Private {
  export function strings(value: unknown): string[] {
    return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
  }
}
