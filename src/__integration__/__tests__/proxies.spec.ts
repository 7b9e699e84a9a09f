/**
 * @jest-environment node
 *
 * The frontend proxies against a real Jupyter server, kernel and cluster:
 * what they say must agree with what ipyparallel says in the kernel.
 */
import type { Kernel } from '@jupyterlab/services';
import {
  AsyncHubResult,
  AsyncMapResult,
  AsyncResult,
  ConnectionLostError,
  createAsyncResult,
  formatStreams,
  type IResultRecord,
  RemoteError
} from 'jupyterlab-asyncresult-node/core';
import { KernelTransport } from '../../lab/kernelTransport';
import { ILiveServer, startLiveServer } from '../liveServer';

jest.setTimeout(180000);

let live: ILiveServer;
let kernel: Kernel.IKernelConnection;
let transport: KernelTransport;

/** Run code in the kernel; return what it printed. */
async function run(code: string): Promise<string> {
  let text = '';
  let error = '';
  const future = kernel.requestExecute({ code, stop_on_error: false });
  future.onIOPub = msg => {
    const content = msg.content as any;
    if (msg.header.msg_type === 'stream' && content.name === 'stdout') {
      text += content.text;
    } else if (msg.header.msg_type === 'error') {
      error = `${content.ename}: ${content.evalue}`;
    }
  };
  await future.done;
  if (error) {
    throw new Error(`kernel raised ${error} running:\n${code}`);
  }
  return text;
}

/** A JSON value computed in the kernel. */
async function evaluate(expression: string): Promise<any> {
  return JSON.parse(await run(`print(__import__('json').dumps(${expression}))`));
}

async function until(check: () => boolean, timeout = 60000): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!check()) {
    if (Date.now() > deadline) {
      throw new Error('condition not met in time');
    }
    await new Promise(resolve => setTimeout(resolve, 50));
  }
}

/** The proxy of the newest result with this fname. */
async function proxy(fname: string): Promise<AsyncResult> {
  // a map is announced while it is still submitted: wait for the whole of it
  const whole = (r: IResultRecord) => r.fname === fname && !r.submitting;
  await until(() => transport.store.results().some(whole));
  const record = transport.store.results().filter(whole).pop()!;
  return createAsyncResult(transport.store, record.id, transport);
}

beforeAll(async () => {
  live = await startLiveServer();
  kernel = await live.kernels.startNew({ name: 'python3' });
  transport = new KernelTransport({ kernel });
  await until(() => transport.state === 'live');
  await run(
    'import ipyparallel as ipp\n' +
      `rc = ipp.Client(cluster_id=${JSON.stringify(live.clusterId)})\n` +
      'rc.wait_for_engines(2, timeout=60)\n' +
      'lview = rc.load_balanced_view()\n' +
      'import time\n'
  );
});

afterAll(async () => {
  transport?.dispose();
  await live?.stop();
});

