import { Signal } from '@lumino/signaling';
import {
  type ITaskSource,
  type ITaskSourceEntry,
  type ITaskSources,
  measureProgress,
  TaskStore
} from 'jupyterlab-asyncresult-node/core';
import {
  deltaMessage,
  resultRecord,
  snapshotMessage,
  taskRecord
} from '../../../packages/asyncresult-node/src/core/__tests__/builders';
import { folderOf } from '../taskRowView';
import { TaskSidebar } from '../taskSidebar';
import { finish, follow, pendingStore } from './fixtures';

/** A task source with a store and a record of the requests made to it. */
class FakeTransport implements ITaskSource {
  constructor(
    readonly store: TaskStore,
    readonly id = 'k1'
  ) {}
  state = 'live' as const;
  detail = '';
  supportsSubshells = true;
  busy = false;
  lostWork = '';
  isDisposed = false;
  stateChanged = new Signal<this, any>(this);
  disposed = new Signal<this, void>(this);
  requests: Array<[string, unknown]> = [];
  request(op: string, args?: unknown): Promise<unknown> {
    this.requests.push([op, args]);
    return Promise.resolve({ status: 'ok' });
  }
}

class FakeTransports implements ITaskSources {
  list: FakeTransport[] = [];
  noKernel: string[] = [];
  paths: Record<string, string> = {};
  changed = new Signal<this, void>(this);
  sources(): ITaskSourceEntry[] {
    return this.list.map(source => {
      const path = this.paths[source.id] ?? 'demo.ipynb';
      return { source, names: [path.split('/').pop()!], paths: [path] };
    });
  }
  source(id: string) {
    return this.list.find(s => s.id === id);
  }
  withoutKernel() {
    return this.noKernel;
  }
}

/** 200 tasks: 16 done, 184 aborted, as after Abort in the issue. */
function abortedStore(): TaskStore {
  const tasks = Array.from({ length: 200 }, (_, i) =>
    taskRecord(`m${i}`, i < 16 ? 'done' : 'aborted', { engine_id: i % 2 })
  );
  const store = new TaskStore();
  store.apply(
    snapshotMessage(
      0,
      [
        resultRecord(
          'r1',
          tasks.map(t => t.msg_id),
          { fname: 'sleep' }
        )
      ],
      tasks
    )
  );
  return store;
}

function panelOf(transports: FakeTransports): TaskSidebar {
  const panel = new TaskSidebar({ sources: transports });
  panel.render();
  return panel;
}

