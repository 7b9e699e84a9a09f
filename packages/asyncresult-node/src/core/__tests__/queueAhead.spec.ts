import { type IClusterQueues, type IKernelWork, kernelWork, queueAhead, TaskStore } from '..';
import { resultRecord, snapshotMessage, taskRecord } from './builders';

/** The controller's counts: `busy` per engine, and `unassigned`. */
function queues(busy: number[], unassigned: number, controllerId = 'c1'): IClusterQueues {
  return {
    engines: busy.map((b, id) => ({ id, busy: b, completed: 0 })),
    unassigned,
    controllerId
  };
}

function work(
  key: string,
  running: number,
  queued: number[],
  controllerId: string | null = 'c1'
): IKernelWork {
  return { key, controllerId, running, queued };
}

describe('kernelWork', () => {
  it("counts each unfinished task once, with its submission on this machine's clock", () => {
    const store = new TaskStore();
    const clock = 1000;
    store.apply(
      snapshotMessage(
        0,
        // a map and a result that shares one of its tasks (get_result of it)
        [resultRecord('r1', ['a', 'b', 'c', 'd']), resultRecord('r2', ['c'])],
        [
          taskRecord('a', 'done', { submitted: 1, started: 2, completed: 3 }),
          taskRecord('b', 'running', { submitted: 1, started: 2 }),
          taskRecord('c', 'pending', { submitted: 4 }),
          taskRecord('d', 'pending')
        ],
        { clock }
      )
    );
    const w = kernelWork('k1', 'c1', store);
    expect(w).toMatchObject({ key: 'k1', controllerId: 'c1', running: 1 });
    expect(w.queued).toHaveLength(2);
    expect(w.queued[0]).toBeCloseTo(4 + store.clockOffset, 6);
    expect(w.queued[1]).toBe(-Infinity);
  });
});

describe('queueAhead', () => {
  it('names the other kernel on the same controller, with its running and earlier queued tasks', () => {
    // A holds both engines and queued 4 before B queued its 3
    const a = work('A', 2, [10, 10, 10, 10]);
    const b = work('B', 0, [20, 20, 20]);
    expect(queueAhead(b, [a, b], queues([1, 1], 7))).toEqual({
      waiting: 3,
      kernels: [{ key: 'A', running: 2, queued: 4 }],
      others: 0
    });
    // and A waits behind nothing: B's tasks came later, nobody else is there
    expect(queueAhead(a, [a, b], queues([1, 1], 7))).toBeNull();
  });

  it("counts what no open kernel accounts for as other clients' work", () => {
    const a = work('A', 2, [10]);
    const b = work('B', 0, [20, 20]);
    // the controller counts 2 running + 1 + 2 queued of ours, and 3 more
    expect(queueAhead(b, [a, b], queues([1, 1], 6))).toEqual({
      waiting: 2,
      kernels: [{ key: 'A', running: 2, queued: 1 }],
      others: 3
    });
    // nobody's kernel ahead, other clients only
    expect(queueAhead(a, [a, b], queues([1, 1], 6))).toEqual({
      waiting: 1,
      kernels: [],
      others: 3
    });
  });

  it('leaves out kernels on other controllers, and those whose controller is not known', () => {
    const elsewhere = work('X', 5, [1, 1], 'c2');
    const unknown = work('Y', 5, [1, 1], null);
    const b = work('B', 0, [20]);
    expect(queueAhead(b, [elsewhere, unknown, b], queues([0, 0], 1))).toBeNull();
    // a kernel whose own controller is not known is told nothing
    expect(queueAhead(work('B', 0, [20], null), [b], queues([1, 1], 5))).toBeNull();
  });

  it("says nothing while none of the kernel's own tasks is queued", () => {
    const a = work('A', 2, [10, 10]);
    const b = work('B', 1, []);
    expect(queueAhead(b, [a, b], queues([1, 1], 2))).toBeNull();
  });

  it('puts the kernel with most work ahead first, and never counts below zero', () => {
    const a = work('A', 1, [5]);
    const c = work('C', 1, [1, 2, 3]);
    const b = work('B', 0, [9]);
    // the controller answered before the stores' news: it counts less than they do
    expect(queueAhead(b, [a, c, b], queues([1, 1], 2))).toEqual({
      waiting: 1,
      kernels: [
        { key: 'C', running: 1, queued: 3 },
        { key: 'A', running: 1, queued: 1 }
      ],
      others: 0
    });
  });

  it('counts a queued task of unknown submission as ahead of anything', () => {
    const a = work('A', 0, [-Infinity, 30]);
    const b = work('B', 0, [20]);
    expect(queueAhead(b, [a, b], queues([0, 0], 3))!.kernels).toEqual([
      { key: 'A', running: 0, queued: 1 }
    ]);
  });
});
