import {
  IDeltaMessage,
  IResultRecord,
  ISnapshotMessage,
  ITaskRecord,
  parseBridgeMessage,
  ProtocolError,
  TaskStatus
} from '../protocol';
import { summarize, TaskStore } from '../taskStore';
import { deltaMessage, resultRecord, snapshotMessage } from './builders';

function task(msgId: string, status: TaskStatus = 'pending'): ITaskRecord {
  return {
    msg_id: msgId,
    status,
    engine_id: status === 'pending' ? null : 0,
    engine_uuid: null,
    submitted: 100,
    started: status === 'pending' ? null : 101,
    completed: null,
    received: null
  };
}

const result = (id: string, msgIds: string[]) => resultRecord(id, msgIds);

function snapshot(
  seq: number,
  results: IResultRecord[] = [],
  tasks: ITaskRecord[] = []
): ISnapshotMessage {
  return snapshotMessage(seq, results, tasks, { clock: 1000 });
}

function delta(
  seq: number,
  results: IResultRecord[] = [],
  tasks: ITaskRecord[] = [],
  removed: string[] = []
): IDeltaMessage {
  return deltaMessage(seq, tasks, results, removed, { clock: 1000 });
}

describe('TaskStore', () => {
  let store: TaskStore;
  beforeEach(() => {
    store = new TaskStore();
  });
  afterEach(() => {
    store.dispose();
  });

  it('ignores deltas until the first snapshot arrives', () => {
    expect(store.apply(delta(1, [result('a', ['m1'])], [task('m1')]))).toBe('waiting');
    expect(store.results()).toHaveLength(0);
    expect(store.seq).toBe(-1);
  });

  it('applies deltas in sequence after a snapshot', () => {
    store.apply(snapshot(4, [result('a', ['m1', 'm2'])], [task('m1')]));
    expect(store.apply(delta(5, [], [task('m2', 'running')]))).toBe('applied');
    expect(store.apply(delta(6, [], [task('m1', 'done')]))).toBe('applied');
    expect(store.seq).toBe(6);
    expect(store.task('m1')!.status).toBe('done');
    expect(store.task('m2')!.status).toBe('running');
  });

  it('drops a delta it has already applied, keeping the newer state', () => {
    store.apply(snapshot(0, [result('a', ['m1'])], [task('m1')]));
    store.apply(delta(1, [], [task('m1', 'done')]));
    expect(store.apply(delta(1, [], [task('m1', 'running')]))).toBe('duplicate');
    expect(store.task('m1')!.status).toBe('done');
  });

  it('asks once for a snapshot on a gap and applies nothing until it comes', () => {
    const reasons: string[] = [];
    store.snapshotNeeded.connect((_, reason) => reasons.push(reason));
    store.apply(snapshot(0, [result('a', ['m1'])], [task('m1')]));
    expect(store.apply(delta(2, [], [task('m1', 'done')]))).toBe('gap');
    expect(store.apply(delta(3, [], [task('m1', 'done')]))).toBe('waiting');
    expect(reasons).toEqual(['gap in sequence: expected 1, got 2']);
    expect(store.task('m1')!.status).toBe('pending');
    expect(store.synced).toBe(false);

    store.apply(snapshot(3, [result('a', ['m1'])], [task('m1', 'done')]));
    expect(store.synced).toBe(true);
    expect(store.apply(delta(4, [], [task('m1', 'done')]))).toBe('applied');
  });

  it('replaces everything with a snapshot, forgetting what it lacks', () => {
    store.apply(snapshot(0, [result('a', ['m1'])], [task('m1')]));
    store.apply(snapshot(7, [result('b', ['m2'])], [task('m2', 'running')]));
    expect(store.results().map(r => r.id)).toEqual(['b']);
    expect(store.task('m1')).toBeUndefined();
    expect(store.seq).toBe(7);
  });

  it('keeps one task per msg_id when two results share it', () => {
    store.apply(snapshot(0));
    store.apply(
      delta(
        1,
        [result('outer', ['m1', 'm2']), result('again', ['m1'])],
        [task('m1'), task('m2'), task('m1', 'running')]
      )
    );
    expect(store.taskCount).toBe(2);
    expect(store.task('m1')!.status).toBe('running');
    expect(store.summary('again')!.running).toBe(1);
  });

  it('removes results and only the tasks nobody else refers to', () => {
    store.apply(
      snapshot(0, [result('a', ['m1', 'm2']), result('b', ['m2'])], [task('m1'), task('m2')])
    );
    store.apply(delta(1, [], [], ['a']));
    expect(store.result('a')).toBeUndefined();
    expect(store.task('m1')).toBeUndefined();
    expect(store.task('m2')).toBeDefined();
  });

  it('announces each change with the ids it touched', () => {
    const changes: TaskStore.IChange[] = [];
    store.changed.connect((_, c) => changes.push(c));
    store.apply(snapshot(0, [result('a', ['m1'])], [task('m1')]));
    store.apply(delta(1, [], [task('m1', 'done')]));
    store.apply(delta(1, [], [task('m1', 'done')]));
    expect(changes).toEqual([
      { kind: 'snapshot', results: ['a'], tasks: ['m1'] },
      { kind: 'delta', results: [], tasks: ['m1'], controller: false }
    ]);
  });

  it('tells a watcher only of changes to its result, its tasks, or the whole store', () => {
    const heard: string[] = [];
    const watch = store.watch('a', c => heard.push(`${c.kind}:${c.tasks.join(',')}`));
    store.apply(snapshot(0, [result('a', ['m1']), result('b', ['m2'])], [task('m1'), task('m2')]));
    store.apply(delta(1, [], [task('m2', 'done')]));
    store.apply(delta(2, [], [task('m1', 'done')]));
    store.apply(delta(3, [result('a', ['m1', 'm3'])], []));
    store.apply(delta(4, [], [task('m3', 'running')]));
    store.apply(delta(5, [], [], ['a']));
    watch.dispose();
    store.apply(delta(6, [result('a', ['m1'])], []));
    expect(heard).toEqual(['snapshot:m1,m2', 'delta:m1', 'delta:', 'delta:m3', 'delta:']);
  });

  it('knows which results hold a task as records grow, change fields and drop tasks', () => {
    const holders = (...ms: string[]) => ms.map(m => store.resultsOf(m).sort().join(','));
    store.apply(snapshot(0, [result('a', ['m1', 'm2']), result('b', ['m2'])], []));
    // grown at the end, as a map being submitted grows
    store.apply(
      deltaMessage(1, [], [], [], {
        result_changes: [{ id: 'a', msg_ids_at: 2, add_msg_ids: ['m3'] }]
      })
    );
    expect(holders('m1', 'm2', 'm3')).toEqual(['a', 'a,b', 'a']);
    // a field changed, the msg_ids kept
    store.apply(deltaMessage(2, [], [], [], { result_changes: [{ id: 'a', sent: true }] }));
    expect(holders('m1', 'm2', 'm3')).toEqual(['a', 'a,b', 'a']);
    // a whole record that keeps the start and adds one
    store.apply(delta(3, [result('a', ['m1', 'm2', 'm3', 'm4'])]));
    expect(holders('m1', 'm2', 'm3', 'm4')).toEqual(['a', 'a,b', 'a', 'a']);
    // one that drops some and reorders the rest
    store.apply(delta(4, [result('a', ['m4', 'm2'])]));
    expect(holders('m1', 'm2', 'm3', 'm4')).toEqual(['', 'a,b', '', 'a']);
    const heard: string[] = [];
    store.watch('a', c => heard.push(c.tasks.join(',')));
    store.apply(delta(5, [], [task('m1', 'done'), task('m3', 'done')]));
    store.apply(delta(6, [], [task('m4', 'done')]));
    expect(heard).toEqual(['m4']);
  });

  it('forgets everything on reset and waits for a snapshot again', () => {
    store.apply(snapshot(3, [result('a', ['m1'])], [task('m1')]));
    store.reset();
    expect(store.results()).toEqual([]);
    expect(store.apply(delta(4))).toBe('waiting');
  });

  it('places kernel times on the local clock through the offset', () => {
    const now = Date.now() / 1000;
    store.apply({ ...snapshot(0), clock: now - 30 });
    expect(store.clockOffset).toBeGreaterThan(29.9);
    expect(store.clockOffset).toBeLessThan(31);
    expect(Math.abs(store.kernelNow() - (now - 30))).toBeLessThan(1);
  });
});

