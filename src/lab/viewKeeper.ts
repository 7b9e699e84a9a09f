import type { IStateDB } from '@jupyterlab/statedb';
import type { ISignal } from '@lumino/signaling';
import type { ReadonlyJSONObject } from '@lumino/coreutils';
import { type IPanelView, viewFromJSON, viewToJSON } from 'jupyterlab-asyncresult-node/core';

/** Where the panel's filters and folded sections are kept between sessions. */
export const VIEW_KEY = 'jupyterlab-asyncresult:panel-view';

/** What holds a view: the Parallel Tasks panel. */
export interface IViewHolder {
  view: IPanelView;
  readonly viewChanged: ISignal<unknown, void>;
}

/**
 * Restore the panel's view and keep it.
 *
 * The view lives in the workspace (the state database), which JupyterLab
 * writes to the server some time after a change: a reload in between would
 * bring back the view of before. So each change also goes, at once, to
 * this tab's session storage, and a reload takes whichever of the two was
 * saved last (another tab of the workspace may have saved since).
 * `workspace` keeps two workspaces opened one after the other in one tab
 * apart. Resolves once the view is restored.
 */
export async function keepView(
  state: IStateDB,
  holder: IViewHolder,
  tabStorage: Storage | null,
  workspace: string
): Promise<void> {
  const mirrorKey = `${VIEW_KEY}:${workspace}`;
  try {
    const saved = await state.fetch(VIEW_KEY);
    holder.view = viewFromJSON(Private.newer(saved, Private.read(tabStorage, mirrorKey)));
  } catch (reason) {
    console.warn('jupyterlab-asyncresult: panel view not restored', reason);
  }
  holder.viewChanged.connect(() => {
    const kept: ReadonlyJSONObject = {
      ...viewToJSON(holder.view),
      saved_at: Date.now()
    };
    try {
      tabStorage?.setItem(mirrorKey, JSON.stringify(kept));
    } catch {
      // full or forbidden: the workspace still gets it
    }
    void state.save(VIEW_KEY, kept);
  });
}

namespace Private {
  export function read(storage: Storage | null, key: string): unknown {
    try {
      const text = storage?.getItem(key);
      return text ? JSON.parse(text) : undefined;
    } catch {
      return undefined; // unreadable: as if never kept
    }
  }

  /** The one of two saved views saved last (one without a time counts as oldest). */
  export function newer(a: unknown, b: unknown): unknown {
    return savedAt(b) > savedAt(a) ? b : a;
  }

  function savedAt(saved: unknown): number {
    const at =
      saved && typeof saved === 'object' ? (saved as { saved_at?: unknown }).saved_at : undefined;
    return typeof at === 'number' && Number.isFinite(at) ? at : -1;
  }
}
