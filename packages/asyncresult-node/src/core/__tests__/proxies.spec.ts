import { AsyncHubResult } from '../asyncHubResult';
import { AsyncMapResult } from '../asyncMapResult';
import { AsyncResult } from '../asyncResult';
import { ResultRepr } from '../values';
import { CompositeError, RemoteError, TimeoutError } from '../errors';
import type { IResultRecord, ITaskRecord, TaskStatus } from '../protocol';
import { createAsyncResult } from '../proxies';
import type { TaskStore } from '../taskStore';
import { deltaMessage, storeWithResult } from './builders';

function task(msgId: string, status: TaskStatus, engine = 0): ITaskRecord {
  return {
    msg_id: msgId,
    status,
    engine_id: engine,
    engine_uuid: `uuid-${engine}`,
    submitted: 1,
    started: status === 'pending' ? null : 2,
    completed: status === 'done' ? 3 : null,
    received: status === 'done' ? 4 : null
  };
}

function store(
  kind: IResultRecord['kind'],
  tasks: ITaskRecord[],
  extra: Partial<IResultRecord> = {}
): TaskStore {
  return storeWithResult(kind, tasks, extra);
}

let seq = 0;
function finish(s: TaskStore, ...tasks: ITaskRecord[]): void {
  s.apply(deltaMessage(++seq, tasks));
}

const json = (value: unknown) => ({
  status: 'ok',
  value: { repr: JSON.stringify(value), repr_truncated: false, json: value, json_truncated: false }
});

/** Answers get_chunks from a table of chunk values by msg_id. */
function chunkRequester(chunks: Record<string, unknown>) {
  const asked: string[][] = [];
  return {
    asked,
    request: async (op: string, args: any) => {
      if (op !== 'get_chunks') {
        throw new Error(`unexpected ${op}`);
      }
      asked.push(args.msg_ids);
      return Object.fromEntries(args.msg_ids.map((m: string) => [m, chunks[m]]));
    }
  };
}

beforeEach(() => {
  seq = 0;
});

describe('createAsyncResult', () => {
  it('picks the proxy class from the record kind', () => {
    expect(createAsyncResult(store('AsyncMapResult', [task('a', 'done')]), 'r1')).toBeInstanceOf(
      AsyncMapResult
    );
    expect(createAsyncResult(store('AsyncHubResult', [task('a', 'done')]), 'r1')).toBeInstanceOf(
      AsyncHubResult
    );
    const plain = createAsyncResult(store('AsyncResult', [task('a', 'done')]), 'r1');
    expect(plain).not.toBeInstanceOf(AsyncMapResult);
    expect(plain).toBeInstanceOf(AsyncResult);
  });
});

describe('metadata', () => {
  it('is a list per task, or the single record, with ipyparallel status words', () => {
    const many = new AsyncResult(
      store('AsyncResult', [task('a', 'done', 0), task('b', 'error', 1)]),
      'r1'
    );
    expect(many.metadata).toEqual([
      expect.objectContaining({ msg_id: 'a', engine_id: 0, status: 'ok', completed: 3 }),
      expect.objectContaining({ msg_id: 'b', engine_id: 1, status: 'error' })
    ]);
    expect(many.getKey('engine_id')).toEqual([0, 1]);
    const one = new AsyncResult(
      store('AsyncResult', [task('a', 'running', 1)], { single: true }),
      'r1'
    );
    expect(one.metadata).toMatchObject({ msg_id: 'a', engine_id: 1, status: null });
    expect(one.getKey('engine_uuid')).toBe('uuid-1');
  });
});

describe('sent and waitForSend', () => {
  it('follow the record, and time out with a TimeoutError', async () => {
    const s = store('AsyncResult', [task('a', 'pending')], { sent: false });
    const ar = new AsyncResult(s, 'r1');
    expect(ar.sent).toBe(false);
    await expect(ar.waitForSend(0.01)).rejects.toThrow(TimeoutError);
    const sending = ar.waitForSend(5);
    s.apply({
      v: 1,
      type: 'delta',
      seq: 1,
      clock: 0,
      tasks: [],
      removed: [],
      results: [{ ...s.result('r1')!, sent: true }]
    });
    await expect(sending).resolves.toBeUndefined();
    expect(ar.sent).toBe(true);
  });
});