describe('summarize', () => {
  it('calls a result running while some tasks are finished and some queued', () => {
    const s = summarize([task('a', 'done'), task('b')]);
    expect(s).toMatchObject({ done: 1, pending: 1, finished: 1, total: 2 });
    expect(s.status).toBe('running');
  });

  it('calls a result pending when nothing has started', () => {
    expect(summarize([task('a'), task('b')]).status).toBe('pending');
  });

  it('lets an error win over an abort once all tasks are finished', () => {
    expect(summarize([task('a', 'aborted'), task('b', 'error'), task('c', 'done')]).status).toBe(
      'error'
    );
    expect(summarize([task('a', 'aborted'), task('c', 'done')]).status).toBe('aborted');
    expect(summarize([task('a', 'done')]).status).toBe('done');
  });

  it('counts a task the store lacks as unknown', () => {
    const s = summarize([undefined, task('a', 'done')]);
    expect(s.unknown).toBe(1);
    expect(s.status).toBe('running');
  });
});

describe('parseBridgeMessage', () => {
  it('accepts a well-formed snapshot', () => {
    const msg = snapshot(0, [result('a', ['m1'])], [task('m1')]);
    expect(parseBridgeMessage(JSON.parse(JSON.stringify(msg)))).toEqual(msg);
  });

  it.each([
    [null, 'message is not an object'],
    [{ v: 2, type: 'delta' }, 'unsupported protocol version 2'],
    [{ v: 1, type: 'bogus' }, 'unknown message type "bogus"'],
    [
      { v: 1, type: 'delta', seq: -1, clock: 1, results: [], tasks: [] },
      'delta without a valid seq'
    ],
    [
      { v: 1, type: 'delta', seq: 1, clock: 1, results: [], tasks: [] },
      'delta without a removed list'
    ],
    [
      {
        v: 1,
        type: 'snapshot',
        seq: 1,
        clock: 1,
        results: [],
        tasks: [{ msg_id: 'x', status: 'exploded' }]
      },
      'task x has unknown status "exploded"'
    ],
    [
      {
        v: 1,
        type: 'snapshot',
        seq: 1,
        clock: 1,
        results: [{ id: 'r', msg_ids: [3] }],
        tasks: []
      },
      'result r without a msg_ids list'
    ]
  ])('rejects %j with a clear error', (data, message) => {
    expect(() => parseBridgeMessage(data)).toThrow(ProtocolError);
    expect(() => parseBridgeMessage(data)).toThrow(message);
  });
});