describe('AsyncResult proxies against ipyparallel', () => {
  it('agree on ready, progress, timings and the value of a map', async () => {
    await run(
      'def square(x):\n    import time\n    time.sleep(0.05)\n    return x * x\n' +
        'sq = lview.map_async(square, range(12))'
    );
    const ar = await proxy('square');
    expect(ar.length).toBe(12);
    await expect(ar.get(60)).resolves.toEqual(Array.from({ length: 12 }, (_, i) => i * i));
    await run('sq.wait(60)');
    expect(ar.ready()).toBe(await evaluate('sq.ready()'));
    expect(ar.progress).toBe(await evaluate('sq.progress'));
    expect(ar.successful()).toBe(true);
    expect(ar.wallTime).toBeCloseTo(await evaluate('sq.wall_time'), 5);
    expect(ar.serialTime).toBeCloseTo(await evaluate('sq.serial_time'), 5);
    expect(ar.elapsed).toBeCloseTo(await evaluate('sq.elapsed'), 5);
  });

  it('agree on every result of an apply_async loop (brief on the wire)', async () => {
    await run(
      'def looped(i):\n    return i\n' +
        'loop = [lview.apply_async(looped, i) for i in range(40)]\n' +
        'rc.wait(loop, timeout=60)'
    );
    const ids: string[][] = await evaluate('[a.msg_ids for a in loop]');
    const mine = () => transport.store.results().filter(r => r.fname === 'looped');
    await until(() => mine().length === 40);
    const records = mine();
    expect(records.map(r => r.msg_ids)).toEqual(ids);
    // the fields a brief row leaves out are the whole result's before it
    expect(new Set(records.map(r => r.parent_msg_id)).size).toBe(1);
    expect(records.every(r => r.kind === 'AsyncResult' && r.single === true)).toBe(true);
    const created = records.map(r => r.created);
    expect(created).toEqual([...created].sort((a, b) => a - b));
    const values = await Promise.all(
      records.map(r => createAsyncResult(transport.store, r.id, transport).get(60))
    );
    expect(values).toEqual(Array.from({ length: 40 }, (_, i) => i));
  });

  it('shows progress in between, as ipyparallel does', async () => {
    await run(
      'def slow(x):\n    import time\n    time.sleep(0.3)\n    return x\n' +
        'sl = lview.map_async(slow, range(8))'
    );
    const ar = await proxy('slow');
    await until(() => ar.progress > 0 && !ar.ready());
    expect(ar.ready()).toBe(false);
    expect(() => ar.successful()).toThrow('not ready');
    await expect(ar.wait(60)).resolves.toBe(true);
    expect(ar.progress).toBe(await evaluate('sl.progress'));
  });

  it('rejects get() with the remote error, engine included', async () => {
    await run('def bad():\n    raise ValueError("no good")\n' + 'b = lview.apply_async(bad)');
    const ar = await proxy('bad');
    const error = (await ar.get(60).catch(e => e)) as RemoteError;
    expect(error).toBeInstanceOf(RemoteError);
    expect(error.ename).toBe('ValueError');
    expect(error.evalue).toBe('no good');
    expect(error.engineId).toBe(await evaluate('b.engine_id'));
    expect(error.traceback).toContain('no good');
    expect(ar.successful()).toBe(false);
    expect(ar.exception()?.ename).toBe('ValueError');
  });

  it('aborts queued tasks', async () => {
    await run(
      'blocker = rc[0].apply_async(time.sleep, 2)\n' +
        'def waiting():\n    return 1\n' +
        'w = rc[0].apply_async(waiting)'
    );
    const ar = await proxy('waiting');
    await ar.abort();
    await expect(ar.wait(60)).resolves.toBe(true);
    expect(ar.tasks()[0]!.status).toBe('aborted');
    expect(await evaluate('type(w.exception(timeout=30)).__name__')).toBe('TaskAborted');
    await run('blocker.get(timeout=30)');
    await expect(ar.abort()).rejects.toThrow('already done');
  });

  it('agree on metadata, getDict and the order of iteration', async () => {
    await run(
      'def ident(x):\n    import time, random\n    time.sleep(random.random() / 20)\n    return x\n' +
        'it = lview.map_async(ident, range(10), ordered=True)\n' +
        'un = lview.map_async(ident, range(10), ordered=False)\n' +
        'def where():\n    return 7\n' +
        'd = rc[:].apply_async(where)'
    );
    // both maps as ipyparallel made them: while a map is still submitting,
    // ipyparallel has no AsyncMapResult yet, and its record cannot say
    // whether it is ordered
    await until(
      () => transport.store.results().filter(r => r.fname === 'ident' && !r.submitting).length === 2
    );
    const itIds = await evaluate('it.msg_ids');
    const [ordered, unordered] = transport.store
      .results()
      .filter(r => r.fname === 'ident' && !r.submitting)
      .sort((a, b) => (a.msg_ids[0] === itIds[0] ? -1 : b.msg_ids[0] === itIds[0] ? 1 : 0))
      .map(r => createAsyncResult(transport.store, r.id, transport) as AsyncMapResult);
    expect(ordered.msgIds).toEqual(itIds);
    expect(transport.store.result(ordered.id)!.ordered).toBe(true);
    expect(transport.store.result(unordered.id)!.ordered).toBe(false);
    expect(ordered).toBeInstanceOf(AsyncMapResult);
    const inOrder: unknown[] = [];
    for await (const x of ordered) {
      inOrder.push(x);
    }
    expect(inOrder).toEqual(await evaluate('list(it)'));
    const asFinished: unknown[] = [];
    for await (const x of unordered) {
      asFinished.push(x);
    }
    expect([...asFinished].sort((a: any, b: any) => a - b)).toEqual(
      Array.from({ length: 10 }, (_, i) => i)
    );

    const perEngine = await proxy('where');
    await expect(perEngine.getDict(60)).resolves.toEqual(
      await evaluate('{str(k): v for k, v in d.get_dict().items()}')
    );
    expect(perEngine.getKey('engine_id')).toEqual(await evaluate('d.engine_id'));
    expect((perEngine.metadata as AsyncResult.IMetadata[]).map(m => m.status)).toEqual(
      await evaluate("[md['status'] for md in d.metadata]")
    );
  });

  it('fetch an AsyncHubResult through the bridge after the client cache is purged', async () => {
    // purge_local_results drops the task from every client cache, so only
    // the hub can answer
    const kind = await run(
      'def answer():\n    return 42\n' +
        'a = lview.apply_async(answer); a.get(timeout=30); a.wait_for_output(30)\n' +
        'ids = a.msg_ids\n' +
        'rc.purge_local_results(ids)\n' +
        'hub = rc.get_result(ids, block=False)\n' +
        'print(type(hub).__name__)'
    );
    expect(kind.trim()).toBe('AsyncHubResult');
    await until(() => transport.store.results().some(r => r.kind === 'AsyncHubResult'));
    const record = transport.store
      .results()
      .filter(r => r.kind === 'AsyncHubResult')
      .pop()!;
    const hub = createAsyncResult(transport.store, record.id, transport);
    expect(hub).toBeInstanceOf(AsyncHubResult);
    await expect(hub.get(30)).resolves.toEqual([42]);
  });
});

