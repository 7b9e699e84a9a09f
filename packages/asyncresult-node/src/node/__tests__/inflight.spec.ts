/**
 * ipp-top and the Node client with work in flight, on a 4-engine cluster
 * of their own (cluster.py): snapshots while 400 tasks run, running tasks
 * in the live view, back-to-back runs, lost iopub, engines and the
 * controller dying. Mid-run states are held with gate files, not sleeps.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AsyncResult } from '../../core/asyncResult';
import { AsyncHubResult } from '../../core/asyncHubResult';
import { ConnectionLostError } from '../../core/errors';
import { Client } from '../client';
import { clusterSnapshot } from '../clusterSnapshot';
import { BIN, buildNode, CliProcess, type IFinished, PACKAGE, runBin, waitFor } from './cliProcess';
import { LiveCluster, runPython } from './liveCluster';

jest.setTimeout(120000);

let cluster: LiveCluster;
let client: Client;
let file: string;
const dir = mkdtempSync(join(tmpdir(), 'ipp-inflight-'));

beforeAll(async () => {
  const [started] = await Promise.all([LiveCluster.start(4), buildNode()]);
  cluster = started;
  file = cluster.info.connection_file;
  client = await Client.connect({ path: file, timeout: 5 });
}, 240000);

// a failed test must not leave tasks holding the engines for the next ones
afterEach(() => Private.openAll());

afterAll(async () => {
  client?.close();
  await cluster?.stop();
}, 90000);

describe('with work in flight', () => {
  it('prints --json while 400 tasks are in flight, within Python queue_status() before and after', async () => {
    const gate = Private.gate('json');
    const held = client.directView('all').execute(gate.hold);
    const rest: AsyncResult[] = [];
    for (let i = 0; i < 99; i++) {
      rest.push(client.directView('all').execute('import time; time.sleep(0.05)'));
    }
    await waitFor(() => held.tasks().every(t => t?.status === 'running'), 60000);
    const still = await Private.compare();
    expect(still.snap.running).toHaveLength(400);
    // a fresh client never saw these tasks start: it infers one per engine
    expect(still.snap.running.filter((t: any) => t.status === 'running')).toHaveLength(4);
    expect(still.before).toEqual(still.after);
    expect(still.snap.queue_status).toEqual(still.before);

    gate.open();
    // and while they drain, in motion
    await Private.compare();
    for (const ar of [held, ...rest]) {
      await ar.get(120);
    }
    await client.directView('all').execute('pass').get(60);
    const snap = await clusterSnapshot(client, { window: 60 });
    expect(snap.running).toHaveLength(0);
    // the current rate counts the last few seconds only, the average the whole window
    expect(snap.current_rate).toBeGreaterThan(0);
    expect(snap.rate).toBeGreaterThan(0);
  });

  it('shows running tasks in the live view, per engine, with how long each has run', async () => {
    const top = new CliProcess(['--file', file, '--interval', '0.3']);
    try {
      await top.waitForOutput(/ENGINE\s+STATE/);
      const gate = Private.gate('live');
      const held = client.directView('all').execute(gate.hold, { label: 'held' });
      await top.waitForOutput(/running 4 /);
      for (const [i, msgId] of held.msgIds.entries()) {
        expect(top.stdout).toMatch(
          new RegExp(`^${i}\\s+busy\\s+1\\s+0\\s+\\d+\\s+\\d+\\.\\ds execute ${msgId}`, 'm')
        );
      }
      const snap = await clusterSnapshot(client);
      const running = snap.running.filter(t => t.status === 'running');
      expect(running.map(t => t.msg_id).sort()).toEqual([...held.msgIds].sort());
      expect(running.every(t => t.started !== null && t.engine_id !== null)).toBe(true);
      expect(snap.engines.map(e => e.running?.msg_id)).toEqual(held.msgIds);
      gate.open();
      await held.get(60);
      await top.waitForOutput(/running 0 /);
      top.press('q');
      const end = await top.exited;
      expect(end.code).toBe(0);
    } finally {
      top.kill();
    }
  });

  it('runs 50 times back to back with no hang and no lost output', async () => {
    const code = 'import sys; print("out", flush=True); print("err", file=sys.stderr); 6 * 7';
    for (let i = 0; i < 50; i++) {
      const run = await runBin(['run', '--file', file, code], 60);
      expect({ i, code: run.code, stderr: run.stderr }).toEqual({
        i,
        code: 0,
        stderr: expect.any(String)
      });
      expect(run.stdout.match(/^out$/gm)).toHaveLength(4);
      expect(run.stdout.match(/^Out\[\d\]: 42$/gm)).toHaveLength(4);
      expect(run.stderr.match(/^err$/gm)).toHaveLength(4);
    }
  }, 900000);

  it('takes the outputs the hub stored when iopub loses them', async () => {
    const deaf = await Client.connect({ path: file, timeout: 5, outputGrace: 1 });
    try {
      // as if the subscription were never live: nothing comes on iopub
      (deaf.transport as any)._sockets.get('iopub').unsubscribe();
      const ar = deaf.directView([0, 1]).execute('print("hi")\n6 * 7', { silent: false });
      const values = (await ar.get(30)) as Array<{ data: Record<string, string> }>;
      expect(values.map(v => v.data['text/plain'])).toEqual(['42', '42']);
      expect(await ar.waitForOutput(30)).toBe(true);
      const items = await ar.displayOutputs('engine');
      expect(items.filter(i => i.kind === 'stream').map(i => (i as any).text)).toEqual([
        'hi\n',
        'hi\n'
      ]);
    } finally {
      deaf.close();
    }
  });

  it('waits in AsyncHubResult.get() with no timeout until the hub has the result', async () => {
    const gate = Private.gate('hub');
    const ar = client.directView(0).execute(`${gate.hold}\n5 * 5`, { silent: false });
    await waitFor(() => ar.tasks()[0]?.status === 'running', 30000);
    const hub = await client.hub.getResult(ar.msgIds[0]);
    expect(hub).toBeInstanceOf(AsyncHubResult);
    let settled = false;
    const value = hub.get().finally(() => (settled = true));
    // several polls of the hub go by without an answer: it still waits
    await new Promise(r => setTimeout(r, 1500));
    expect(settled).toBe(false);
    gate.open();
    expect(((await value) as any).data['text/plain']).toBe('25');
  });

  it('groups run output by engine, takes --targets -1, drops colours in pipes, prints --json', async () => {
    const code =
      'import sys; print("o", flush=True); print("e", file=sys.stderr, flush=True); 1 + 1';
    const merged = await Private.merged([
      'run',
      '--file',
      file,
      '--targets',
      '0,1',
      '--groupby',
      'engine',
      code
    ]);
    expect(merged).toBe(
      '[stdout:0] \no\n[stderr:0] \ne\n[output:0]\n2\n[stdout:1] \no\n[stderr:1] \ne\n[output:1]\n2\n'
    );
    const last = await runBin(['run', '--file', file, '--targets', '-1', 'print("x")']);
    expect(last.code).toBe(0);
    expect(last.stdout).toBe('[stdout:3] \nx\n');
    const bad = await runBin(['run', '--file', file, '--targets', '0', '1/0']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/ZeroDivisionError/);
    // eslint-disable-next-line no-control-regex -- no ANSI escape may reach a pipe
    expect(bad.stderr).not.toMatch(/\x1b\[/);
    const json = await runBin([
      'run',
      '--json',
      '--file',
      file,
      '--targets',
      '1,2',
      'print(1); "a" * 2'
    ]);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({
      ok: true,
      lost: false,
      tasks: [
        { engine_id: 1, status: 'done', stdout: '1\n', result: { 'text/plain': "'aa'" } },
        { engine_id: 2, status: 'done', stdout: '1\n', result: { 'text/plain': "'aa'" } }
      ]
    });
  });

  it('splits, joins and resubmits results as ipyparallel does', async () => {
    const ar = client.directView([0, 1]).execute('import os\nos.getpid()', { silent: false });
    await ar.get(30);
    const [first, second] = await ar.split();
    expect([first.msgIds, second.msgIds]).toEqual([[ar.msgIds[0]], [ar.msgIds[1]]]);
    expect(((await second.get(5)) as any).engine_id).toBe(1);
    const joined = await (ar.constructor as typeof AsyncResult).join(second, first);
    expect(joined.msgIds).toEqual([ar.msgIds[1], ar.msgIds[0]]);
    const again = await ar.resubmit();
    expect(again).toBeInstanceOf(AsyncHubResult);
    expect(again.msgIds).toHaveLength(2);
    expect(again.msgIds).not.toEqual(ar.msgIds);
    const values = (await again.get()) as Array<{ data: Record<string, string> }>;
    // the hub resubmits through the task scheduler: any engine may run them
    const pids = Object.values(cluster.info.engines).map(String);
    for (const v of values) {
      expect(pids).toContain(v.data['text/plain']);
    }
  });

  it('lets a script that forgets client.close() exit', async () => {
    const script = join(dir, 'forgets.js');
    writeFileSync(
      script,
      `const { Client } = require(${JSON.stringify(PACKAGE)});
Client.connect({ path: ${JSON.stringify(file)} }).then(async client => {
  const value = await client.directView(0).execute('1 + 1', { silent: false }).get();
  console.log(value.data['text/plain']);
});
`
    );
    const end = await new Promise<{ code: number | null; out: string; seconds: number }>(
      resolve => {
        const started = Date.now();
        const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
        let out = '';
        child.stdout.on('data', c => (out += c));
        const timer = setTimeout(() => child.kill('SIGKILL'), 30000);
        child.on('exit', code => {
          clearTimeout(timer);
          resolve({ code, out, seconds: (Date.now() - started) / 1000 });
        });
      }
    );
    expect(end).toEqual({ code: 0, out: '2\n', seconds: expect.any(Number) });
    expect(end.seconds).toBeLessThan(20);
  });

  it('shows an engine killed during the live view as dead', async () => {
    const top = new CliProcess(['--file', file, '--interval', '0.3']);
    try {
      await top.waitForOutput(/^3\s+idle/m);
      const gate = Private.gate('dead');
      const held = client.directView(3).execute(gate.hold);
      await top.waitForOutput(/^3\s+busy/m);
      top.stdout = '';
      await cluster.killEngine(3);
      await top.waitForOutput(/^3\s+dead\s+-\s+-/m);
      expect(top.stdout).toMatch(/engines 3 \(\d busy, 1 dead\)/);
      await expect(held.get(30)).rejects.toMatchObject({ ename: 'EngineError' });
      top.press('q');
      expect((await top.exited).code).toBe(0);
    } finally {
      top.kill();
    }
  });

  it('says a wrong key is a wrong key, not a dead controller', async () => {
    const wrongKey = join(dir, 'wrong-key.json');
    writeFileSync(
      wrongKey,
      JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), key: 'not-it' })
    );
    const run = await runBin(['--json', '--file', wrongKey, '--timeout', '2']);
    expect(run.code).toBe(2);
    // the hub drops requests signed with another key without a reply:
    // all we can tell is that something listens and does not answer
    expect(run.stderr).toMatch(
      /no answer from the controller at .* in 2 s .*, though it accepts connections: either the key in .* is not the controller's/
    );
    expect(run.stderr).not.toMatch(/is it running/);
  });

  it('exits 2 from run, and fails waits with "connection to the controller lost", when the controller stops', async () => {
    const gate = Private.gate('pause');
    const run = new CliProcess([
      'run',
      '--file',
      file,
      '--timeout',
      '2',
      '--targets',
      '0',
      gate.hold
    ]);
    try {
      await waitFor(() => existsSync(gate.started), 30000);
      const ar = client.directView(1).execute(gate.hold);
      await cluster.pauseController(true);
      const end = await run.exited;
      expect(end.code).toBe(2);
      expect(end.stderr).toMatch(/the controller does not answer .*: 1 of 1 tasks lost/);
      const error: any = await ar.get().catch(e => e);
      expect(error).toBeInstanceOf(ConnectionLostError);
      expect(error.message).toMatch(
        /^connection to the controller lost: get: the controller does not answer/
      );
    } finally {
      run.kill();
      await cluster.pauseController(false);
      gate.open();
    }
  });

  it('quits the live view at once with q, and with Ctrl-C (130), while a refresh waits', async () => {
    for (const [how, status] of [
      ['q', 0],
      ['SIGINT', 130]
    ] as const) {
      const top = new CliProcess(['--file', file, '--interval', '0.2', '--timeout', '3']);
      try {
        await top.waitForOutput(/ENGINE\s+STATE/);
        await cluster.pauseController(true);
        await top.waitForOutput(/no answer from the controller/);
        const asked = Date.now();
        if (how === 'q') {
          top.press('q');
        } else {
          top.signal('SIGINT');
        }
        const end = await top.exited;
        expect({ how, code: end.code }).toEqual({ how, code: status });
        expect(Date.now() - asked).toBeLessThan(2500);
      } finally {
        top.kill();
        await cluster.pauseController(false);
      }
    }
  });

  it('exits 2 from run and keeps the live view quittable when the controller is killed (last: it ends the cluster)', async () => {
    const gate = Private.gate('kill');
    const top = new CliProcess(['--file', file, '--interval', '0.3', '--timeout', '2']);
    const run = new CliProcess([
      'run',
      '--file',
      file,
      '--timeout',
      '2',
      '--targets',
      '0,1',
      gate.hold
    ]);
    try {
      await top.waitForOutput(/ENGINE\s+STATE/);
      await waitFor(() => existsSync(gate.started), 30000);
      await cluster.killController();
      const end: IFinished = await run.exited;
      expect(end.code).toBe(2);
      expect(end.stderr).toMatch(/2 of 2 tasks lost/);
      await top.waitForOutput(/no answer from the controller/);
      top.press('q');
      expect((await top.exited).code).toBe(0);
      // a controller that is gone is told from one that ignores us
      const gone = await runBin(['--json', '--file', file, '--timeout', '2']);
      expect(gone.code).toBe(2);
      expect(gone.stderr).toMatch(/nothing accepts connections there; is it running\?/);
    } finally {
      run.kill();
      top.kill();
      gate.open();
    }
  });
});

namespace Private {
  let gates = 0;
  const opened: Array<() => void> = [];

  export function openAll(): void {
    opened.splice(0).forEach(open => open());
  }

  /**
   * A gate file: `hold` is Python that marks itself started and then waits
   * until `open()` creates the gate.
   */
  export function gate(name: string): { hold: string; started: string; open: () => void } {
    const base = join(dir, `${name}-${++gates}`);
    const started = `${base}.started`;
    opened.push(() => writeFileSync(base, ''));
    return {
      hold:
        `import os, time\nopen(${JSON.stringify(started)}, "a").close()\n` +
        `while not os.path.exists(${JSON.stringify(base)}): time.sleep(0.02)`,
      started,
      open: () => writeFileSync(base, '')
    };
  }

  const PY_QUEUE_STATUS = `
import json, sys, ipyparallel as ipp
c = ipp.Client(sys.argv[1])
print(json.dumps({str(k): v for k, v in c.queue_status().items()}))
c.close()
`;

  /**
   * Python's queue_status(), then ipp-top --json, then Python's again: each
   * of ipp-top's counts lies between Python's before and after.
   */
  export async function compare(): Promise<{ before: any; snap: any; after: any }> {
    const before = await runPython(PY_QUEUE_STATUS, [file]);
    const cli = await runBin(['--json', '--file', file]);
    const after = await runPython(PY_QUEUE_STATUS, [file]);
    expect({ code: cli.code, stderr: cli.stderr }).toEqual({ code: 0, stderr: '' });
    const snap = JSON.parse(cli.stdout);
    for (const id of Object.keys(before).filter(k => k !== 'unassigned')) {
      const [b, s, a] = [before[id], snap.queue_status[id], after[id]];
      expect(s.completed).toBeGreaterThanOrEqual(b.completed);
      expect(s.completed).toBeLessThanOrEqual(a.completed);
      expect(s.queue).toBeLessThanOrEqual(b.queue);
      expect(s.queue).toBeGreaterThanOrEqual(a.queue);
    }
    return { before, snap, after };
  }

  /** ipp-top's stdout and stderr through one pipe, in the order written. */
  export function merged(args: string[]): Promise<string> {
    return new Promise(resolve => {
      const child = spawn('sh', ['-c', 'exec "$0" "$@" 2>&1', process.execPath, BIN, ...args]);
      let out = '';
      child.stdout.on('data', c => (out += c));
      child.on('exit', () => resolve(out));
    });
  }
}
