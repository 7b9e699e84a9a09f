import { StateDB } from '@jupyterlab/statedb';
import { Signal } from '@lumino/signaling';
import { defaultQuery, type IPanelView, viewToJSON } from 'jupyterlab-asyncresult-node/core';
import { keepView, VIEW_KEY } from '../viewKeeper';

/** A panel as far as the keeper sees it. */
class Holder {
  constructor() {
    this._view = { query: defaultQuery(), collapsed: new Set() };
  }
  readonly viewChanged = new Signal<this, void>(this);
  get view(): IPanelView {
    return this._view;
  }
  set view(value: IPanelView) {
    this._view = value;
    this.viewChanged.emit();
  }
  /** What the user does: type a filter. */
  filter(text: string): void {
    this.view = { ...this._view, query: { ...this._view.query, text } };
  }
  private _view: IPanelView;
}

/** A tab's session storage. */
function tabStorage(): Storage {
  const items = new Map<string, string>();
  return {
    getItem: (k: string) => items.get(k) ?? null,
    setItem: (k: string, v: string) => void items.set(k, v),
    removeItem: (k: string) => void items.delete(k),
    clear: () => items.clear(),
    key: (i: number) => Array.from(items.keys())[i] ?? null,
    get length() {
      return items.size;
    }
  };
}

/** A workspace whose server copy holds the view filtered by `text`, saved at `at`. */
async function workspace(text: string, at?: number): Promise<StateDB> {
  const state = new StateDB();
  const view = viewToJSON({ query: { ...defaultQuery(), text }, collapsed: new Set() });
  await state.save(VIEW_KEY, at === undefined ? view : { ...view, saved_at: at });
  return state;
}

describe('keepView', () => {
  it('brings back a change made just before a reload, before the workspace had it', async () => {
    const tab = tabStorage();
    const before = new Holder();
    await keepView(await workspace('old'), before, tab, 'default');
    expect(before.view.query.text).toBe('old');
    before.filter('held');
    // the reload: the server's workspace still has the view of before
    const after = new Holder();
    await keepView(await workspace('old', Date.now() - 60_000), after, tab, 'default');
    expect(after.view.query.text).toBe('held');
  });

  it('takes the workspace when another tab saved there since', async () => {
    const tab = tabStorage();
    const page = new Holder();
    await keepView(new StateDB(), page, tab, 'default');
    page.filter('mine');
    const after = new Holder();
    await keepView(await workspace('theirs', Date.now() + 60_000), after, tab, 'default');
    expect(after.view.query.text).toBe('theirs');
  });

  it('keeps the views of two workspaces opened in one tab apart', async () => {
    const tab = tabStorage();
    const a = new Holder();
    await keepView(new StateDB(), a, tab, 'a');
    a.filter('in a');
    const b = new Holder();
    await keepView(await workspace('in b', 1), b, tab, 'b');
    expect(b.view.query.text).toBe('in b');
  });

  it('saves every change to the workspace too, and ignores a mirror it cannot read', async () => {
    const tab = tabStorage();
    tab.setItem(`${VIEW_KEY}:default`, '{not json');
    const state = await workspace('kept');
    const page = new Holder();
    await keepView(state, page, tab, 'default');
    expect(page.view.query.text).toBe('kept');
    page.filter('next');
    expect(await state.fetch(VIEW_KEY)).toMatchObject({ text: 'next' });
  });
});