describe('getDict', () => {
  it('decodes the values keyed by engine id', async () => {
    const requester = {
      request: async (op: string) => {
        expect(op).toBe('get_dict');
        return {
          status: 'ok',
          value: {
            '0': json(10).value,
            '1': {
              repr: 'obj',
              repr_truncated: false,
              json_truncated: false,
              bundle: { 'text/html': '<b>obj</b>' }
            }
          }
        };
      }
    };
    const ar = new AsyncResult(
      store('AsyncResult', [task('a', 'done', 0), task('b', 'done', 1)]),
      'r1',
      requester as any
    );
    const dict = await ar.getDict(1);
    expect(dict['0']).toBe(10);
    expect(dict['1']).toBeInstanceOf(ResultRepr);
    expect((dict['1'] as ResultRepr).bundle).toEqual({
      'text/html': '<b>obj</b>',
      'text/plain': 'obj'
    });
    expect(await ar.resultDict).toEqual(dict);
  });
});

describe('AsyncMapResult iteration', () => {
  it('yields in submission order, each chunk as soon as its task is done', async () => {
    const s = store('AsyncMapResult', [
      task('a', 'running'),
      task('b', 'running'),
      task('c', 'running')
    ]);
    const requester = chunkRequester({ a: json([0, 1]), b: json([4, 9]), c: json([16]) });
    const ar = new AsyncMapResult(s, 'r1', requester as any);
    const seen: unknown[] = [];
    const consuming = (async () => {
      for await (const x of ar) {
        seen.push(x);
      }
    })();
    finish(s, task('c', 'done'));
    finish(s, task('a', 'done'));
    await new Promise(resolve => setTimeout(resolve, 10));
    expect(seen).toEqual([0, 1]); // c waits for b
    finish(s, task('b', 'done'));
    await consuming;
    expect(seen).toEqual([0, 1, 4, 9, 16]);
  });

  it('yields as tasks finish when unordered', async () => {
    const s = store('AsyncMapResult', [task('a', 'running'), task('b', 'running')], {
      ordered: false
    });
    const requester = chunkRequester({ a: json(['a']), b: json(['b']) });
    const ar = new AsyncMapResult(s, 'r1', requester as any);
    const seen: unknown[] = [];
    const consuming = (async () => {
      for await (const x of ar) {
        seen.push(x);
      }
    })();
    finish(s, task('b', 'done'));
    await new Promise(resolve => setTimeout(resolve, 10));
    expect(seen).toEqual(['b']);
    finish(s, task('a', 'done'));
    await consuming;
    expect(seen).toEqual(['b', 'a']);
  });

  it('a finished, failed map yields nothing and rejects with the CompositeError, as ipyparallel', async () => {
    const s = store('AsyncMapResult', [
      task('a', 'done'),
      { ...task('b', 'error'), error: zeroError }
    ]);
    const ar = new AsyncMapResult(
      s,
      'r1',
      chunkRequester({ a: json([1]), b: { status: 'error', error: zeroError } }) as any
    );
    const seen: unknown[] = [];
    const failure = await (async () => {
      for await (const x of ar.ordered()) {
        seen.push(x);
      }
    })().catch(e => e);
    expect(seen).toEqual([]);
    expect(failure).toBeInstanceOf(CompositeError);
    expect(failure.message).toBe(
      'one or more exceptions raised in: f\n[1:apply]ZeroDivisionError: division by zero'
    );
    expect(failure.elist.map((e: RemoteError) => e.ename)).toEqual(['ZeroDivisionError']);
  });

  it('a running map yields up to the failed task, then rejects with its CompositeError', async () => {
    const s = store('AsyncMapResult', [task('a', 'done'), task('b', 'running')]);
    const ar = new AsyncMapResult(
      s,
      'r1',
      chunkRequester({ a: json([1]), b: { status: 'error', error: zeroError } }) as any
    );
    const seen: unknown[] = [];
    const consuming = (async () => {
      for await (const x of ar.ordered()) {
        seen.push(x);
      }
    })().catch(e => e);
    await new Promise(resolve => setTimeout(resolve, 10));
    expect(seen).toEqual([1]);
    finish(s, { ...task('b', 'error'), error: zeroError });
    const failure = await consuming;
    expect(failure).toBeInstanceOf(CompositeError);
    expect(failure.elist[0].engineId).toBe(1);
  });
});

const zeroError = {
  ename: 'ZeroDivisionError',
  evalue: 'division by zero',
  traceback: '',
  engine_id: 1
};

