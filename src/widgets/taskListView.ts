import {
  type IPanelRow,
  type IPanelSection,
  visibleWindow
} from 'jupyterlab-asyncresult-node/core';
import { ROW_HEIGHT } from './taskRowView';
import { morphChildren } from './morph';

/**
 * The scrolling list of the task panel, virtualised: it builds the DOM of
 * the section heads and rows in view only, with spacers standing for the
 * rest, so a list of any length costs what a screenful does. What a row
 * or a head looks like is the caller's (see `IContent`).
 */
export class TaskListView {
  constructor() {
    const node = document.createElement('div');
    node.className = 'jp-AsyncResultSidebar-body';
    node.setAttribute('role', 'list');
    this.node = node;
  }

  /** The scrolling element; its events are the caller's to handle. */
  readonly node: HTMLElement;

  /** The key (`sourceId/resultId`) of the row an event happened in, if any. */
  rowKeyAt(target: EventTarget | null): string | null {
    const el = (target as HTMLElement | null)?.closest?.<HTMLElement>(
      '.jp-AsyncResultSidebar-result'
    );
    return el ? `${el.dataset.kernelId}/${el.dataset.resultId}` : null;
  }

  /** The key of the section an event happened in, if any. */
  sectionKeyAt(target: EventTarget | null): string | null {
    const el = (target as HTMLElement | null)?.closest?.<HTMLElement>('[data-section-key]');
    return el?.dataset.sectionKey ?? null;
  }

  /** Whether an element is a row itself (not a button in it). */
  isRow(target: EventTarget | null): boolean {
    return !!(target as HTMLElement | null)?.classList?.contains('jp-AsyncResultSidebar-result');
  }

  /** Move keyboard focus from a row to the one drawn `step` rows below (above if negative). */
  moveFocus(from: HTMLElement, step: number): void {
    const rows = Array.from(
      this.node.querySelectorAll<HTMLElement>('.jp-AsyncResultSidebar-result')
    );
    const next = rows[rows.indexOf(from) + step];
    next?.focus();
    next?.scrollIntoView({ block: 'nearest' });
  }

  /**
   * The key (`sourceId/resultId`) of the row that holds keyboard focus, if
   * one does.
   */
  focusedKey(): string | null {
    const active = document.activeElement as HTMLElement | null;
    if (!active || !this.node.contains(active) || !active.dataset.resultId) {
      return null;
    }
    return `${active.dataset.kernelId}/${active.dataset.resultId}`;
  }

  /**
   * Draw what is in view now. Returns true when a section head turned out
   * taller or shorter than guessed: the window was placed on a wrong guess
   * and the caller should draw again (on the next frame).
   */
  draw(content: TaskListView.IContent): boolean {
    const items = Private.items(content);
    const heights = items.map(item =>
      item.row ? ROW_HEIGHT : (this._headingHeights.get(item.section.key) ?? 64)
    );
    const win = visibleWindow(heights, this.node.scrollTop, this.node.clientHeight);

    const focused = this.focusedKey();
    const body = document.createDocumentFragment();
    body.append(...content.before);
    body.appendChild(Private.spacer(win.before));
    let current: Private.IOpenSection | null = null;
    for (const item of items.slice(win.start, win.end)) {
      if (current?.section !== item.section) {
        current = Private.openSection(item.section);
        body.appendChild(current.node);
      }
      if (item.row) {
        current.list.appendChild(content.row(item.row, item.section));
      } else {
        current.node.insertBefore(content.head(item.section), current.list);
      }
    }
    body.appendChild(Private.spacer(win.after));
    // in place: a row that only changed its counts keeps its nodes, so a
    // click pressed before a redraw and released after it still lands
    morphChildren(this.node, body);
    const misjudged = this._measureHeadings();
    if (focused) {
      // keep keyboard focus on the same row across redraws
      this.node.querySelector<HTMLElement>(Private.rowSelector(focused))?.focus();
    }
    return misjudged;
  }

  /** Note the drawn heads' heights; whether any differed from what was assumed. */
  private _measureHeadings(): boolean {
    let changed = false;
    this.node.querySelectorAll<HTMLElement>('.jp-AsyncResultSidebar-sectionHead').forEach(el => {
      const height = el.offsetHeight;
      const key = el.dataset.sectionKey!;
      if (height > 0 && this._headingHeights.get(key) !== height) {
        this._headingHeights.set(key, height);
        changed = true;
      }
    });
    return changed;
  }

  private _headingHeights = new Map<string, number>();
}

/** Types that go with TaskListView. */
export namespace TaskListView {
  /** What to draw, and how to draw each part of it. */
  export interface IContent {
    /** Notes above the list (kernels without a bridge, an empty panel). */
    before: HTMLElement[];
    sections: ReadonlyArray<IPanelSection>;
    /** Whether a section is folded: its head is drawn, its rows are not. */
    folded(section: IPanelSection): boolean;
    /** The DOM of a section's head. */
    head(section: IPanelSection): HTMLElement;
    /** The DOM of one row. */
    row(row: IPanelRow, section: IPanelSection): HTMLElement;
  }
}

namespace Private {
  /** One line of the virtual list: a section's heading, or one of its rows. */
  export interface IItem {
    section: IPanelSection;
    row: IPanelRow | null;
  }

  /** A section drawn in part: its element and the list its rows go in. */
  export interface IOpenSection {
    section: IPanelSection;
    node: HTMLElement;
    list: HTMLElement;
  }

  /** The list as items: a heading per kernel, then its rows unless folded. */
  export function items(content: TaskListView.IContent): IItem[] {
    const items: IItem[] = [];
    for (const section of content.sections) {
      if (section.entry) {
        items.push({ section, row: null });
        if (content.folded(section)) {
          continue;
        }
      }
      for (const row of section.rows) {
        items.push({ section, row });
      }
    }
    return items;
  }

  export function openSection(section: IPanelSection): IOpenSection {
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

  export function spacer(height: number): HTMLElement {
    const div = document.createElement('div');
    div.className = 'jp-AsyncResultSidebar-spacer';
    div.style.height = `${height}px`;
    return div;
  }

  export function rowSelector(key: string): string {
    const slash = key.indexOf('/');
    return (
      `.jp-AsyncResultSidebar-result[data-kernel-id="${CSS.escape(key.slice(0, slash))}"]` +
      `[data-result-id="${CSS.escape(key.slice(slash + 1))}"]`
    );
  }
}
