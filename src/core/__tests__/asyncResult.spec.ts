import { AsyncResult, NotReadyError } from '../asyncResult';
import type { ITaskRecord, TaskStatus } from '../protocol';
import { TaskStore } from '../taskStore';
// ipyparallel's own numbers for these timestamps (see tests/timing_cases.py)
import cases from '../../../tests/fixtures/timing.json';

type Stamps = Pick<ITaskRecord, 'submitted' | 'started' | 'completed' | 'received'>;

function record(msgId: string, status: TaskStatus, stamps: Partial<Stamps> = {}): ITaskRecord {
  return {
    msg_id: msgId,
    status,
    engine_id: 0,
    engine_uuid: 'e0',
    submitted: null,
    started: null,
    completed: null,
    received: null,
    ...stamps
  };
}

function storeWith(tasks: ITaskRecord[], clock = Date.now() / 1000): TaskStore {
  const store = new TaskStore();
  store.apply({
    v: 1,
    type: 'snapshot',
    seq: 0,
    clock,
    reply_to: null,
    bridge: { version: '0', ipyparallel: '9.2.0' },
    results: [
      {
        id: 'r1',
        kind: 'AsyncMapResult',
        fname: 'f',
        label: null,
        msg_ids: tasks.map(t => t.msg_id),
        targets: null,
        cell_id: null,
        parent_msg_id: null,
        created: 0
      }
    ],
    tasks
  });
  return store;
}

function update(store: TaskStore, seq: number, tasks: ITaskRecord[]): void {
  store.apply({
    v: 1,
    type: 'delta',
    seq,
    clock: Date.now() / 1000,
    results: [],
    tasks,
    removed: []
  });
}

describe('AsyncResult timing, against ipyparallel 9 on the same timestamps', () => {
  for (const c of cases) {
    it(`agrees for ${c.name}`, () => {
      const tasks = c.tasks.map((t, i) => record(`m${i}`, 'done', t));
      const ar = new AsyncResult(storeWith(tasks), 'r1');
      const stamps = (key: keyof Stamps) => ar.tasks().map(t => t![key]);
      expect(ar.wallTime).toBeCloseTo(c.expected.wall_time, 6);
      expect(ar.serialTime).toBeCloseTo(c.expected.serial_time, 6);
      expect(ar.elapsed).toBeCloseTo(c.expected.elapsed, 6);
      expect(ar.timedelta(stamps('started'), stamps('completed'))).toBeCloseTo(
        c.expected.timedelta_started_completed,
        6
      );
      expect(
        ar.timedelta(
          stamps('submitted'),
          stamps('started'),
          s => Math.max(...s),
          s => Math.min(...s)
        )
      ).toBeCloseTo(c.expected.timedelta_submitted_started_max_min, 6);
      ar.dispose();
    });
  }

  it('takes single timestamps as they are', () => {
    const ar = new AsyncResult(storeWith([record('a', 'done')]), 'r1');
    expect(ar.timedelta(10, 12.5)).toBe(2.5);
  });
});

describe('AsyncResult state', () => {
  it('counts progress and is not ready while tasks run', () => {
    const store = storeWith([
      record('a', 'done', { submitted: 1, started: 2, completed: 3, received: 4 }),
      record('b', 'running', { submitted: 1, started: 2 })
    ]);
    const ar = new AsyncResult(store, 'r1');
    expect(ar.length).toBe(2);
    expect(ar.progress).toBe(1);
    expect(ar.ready()).toBe(false);
    expect(ar.done()).toBe(false);
    expect(() => ar.successful()).toThrow(NotReadyError);
    expect(() => ar.wallTime).toThrow('wallTime: the AsyncResult is not ready');
    expect(() => ar.serialTime).toThrow(NotReadyError);
  });

  it('measures elapsed on the kernel clock while running', () => {
    // the kernel's clock runs 100 s behind this machine's
    const kernelNow = Date.now() / 1000 - 100;
    const store = storeWith(
      [record('a', 'running', { submitted: kernelNow - 5 })],
      kernelNow
    );
    const ar = new AsyncResult(store, 'r1');
    expect(ar.elapsed).toBeGreaterThanOrEqual(4.9);
    expect(ar.elapsed).toBeLessThan(6);
  });

  it('is successful only when every task is done', () => {
    const ok = new AsyncResult(storeWith([record('a', 'done'), record('b', 'done')]), 'r1');
    expect(ok.successful()).toBe(true);
    const bad = new AsyncResult(storeWith([record('a', 'done'), record('b', 'error')]), 'r1');
    expect(bad.ready()).toBe(true);
    expect(bad.successful()).toBe(false);
    const aborted = new AsyncResult(storeWith([record('a', 'aborted')]), 'r1');
    expect(aborted.successful()).toBe(false);
  });

  it('wait() resolves true when the last task finishes', async () => {
    const store = storeWith([record('a', 'running'), record('b', 'pending')]);
    const ar = new AsyncResult(store, 'r1');
    const changes: number[] = [];
    ar.changed.connect(() => changes.push(ar.progress));
    const waiting = ar.wait();
    update(store, 1, [record('a', 'done')]);
    update(store, 2, [record('b', 'done')]);
    await expect(waiting).resolves.toBe(true);
    expect(changes).toEqual([1, 2]);
  });

  it('wait(timeout) resolves false when time runs out', async () => {
    const ar = new AsyncResult(storeWith([record('a', 'running')]), 'r1');
    await expect(ar.wait(0.01)).resolves.toBe(false);
  });

  it('wait() settles false when the result is disposed, never hanging', async () => {
    const ar = new AsyncResult(storeWith([record('a', 'running')]), 'r1');
    const waiting = ar.wait();
    ar.dispose();
    await expect(waiting).resolves.toBe(false);
  });

  it('ignores changes to tasks of other results', () => {
    const store = storeWith([record('a', 'running')]);
    const ar = new AsyncResult(store, 'r1');
    let calls = 0;
    ar.changed.connect(() => (calls += 1));
    update(store, 1, [record('other', 'done')]);
    expect(calls).toBe(0);
  });
});
