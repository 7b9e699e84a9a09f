import { parseArgs, UsageError } from '../cli/args';
import { renderTop } from '../cli/topView';
import type { IClusterSnapshot } from '../clusterSnapshot';

describe('ipp-top command line', () => {
  it('reads a run with targets, groupby and a connection by profile and cluster id', () => {
    const cmd = parseArgs([
      'run',
      '--profile',
      'p',
      '--cluster-id',
      'c',
      '--targets',
      '0,2',
      '--groupby=engine',
      'print(1)'
    ]);
    expect(cmd).toMatchObject({
      command: 'run',
      connection: { profile: 'p', clusterId: 'c' },
      targets: [0, 2],
      groupby: 'engine',
      code: 'print(1)'
    });
    expect(parseArgs(['run', '--balanced', 'x']).targets).toBeNull();
  });

  it('defaults to the live view, and --json to one snapshot', () => {
    expect(parseArgs([])).toMatchObject({ command: 'top', json: false, interval: 1, window: 60 });
    expect(parseArgs(['--json', '--file', 'f.json', '--timeout', '2'])).toMatchObject({
      json: true,
      connection: { path: 'f.json', timeout: 2 }
    });
  });

  it.each([
    [['--nope'], /unknown option --nope/],
    [['--file'], /--file needs a value/],
    [['--timeout', '0'], /positive number/],
    [['run'], /exactly one CODE/],
    [['run', '--targets', 'a', 'x'], /not an engine id/],
    [['--groupby', 'size'], /type, engine, order, merge or first/],
    [['stray'], /unexpected argument stray/]
  ])('refuses %j with a UsageError that says why', (argv, why) => {
    expect(() => parseArgs(argv as string[])).toThrow(UsageError);
    expect(() => parseArgs(argv as string[])).toThrow(why);
  });
});

describe('the live view', () => {
  const snap: IClusterSnapshot = {
    time: 1000,
    connection_file: '/c.json',
    queue_status: { '0': { queue: 1, completed: 5, tasks: 0 }, unassigned: 2 },
    engines: [
      {
        id: 0,
        uuid: 'u0',
        state: 'busy',
        running: { msg_id: 'm-run', started: 995 },
        queue: 1,
        completed: 5,
        tasks: 0
      },
      { id: 1, uuid: 'u1', state: 'dead', running: null, queue: 0, completed: 2, tasks: 0 }
    ],
    unassigned: 2,
    running: [
      {
        msg_id: 'm-run',
        engine_id: 0,
        status: 'running',
        kind: 'apply',
        label: 'train',
        submitted: 990,
        started: 995,
        completed: null,
        error: null
      }
    ],
    recent: [
      {
        msg_id: 'm-bad',
        engine_id: 0,
        status: 'error',
        kind: 'execute',
        label: null,
        submitted: 980,
        started: 981,
        completed: 982.5,
        error: 'KeyError: x'
      }
    ],
    window: 60,
    rate: 0.5,
    current_rate: 2,
    current_span: 5,
    failures: 1
  };

  it('shows engines with their state, queues and current task, then running and recent tasks', () => {
    const text = renderTop(snap, { width: 200 });
    expect(text).toMatch(
      /engines 1 \(1 busy, 1 dead\)\s+running 1\s+queued 0\s+unassigned 2\s+done\/s 2\.0 now, 0\.5 avg\s+failures 1 \(last 60s\)/
    );
    expect(text).toMatch(/^0\s+busy\s+1\s+0\s+5\s+5\.0s apply m-run \(train\)$/m);
    expect(text).toMatch(/^1\s+dead\s+-\s+-\s+2\s+-$/m);
    expect(text).toMatch(/^running\s+0\s+5\.00s\s+apply\s+m-run {2}train$/m);
    expect(text).toMatch(/^error\s+0\s+1\.50s\s+execute\s+m-bad {2}KeyError: x$/m);
  });

  it('cuts lines to the terminal width and rows to its height', () => {
    const text = renderTop(
      { ...snap, recent: Array(100).fill(snap.recent[0]) },
      { width: 30, height: 12 }
    );
    const lines = text.split('\n');
    expect(lines.length).toBeLessThanOrEqual(12);
    expect(lines.every(l => l.length <= 30)).toBe(true);
  });
});
