import { formatStreams, groupOutputs, type ITaskOutputs } from '../outputs';

function outputs(engine: number, extra: Partial<ITaskOutputs> = {}): ITaskOutputs {
  return {
    msg_id: `m${engine}`,
    engine_id: engine,
    stdout: `out ${engine}\n`,
    stdout_truncated: false,
    stderr: `err ${engine}\n`,
    stderr_truncated: false,
    outputs: [],
    outputs_truncated: false,
    execute_result: null,
    ...extra
  };
}

const plot = (n: string) => ({ data: { 'text/plain': n }, metadata: {} });

const describeItems = (items: ReturnType<typeof groupOutputs>) =>
  items.map(i =>
    i.kind === 'stream'
      ? `${i.name}:${i.engineId}`
      : !('bundle' in i)
        ? i.text
        : `${i.kind}:${i.engineId}:${(i.bundle.data as any)['text/plain']}`
  );

describe('groupOutputs', () => {
  const tasks = [
    outputs(1, { outputs: [plot('a1'), plot('b1')], execute_result: plot('r1') }),
    outputs(2, { outputs: [plot('a2')], execute_result: plot('r2') })
  ];

  it('shows all stdout, then all stderr, then displays per engine, then results when groupby=type', () => {
    expect(describeItems(groupOutputs(tasks, 'type'))).toEqual([
      'stdout:1',
      'stdout:2',
      'stderr:1',
      'stderr:2',
      '[output:1]',
      'display:1:a1',
      'display:1:b1',
      '[output:2]',
      'display:2:a2',
      'result:1:r1',
      'result:2:r2'
    ]);
  });

  it('groups stdout of engine 1 before stderr of engine 1 when groupby=engine', () => {
    expect(describeItems(groupOutputs(tasks, 'engine'))).toEqual([
      'stdout:1',
      'stderr:1',
      '[output:1]',
      'display:1:a1',
      'display:1:b1',
      'result:1:r1',
      'stdout:2',
      'stderr:2',
      '[output:2]',
      'display:2:a2',
      'result:2:r2'
    ]);
  });

  it('collates the i-th displays of every engine when groupby=order', () => {
    expect(describeItems(groupOutputs(tasks, 'order'))).toEqual([
      'stdout:1',
      'stdout:2',
      'stderr:1',
      'stderr:2',
      '[output:1]',
      'display:1:a1',
      '[output:2]',
      'display:2:a2',
      '[output:1]',
      'display:1:b1',
      'result:1:r1',
      'result:2:r2'
    ]);
  });

  it('keeps only results with resultOnly, and drops prefixes for a single result', () => {
    expect(describeItems(groupOutputs(tasks, 'type', { resultOnly: true }))).toEqual([
      'result:1:r1',
      'result:2:r2'
    ]);
    const single = groupOutputs([tasks[0]], 'type', { single: true });
    expect(single[0]).toMatchObject({ kind: 'stream', prefix: '' });
    expect(describeItems(single)).not.toContain('[output:1]');
  });

  it('says when displays were cut', () => {
    const cut = groupOutputs([outputs(3, { outputs: [plot('x')], outputs_truncated: true })]);
    expect(describeItems(cut)).toContain('[output:3] more displays were cut');
  });

  it('rejects an unknown groupby', () => {
    expect(() => groupOutputs(tasks, 'color' as any)).toThrow(
      "groupby must be one of 'type', 'engine', 'order', 'merge', 'first', not 'color'"
    );
  });
});

describe('formatStreams', () => {
  it('prints a prefix line only when it changes, as ipyparallel does', () => {
    const items = groupOutputs(
      [outputs(0, { stdout: 'a' }), outputs(1, { stdout: 'b\n' })],
      'type'
    );
    expect(formatStreams(items, 'stdout')).toBe('[stdout:0] \na\n[stdout:1] \nb\n');
  });
});
