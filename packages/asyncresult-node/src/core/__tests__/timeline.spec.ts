import {
  laneColumns,
  summarizeLane,
  TaskStore,
  TimelineModel,
  timelineLanes,
  timelineSpan
} from '..';
import { deltaMessage, resultRecord, snapshotMessage, taskRecord } from './builders';

function store(): TaskStore {
  const s = new TaskStore();
  s.apply(
    snapshotMessage(
      0,
      [
        resultRecord('r1', ['a', 'b', 'c', 'd']),
        resultRecord('r2', ['e', 'a']) // shares a task with r1: drawn once
      ],
      [
        taskRecord('a', 'done', { engine_id: 1, submitted: 5, started: 10, completed: 20 }),
        taskRecord('b', 'error', { engine_id: 0, submitted: 5, started: 12, completed: 13 }),
        taskRecord('c', 'running', { engine_id: 0, submitted: 5, started: 15 }),
        taskRecord('d', 'pending', { submitted: 5 }),
        taskRecord('e', 'aborted', { engine_id: 1, submitted: 5, completed: 30 })
      ]
    )
  );
  return s;
}

describe('timelineLanes', () => {
  it('puts each task an engine took on its lane, once, from start to end', () => {
    const lanes = timelineLanes(store());
    expect(lanes.map(l => l.engine)).toEqual([0, 1]);
    expect(lanes[0].bars).toEqual([
      { msgId: 'b', start: 12, end: 13, status: 'error' },
      { msgId: 'c', start: 15, end: null, status: 'running' }
    ]);
    // the aborted task never ran: a mark where the engine turned it away
    expect(lanes[1].bars).toEqual([
      { msgId: 'a', start: 10, end: 20, status: 'done' },
      { msgId: 'e', start: 30, end: 30, status: 'aborted' }
    ]);
    expect(timelineLanes(store(), ['r2']).map(l => l.bars.length)).toEqual([2]);
    expect(timelineSpan(lanes, 40)).toEqual([10, 40]);
    expect(timelineSpan([], 40)).toBeNull();
  });

  it('sums a lane up for words and tests', () => {
    const [zero, one] = timelineLanes(store());
    expect(summarizeLane(zero)).toEqual({
      engine: 0,
      tasks: 2,
      running: 1,
      failed: 1,
      first: 12,
      last: 13
    });
    expect(summarizeLane(one)).toMatchObject({ tasks: 2, first: 10, last: 30 });
  });
});

describe('laneColumns', () => {
  it('gives each pixel the status covering most of it', () => {
    const lane = {
      engine: 0,
      bars: [
        { msgId: 'x', start: 0, end: 6, status: 'done' as const },
        { msgId: 'y', start: 6, end: 8, status: 'aborted' as const }
      ]
    };
    expect(laneColumns(lane, 0, 10, 5, 10)).toEqual(['done', 'done', 'done', 'aborted', null]);
  });

  it('keeps a failure that is thinner than a pixel among 100,000 successes', () => {
    const bars = Array.from({ length: 100_000 }, (_, i) => ({
      msgId: `m${i}`,
      start: i,
      end: i + 0.9,
      status: (i === 54_321 ? 'error' : 'done') as 'error' | 'done'
    }));
    const columns = laneColumns({ engine: 0, bars }, 0, 100_000, 1000, 0);
    expect(columns).toHaveLength(1000);
    expect(columns.filter(c => c === 'error')).toHaveLength(1);
    expect(columns[543]).toBe('error');
    expect(columns.filter(c => c === 'done')).toHaveLength(999);
  });

  it('draws each lane as if it were the first, however many were drawn before', () => {
    const aborted = {
      engine: 0,
      bars: Array.from({ length: 10 }, (_, i) => ({
        msgId: `a${i}`,
        start: i,
        end: i + 1,
        status: 'aborted' as const
      }))
    };
    // pixel 2: 0.6 of it done, 0.4 aborted
    const mixed = {
      engine: 1,
      bars: [
        { msgId: 'd', start: 2, end: 2.6, status: 'done' as const },
        { msgId: 'x', start: 2.6, end: 3, status: 'aborted' as const }
      ]
    };
    const alone = laneColumns(mixed, 0, 10, 10, 10);
    expect(alone[2]).toBe('done');
    laneColumns(aborted, 0, 10, 10, 10);
    expect(laneColumns(mixed, 0, 10, 10, 10)).toEqual(alone);
  });

  it('runs a running bar up to now', () => {
    const lane = {
      engine: 0,
      bars: [{ msgId: 'r', start: 0, end: null, status: 'running' as const }]
    };
    const columns = laneColumns(lane, 0, 10, 10, 5);
    expect(columns.slice(0, 5)).toEqual(Array(5).fill('running'));
    expect(columns.slice(5)).toEqual(Array(5).fill(null));
  });

  it('starts a running task whose start is unknown after its engine last finished', () => {
    // submitted at 0, queued behind a failure that ran from 1 to 4
    const lane = {
      engine: 0,
      bars: [
        { msgId: 'q', start: 0, end: null, status: 'running' as const, guessed: true },
        { msgId: 'f', start: 1, end: 4, status: 'error' as const }
      ]
    };
    expect(laneColumns(lane, 0, 10, 10, 8)).toEqual([
      null,
      'error',
      'error',
      'error',
      'running',
      'running',
      'running',
      'running',
      null,
      null
    ]);
  });
});

describe('TimelineModel', () => {
  const sorted = (lanes: ReturnType<typeof timelineLanes>) =>
    lanes.map(l => ({ ...l, bars: [...l.bars].sort((a, b) => a.msgId.localeCompare(b.msgId)) }));

  it('keeps the same lanes as a fresh count, delta by delta', () => {
    const s = store();
    const model = new TimelineModel(s);
    expect(sorted(model.lanes())).toEqual(sorted(timelineLanes(s)));
    // c finishes, d starts on engine 1, a is re-run on engine 0
    s.apply(
      deltaMessage(1, [
        taskRecord('c', 'done', { engine_id: 0, submitted: 5, started: 15, completed: 18 }),
        taskRecord('d', 'running', { engine_id: 1, submitted: 5, started: 19 }),
        taskRecord('a', 'running', { engine_id: 0, submitted: 5, started: 21 })
      ])
    );
    expect(sorted(model.lanes())).toEqual(sorted(timelineLanes(s)));
    expect(
      model
        .lanes()
        .map(summarizeLane)
        .map(l => [l.engine, l.tasks, l.running])
    ).toEqual([
      [0, 3, 1],
      [1, 2, 1]
    ]);
    // a snapshot: built again from the store
    s.apply(
      snapshotMessage(
        2,
        [resultRecord('r9', ['z'])],
        [taskRecord('z', 'done', { engine_id: 3, started: 1, completed: 2 })]
      )
    );
    expect(model.lanes().map(l => l.engine)).toEqual([3]);
    model.dispose();
  });
});
