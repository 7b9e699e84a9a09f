import { TaskStore, TaskTableModel, taskTableRow } from '..';
import { deltaMessage, resultRecord, snapshotMessage, taskRecord } from './builders';

function store(): TaskStore {
  const s = new TaskStore();
  s.apply(
    snapshotMessage(
      0,
      [resultRecord('r1', ['a', 'b', 'c', 'd']), resultRecord('r2', ['e'])],
      [
        taskRecord('a', 'done', { engine_id: 1, submitted: 5, started: 10, completed: 12.5 }),
        taskRecord('b', 'error', {
          engine_id: 0,
          submitted: 5,
          started: 11,
          completed: 13,
          error: {
            ename: 'ZeroDivisionError',
            evalue: 'division by zero',
            traceback: '',
            engine_id: 0
          }
        }),
        taskRecord('c', 'running', { engine_id: 0, submitted: 5, started: 15 }),
        taskRecord('d', 'pending', { submitted: 5 }),
        taskRecord('e', 'done', { engine_id: 1, submitted: 5, started: 6, completed: 7 })
      ]
    )
  );
  return s;
}

describe('taskTableRow', () => {
  it("gives a task's engine, status, times, duration and error", () => {
    const s = store();
    expect(taskTableRow('b', s.task('b'), 100)).toEqual({
      msg_id: 'b',
      engine: 0,
      status: 'error',
      submitted: 5,
      started: 11,
      completed: 13,
      duration: 2,
      error: 'ZeroDivisionError: division by zero'
    });
    // running: counts up to now; queued: no duration; missing: unknown
    expect(taskTableRow('c', s.task('c'), 20).duration).toBe(5);
    expect(taskTableRow('d', s.task('d'), 20)).toMatchObject({ engine: null, duration: null });
    expect(taskTableRow('z', undefined, 20)).toMatchObject({ status: 'unknown', error: '' });
  });
});

describe('TaskTableModel', () => {
  it("lists one result's tasks in its msg_id order", () => {
    const s = store();
    const model = new TaskTableModel(s, 'r1');
    expect(model.rowCount).toBe(4);
    expect([0, 1, 2, 3].map(i => model.row(i).msg_id)).toEqual(['a', 'b', 'c', 'd']);
    expect(model.row(0)).toMatchObject({ engine: 1, status: 'done', duration: 2.5 });
    expect(model.indexOf('c')).toBe(2);
    expect(model.indexOf('e')).toBe(-1);
    expect(model.runningRows()).toEqual([2]);
  });

  it('marks only the rows a delta touched, and ignores other results', () => {
    const s = store();
    const model = new TaskTableModel(s, 'r1');
    const emitted = jest.fn();
    model.changed.connect(emitted);
    s.apply(
      deltaMessage(1, [taskRecord('e', 'error', { engine_id: 1, started: 6, completed: 8 })])
    );
    expect(emitted).not.toHaveBeenCalled();
    s.apply(
      deltaMessage(2, [
        taskRecord('d', 'running', { engine_id: 1, submitted: 5, started: 16 }),
        taskRecord('c', 'done', { engine_id: 0, submitted: 5, started: 15, completed: 17 })
      ])
    );
    expect(emitted).toHaveBeenCalledTimes(1);
    expect(model.takeChanges()).toEqual({ reset: false, rows: [2, 3] });
    expect(model.takeChanges()).toEqual({ reset: false, rows: [] });
    expect(model.row(2)).toMatchObject({ status: 'done', duration: 2 });
    expect(model.runningRows()).toEqual([3]);
  });

  it('redraws everything when the rows themselves change, and empties when the result goes', () => {
    const s = store();
    const model = new TaskTableModel(s, 'r1');
    // a map still being submitted grows its msg_ids
    s.apply(
      deltaMessage(1, [taskRecord('f', 'pending')], [resultRecord('r1', ['a', 'b', 'c', 'd', 'f'])])
    );
    expect(model.rowCount).toBe(5);
    expect(model.takeChanges().reset).toBe(true);
    expect(model.row(4).msg_id).toBe('f');
    s.apply(deltaMessage(2, [], [], ['r1']));
    expect(model.exists).toBe(false);
    expect(model.rowCount).toBe(0);
    expect(model.takeChanges().reset).toBe(true);
    model.dispose();
    expect(model.isDisposed).toBe(true);
  });

  it('follows a snapshot of the same result', () => {
    const s = store();
    const model = new TaskTableModel(s, 'r2');
    s.apply(
      snapshotMessage(
        5,
        [resultRecord('r2', ['e', 'g'])],
        [taskRecord('e', 'done', { engine_id: 0 }), taskRecord('g', 'running', { engine_id: 1 })]
      )
    );
    expect(model.rowCount).toBe(2);
    expect(model.takeChanges().reset).toBe(true);
    expect(model.runningRows()).toEqual([1]);
  });
});
