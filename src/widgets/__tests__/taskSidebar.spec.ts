import { Signal } from '@lumino/signaling';
import { measureProgress, TaskStore } from '../../core';
import { resultRecord, snapshotMessage, taskRecord } from '../../core/__tests__/builders';
import type { KernelTransports } from '../../lab/transports';
import { TaskSidebar } from '../taskSidebar';
import { finish, follow, pendingStore } from './fixtures';

/** A transport with just what the panel reads. */
class FakeTransport {
  constructor(readonly store: TaskStore) {}
  kernel = { id: 'k1' };
  state = 'live';
  detail = '';
  supportsSubshells = true;
  isDisposed = false;
  stateChanged = new Signal<this, string>(this);
  disposed = new Signal<this, void>(this);
}

class FakeTransports {
  list: FakeTransport[] = [];
  noKernel: string[] = [];
  changed = new Signal<this, void>(this);
  entries() {
    return this.list.map(transport => ({ transport, names: ['demo.ipynb'] }));
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
  const panel = new TaskSidebar({ transports: transports as unknown as KernelTransports });
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
});
