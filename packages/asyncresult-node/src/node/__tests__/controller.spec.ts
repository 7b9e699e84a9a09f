/**
 * The Node client against a real ipyparallel controller and engines that
 * this file starts (cluster.py, private IPYTHONDIR and cluster id).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as zmq from 'zeromq';
import { AsyncResult } from '../../core/asyncResult';
import { AsyncHubResult } from '../../core/asyncHubResult';
import { RemoteError, TimeoutError } from '../../core/errors';
import { Client } from '../client';
import { BIN, buildNode } from './cliProcess';
import { LiveCluster, runPython } from './liveCluster';

jest.setTimeout(60000);

let cluster: LiveCluster;
let client: Client;

beforeAll(async () => {
  const [started] = await Promise.all([LiveCluster.start(2), buildNode()]);
  cluster = started;
  client = await Client.connect({ path: cluster.info.connection_file, timeout: 5 });
}, 180000);

afterAll(async () => {
  client?.close();
  await cluster?.stop();
}, 60000);

describe('Client against a real controller', () => {
  it('runs code on chosen engines and hands out the same AsyncResult proxies as the browser', async () => {
    const ar = client
      .directView([0, 1])
      .execute('import os\nprint("pid", os.getpid())\n6 * 7', { silent: false });
    expect(ar).toBeInstanceOf(AsyncResult);
    expect(ar.msgIds).toHaveLength(2);
    const values = (await ar.get(20)) as Array<{ engine_id: number; data: Record<string, string> }>;
    expect(values.map(v => v.engine_id)).toEqual([0, 1]);
    expect(values.map(v => v.data['text/plain'])).toEqual(['42', '42']);
    expect(ar.successful()).toBe(true);
    expect((ar.metadata as AsyncResult.IMetadata[]).map(m => m.engine_id)).toEqual([0, 1]);
    await ar.waitForOutput(10);
    const items = await ar.displayOutputs('engine');
    const pids = cluster.info.engines;
    expect(items.filter(i => i.kind === 'stream').map(i => (i as any).text)).toEqual([
      `pid ${pids['0']}\n`,
      `pid ${pids['1']}\n`
    ]);
  });

  it('streams stdout as it is printed, before the task ends', async () => {
    const chunks: Array<{ text: string; ready: boolean }> = [];
    let ar: AsyncResult | null = null;
    const onOutput = (_: Client, o: Client.IOutputEvent) => {
      if (ar && ar.msgIds.includes(o.msgId) && o.kind === 'stdout') {
        chunks.push({ text: o.text, ready: ar.ready() });
      }
    };
    client.output.connect(onOutput);
    ar = client
      .directView(0)
      .execute('import time\nfor i in range(3):\n    print(i, flush=True)\n    time.sleep(0.3)');
    await ar.get(20);
    await ar.waitForOutput(10);
    client.output.disconnect(onOutput);
    expect(chunks.map(c => c.text).join('')).toBe('0\n1\n2\n');
    expect(chunks[0].ready).toBe(false);
  });

  it('load-balances code and rejects get() with the RemoteError the engine raised', async () => {
    const ar = client.loadBalancedView().execute('1/0', { label: 'divide' });
    const error: any = await ar.get(20).catch(e => e);
    expect(error).toBeInstanceOf(RemoteError);
    expect(error.ename).toBe('ZeroDivisionError');
    expect([0, 1]).toContain(error.engineId);
    expect(ar.label).toBe('divide');
  });

  it('aborts a queued task while the running one finishes', async () => {
    const view = client.directView(0);
    const running = view.execute('import time; time.sleep(1.5)');
    const queued = view.execute('aborted_never_ran = 1');
    await queued.abort();
    await expect(queued.get(20)).rejects.toMatchObject({ ename: 'TaskAborted' });
    await running.get(20);
    expect(running.successful()).toBe(true);
    expect(queued.tasks()[0]!.status).toBe('aborted');
  });

  it("is seen by ipyparallel's Python client: client.get_result of work submitted from TypeScript", async () => {
    const ar = client
      .directView([0, 1])
      .execute('print("from ts")\n"ts-" + str(1 + 1)', { silent: false, label: 'ts-work' });
    await ar.get(20);
    await ar.waitForOutput(10);
    const seen = await runPython(Private.PY_GET_RESULT, [
      cluster.info.connection_file,
      ...ar.msgIds
    ]);
    expect(seen.status).toEqual(['ok', 'ok']);
    expect(seen.engine_id).toEqual([0, 1]);
    expect(seen.stdout).toEqual(['from ts\n', 'from ts\n']);
    expect(seen.data).toEqual([{ 'text/plain': "'ts-2'" }, { 'text/plain': "'ts-2'" }]);
  });

  it('sees work submitted from Python (apply and execute) through the hub, values of apply tasks excepted', async () => {
    // the slow task waits for a gate file, not a guessed time, so it is
    // still running when we ask, however busy the machine
    const gate = join(mkdtempSync(join(tmpdir(), 'ipp-gate-')), 'open');
    const py = await runPython(Private.PY_SUBMIT, [cluster.info.connection_file, gate]);
    const applied = await client.hub.getResult(py.apply);
    expect(applied).toBeInstanceOf(AsyncHubResult);
    expect(applied.ready()).toBe(true);
    const md = applied.metadata as AsyncResult.IMetadata;
    expect(md.status).toBe('ok');
    expect(md.engine_id).toBe(1);
    expect(md.started).not.toBeNull();
    expect(md.completed! >= md.started!).toBe(true);
    const outputs = await applied.displayOutputs();
    expect(outputs).toEqual([
      expect.objectContaining({ kind: 'stream', name: 'stdout', text: 'from python\n' })
    ]);
    await expect(applied.get()).rejects.toThrow(/pickled/);

    const failed = await client.hub.getResult(py.failed);
    await expect(failed.get()).rejects.toMatchObject({ ename: 'KeyError', engineId: 0 });

    const executed = await client.hub.getResult(py.execute);
    expect(await executed.get()).toEqual([
      expect.objectContaining({ engine_id: 0, data: { 'text/plain': '7' } })
    ]);

    const pending = await client.hub.getResult(py.slow);
    expect(pending.ready()).toBe(false);
    await expect(pending.get(0)).rejects.toBeInstanceOf(TimeoutError);
    expect(await pending.spin()).toBe(false);
    writeFileSync(gate, '');
    expect(await (pending as AsyncHubResult).get(30).catch(e => e)).toEqual(
      expect.objectContaining({ message: expect.stringMatching(/pickled/) })
    );
    expect(pending.ready()).toBe(true);

    expect(await client.hub.history()).toEqual(
      expect.arrayContaining([py.apply, py.failed, ...py.execute])
    );
    const status = await client.hub.resultStatus([py.apply]);
    expect(status).toEqual({ pending: [], completed: [py.apply] });
    await client.hub.purgeResults([py.apply]);
    await expect(client.hub.getResult(py.apply)).rejects.toMatchObject({ ename: 'KeyError' });
  });

  it('rejects a reply whose signature was tampered with on the way, and accepts it untouched', async () => {
    const proxy = await Private.TamperingProxy.start(cluster.info.connection_file);
    const spied = await Client.connect({ path: proxy.connectionFile, timeout: 1.5 });
    try {
      const reasons: string[] = [];
      spied.rejected.connect((_, r) => reasons.push(r.reason));
      expect(Object.keys(await spied.hub.queueStatus())).toContain('unassigned');
      proxy.tamper = true;
      await expect(spied.hub.queueStatus()).rejects.toBeInstanceOf(TimeoutError);
      expect(reasons).toEqual(['invalid signature']);
      expect(spied.transport.rejectedCount).toBe(1);
      proxy.tamper = false;
      expect(Object.keys(await spied.hub.queueStatus())).toContain('unassigned');
    } finally {
      spied.close();
      proxy.close();
    }
  });

  it("prints with --json the same queue status as the Python client's queue_status()", async () => {
    // some finished work on both engines, nothing in flight
    await client.directView([0, 1]).execute('pass').get(20);
    const [cli, py] = await Promise.all([
      Private.runBin(['--json', '--file', cluster.info.connection_file]),
      runPython(Private.PY_QUEUE_STATUS, [cluster.info.connection_file])
    ]);
    expect(cli.code).toBe(0);
    const snap = JSON.parse(cli.stdout);
    expect(snap.queue_status).toEqual(py);
    expect(snap.engines.map((e: any) => [e.id, e.completed])).toEqual([
      [0, py['0'].completed],
      [1, py['1'].completed]
    ]);
    expect(snap.recent.length).toBeGreaterThan(0);
  });

  it('runs code from the command line and prints the grouped outputs', async () => {
    const ok = await Private.runBin([
      'run',
      '--file',
      cluster.info.connection_file,
      '--groupby',
      'engine',
      'print("hi"); 40 + 2'
    ]);
    expect(ok.code).toBe(0);
    // grouped by engine: each engine's streams, then its result
    expect(ok.stdout).toBe('[stdout:0] \nhi\n[output:0]\n42\n[stdout:1] \nhi\n[output:1]\n42\n');
    // merge (the same grouping code as the notebook's view): alike engines once
    const merged = await Private.runBin([
      'run',
      '--file',
      cluster.info.connection_file,
      '--groupby',
      'merge',
      'print("hi"); 40 + 2'
    ]);
    expect(merged.code).toBe(0);
    expect(merged.stdout).toBe('[stdout:0-1] \nhi\nOut[0-1]: 42\n');
    const bad = await Private.runBin([
      'run',
      '--file',
      cluster.info.connection_file,
      '--targets',
      '1',
      '1/0'
    ]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/\[1:execute\] ZeroDivisionError: division by zero/);
  });

  it('fails clearly and fast on a wrong connection file or a controller that does not answer', async () => {
    const missing = await Private.runBin([
      '--json',
      '--file',
      '/nonexistent/ipcontroller-client.json'
    ]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(
      /connection file \/nonexistent\/ipcontroller-client.json not found/
    );

    const dir = mkdtempSync(join(tmpdir(), 'ipp-top-'));
    const garbage = join(dir, 'garbage.json');
    writeFileSync(garbage, '{"interface": "tcp://127.0.0.1"}');
    const wrong = await Private.runBin(['--json', '--file', garbage]);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/not an ipyparallel client file/);

    const silent = await Private.SilentController.start();
    try {
      const started = Date.now();
      const dead = await Private.runBin([
        '--json',
        '--file',
        silent.connectionFile,
        '--timeout',
        '1'
      ]);
      expect(dead.code).toBe(2);
      expect(dead.stderr).toMatch(/no answer from the controller .* in 1 s/);
      expect(Date.now() - started).toBeLessThan(8000);
      await expect(
        Client.connect({ path: silent.connectionFile, timeout: 0.5 })
      ).rejects.toBeInstanceOf(TimeoutError);
    } finally {
      silent.close();
    }
  });

  it('fails the tasks of an engine killed mid-task with an EngineError, and follows engines joining', async () => {
    const events: Client.IEngineEvent[] = [];
    client.enginesChanged.connect((_, e) => events.push(e));
    const view = client.directView(1);
    const running = view.execute('import time; time.sleep(60)');
    const queued = view.execute('never = 1');
    await Private.waitFor(() => running.tasks()[0]?.status === 'running', 10000);
    await cluster.killEngine(1);
    const error: any = await running.get(30).catch(e => e);
    expect(error).toBeInstanceOf(RemoteError);
    expect(error.ename).toBe('EngineError');
    expect(error.engineId).toBe(1);
    await expect(queued.get(5)).rejects.toMatchObject({ ename: 'EngineError' });
    expect(events).toEqual([
      expect.objectContaining({
        event: 'unregister',
        id: 1,
        failed: [...running.msgIds, ...queued.msgIds]
      })
    ]);
    expect(client.ids).toEqual([0]);

    await cluster.addEngine();
    await Private.waitFor(() => events.length === 2, 30000);
    const joined = events[1];
    expect(joined.event).toBe('register');
    expect(client.ids).toContain(joined.id);
    const there = (await client
      .directView(joined.id)
      .execute('1 + 1', { silent: false })
      .get(20)) as any;
    expect(there.data['text/plain']).toBe('2');
  });
});

namespace Private {
  export const PY_GET_RESULT = `
import json, sys, ipyparallel as ipp
c = ipp.Client(sys.argv[1])
ar = c.get_result(sys.argv[2:], owner=False)
replies = ar.get(timeout=20)
md = ar.metadata
print(json.dumps({
    "status": [m["status"] for m in md],
    "engine_id": [m["engine_id"] for m in md],
    "stdout": [m["stdout"] for m in md],
    "data": [r.data for r in replies],
}))
c.close()
`;

  export const PY_SUBMIT = `
import json, sys, time, ipyparallel as ipp
c = ipp.Client(sys.argv[1])
def shout():
    print("from python")
    return {"pickled": True}
def fail():
    raise KeyError("nope")
def hold(path):
    import os, time
    while not os.path.exists(path):
        time.sleep(0.02)
a = c[1].apply_async(shout); a.get(timeout=20); a.wait_for_output(10)
f = c[0].apply_async(fail)
try:
    f.get(timeout=20)
except Exception:
    pass
e = c[[0]].execute("3 + 4", silent=False); e.get(timeout=20)
s = c[0].apply_async(hold, sys.argv[2]); s.wait_for_send(10)
# the hub learns of a request from the scheduler's monitor copy, a moment
# after it was sent: wait until it knows, or get_result races it
for _ in range(100):
    try:
        c.result_status(s.msg_ids)
        break
    except Exception:
        time.sleep(0.05)
print(json.dumps({"apply": a.msg_ids[0], "failed": f.msg_ids[0], "execute": e.msg_ids, "slow": s.msg_ids[0]}))
c.close()
`;

  export const PY_QUEUE_STATUS = `
import json, sys, ipyparallel as ipp
c = ipp.Client(sys.argv[1])
print(json.dumps({str(k): v for k, v in c.queue_status().items()}))
c.close()
`;

  export function runBin(
    args: string[]
  ): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise(resolve => {
      execFile(process.execPath, [BIN, ...args], { timeout: 30000 }, (error, stdout, stderr) => {
        resolve({ code: error ? ((error as any).code ?? -1) : 0, stdout, stderr });
      });
    });
  }

  export async function waitFor(predicate: () => boolean, ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    while (!predicate()) {
      if (Date.now() > deadline) {
        throw new Error('condition not met in time');
      }
      await new Promise(r => setTimeout(r, 50));
    }
  }

  /** A copy of a connection file with the registration (query) port replaced. */
  function withQueryPort(path: string, port: number): string {
    const cfg = JSON.parse(require('node:fs').readFileSync(path, 'utf8'));
    cfg.registration = port;
    const out = join(mkdtempSync(join(tmpdir(), 'ipp-proxy-')), 'ipcontroller-client.json');
    writeFileSync(out, JSON.stringify(cfg));
    return out;
  }

  /**
   * Sits between a client and the hub's query port, passing messages on;
   * while `tamper` is set it flips one character of each reply's signature.
   */
  export class TamperingProxy {
    static async start(connectionFile: string): Promise<TamperingProxy> {
      const cfg = JSON.parse(require('node:fs').readFileSync(connectionFile, 'utf8'));
      const front = new zmq.Router({ linger: 0 });
      await front.bind('tcp://127.0.0.1:*');
      const back = new zmq.Dealer({ linger: 0 });
      back.connect(`${cfg.interface}:${cfg.registration}`);
      const port = Number(front.lastEndpoint!.split(':').pop());
      return new TamperingProxy(front, back, withQueryPort(connectionFile, port));
    }

    private constructor(
      private _front: zmq.Router,
      private _back: zmq.Dealer,
      readonly connectionFile: string
    ) {
      void (async () => {
        for await (const [peer, ...frames] of this._front) {
          this._peer = peer;
          await this._back.send(frames);
        }
      })().catch(() => undefined);
      void (async () => {
        for await (const frames of this._back) {
          if (this.tamper) {
            const at = frames.findIndex(f => f.toString() === '<IDS|MSG>') + 1;
            const sig = frames[at].toString();
            frames[at] = Buffer.from((sig[0] === 'a' ? 'b' : 'a') + sig.slice(1));
          }
          await this._front.send([this._peer!, ...frames]);
        }
      })().catch(() => undefined);
    }

    tamper = false;

    close(): void {
      this._front.close();
      this._back.close();
    }

    private _peer: Buffer | null = null;
  }

  /** A "controller" that accepts connections and never answers. */
  export class SilentController {
    static async start(): Promise<SilentController> {
      const socket = new zmq.Router({ linger: 0 });
      await socket.bind('tcp://127.0.0.1:*');
      const port = Number(socket.lastEndpoint!.split(':').pop());
      const cfg: Record<string, unknown> = {
        interface: 'tcp://127.0.0.1',
        key: 'k',
        signature_scheme: 'hmac-sha256',
        task_scheme: 'leastload'
      };
      for (const ch of [
        'registration',
        'control',
        'mux',
        'task',
        'iopub',
        'notification',
        'broadcast'
      ]) {
        cfg[ch] = port;
      }
      const path = join(mkdtempSync(join(tmpdir(), 'ipp-silent-')), 'ipcontroller-client.json');
      writeFileSync(path, JSON.stringify(cfg));
      return new SilentController(socket, path);
    }

    private constructor(
      private _socket: zmq.Router,
      readonly connectionFile: string
    ) {}

    close(): void {
      this._socket.close();
    }
  }
}
