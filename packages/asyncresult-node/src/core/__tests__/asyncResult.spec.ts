import { AsyncResult } from '../asyncResult';
import { ResultRepr } from '../values';
import {
  BridgeError,
  ConnectionLostError,
  NotReadyError,
  RemoteError,
  TimeoutError
} from '../errors';
import type { ITaskRecord, TaskStatus } from '../protocol';
import type { TaskStore } from '../taskStore';
import { deltaMessage, storeWithResult } from './builders';
// ipyparallel's own numbers for these timestamps (see tests/timing_cases.py)
import cases from '../../../../../tests/fixtures/timing.json';

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
  return storeWithResult('AsyncMapResult', tasks, {}, clock);
}

function update(store: TaskStore, seq: number, tasks: ITaskRecord[]): void {
  store.apply(deltaMessage(seq, tasks));
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
    const store = storeWith([record('a', 'running', { submitted: kernelNow - 5 })], kernelNow);
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

describe('AsyncResult values and control', () => {
  function fakeRequester(answers: Record<string, unknown>) {
    const calls: Array<[string, Record<string, unknown> | undefined]> = [];
    return {
      calls,
      request: async (op: string, args?: Record<string, unknown>) => {
        calls.push([op, args]);
        const answer = answers[op];
        if (answer instanceof Error) {
          throw answer;
        }
        return answer;
      }
    };
  }

  it('get() resolves the JSON value once ready', async () => {
    const store = storeWith([record('a', 'running')]);
    const requester = fakeRequester({
      get_value: {
        status: 'ok',
        value: { repr: '[1, 2]', repr_truncated: false, json: [1, 2], json_truncated: false }
      }
    });
    const ar = new AsyncResult(store, 'r1', requester as any);
    const value = ar.get(5);
    update(store, 1, [record('a', 'done')]);
    await expect(value).resolves.toEqual([1, 2]);
    expect(requester.calls).toEqual([['get_value', { result_id: 'r1' }]]);
  });

  it('get() gives a ResultRepr for values that are not JSON', async () => {
    const requester = fakeRequester({
      get_value: {
        status: 'ok',
        value: { repr: 'array([1., 2.])', repr_truncated: true, json_truncated: false }
      }
    });
    const ar = new AsyncResult(storeWith([record('a', 'done')]), 'r1', requester as any);
    const value = (await ar.get()) as ResultRepr;
    expect(value).toBeInstanceOf(ResultRepr);
    expect(`${value}`).toBe('array([1., 2.])');
    expect(value.truncated).toBe(true);
  });

  it('get() rejects with a RemoteError carrying ename, evalue, traceback and engine', async () => {
    const error = {
      ename: 'ZeroDivisionError',
      evalue: 'division by zero',
      traceback: 'Traceback…',
      engine_id: 1
    };
    const requester = fakeRequester({ get_value: { status: 'error', error } });
    const ar = new AsyncResult(storeWith([record('a', 'error')]), 'r1', requester as any);
    const failure = await ar.get().catch(e => e);
    expect(failure).toBeInstanceOf(RemoteError);
    expect(failure).toMatchObject({
      ename: 'ZeroDivisionError',
      evalue: 'division by zero',
      traceback: 'Traceback…',
      engineId: 1,
      message: '[1:apply] ZeroDivisionError: division by zero'
    });
  });

  it('get(timeout) rejects with a TimeoutError without asking the kernel', async () => {
    const requester = fakeRequester({});
    const ar = new AsyncResult(storeWith([record('a', 'running')]), 'r1', requester as any);
    await expect(ar.get(0.01)).rejects.toThrow(TimeoutError);
    expect(requester.calls).toEqual([]);
  });

  it('a pending get() rejects with ConnectionLostError when the kernel restarts', async () => {
    const store = storeWith([record('a', 'running')]);
    const ar = new AsyncResult(store, 'r1', fakeRequester({}) as any);
    const value = ar.get();
    store.reset();
    await expect(value).rejects.toThrow(ConnectionLostError);
    await expect(value).rejects.toThrow('it restarted or forgot it');
  });

  it('exception() reports the CompositeError of the task errors from the records alone', () => {
    const failed = record('b', 'error');
    failed.error = { ename: 'EngineError', evalue: 'Engine 1 died', traceback: '', engine_id: 1 };
    const ar = new AsyncResult(storeWith([record('a', 'done'), failed]), 'r1');
    // many tasks: ipyparallel's CompositeError, the failed task a member
    expect(ar.exception()).toMatchObject({ ename: 'CompositeError', engineId: null });
    expect((ar.exception() as any).elist[0]).toMatchObject({ ename: 'EngineError', engineId: 1 });
    const fine = new AsyncResult(storeWith([record('a', 'done')]), 'r1');
    expect(fine.exception()).toBeNull();
  });

  it('abort() asks the bridge and passes its refusal on', async () => {
    const requester = fakeRequester({
      abort: new BridgeError("abort: Can't abort, I am already done!")
    });
    const ar = new AsyncResult(storeWith([record('a', 'done')]), 'r1', requester as any);
    await expect(ar.abort()).rejects.toThrow('already done');
    expect(requester.calls).toEqual([['abort', { result_id: 'r1' }]]);
  });

  it('without a connection, control rejects with a clear error', async () => {
    const ar = new AsyncResult(storeWith([record('a', 'done')]), 'r1');
    await expect(ar.abort()).rejects.toThrow(
      'abort: this AsyncResult has no connection to a kernel'
    );
  });
});
