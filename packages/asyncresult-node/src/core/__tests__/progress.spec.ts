import { KEEP_TALLY_FROM, measureProgress } from '../progress';
import type { ITaskRecord } from '../protocol';
import { TaskStore } from '../taskStore';
import { deltaMessage, resultRecord, snapshotMessage, taskRecord } from './builders';

const T0 = 1_700_000_000;

/** Ten tasks submitted at T0: four done by T0+2, one failed, two running. */
function tenTasks(): TaskStore {
  const tasks = [
    ...[0, 1, 2, 3].map(i =>
      taskRecord(`m${i}`, 'done', {
        engine_id: i % 2,
        submitted: T0,
        started: T0 + 0.1,
        completed: T0 + 0.5 * (i + 1)
      })
    ),
    taskRecord('m4', 'error', { engine_id: 1, submitted: T0, completed: T0 + 1 }),
    taskRecord('m5', 'running', { engine_id: 0, submitted: T0, started: T0 + 2 }),
    taskRecord('m6', 'running', { engine_id: 1, submitted: T0, started: T0 + 2 }),
    ...[7, 8, 9].map(i => taskRecord(`m${i}`, 'pending', { submitted: T0 }))
  ];
  const store = new TaskStore();
  store.apply(
    snapshotMessage(
      0,
      [
        resultRecord(
          'r1',
          tasks.map(t => t.msg_id),
          { created: T0 }
        )
      ],
      tasks
    )
  );
  return store;
}

describe('measureProgress', () => {
  it('counts done, failed, running and queued tasks of a result', () => {
    const p = measureProgress(tenTasks(), ['r1'], T0 + 2.5);
    expect(p).toMatchObject({
      total: 10,
      done: 4,
      failed: 1,
      aborted: 0,
      running: 2,
      queued: 3,
      finished: false,
      missing: 0
    });
  });

  it('measures elapsed time from the first submission to now, and rate and ETA from it', () => {
    const p = measureProgress(tenTasks(), ['r1'], T0 + 2.5);
    expect(p.elapsed).toBeCloseTo(2.5);
    // 5 finished (4 done, 1 failed) in 2.5 s
    expect(p.rate).toBeCloseTo(2);
    // 5 left at 2 per second
    expect(p.eta).toBeCloseTo(2.5);
  });

  it('stops the clock at the last completion once every task has finished', () => {
    const store = tenTasks();
    const rest = ['m5', 'm6', 'm7', 'm8', 'm9'].map((id, i) =>
      taskRecord(id, 'done', { engine_id: i % 2, submitted: T0, completed: T0 + 3 + i })
    );
    store.apply(deltaMessage(1, rest));
    const p = measureProgress(store, ['r1'], T0 + 100);
    expect(p.finished).toBe(true);
    expect(p.elapsed).toBeCloseTo(7);
    expect(p.rate).toBeCloseTo(10 / 7);
    expect(p.eta).toBeNull();
  });

  it('lists what each engine did, by engine id', () => {
    const p = measureProgress(tenTasks(), ['r1'], T0 + 2.5);
    expect(p.engines).toEqual([
      { id: 0, done: 2, failed: 0, running: 1, died: false },
      { id: 1, done: 2, failed: 1, running: 1, died: false }
    ]);
  });

  it('weights the tasks of a chunked map by their chunk sizes, as len(ar) does', () => {
    const store = new TaskStore();
    store.apply(
      snapshotMessage(
        0,
        [resultRecord('r1', ['a', 'b'], { chunk_sizes: { a: 100, b: 100 } })],
        [taskRecord('a', 'done'), taskRecord('b', 'running')]
      )
    );
    expect(measureProgress(store, ['r1'], T0)).toMatchObject({
      total: 200,
      done: 100,
      running: 100
    });
  });

  it('counts a task shared by two results of one bar once', () => {
    const store = new TaskStore();
    store.apply(
      snapshotMessage(
        0,
        [resultRecord('r1', ['a', 'b']), resultRecord('r2', ['b', 'c'])],
        [taskRecord('a', 'done'), taskRecord('b', 'done'), taskRecord('c', 'pending')]
      )
    );
    expect(measureProgress(store, ['r1', 'r2'], T0)).toMatchObject({
      total: 3,
      done: 2,
      queued: 1
    });
  });

  it('says how many results the store does not know and never calls them finished', () => {
    const p = measureProgress(tenTasks(), ['r1', 'gone'], T0 + 2.5);
    expect(p.missing).toBe(1);
    const empty = measureProgress(new TaskStore(), ['gone'], T0);
    expect(empty).toMatchObject({ total: 0, missing: 1, finished: false, rate: null });
  });

  it('gives no rate or ETA before anything finished', () => {
    const store = new TaskStore();
    store.apply(
      snapshotMessage(
        0,
        [resultRecord('r1', ['a'], { created: T0 })],
        [taskRecord('a', 'pending', { submitted: T0 })]
      )
    );
    const p = measureProgress(store, ['r1'], T0 + 1);
    expect(p.elapsed).toBeCloseTo(1);
    expect(p.rate).toBeNull();
    expect(p.eta).toBeNull();
  });

  it('gives the whole one status, the same word the bar and the panel show', () => {
    expect(measureProgress(tenTasks(), ['r1'], T0 + 2.5).status).toBe('running');
    const store = new TaskStore();
    const tasks = [
      taskRecord('a', 'done'),
      taskRecord('b', 'aborted'),
      taskRecord('c', 'pending'),
      taskRecord('d', 'pending')
    ];
    store.apply(
      snapshotMessage(
        0,
        [
          resultRecord('ab', ['a', 'b']),
          resultRecord('cd', ['c', 'd']),
          resultRecord('gone', ['x'])
        ],
        tasks
      )
    );
    const ab = measureProgress(store, ['ab']);
    expect(ab).toMatchObject({ status: 'aborted', done: 1, failed: 0, aborted: 1 });
    expect(measureProgress(store, ['cd']).status).toBe('pending');
    expect(measureProgress(store, ['gone']).status).toBe('unknown');
    expect(measureProgress(store, ['nothing']).status).toBe('unknown');
  });
});

