import { engineRanges, groupOutputs, type ITaskOutputs, type OutputItem } from '../outputs';

function task(engine: number | null, extra: Partial<ITaskOutputs> = {}): ITaskOutputs {
  return {
    msg_id: `m${engine}`,
    engine_id: engine,
    stdout: '',
    stdout_truncated: false,
    stderr: '',
    stderr_truncated: false,
    outputs: [],
    outputs_truncated: false,
    execute_result: null,
    ...extra
  };
}

const bundle = (text: string) => ({ data: { 'text/plain': text }, metadata: {} });
const boom = (engine: number) => ({
  ename: 'ZeroDivisionError',
  evalue: 'division by zero',
  traceback: 'Traceback ...\nZeroDivisionError: division by zero',
  engine_id: engine
});

/** Each item as one short string: what a reader sees, in order. */
const seen = (items: OutputItem[]) =>
  items.map(i => {
    switch (i.kind) {
      case 'stream':
        return `${i.prefix}${i.text.trim()}`;
      case 'display':
      case 'result':
        return `${i.kind}:${i.engines ? engineRanges(i.engines) : i.engineId}:${
          i.bundle.data['text/plain']
        }`;
      default:
        return i.text;
    }
  });

// four engines as a %px cell leaves them: engine 1 printed nothing, engine 2
// failed after printing, engine 3 displayed two plots, engine 0 one
const tasks = [
  task(0, { stdout: 'hi\n', outputs: [bundle('p0a')], execute_result: bundle('r0') }),
  task(1),
  task(2, { stdout: 'before the error\n', stderr: 'warn\n', error: boom(2) }),
  task(3, { stdout: 'hi\n', outputs: [bundle('p3a'), bundle('p3b')], execute_result: bundle('r3') })
];

describe('groupOutputs in every grouping', () => {
  it('type: all stdout, all stderr, displays per engine, then results and errors', () => {
    expect(seen(groupOutputs(tasks, 'type'))).toEqual([
      '[stdout:0] hi',
      '[stdout:2] before the error',
      '[stdout:3] hi',
      '[stderr:2] warn',
      '[output:0]',
      'display:0:p0a',
      '[output:3]',
      'display:3:p3a',
      'display:3:p3b',
      'result:0:r0',
      '[2:error]',
      'result:3:r3'
    ]);
  });

  it('engine: everything of one engine before the next; the silent engine shows nothing', () => {
    expect(seen(groupOutputs(tasks, 'engine'))).toEqual([
      '[stdout:0] hi',
      '[output:0]',
      'display:0:p0a',
      'result:0:r0',
      '[stdout:2] before the error',
      '[stderr:2] warn',
      '[2:error]',
      '[stdout:3] hi',
      '[output:3]',
      'display:3:p3a',
      'display:3:p3b',
      'result:3:r3'
    ]);
  });

  it('order: the n-th display of every engine together, engines with fewer kept', () => {
    const items = seen(groupOutputs(tasks, 'order'));
    expect(items.slice(3, 10)).toEqual([
      '[stderr:2] warn',
      '[output:0]',
      'display:0:p0a',
      '[output:3]',
      'display:3:p3a',
      '[output:3]',
      'display:3:p3b'
    ]);
  });

  it('merge: identical outputs of several engines once, labelled by their range', () => {
    const same = [0, 1, 2, 3].map(e =>
      task(e, { stdout: 'same\n', outputs: [bundle('plot')], msg_id: `x${e}` })
    );
    same[2] = task(2, { stdout: 'odd\n', msg_id: 'x2' });
    expect(seen(groupOutputs(same, 'merge'))).toEqual([
      '[stdout:0-1,3] same',
      '[stdout:2] odd',
      '[output:0-1,3]',
      'display:0-1,3:plot'
    ]);
  });

  it('merge keeps a failed engine apart from its healthy twins', () => {
    const twins = [task(0, { stdout: 'x\n' }), task(1, { stdout: 'x\n', error: boom(1) })];
    expect(seen(groupOutputs(twins, 'merge'))).toEqual([
      '[stdout:0] x',
      '[stdout:1] x',
      '[1:error]'
    ]);
  });

  it('first: the lowest engine only, with a count of the hidden ones', () => {
    const items = groupOutputs(tasks, 'first');
    expect(seen(items)).toEqual([
      '[stdout:0] hi',
      '[output:0]',
      'display:0:p0a',
      'result:0:r0',
      '(outputs of 3 more engine(s) hidden: merge shows all)'
    ]);
    expect(items[items.length - 1]).toMatchObject({ kind: 'hidden', count: 3 });
  });

  it('keeps tasks in their submission slots however their outputs arrived', () => {
    // engine 3's output came first, engine 0's last: the slots do not move
    const late = tasks.map(t => ({ ...t }));
    late[0] = { ...late[0], stdout: '' };
    const before = seen(groupOutputs(late, 'engine'));
    late[0] = { ...late[0], stdout: 'now\n' };
    const after = seen(groupOutputs(late, 'engine'));
    expect(before[0]).toBe('[output:0]');
    expect(after[0]).toBe('[stdout:0] now');
    expect(after.indexOf('[stdout:3] hi')).toBeGreaterThan(
      after.indexOf('[stdout:2] before the error')
    );
  });

  it('shows output printed before an error (nothing is lost to the failure)', () => {
    for (const g of ['type', 'engine', 'order', 'merge'] as const) {
      const items = seen(groupOutputs([tasks[2]], g));
      expect(items).toContain('[stdout:2] before the error');
      expect(items).toContain('[2:error]');
    }
  });

  it('shows nothing for engines that produced nothing, in every grouping', () => {
    for (const g of ['type', 'engine', 'order', 'merge', 'first'] as const) {
      expect(groupOutputs([task(0), task(1)], g)).toEqual(
        g === 'first' ? [expect.objectContaining({ kind: 'hidden', count: 1 })] : []
      );
    }
    expect(groupOutputs([], 'first')).toEqual([]);
  });

  it('refuses a grouping it does not know', () => {
    expect(() => groupOutputs(tasks, 'random' as never)).toThrow(/groupby must be one of/);
  });

  it('writes engine ranges as ipyparallel users read them', () => {
    expect(engineRanges([5, 0, 1, 2, 3, 3])).toBe('0-3,5');
    expect(engineRanges([7])).toBe('7');
    expect(engineRanges([])).toBe('');
  });
});

describe('engine grouping of a load-balanced map', () => {
  it('shows engine 0 first, then engine 1, each engine in submission order', () => {
    // submission order jumps between engines, as a load-balanced map's does
    const tasks = [
      task(1, { msg_id: 'a', stdout: 'item 0\n' }),
      task(0, { msg_id: 'b', stdout: 'item 1\n' }),
      task(null, { msg_id: 'c', stdout: 'never ran\n' }),
      task(0, { msg_id: 'd', stdout: 'item 3\n' }),
      task(1, { msg_id: 'e', stdout: 'item 4\n' })
    ];
    expect(seen(groupOutputs(tasks, 'engine'))).toEqual([
      '[stdout:0] item 1',
      '[stdout:0] item 3',
      '[stdout:1] item 0',
      '[stdout:1] item 4',
      '[stdout:null] never ran'
    ]);
  });
});
