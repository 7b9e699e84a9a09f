import type { TranslationBundle } from '@jupyterlab/translation';
import type { IDisposable } from '@lumino/disposable';
import { type ISignal, Signal } from '@lumino/signaling';
import {
  type IPanelQuery,
  type PanelGrouping,
  type PanelSort,
  STATUS_FILTERS,
  type StatusFilter
} from 'jupyterlab-asyncresult-node/core';

/**
 * The task panel's toolbar: a text filter, the status filter, the order,
 * the grouping and "Clear finished". It only reports what the user chose;
 * the panel owns the query.
 */
export class PanelToolbar implements IDisposable {
  constructor(trans: TranslationBundle) {
    const node = (this.node = document.createElement('div'));
    node.className = 'jp-AsyncResultSidebar-toolbar';

    const text = (this._text = document.createElement('input'));
    text.type = 'search';
    text.className = 'jp-AsyncResultSidebar-filter';
    text.placeholder = trans.__('Filter by name, label, In [n] or path');
    text.setAttribute('aria-label', trans.__('Filter the results'));
    text.addEventListener('input', () => this._changed.emit({ text: text.value }));

    const statusNames: Record<StatusFilter, string> = {
      all: trans.__('All'),
      unfinished: trans.__('Unfinished'),
      running: trans.__('Running'),
      queued: trans.__('Queued'),
      failed: trans.__('Failed'),
      aborted: trans.__('Aborted'),
      done: trans.__('Done')
    };
    this._status = Private.select(
      trans.__('Show results by status'),
      STATUS_FILTERS.map(s => [s, statusNames[s]]),
      value => this._changed.emit({ status: value as StatusFilter })
    );
    this._sort = Private.select(
      trans.__('Order of the results'),
      [
        ['newest', trans.__('Newest first')],
        ['longest', trans.__('Longest first')]
      ],
      value => this._changed.emit({ sort: value as PanelSort })
    );
    this._group = Private.select(
      trans.__('Group the results'),
      [
        ['notebook', trans.__('By notebook')],
        ['flat', trans.__('One list')]
      ],
      value => this._changed.emit({ groupBy: value as PanelGrouping })
    );
    const clear = document.createElement('button');
    clear.className = 'jp-Button jp-mod-minimal jp-AsyncResultSidebar-clear';
    clear.textContent = trans.__('Clear finished');
    clear.title = trans.__('Hide the finished results listed now (running ones stay)');
    clear.addEventListener('click', () => this._changed.emit('clear'));

    const selects = document.createElement('div');
    selects.className = 'jp-AsyncResultSidebar-selects';
    selects.append(this._status, this._sort, this._group, clear);
    node.append(text, selects);
  }

  /** The toolbar's element. */
  readonly node: HTMLElement;

  /** Emitted with what the user changed, or 'clear' for "Clear finished". */
  get changed(): ISignal<this, Partial<IPanelQuery> | 'clear'> {
    return this._changed;
  }

  /** Show a query the panel was given (restored, say). */
  show(query: IPanelQuery): void {
    if (this._text.value !== query.text) {
      this._text.value = query.text;
    }
    this._status.value = query.status;
    this._sort.value = query.sort;
    this._group.value = query.groupBy;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  dispose(): void {
    this._isDisposed = true;
    Signal.clearData(this);
  }

  private _text: HTMLInputElement;
  private _status: HTMLSelectElement;
  private _sort: HTMLSelectElement;
  private _group: HTMLSelectElement;
  private _isDisposed = false;
  private _changed = new Signal<this, Partial<IPanelQuery> | 'clear'>(this);
}

namespace Private {
  export function select(
    label: string,
    options: Array<[string, string]>,
    onChange: (value: string) => void
  ): HTMLSelectElement {
    const select = document.createElement('select');
    select.className = 'jp-AsyncResultSidebar-select';
    select.setAttribute('aria-label', label);
    select.title = label;
    for (const [value, text] of options) {
      const option = document.createElement('option');
      option.value = value;
      option.textContent = text;
      select.appendChild(option);
    }
    select.addEventListener('change', () => onChange(select.value));
    return select;
  }
}
