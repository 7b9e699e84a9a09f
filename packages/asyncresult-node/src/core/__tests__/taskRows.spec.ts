import {
  type IDeltaMessage,
  type IResultRecord,
  type ISnapshotMessage,
  parseBridgeMessage
} from '../protocol';
import { TaskStore } from '../taskStore';
import { resultRecord } from './builders';

/** A delta in the wire form the kernel bridge sends. */
function delta(seq: number, fields: Partial<IDeltaMessage>): IDeltaMessage {
  return parseBridgeMessage({
    v: 1,
    type: 'delta',
    seq,
    clock: 1000,
    results: [],
    tasks: [],
    removed: [],
    ...fields
  }) as IDeltaMessage;
}

function part(part: number, parts: number, fields: Partial<ISnapshotMessage>): ISnapshotMessage {
  return parseBridgeMessage({
    v: 1,
    type: 'snapshot',
    seq: 5,
    clock: 1000,
    reply_to: null,
    bridge: { version: '0', ipyparallel: null },
    results: [],
    tasks: [],
    part,
    parts,
    ...fields
  }) as ISnapshotMessage;
}

describe('TaskStore with task rows', () => {
  let store: TaskStore;
  beforeEach(() => {
    store = new TaskStore();
    store.apply(part(0, 1, { seq: 0 }));
  });
  afterEach(() => store.dispose());

  it('decodes rows into whole records: status, engine uuid, times from t0', () => {
    store.apply(
      delta(1, {
        t0: 1000,
        results: [resultRecord('r1', ['a', 'b'])],
        changes: { r1: [[1, 2, 0, -1500000, 250, 1250000, 1250700, 1, 12]] },
        engines: { '0': 'uuid-0' }
      })
    );
    expect(store.task('b')).toEqual({
      msg_id: 'b',
      status: 'done',
      error: null,
      output_done: true,
      stream_size: 12,
      engine_id: 0,
      engine_uuid: 'uuid-0',
      submitted: 998.5,
      started: 1000.00025,
      completed: 1001.25,
      received: 1001.2507,
      // no extras in the row: the defaults, follow and after as after a reply
      label: null,
      follow: [],
      after: [],
      is_broadcast: false,
      is_coalescing: false
    });
    expect(store.task('a')).toBeUndefined();
  });

  it('reads the extras of a labelled task, after a null error (what the bridge sends)', () => {
    // the kernel's wire.task_row for a pending task of
    // `with view.temp_flags(label='first'): view.map_async(...)`
    store.apply(
      delta(1, {
        t0: 1000,
        results: [resultRecord('r1', ['a', 'b'])],
        changes: {
          r1: [
            [0, 0, null, 0, null, null, null, 0, 0, null, { label: 'first' }],
            [1, 2, 0, 0, 0, 1, 1, 1, 0, { ename: 'E', evalue: '', traceback: '', engine_id: 0 }]
          ]
        }
      })
    );
    expect(store.task('a')!.label).toBe('first');
    expect(store.task('a')!.error).toBeNull();
    expect(store.task('b')!.error!.ename).toBe('E');
    for (const bad of [
      [0, 0, null, 0, null, null, null, 0, 0, 'not an error'],
      [0, 0, null, 0, null, null, null, 0, 0, null, 'not extras'],
      [0, 0, null, 0, null, null, null, 0, 0, null, {}, 'one too many']
    ]) {
      expect(() => delta(2, { changes: { r1: [bad as any] } })).toThrow(
        'bad task row for result r1'
      );
    }
  });

  it('keeps an error that a later row of the same task leaves out', () => {
    const error = { ename: 'ValueError', evalue: 'bad', traceback: '', engine_id: 1 };
    store.apply(
      delta(1, {
        t0: 1000,
        results: [resultRecord('r1', ['a'])],
        changes: { r1: [[0, 3, 1, 0, 0, 0, 0, 0, 0, error]] }
      })
    );
    store.apply(delta(2, { t0: 1000, changes: { r1: [[0, 3, 1, 0, 0, 0, 1, 1, 0]] } }));
    expect(store.task('a')!.error).toEqual(error);
    expect(store.task('a')!.output_done).toBe(true);
  });

  it('grows a result by its patches, idempotently, and tells its watchers', () => {
    const seen: string[][] = [];
    store.watch('r1', change => seen.push(change.tasks));
    store.apply(
      delta(1, {
        results: [resultRecord('r1', ['a'])],
        changes: { r1: [[0, 0, null, null, null, null, null, 0, 0]] }
      })
    );
    store.apply(
      delta(2, {
        result_changes: [{ id: 'r1', msg_ids_at: 1, add_msg_ids: ['b', 'c'], sent: true }],
        changes: { r1: [[2, 1, 0, 0, 0, null, null, 0, 0]] }
      })
    );
    // a repeated patch (a frontend that also had a snapshot) changes nothing
    store.apply(
      delta(3, { result_changes: [{ id: 'r1', msg_ids_at: 1, add_msg_ids: ['b', 'c'] }] })
    );
    expect(store.result('r1')!.msg_ids).toEqual(['a', 'b', 'c']);
    expect(store.result('r1')!.sent).toBe(true);
    expect(store.task('c')!.status).toBe('running');
    expect(store.summary('r1')).toMatchObject({ total: 3, pending: 1, running: 1, unknown: 1 });
    expect(seen).toEqual([['a'], ['c'], []]);
  });

  it('applies a snapshot in parts only once the last part is in', () => {
    const changed: string[] = [];
    store.changed.connect((_, c) => changed.push(c.kind));
    store.apply(part(0, 2, { results: [resultRecord('r1', ['a'])] }));
    expect(store.result('r1')).toBeUndefined();
    expect(store.seq).toBe(0);
    store.apply(
      part(1, 2, {
        result_changes: [{ id: 'r1', msg_ids_at: 1, add_msg_ids: ['b'] }],
        changes: { r1: [[1, 2, 0, 0, 0, 0, 0, 1, 0]] }
      })
    );
    expect(store.seq).toBe(5);
    expect(store.result('r1')!.msg_ids).toEqual(['a', 'b']);
    expect(store.task('b')!.status).toBe('done');
    expect(changed).toEqual(['snapshot']);
  });

  it('asks for a new snapshot when a part comes without the ones before', () => {
    const reasons: string[] = [];
    store.snapshotNeeded.connect((_, r) => reasons.push(r));
    store.apply(part(1, 2, {}));
    expect(reasons).toHaveLength(1);
    expect(store.synced).toBe(false);
  });

  it('makes brief results whole from the one-task result before them', () => {
    const first = resultRecord('r7', ['s_4242_9'], { fname: 'noop', created: 1000.25 });
    // as the kernel's wire.brief_results writes a loop of apply_async: ids
    // as the numbers that replace the trailing digits, created in µs after t0
    const brief = [[8, 10, -500000], ['x9', 'other', 0], first, [11, 12, 1500]];
    store.apply(
      delta(1, {
        t0: 1000,
        results: [first, ...brief] as unknown as IResultRecord[],
        changes: {
          r8: [[0, 2, 0, 1, 2, 3, 4, 1, 0]],
          x9: [[0, 0, null, 5, null, null, null, 0, 0]]
        }
      })
    );
    expect(store.results().map(r => [r.id, r.msg_ids, r.created])).toEqual([
      ['r7', ['s_4242_9'], 1000.25],
      ['r8', ['s_4242_10'], 999.5],
      ['x9', ['other'], 1000],
      ['r11', ['s_4242_12'], 1000.0015]
    ]);
    // every other field is the whole result's
    expect(store.result('r8')).toEqual({
      ...first,
      id: 'r8',
      msg_ids: ['s_4242_10'],
      created: 999.5
    });
    expect(store.task('s_4242_10')?.status).toBe('done');
    expect(store.task('other')?.status).toBe('pending');
  });

  it('rejects a brief result with no one-task result before it, or of a bad shape', () => {
    const two = resultRecord('r1', ['a', 'b']);
    const one = resultRecord('r1', ['a1']);
    const bad: unknown[][] = [
      [[2, 3, 0]],
      [two, [2, 3, 0]],
      [one, [2, 3]],
      [one, [2, 3, '0']],
      [one, [-2, 3, 0]],
      [one, [2.5, 3, 0]],
      [one, [null, 3, 0]]
    ];
    for (const results of bad) {
      expect(() => delta(1, { t0: 0, results } as unknown as Partial<IDeltaMessage>)).toThrow(
        /brief result/
      );
    }
    // no t0 to count created from
    expect(() =>
      delta(1, { results: [one, [2, 3, 0]] } as unknown as Partial<IDeltaMessage>)
    ).toThrow(/brief result/);
  });

  it('rejects malformed rows, patches and part numbers', () => {
    const bad = [
      { changes: { r1: [[0, 9, null, null, null, null, null, 0, 0]] } },
      { changes: { r1: [[-1, 0, null, null, null, null, null, 0, 0]] } },
      { changes: { r1: [[0, 0, 'x', null, null, null, null, 0, 0]] } },
      { changes: { r1: [[0, 0]] } },
      { changes: [] },
      { t0: '0' },
      { result_changes: [{ id: 'r1', add_msg_ids: ['a'] }] },
      { engines: 3 }
    ];
    for (const fields of bad) {
      expect(() => delta(1, fields as Partial<IDeltaMessage>)).toThrow(/delta with/);
    }
    expect(() => part(2, 2, {})).toThrow(/part number/);
  });
});