describe('TaskSidebar', () => {
  it('stands the segments of its bar in the order of the cell bar, sized by the same counts', () => {
    const store = pendingStore(10);
    finish(store, 1, [0, 1, 2, 3]);
    finish(store, 2, [4, 5], 'error');
    finish(store, 3, [6], 'aborted');
    const transports = new FakeTransports();
    transports.list.push(new FakeTransport(store));
    const panel = panelOf(transports);
    const panelBar = panel.node.querySelector('.jp-AsyncResultSidebar-bar')!;
    const panelParts = Array.from(panelBar.children as HTMLCollectionOf<HTMLElement>).map(el => [
      el.className.replace('jp-AsyncResultSidebar-bar-', ''),
      Math.round(parseFloat(el.style.width))
    ]);
    const { bar, follower } = follow(store);
    const cellParts = Array.from(
      bar.node.querySelectorAll<HTMLElement>('.jp-AsyncResultProgress-segment')
    )
      .map(el => [el.dataset.status, Math.round(parseFloat(el.style.width))])
      .filter(([, width]) => width);
    expect(panelParts).toEqual([
      ['done', 40],
      ['error', 20],
      ['aborted', 10]
    ]);
    expect(cellParts).toEqual(panelParts);
    follower.dispose();
    bar.dispose();
    panel.dispose();
  });

  it('counts like the bar: done / total, aborted apart from failed (10.10)', () => {
    const transports = new FakeTransports();
    const store = abortedStore();
    transports.list.push(new FakeTransport(store));
    const panel = panelOf(transports);
    const row = panel.node.querySelector<HTMLElement>('.jp-AsyncResultSidebar-result')!;
    const p = measureProgress(store, ['r1']);
    expect(row.querySelector('.jp-AsyncResultSidebar-count')!.textContent).toBe(
      `${p.done}/${p.total}`
    );
    expect(row.querySelector('.jp-AsyncResultSidebar-count')!.textContent).toBe('16/200');
    expect(row.querySelector('.jp-AsyncResultSidebar-aborted')!.textContent).toBe('184 aborted');
    expect(row.querySelector('.jp-AsyncResultSidebar-failed')).toBeNull();
    expect(row.dataset.status).toBe('aborted');
    panel.dispose();
  });

  it('names the engine that died under a failed task (10.17)', () => {
    const store = new TaskStore();
    store.apply(
      snapshotMessage(
        0,
        [resultRecord('r1', ['a', 'b'], { fname: 'long' })],
        [
          taskRecord('a', 'done', { engine_id: 0 }),
          taskRecord('b', 'error', {
            engine_id: 1,
            error: { ename: 'EngineError', evalue: 'Engine 1 died', traceback: '', engine_id: 1 }
          })
        ]
      )
    );
    const transports = new FakeTransports();
    transports.list.push(new FakeTransport(store));
    const panel = panelOf(transports);
    expect(panel.node.querySelector('.jp-AsyncResultSidebar-failed')!.textContent).toBe(
      '1 failed (engine 1 died)'
    );
    panel.dispose();
  });

  it('says a notebook has no kernel after a shutdown instead of "no notebook is open" (10.13)', () => {
    const transports = new FakeTransports();
    transports.noKernel.push('demo.ipynb');
    const panel = panelOf(transports);
    const text = panel.node.textContent!;
    expect(text).toContain('demo.ipynb');
    expect(text).toContain('No kernel: it was shut down.');
    expect(text).not.toContain('No notebook or console is open');
    panel.dispose();
  });

  it('stops listening to a transport when it says it is disposed (13.8)', () => {
    const schedule = jest.spyOn(TaskSidebar.prototype, 'scheduleRender');
    const transports = new FakeTransports();
    const store = abortedStore();
    const transport = new FakeTransport(store);
    transports.list.push(transport);
    const panel = panelOf(transports);
    transports.changed.emit();
    schedule.mockClear();
    (store as any)._changed.emit({ kind: 'reset', results: [], tasks: [] });
    expect(schedule).toHaveBeenCalled();

    transport.disposed.emit();
    schedule.mockClear();
    (store as any)._changed.emit({ kind: 'reset', results: [], tasks: [] });
    transport.stateChanged.emit('closed');
    expect(schedule).not.toHaveBeenCalled();
    schedule.mockRestore();
    panel.dispose();
  });

  it('draws only the rows in view of 10,000 results, with spacers for the rest', () => {
    const store = manyResults(10_000);
    const transports = new FakeTransports();
    transports.list.push(new FakeTransport(store));
    const panel = panelOf(transports);
    const body = panel.node.querySelector<HTMLElement>('.jp-AsyncResultSidebar-body')!;
    const drawn = () => body.querySelectorAll('.jp-AsyncResultSidebar-result');
    expect(drawn().length).toBeGreaterThan(5);
    expect(drawn().length).toBeLessThan(40);
    const spacers = () =>
      Array.from(body.querySelectorAll<HTMLElement>('.jp-AsyncResultSidebar-spacer')).map(el =>
        parseFloat(el.style.height)
      );
    // rows not drawn still take their room, so the scroll bar tells the truth
    expect(spacers()[0] + drawn().length * 58 + spacers()[1]).toBe(10_000 * 58);

    // scrolled to the middle: the rows there, newest first
    Object.defineProperty(body, 'scrollTop', { value: 5_000 * 58, configurable: true });
    panel.render();
    const ids = Array.from(drawn()).map(el => (el as HTMLElement).dataset.resultId);
    expect(ids).toContain('r5000');
    expect(ids).not.toContain('r9999');
    panel.dispose();
  });

  it('tells two notebooks of the same name apart by their paths', () => {
    const transports = new FakeTransports();
    transports.list.push(new FakeTransport(pendingStore(2), 'k1'));
    transports.list.push(new FakeTransport(pendingStore(2), 'k2'));
    transports.paths = { k1: 'a/analysis.ipynb', k2: 'b/analysis.ipynb' };
    const panel = panelOf(transports);
    const headings = Array.from(
      panel.node.querySelectorAll<HTMLElement>('.jp-AsyncResultSidebar-kernelName')
    );
    // the name, then the folder that tells them apart; the whole path on hover
    expect(headings.map(h => h.textContent)).toEqual(['analysis.ipynba', 'analysis.ipynbb']);
    expect(headings.map(h => h.title)).toEqual([
      'a/analysis.ipynb (kernel k1)',
      'b/analysis.ipynb (kernel k2)'
    ]);
    expect(folderOf('x/y/runs/a/analysis.ipynb')).toBe('…/runs/a');
    expect(folderOf('analysis.ipynb')).toBe('');
    panel.dispose();
  });

  it('shows In [n], and Abort only on unfinished rows, asking for that result only', () => {
    const store = pendingStore(3);
    store.apply(
      snapshotMessage(
        1,
        [
          resultRecord('r1', ['m0', 'm1'], { fname: 'slow', execution_count: 4, created: 10 }),
          resultRecord('r2', ['m2'], { fname: 'quick', execution_count: 2, created: 5 })
        ],
        [taskRecord('m0', 'pending'), taskRecord('m1', 'running'), taskRecord('m2', 'done')]
      )
    );
    const transports = new FakeTransports();
    transports.list.push(new FakeTransport(store));
    const panel = panelOf(transports);
    const aborted: TaskSidebar.IAbortRequest[] = [];
    panel.abortRequested.connect((_, request) => aborted.push(request));
    const row = (id: string) =>
      panel.node.querySelector<HTMLElement>(
        `.jp-AsyncResultSidebar-result[data-result-id="${id}"]`
      )!;
    expect(row('r1').querySelector('.jp-AsyncResultSidebar-prompt')!.textContent).toBe('In [4]');
    expect(row('r2').querySelector('.jp-AsyncResultSidebar-prompt')!.textContent).toBe('In [2]');
    expect(row('r2').querySelector('.jp-AsyncResultSidebar-abort')).toBeNull();
    // a redraw as work moves keeps the row's nodes: a click pressed before it
    // and released after it still lands on the same button
    const button = row('r1').querySelector<HTMLElement>('.jp-AsyncResultSidebar-abort')!;
    const counted = row('r1').querySelector('.jp-AsyncResultSidebar-count')!.textContent;
    store.apply(deltaMessage(2, [taskRecord('m1', 'done')]));
    panel.render();
    expect(row('r1').querySelector('.jp-AsyncResultSidebar-count')!.textContent).not.toBe(counted);
    expect(row('r1').querySelector('.jp-AsyncResultSidebar-abort')).toBe(button);
    row('r1').querySelector<HTMLElement>('.jp-AsyncResultSidebar-abort')!.click();
    expect(aborted).toEqual([{ sourceId: 'k1', resultIds: ['r1'] }]);
    // the section's Abort all: every unfinished result of that kernel, no finished one
    panel.node.querySelector<HTMLElement>('.jp-AsyncResultSidebar-abortAll')!.click();
    expect(aborted[1]).toEqual({ sourceId: 'k1', resultIds: ['r1'] });
    expect(panel.activeRow?.record.id).toBe('r1');

    // where the Abort stands replaces the button until the result ends
    panel.noteAbort(['k1/r1'], 'sending');
    panel.render();
    expect(row('r1').querySelector('.jp-AsyncResultSidebar-abort')).toBeNull();
    expect(row('r1').querySelector('.jp-AsyncResultSidebar-abortState')!.textContent).toBe(
      'Aborting…'
    );
    panel.noteAbort(['k1/r1'], 'sent');
    panel.render();
    const sent = row('r1').querySelector<HTMLElement>('.jp-AsyncResultSidebar-abortState')!;
    expect(sent.textContent).toBe('Abort sent');
    expect(sent.title).toContain('(1 still queued)');
    panel.noteAbort(['k1/r1'], { error: 'no such result' });
    panel.render();
    expect(
      row('r1').querySelector('.jp-AsyncResultSidebar-abort')!.getAttribute('title')
    ).toContain('no such result');
    panel.dispose();
  });

  it('folds a section, filters and clears finished rows from its toolbar', () => {
    const store = pendingStore(4);
    finish(store, 1, [0, 1, 2, 3]);
    store.apply(
      snapshotMessage(
        2,
        [
          resultRecord('r1', ['m0', 'm1'], { fname: 'alpha', created: 1 }),
          resultRecord('r2', ['m2', 'm3'], { fname: 'beta', created: 2 })
        ],
        [
          taskRecord('m0', 'done'),
          taskRecord('m1', 'done'),
          taskRecord('m2', 'running'),
          taskRecord('m3', 'pending')
        ]
      )
    );
    const transports = new FakeTransports();
    transports.list.push(new FakeTransport(store));
    const panel = panelOf(transports);
    let changes = 0;
    panel.viewChanged.connect(() => (changes += 1));
    const shown = () =>
      Array.from(panel.node.querySelectorAll<HTMLElement>('.jp-AsyncResultSidebar-result')).map(
        el => el.dataset.resultId
      );
    expect(shown()).toEqual(['r2', 'r1']);

    const filter = panel.node.querySelector<HTMLInputElement>('.jp-AsyncResultSidebar-filter')!;
    filter.value = 'ALP';
    filter.dispatchEvent(new Event('input'));
    panel.render();
    expect(shown()).toEqual(['r1']);
    filter.value = '';
    filter.dispatchEvent(new Event('input'));

    panel.node.querySelector<HTMLButtonElement>('.jp-AsyncResultSidebar-clear')!.click();
    panel.render();
    expect(shown()).toEqual(['r2']);

    const toggle = panel.node.querySelector<HTMLElement>('.jp-AsyncResultSidebar-toggle')!;
    toggle.click();
    panel.render();
    expect(shown()).toEqual([]);
    expect(Array.from(panel.collapsed)).toEqual(['demo.ipynb']);
    expect(
      panel.node.querySelector('.jp-AsyncResultSidebar-toggle')!.getAttribute('aria-expanded')
    ).toBe('false');
    expect(changes).toBe(4);
    panel.dispose();
  });

  it('goes to the submitting cell with Enter on a focused row', () => {
    const store = new TaskStore();
    store.apply(
      snapshotMessage(
        0,
        [resultRecord('r1', ['a'], { fname: 'f', cell_id: 'cell-9' })],
        [taskRecord('a', 'done')]
      )
    );
    const transports = new FakeTransports();
    transports.list.push(new FakeTransport(store));
    const panel = panelOf(transports);
    const asked: TaskSidebar.ICellRequest[] = [];
    panel.cellRequested.connect((_, request) => asked.push(request));
    const row = panel.node.querySelector<HTMLElement>('.jp-AsyncResultSidebar-result')!;
    row.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));
    expect(asked).toEqual([{ kernelId: 'k1', cellId: 'cell-9' }]);
    panel.dispose();
  });
});

/** `n` finished results of one task each, r0 the oldest. */
function manyResults(n: number): TaskStore {
  const store = new TaskStore();
  store.apply(
    snapshotMessage(
      0,
      Array.from({ length: n }, (_, i) =>
        resultRecord(`r${i}`, [`m${i}`], { fname: 'f', created: i })
      ),
      Array.from({ length: n }, (_, i) => taskRecord(`m${i}`, 'done'))
    )
  );
  return store;
}