describe('measureProgress, kept up to date as rows arrive', () => {
  /** A small, seeded random number generator: the same walk every run. */
  function random(seed: number): () => number {
    let s = seed >>> 0;
    return () => {
      s = (s * 1664525 + 1013904223) >>> 0;
      return s / 2 ** 32;
    };
  }

  /** A store that applied one snapshot of what `store` holds now. */
  function counted(store: TaskStore): TaskStore {
    const results = store.results();
    const ids = new Set(results.flatMap(r => r.msg_ids));
    const tasks = Array.from(ids)
      .map(m => store.task(m))
      .filter(t => t !== undefined);
    const fresh = new TaskStore();
    fresh.apply(snapshotMessage(0, results, tasks));
    return fresh;
  }

  it('gives what counting every task afresh gives, after any sequence of changes', () => {
    const next = random(12);
    const pick = <T>(xs: ReadonlyArray<T>): T => xs[Math.floor(next() * xs.length)];
    // big enough that the store keeps tallies for 'map' and 'grows'
    const ids = Array.from({ length: 120 }, (_, i) => `m${i}`);
    expect(KEEP_TALLY_FROM).toBeLessThanOrEqual(32);
    const stamp = () => (next() < 0.3 ? null : T0 + Math.floor(next() * 20));
    const store = new TaskStore();
    store.apply(
      snapshotMessage(
        0,
        [
          resultRecord('map', ids.slice(0, 40), { chunk_sizes: { m0: 5, m3: 2 } }),
          resultRecord('grows', ids.slice(40, 72)),
          resultRecord('one', ['m80']),
          resultRecord('pair', ['m81', 'm82'])
        ],
        ids.slice(0, 60).map(m => taskRecord(m, 'pending', { submitted: T0 + 1 }))
      )
    );
    const groups = [
      ['map'],
      ['grows'],
      ['one'],
      ['pair'],
      ['map', 'one', 'pair'],
      ['pair', 'late']
    ];
    let seq = 0;
    let grown = 72;
    const moves = { task: 0, grow: 0, whole: 0, share: 0, remove: 0 };
    for (let step = 0; step < 600; step++) {
      // the tallies exist before the change, so the change has to move them
      for (const g of groups) {
        measureProgress(store, g, T0 + 30);
      }
      const roll = next();
      seq += 1;
      if (roll < 0.8) {
        moves.task += 1;
        const status = pick(['pending', 'running', 'done', 'error', 'aborted'] as const);
        const task = taskRecord(pick(ids.slice(0, 90)), status, {
          engine_id: next() < 0.2 ? null : Math.floor(next() * 3),
          error: status === 'error' && next() < 0.5 ? { ename: 'EngineError' } : undefined,
          submitted: stamp(),
          completed: stamp(),
          received: stamp()
        } as Partial<ITaskRecord>);
        store.apply(deltaMessage(seq, [task]));
      } else if (roll < 0.88) {
        moves.grow += 1;
        const at = store.result('grows')!.msg_ids.length;
        const add = ids.slice(grown % 120, (grown % 120) + 2);
        grown += 2;
        store.apply(
          deltaMessage(seq, [], [], [], {
            result_changes: [{ id: 'grows', msg_ids_at: at, add_msg_ids: add }]
          })
        );
      } else if (roll < 0.93) {
        moves.whole += 1;
        const sizes: Record<string, number> =
          next() < 0.5 ? { m1: 1 + Math.floor(next() * 4) } : {};
        store.apply(
          deltaMessage(seq, [], [resultRecord('map', ids.slice(0, 40), { chunk_sizes: sizes })])
        );
      } else if (roll < 0.97) {
        moves.share += 1;
        store.apply(deltaMessage(seq, [], [resultRecord('late', [pick(ids), pick(ids)])]));
      } else {
        moves.remove += 1;
        store.apply(deltaMessage(seq, [], [], [pick(['one', 'late'])]));
      }
      const fresh = counted(store);
      for (const g of groups) {
        expect({ step, g, p: measureProgress(store, g, T0 + 30) }).toEqual({
          step,
          g,
          p: measureProgress(fresh, g, T0 + 30)
        });
      }
    }
    // every kind of change happened, several times
    expect(Math.min(...Object.values(moves))).toBeGreaterThan(5);
  });

  it('counts a growing map once per task, whatever its patches repeat', () => {
    const store = new TaskStore();
    store.apply(
      snapshotMessage(
        0,
        [resultRecord('r1', ['a'])],
        [taskRecord('a', 'done'), taskRecord('b', 'done')]
      )
    );
    expect(measureProgress(store, ['r1'], T0)).toMatchObject({ total: 1, done: 1 });
    const patch = { id: 'r1', msg_ids_at: 1, add_msg_ids: ['b', 'c'] };
    store.apply(deltaMessage(1, [], [], [], { result_changes: [patch] }));
    // the same patch again (the bridge may repeat one): no double count
    store.apply(deltaMessage(2, [], [], [], { result_changes: [patch] }));
    expect(measureProgress(store, ['r1'], T0)).toMatchObject({ total: 3, done: 2, queued: 1 });
  });
});
