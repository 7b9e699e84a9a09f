import { SortedTimes, TaskStore, UtilisationModel } from '..';
import type { ITaskRecord } from '../protocol';
import { deltaMessage, resultRecord, snapshotMessage, taskRecord } from './builders';

const T0 = 1.7e9; // epoch seconds, as the kernel's clock gives them

/** A repeatable pseudo-random sequence (mulberry32). */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `n` tasks on 4 engines, some running, at random times within 100 s of T0. */
function randomTasks(n: number, seed: number): ITaskRecord[] {
  const next = random(seed);
  return Array.from({ length: n }, (_, i) => {
    const started = T0 + next() * 100;
    const running = next() < 0.2;
    return taskRecord(`t${i}`, running ? 'running' : next() < 0.1 ? 'error' : 'done', {
      engine_id: i % 4,
      submitted: T0,
      started,
      completed: running ? null : started + next() * 10
    });
  });
}

function storeOf(tasks: ITaskRecord[]): TaskStore {
  const store = new TaskStore();
  store.apply(
    snapshotMessage(
      0,
      [
        resultRecord(
          'r1',
          tasks.map(t => t.msg_id)
        )
      ],
      tasks
    )
  );
  return store;
}

/** The running count at t, the slow way. */
function busyBrute(tasks: ITaskRecord[], t: number): number {
  return tasks.filter(
    task =>
      task.started !== null &&
      task.started <= t &&
      (task.status === 'running' || (task.completed !== null && task.completed > t))
  ).length;
}

/** The average running count over [a, b], by fine sampling. */
function averageBrute(tasks: ITaskRecord[], a: number, b: number): number {
  const steps = 400;
  let sum = 0;
  for (let k = 0; k < steps; k++) {
    sum += busyBrute(tasks, a + ((k + 0.5) / steps) * (b - a));
  }
  return sum / steps;
}

describe('SortedTimes', () => {
  it('counts and sums the times at or before a moment, through inserts and removals', () => {
    const times = new SortedTimes(T0);
    [5, 1, 3, 3, 9].forEach(t => times.insert(T0 + t));
    expect(times.size).toBe(5);
    expect(times.countUpTo(T0 + 3)).toBe(3);
    expect(times.countUpTo(T0 + 0.5)).toBe(0);
    // (4-1) + (4-3) + (4-3)
    expect(times.areaUpTo(T0 + 4)).toBeCloseTo(5, 9);
    times.remove(T0 + 3);
    expect(times.areaUpTo(T0 + 4)).toBeCloseTo(4, 9);
    expect(times.size).toBe(4);
    times.insert(T0 + 2);
    expect(times.areaUpTo(T0 + 10)).toBeCloseTo(9 + 8 + 7 + 5 + 1, 9);
    expect(SortedTimes.from(T0, [T0 + 3, T0 + 1]).areaUpTo(T0 + 3)).toBeCloseTo(2, 9);
    // changes wait for the next query; one added and taken out again in
    // between leaves nothing, however many others come and go
    times.insert(T0 + 7);
    times.remove(T0 + 7);
    times.insert(T0 + 0.5);
    times.remove(T0 + 9);
    expect(times.size).toBe(5);
    expect(times.countUpTo(T0 + 8)).toBe(5);
    expect(times.areaUpTo(T0 + 10)).toBeCloseTo(9.5 + 9 + 8 + 7 + 5, 9);
  });

  it('keeps milliseconds of epoch times summed over 100,000 values', () => {
    const times = SortedTimes.from(
      T0,
      Array.from({ length: 100000 }, (_, i) => T0 + i * 0.001)
    );
    // area between two moments 1 ms apart, after all times: 100,000 tasks
    // times that 1 ms (as far apart as the two epoch doubles are)
    const [a, b] = [T0 + 200, T0 + 200.001];
    expect(times.areaUpTo(b) - times.areaUpTo(a)).toBeCloseTo(100000 * (b - a), 6);
  });
});