describe('AsyncHubResult', () => {
  it('asks the hub through the bridge with the timeout, and maps "not ready" to TimeoutError', async () => {
    const { BridgeError } = await import('../errors');
    const calls: any[] = [];
    let ready = false;
    const requester = {
      request: async (op: string, args: any) => {
        calls.push([op, args]);
        if (!ready) {
          throw new BridgeError('get_value: the result is not ready');
        }
        return json([42]);
      }
    };
    const ar = new AsyncHubResult(
      store('AsyncHubResult', [task('a', 'pending')]),
      'r1',
      requester as any
    );
    await expect(ar.get(2)).rejects.toThrow(TimeoutError);
    expect(calls[0]).toEqual(['get_value', { timeout: 2, result_id: 'r1' }]);
    expect(await ar.spin()).toBe(false);
    ready = true;
    expect(await ar.spin()).toBe(true);
    await expect(ar.get()).resolves.toEqual([42]);
  });
});

describe('get options and waitInteractive', () => {
  const error = { ename: 'ValueError', evalue: 'bad', traceback: '', engine_id: 0 };

  it('returnExceptions puts RemoteErrors in place of failed values', async () => {
    const s = store('AsyncMapResult', [task('a', 'done'), task('b', 'error')]);
    const ar = new AsyncMapResult(
      s,
      'r1',
      chunkRequester({ a: json([1, 2]), b: { status: 'error', error } }) as any
    );
    const values = (await ar.get(1, { returnExceptions: true })) as unknown[];
    expect(values.slice(0, 2)).toEqual([1, 2]);
    expect(values[2]).toBeInstanceOf(RemoteError);
    expect((values[2] as RemoteError).evalue).toBe('bad');
  });

  it('returnWhen FIRST_EXCEPTION rejects as soon as one task fails', async () => {
    const s = store('AsyncResult', [task('a', 'running'), task('b', 'running')]);
    const ar = new AsyncResult(s, 'r1', chunkRequester({}) as any);
    const outcome = ar.get(5, { returnWhen: 'FIRST_EXCEPTION' }).catch(e => e);
    const failed = task('b', 'error');
    failed.error = error;
    finish(s, failed);
    const e = (await outcome) as RemoteError;
    expect(e).toBeInstanceOf(RemoteError);
    expect(e.ename).toBe('ValueError');
    expect(ar.ready()).toBe(false);
  });

  it('waitInteractive reports progress until the end', async () => {
    const s = store('AsyncResult', [task('a', 'running'), task('b', 'running')]);
    const ar = new AsyncResult(s, 'r1');
    const reports: number[] = [];
    const waiting = ar.waitInteractive(p => reports.push(p.progress), 0.01);
    await new Promise(resolve => setTimeout(resolve, 30));
    finish(s, task('a', 'done'));
    await new Promise(resolve => setTimeout(resolve, 30));
    finish(s, task('b', 'done'));
    await expect(waiting).resolves.toBe(true);
    expect(reports[0]).toBe(0);
    expect(reports).toContain(1);
    expect(reports[reports.length - 1]).toBe(2);
  });

  it('waitInteractive gives up at its timeout', async () => {
    const ar = new AsyncResult(store('AsyncResult', [task('a', 'running')]), 'r1');
    await expect(ar.waitInteractive(() => undefined, 0.01, 0.05)).resolves.toBe(false);
  });
});

describe('streamOutput and waitForOutput', () => {
  function streaming(
    msgId: string,
    status: TaskStatus,
    size: number,
    outputDone = false
  ): ITaskRecord {
    return { ...task(msgId, status), stream_size: size, output_done: outputDone };
  }

  it('gives every character once, in order, and ends when all output is in', async () => {
    const s = store('AsyncResult', [streaming('a', 'running', 0)]);
    let stdout = '';
    const asked: any[] = [];
    const requester = {
      request: async (op: string, args: any) => {
        expect(op).toBe('get_outputs');
        asked.push(args.offsets);
        const from = args.offsets.a?.stdout ?? 0;
        return {
          tasks: [
            {
              msg_id: 'a',
              engine_id: 0,
              stdout: stdout.slice(from),
              stdout_truncated: false,
              stderr: '',
              stderr_truncated: false,
              outputs: [],
              outputs_truncated: false,
              execute_result: null
            }
          ]
        };
      }
    };
    const ar = new AsyncResult(s, 'r1', requester as any);
    const chunks: string[] = [];
    const stream = ar.streamOutput(c => chunks.push(c.text));
    stdout = 'one\n';
    finish(s, streaming('a', 'running', 4));
    await new Promise(resolve => setTimeout(resolve, 10));
    stdout = 'one\ntwo\n';
    finish(s, streaming('a', 'done', 8, true));
    await stream.done;
    expect(chunks.join('')).toBe('one\ntwo\n');
    expect(asked[asked.length - 1]).toEqual({ a: { stdout: 4, stderr: 0 } });
    await expect(ar.waitForOutput(1)).resolves.toBe(true);
  });

  it('waitForOutput waits past the reply for the output to finish', async () => {
    const s = store('AsyncResult', [streaming('a', 'done', 0, false)]);
    const ar = new AsyncResult(s, 'r1');
    await expect(ar.waitForOutput(0.02)).resolves.toBe(false);
    const waiting = ar.waitForOutput(1);
    finish(s, streaming('a', 'done', 0, true));
    await expect(waiting).resolves.toBe(true);
  });
});

