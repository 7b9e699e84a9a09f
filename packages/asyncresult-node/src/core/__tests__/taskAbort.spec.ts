import {
  ABORT_TIMEOUT,
  ABORT_TIMEOUT_BLOCKED,
  abortChoice,
  abortQueuedTasks,
  rowsOfRanges,
  TaskStore,
  TaskTableModel
} from '..';
import { fakeSource, resultRecord, snapshotMessage, taskRecord } from './builders';

/** A map of 6 tasks: done, failed, running, queued, queued, aborted. */
function table(store = new TaskStore()): TaskTableModel {
  store.apply(
    snapshotMessage(
      0,
      [resultRecord('r1', ['a', 'b', 'c', 'd', 'e', 'f'])],
      [
        taskRecord('a', 'done', { engine_id: 0, started: 1, completed: 2 }),
        taskRecord('b', 'error', { engine_id: 1, started: 1, completed: 2 }),
        taskRecord('c', 'running', { engine_id: 0, started: 3 }),
        taskRecord('d', 'pending', { submitted: 1 }),
        taskRecord('e', 'pending', { submitted: 1 }),
        taskRecord('f', 'aborted', { completed: 4 })
      ]
    )
  );
  return new TaskTableModel(store, 'r1');
}

describe('rowsOfRanges', () => {
  it('gives each selected row once, ascending, whatever the direction of a drag', () => {
    expect(
      rowsOfRanges(
        [
          { r1: 4, r2: 2 },
          { r1: 3, r2: 3 },
          { r1: 0, r2: 0 }
        ],
        6
      )
    ).toEqual([0, 2, 3, 4]);
  });

  it('keeps within the table (a selection left over from a longer result)', () => {
    expect(rowsOfRanges([{ r1: 4, r2: 9 }], 6)).toEqual([4, 5]);
    expect(rowsOfRanges([{ r1: -1, r2: 1 }], 6)).toEqual([0, 1]);
    expect(rowsOfRanges([], 6)).toEqual([]);
  });
});

describe('abortChoice', () => {
  it('sends only the queued tasks, and counts the running and finished ones apart', () => {
    expect(abortChoice(table(), [0, 1, 2, 3, 4, 5])).toEqual({
      queued: ['d', 'e'],
      running: 1,
      finished: 3
    });
    expect(abortChoice(table(), [4])).toEqual({ queued: ['e'], running: 0, finished: 0 });
  });

  it('reads the tasks as they are now, not as they were selected', () => {
    const store = new TaskStore();
    const t = table(store);
    const rows = [3, 4];
    store.apply(
      snapshotMessage(
        1,
        [resultRecord('r1', ['a', 'b', 'c', 'd', 'e', 'f'])],
        [
          taskRecord('d', 'running', { engine_id: 1, started: 5 }),
          taskRecord('e', 'pending', { submitted: 1 })
        ]
      )
    );
    expect(abortChoice(t, rows)).toEqual({ queued: ['e'], running: 1, finished: 0 });
  });

  it('ignores rows out of the table', () => {
    expect(abortChoice(table(), [-1, 6, 99])).toEqual({ queued: [], running: 0, finished: 0 });
  });
});

describe('abortQueuedTasks', () => {
  it("sends the protocol's abort with the result and the queued msg_ids", async () => {
    const sent: Array<[string, unknown, number | undefined]> = [];
    const source = fakeSource(new TaskStore(), {}, ((
      op: string,
      args: unknown,
      timeout?: number
    ) => {
      sent.push([op, args, timeout]);
      return Promise.resolve({ status: 'ok' });
    }) as any);
    await abortQueuedTasks(source, 'r1', abortChoice(table(), [2, 3, 4]));
    expect(sent).toEqual([['abort', { result_id: 'r1', msg_ids: ['d', 'e'] }, ABORT_TIMEOUT]]);
  });

  it('waits as long as a cell may run on a kernel without subshells', async () => {
    const timeouts: Array<number | undefined> = [];
    const source = fakeSource(new TaskStore(), { supportsSubshells: false }, ((
      _op: string,
      _args: unknown,
      timeout?: number
    ) => {
      timeouts.push(timeout);
      return Promise.resolve({ status: 'ok' });
    }) as any);
    await abortQueuedTasks(source, 'r1', { queued: ['d'], running: 0, finished: 0 });
    expect(timeouts).toEqual([ABORT_TIMEOUT_BLOCKED]);
  });

  it('asks nothing when no chosen task is queued, and passes a refusal on', async () => {
    let asked = 0;
    const quiet = fakeSource(new TaskStore(), {}, () => {
      asked += 1;
      return Promise.resolve({});
    });
    await abortQueuedTasks(quiet, 'r1', abortChoice(table(), [0, 2, 5]));
    expect(asked).toBe(0);
    const refusing = fakeSource(new TaskStore(), {}, () =>
      Promise.reject(new Error("abort: Can't abort, I am already done!"))
    );
    await expect(
      abortQueuedTasks(refusing, 'r1', { queued: ['d'], running: 0, finished: 0 })
    ).rejects.toThrow('already done');
  });
});