describe('UtilisationModel', () => {
  it('counts the tasks running at a moment as the tasks themselves say', () => {
    const tasks = randomTasks(500, 1);
    const model = new UtilisationModel(storeOf(tasks));
    const next = random(2);
    for (let k = 0; k < 50; k++) {
      const t = T0 + next() * 120;
      expect(model.busyAt(t)).toBe(busyBrute(tasks, t));
    }
    expect(model.running).toBe(tasks.filter(t => t.status === 'running').length);
    expect(model.tasks).toBe(500);
  });

  it('averages the running count over each pixel column, and leaves the future empty', () => {
    const tasks = randomTasks(300, 3);
    const model = new UtilisationModel(storeOf(tasks));
    const now = T0 + 114;
    const columns = model.busyColumns(T0, T0 + 120, 24, now);
    expect(columns.length).toBe(24);
    for (let x = 0; x < 23; x++) {
      const a = T0 + x * 5;
      expect(columns[x]).toBeCloseTo(averageBrute(tasks, a, Math.min(a + 5, now)), 0);
    }
    // a column wholly after now is NaN; the one holding now averages up to now
    expect(Number.isNaN(columns[23])).toBe(true);
    expect(Number.isNaN(columns[22])).toBe(false);
  });

  it('follows deltas change by change and ends where a fresh model of the same store does', () => {
    const tasks = randomTasks(200, 4);
    const store = storeOf(tasks);
    const model = new UtilisationModel(store);
    model.busyAt(T0); // built once from the snapshot
    const rebuilds = jest.spyOn(SortedTimes, 'from');
    const next = random(5);
    for (let seq = 1; seq <= 30; seq++) {
      // running tasks finish, started times move to the hub's, new tasks start
      const changed = tasks
        .filter(() => next() < 0.05)
        .map(t => {
          const started = (t.started ?? T0) - next() * 0.01;
          return t.status === 'running'
            ? { ...t, status: 'done' as const, started, completed: started + next() * 5 }
            : { ...t, started };
        });
      changed.forEach(c => (tasks[Number(c.msg_id.slice(1))] = c));
      store.apply(deltaMessage(seq, changed));
      const t = T0 + next() * 110;
      expect(model.busyAt(t)).toBe(busyBrute(tasks, t));
    }
    expect(rebuilds).not.toHaveBeenCalled();
    rebuilds.mockRestore();
    const fresh = new UtilisationModel(store);
    const ours = Array.from(model.busyColumns(T0, T0 + 110, 50, T0 + 200));
    const theirs = Array.from(fresh.busyColumns(T0, T0 + 110, 50, T0 + 200));
    ours.forEach((v, i) => expect(v).toBeCloseTo(theirs[i], 6));
    expect(model.running).toBe(fresh.running);
  });

  it('forgets the tasks of a dropped result, and everything after a reset', () => {
    const store = storeOf([
      taskRecord('a', 'running', { engine_id: 0, started: T0 + 1 }),
      taskRecord('b', 'running', { engine_id: 1, started: T0 + 2 })
    ]);
    const model = new UtilisationModel(store);
    expect(model.busyAt(T0 + 3)).toBe(2);
    store.apply(deltaMessage(1, [], [], ['r1']));
    expect(model.busyAt(T0 + 3)).toBe(0);
    expect(model.running).toBe(0);
    store.reset();
    expect(model.tasks).toBe(0);
  });

  it('counts neither queued tasks nor aborted ones as running', () => {
    const model = new UtilisationModel(
      storeOf([
        taskRecord('q', 'pending', { submitted: T0 }),
        taskRecord('x', 'aborted', { engine_id: 0, submitted: T0, completed: T0 + 1 }),
        taskRecord('r', 'running', { engine_id: 0, submitted: T0, started: T0 + 2 })
      ])
    );
    expect(model.busyAt(T0 + 1)).toBe(0);
    expect(model.busyAt(T0 + 3)).toBe(1);
    expect(model.tasks).toBe(2);
  });

  it("does not count a running task before its engine's previous task ended", () => {
    // ipyparallel 9 tells `started` only with the reply: b runs on engine 0
    // with no start known, queued there behind a until a ended at T0 + 3
    const store = storeOf([
      taskRecord('b', 'running', { engine_id: 0, submitted: T0 + 1 }),
      taskRecord('c', 'running', { engine_id: 1, submitted: T0 + 1 })
    ]);
    const model = new UtilisationModel(store);
    expect(model.busyAt(T0 + 2)).toBe(2);
    store.apply(
      deltaMessage(
        1,
        [
          taskRecord('a', 'error', {
            engine_id: 0,
            submitted: T0,
            started: T0 + 1,
            completed: T0 + 3
          })
        ],
        [resultRecord('r1', ['b', 'c', 'a'])]
      )
    );
    // a ran 1..3 on engine 0, so b ran from 3: two busy at 2, never three
    expect(model.busyAt(T0 + 2)).toBe(2);
    expect(model.busyAt(T0 + 3.5)).toBe(2);
    expect(new UtilisationModel(store).busyAt(T0 + 2)).toBe(2);
    // once the reply says when b started, that is what counts
    store.apply(
      deltaMessage(2, [
        taskRecord('b', 'done', {
          engine_id: 0,
          submitted: T0 + 1,
          started: T0 + 3.1,
          completed: T0 + 4
        })
      ])
    );
    expect(model.busyAt(T0 + 3.05)).toBe(1);
    expect(model.busyAt(T0 + 3.5)).toBe(2);
  });

  it('keeps the engine counts the controller gave, one per change', () => {
    const model = new UtilisationModel(storeOf([]));
    expect(model.enginesAt(T0)).toBeNull();
    model.noteEngines(T0 + 1, 2);
    model.noteEngines(T0 + 2, 2);
    model.noteEngines(T0 + 5, 4);
    expect(model.engineSamples).toEqual([
      { time: T0 + 1, engines: 2 },
      { time: T0 + 5, engines: 4 }
    ]);
    expect(model.enginesAt(T0)).toBe(2);
    expect(model.enginesAt(T0 + 4.9)).toBe(2);
    expect(model.enginesAt(T0 + 9)).toBe(4);
    // an empty store draws zeros up to now
    expect(Array.from(model.busyColumns(T0, T0 + 4, 4, T0 + 2.5))).toEqual([0, 0, 0, NaN]);
  });
});