describe('displayOutputs against ipyparallel', () => {
  it('prints the same stdout and stderr as display_outputs, for each groupby', async () => {
    await run(
      'def talk(x):\n    import sys\n    print("hello", x)\n    print("oops", x, file=sys.stderr)\n    return x\n' +
        'tk = rc[:].apply_async(talk, 5); tk.get(timeout=30); tk.wait_for_output(30)'
    );
    const ar = await proxy('talk');
    await ar.wait(30);
    for (const groupby of ['type', 'engine'] as const) {
      const items = await ar.displayOutputs(groupby);
      const theirs = await evaluate(
        'exec("from IPython.utils.capture import capture_output\\n' +
          `with capture_output() as _cap:\\n    tk.display_outputs('${groupby}')\\n` +
          '") or [_cap.stdout, _cap.stderr]'
      );
      expect([formatStreams(items, 'stdout'), formatStreams(items, 'stderr')]).toEqual(theirs);
    }
  });
});

describe('split, join and resubmit', () => {
  it('make new proxies that agree with the kernel', async () => {
    await run('def one():\n    return 1\n' + 'ones = rc[:].apply_async(one); ones.get(timeout=30)');
    const ar = await proxy('one');
    await ar.wait(30);
    const parts = await ar.split();
    expect(parts.map(p => p.msgIds)).toEqual(ar.msgIds.map(m => [m]));
    await expect(parts[0].get(30)).resolves.toBe(1);
    const joined = await AsyncResult.join(...parts);
    expect(joined.msgIds).toEqual(ar.msgIds);
    await expect(joined.get(30)).resolves.toEqual([1, 1]);
    const again = await ar.resubmit();
    expect(again).toBeInstanceOf(AsyncHubResult);
    expect(again.msgIds).toHaveLength(2);
    expect(again.msgIds).not.toEqual(ar.msgIds);
    await expect(again.get(30)).resolves.toEqual([1, 1]);
  });
});

describe('streamOutput', () => {
  it('delivers stdout while the task still runs, all of it, once', async () => {
    await run(
      'def chatty():\n    import time\n    for i in range(6):\n        print("line", i, flush=True)\n        time.sleep(0.2)\n    return 0\n' +
        'ch = rc[0].apply_async(chatty)'
    );
    const ar = await proxy('chatty');
    const chunks: Array<{ text: string; running: boolean }> = [];
    const stream = ar.streamOutput(c => chunks.push({ text: c.text, running: !ar.ready() }));
    await stream.done;
    await expect(ar.waitForOutput(30)).resolves.toBe(true);
    expect(chunks.map(c => c.text).join('')).toBe(await evaluate('ch.stdout'));
    expect(chunks.some(c => c.running)).toBe(true);
    expect(chunks.length).toBeGreaterThan(1);
  });
});

describe('chunked maps, done callbacks and spin', () => {
  it('agree with len() and progress of a chunked map', async () => {
    await run(
      'def cube(x):\n    return x ** 3\n' + 'cb = lview.map_async(cube, range(10), chunksize=4)'
    );
    const ar = await proxy('cube');
    const done = new Promise<AsyncResult>(resolve => ar.addDoneCallback(resolve));
    await expect(done).resolves.toBe(ar);
    await expect(ar.spin()).resolves.toBe(true);
    expect(ar.length).toBe(await evaluate('len(cb)'));
    expect(ar.progress).toBe(await evaluate('cb.progress'));
    expect(ar.msgIds).toHaveLength(3);
    await expect(ar.get(30)).resolves.toEqual(await evaluate('cb.get()'));
  });
});

// last: it restarts the kernel the other tests share
describe('a kernel restart', () => {
  it('settles a pending get() when the kernel restarts', async () => {
    await run(
      'def forever():\n    import time\n    time.sleep(30)\n' + 'f = lview.apply_async(forever)'
    );
    const ar = await proxy('forever');
    const outcome = ar.get().then(
      () => new Error('get() resolved'),
      (e: Error) => e
    );
    await kernel.restart();
    const error = await outcome;
    expect(error).toBeInstanceOf(ConnectionLostError);
    expect(error.message).toContain('it restarted or forgot it');
  });
});