describe('streamOutput when the kernel has nothing new', () => {
  it('does not ask again until the result changes', async () => {
    const s = store('AsyncResult', [
      { ...task('a', 'running'), stream_size: 5, output_done: false }
    ]);
    let asked = 0;
    const requester = {
      request: async () => {
        asked += 1;
        return { tasks: [] };
      }
    };
    const ar = new AsyncResult(s, 'r1', requester as any);
    const stream = ar.streamOutput(() => undefined);
    finish(s, { ...task('a', 'running'), stream_size: 5, output_done: false });
    await new Promise(resolve => setTimeout(resolve, 50));
    expect(asked).toBeLessThanOrEqual(2);
    stream.dispose();
    await stream.done;
  });
});

describe('a controller that stops answering', () => {
  it('settles pending waits and gets with an error that says so', async () => {
    const s = store('AsyncResult', [task('a', 'running')]);
    const ar = new AsyncResult(s, 'r1', chunkRequester({}) as any);
    const waiting = ar.wait();
    const getting = ar.get().catch(e => e);
    const detail = 'the controller has not answered for 5 s; pending tasks may never finish';
    s.apply({
      v: 1,
      type: 'delta',
      seq: ++seq,
      clock: 0,
      results: [],
      tasks: [],
      removed: [],
      controller: { ok: false, detail }
    });
    await expect(waiting).resolves.toBe(false);
    const error = (await getting) as Error;
    expect(error.name).toBe('ConnectionLostError');
    expect(error.message).toContain(detail);
    expect(s.controller).toEqual({ ok: false, detail });
  });
});

describe('chunk-aware length and progress, addDoneCallback, spin, full values, abort of some tasks', () => {
  it('counts a map by elements, as len(amr) and amr.progress do', () => {
    const s = store(
      'AsyncMapResult',
      [task('a', 'done'), task('b', 'running'), task('c', 'done')],
      {
        chunk_sizes: { a: 3, b: 3 }
      }
    );
    const ar = new AsyncMapResult(s, 'r1');
    expect(ar.length).toBe(7);
    expect(ar.progress).toBe(4);
  });

  it('calls a done callback once the result is ready, and never for a forgotten one', async () => {
    const s = store('AsyncResult', [task('a', 'running')]);
    const ar = new AsyncResult(s, 'r1');
    const called: AsyncResult[] = [];
    ar.addDoneCallback(r => called.push(r));
    finish(s, task('a', 'done'));
    await new Promise(resolve => setTimeout(resolve, 0));
    expect(called).toEqual([ar]);
    const gone = new AsyncResult(store('AsyncResult', [task('b', 'running')]), 'r1');
    let goneCalled = false;
    gone.addDoneCallback(() => (goneCalled = true));
    gone.store.reset();
    await new Promise(resolve => setTimeout(resolve, 0));
    expect(goneCalled).toBe(false);
  });

  it('spin resolves when the store has caught up with the seq the bridge names', async () => {
    const s = store('AsyncResult', [task('a', 'running')]);
    const requester = {
      request: async (op: string) => {
        expect(op).toBe('spin');
        setTimeout(() => finish(s, task('a', 'done')), 5);
        return { seq: 1 };
      }
    };
    const ar = new AsyncResult(s, 'r1', requester as any);
    await expect(ar.spin()).resolves.toBe(true);
    expect(s.seq).toBe(1);
  });

  it('asks for the full value and for some tasks only when told to', async () => {
    const calls: any[] = [];
    const requester = {
      request: async (op: string, args: any) => {
        calls.push([op, args]);
        return op === 'get_value' ? json('x'.repeat(3)) : { status: 'ok' };
      }
    };
    const ar = new AsyncResult(store('AsyncResult', [task('a', 'done')]), 'r1', requester as any);
    await ar.get(1, { full: true });
    await ar.abort(['a']).catch(() => undefined);
    expect(calls).toEqual([
      ['get_value', { full: true, result_id: 'r1' }],
      ['abort', { msg_ids: ['a'], result_id: 'r1' }]
    ]);
  });
});
