import { Signal } from '@lumino/signaling';
import {
  type ITaskSource,
  type ITaskSourceEntry,
  type ITaskSources,
  TaskStore
} from 'jupyterlab-asyncresult-node/core';
import {
  deltaMessage,
  resultRecord,
  snapshotMessage,
  taskRecord
} from '../../../packages/asyncresult-node/src/core/__tests__/builders';
import { WatchedSources } from '../watchedSources';
import { pendingStore } from './fixtures';

/** A live source whose controller answers queue_status with two idle engines (or `reply`). */
function fakeSource(
  id: string,
  store = pendingStore(2),
  reply?: Record<string, unknown>
): ITaskSource & { asked: number; dispose(): void } {
  const source: any = {
    id,
    store,
    state: 'live' as const,
    detail: '',
    supportsSubshells: true,
    busy: false,
    lostWork: '',
    isDisposed: false,
    asked: 0,
    request(op: string): Promise<unknown> {
      if (op === 'queue_status') {
        source.asked++;
      }
      return Promise.resolve(
        reply ?? {
          '0': { queue: 0, tasks: 0, completed: 1 },
          '1': { queue: 0, tasks: 0, completed: 1 },
          unassigned: 0
        }
      );
    },
    dispose() {
      source.isDisposed = true;
      source.disposed.emit(undefined);
    }
  };
  // a source's signals are sent by the source itself
  source.stateChanged = new Signal<any, any>(source);
  source.disposed = new Signal<any, void>(source);
  return source;
}

class FakeSources implements ITaskSources {
  list: ITaskSource[] = [];
  changed = new Signal<this, void>(this);
  sources(): ITaskSourceEntry[] {
    return this.list.map(source => ({ source, names: ['a.ipynb'], paths: ['a.ipynb'] }));
  }
  source(id: string) {
    return this.list.find(s => s.id === id);
  }
  withoutKernel() {
    return [];
  }
}

describe('WatchedSources', () => {
  it('says when any store changes, and of sources added later too', () => {
    const sources = new FakeSources();
    const first = fakeSource('k1');
    sources.list.push(first);
    const watched = new WatchedSources(sources);
    let changes = 0;
    watched.changed.connect(() => changes++);
    first.store.apply(deltaMessage(1, [taskRecord('m0', 'running')]));
    expect(changes).toBe(1);

    const second = fakeSource('k2');
    sources.list.push(second);
    sources.changed.emit();
    expect(changes).toBe(2);
    second.store.apply(deltaMessage(1, [taskRecord('m1', 'running')]));
    expect(changes).toBe(3);
    watched.dispose();
  });

  it('asks the controllers only while active (while someone looks)', async () => {
    const sources = new FakeSources();
    const source = fakeSource('k1');
    sources.list.push(source);
    const watched = new WatchedSources(sources);
    await Promise.resolve();
    expect(source.asked).toBe(0);
    expect(watched.cluster(source)?.queues).toBeNull();

    watched.active = true;
    await new Promise(resolve => setTimeout(resolve, 0));
    expect(source.asked).toBe(1);
    expect(watched.cluster(source)?.queues?.engines).toHaveLength(2);
    watched.active = false;
    watched.dispose();
  });

  it('forgets a source when it goes away, and stops asking its controller', () => {
    const sources = new FakeSources();
    const source = fakeSource('k1');
    sources.list.push(source);
    const watched = new WatchedSources(sources);
    const watch = watched.cluster(source)!;
    let changes = 0;
    watched.changed.connect(() => changes++);
    source.dispose();
    expect(changes).toBe(1);
    expect(watched.cluster(source)).toBeNull();
    expect(watch.isDisposed).toBe(true);
    // its store no longer reaches the view
    source.store.apply(deltaMessage(1, [taskRecord('m0', 'running')]));
    expect(changes).toBe(1);
    watched.dispose();
    expect(watched.isDisposed).toBe(true);
  });

  it('tells a kernel whose work on the same controller its queued tasks wait behind', async () => {
    // A runs 2 and queued 2 ten seconds before B queued its 3; the
    // controller counts those 7, and 1 of a client no open kernel is
    const now = Date.now() / 1000;
    const storeA = new TaskStore();
    storeA.apply(
      snapshotMessage(
        0,
        [resultRecord('r1', ['a0', 'a1', 'a2', 'a3'])],
        [
          taskRecord('a0', 'running', { engine_id: 0, submitted: now - 20, started: now - 19 }),
          taskRecord('a1', 'running', { engine_id: 1, submitted: now - 20, started: now - 19 }),
          taskRecord('a2', 'pending', { submitted: now - 20 }),
          taskRecord('a3', 'pending', { submitted: now - 20 })
        ],
        { clock: now }
      )
    );
    const reply = {
      '0': { queue: 0, tasks: 1, completed: 0 },
      '1': { queue: 0, tasks: 1, completed: 0 },
      unassigned: 6,
      controller_id: 'c1'
    };
    const sources = new FakeSources();
    const a = fakeSource('kA', storeA, reply);
    const b = fakeSource('kB', pendingStore(3), reply);
    const elsewhere = fakeSource('kX', pendingStore(1), { ...reply, controller_id: 'c2' });
    sources.list.push(a, b, elsewhere);
    const watched = new WatchedSources(sources);
    expect(watched.queueAhead(b)).toBeNull(); // nobody answered yet
    watched.active = true;
    await new Promise(resolve => setTimeout(resolve, 0));
    expect(watched.queueAhead(b)).toEqual({
      waiting: 3,
      kernels: [{ key: 'kA', running: 2, queued: 2 }],
      others: 1
    });
    expect(watched.queueAhead(a)).toEqual({ waiting: 2, kernels: [], others: 1 });
    watched.active = false;
    watched.dispose();
  });
});
