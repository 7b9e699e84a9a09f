/**
 * The members that follow ipyparallel's failures and its whole API:
 * exception() as CompositeError / TaskAborted, returnExceptions per
 * element, at / slice, toString, cancel / running, wait({returnWhen}),
 * replies checked at the edge, the Out[engine:count] prompt.
 */
import { AsyncMapResult } from '../asyncMapResult';
import { AsyncResult } from '../asyncResult';
import {
  CancelledError,
  CompositeError,
  ProtocolError,
  RemoteError,
  TaskAborted,
  TimeoutError
} from '../errors';
import { withPrompt } from '../outputs';
import { type ITaskRecord, parseReply } from '../protocol';
import { createAsyncResult } from '../proxies';
import { deltaMessage, storeWithResult, taskRecord } from './builders';

const bad = (engine: number, evalue = 'bad') => ({
  ename: 'ValueError',
  evalue,
  traceback: `tb ${engine}`,
  engine_id: engine,
  method: 'apply',
  remote: true
});

function failed(msgId: string, engine: number, evalue?: string): ITaskRecord {
  return taskRecord(msgId, 'error', { engine_id: engine, error: bad(engine, evalue) });
}

const json = (value: unknown) => ({
  status: 'ok',
  value: { repr: JSON.stringify(value), repr_truncated: false, json: value, json_truncated: false }
});

/** Answers requests from a table: op -> reply (or a function of the args). */
function requester(replies: Record<string, unknown>) {
  const calls: Array<[string, any]> = [];
  return {
    calls,
    request: async (op: string, args: any) => {
      calls.push([op, args]);
      const reply = replies[op];
      if (reply === undefined) {
        throw new Error(`unexpected ${op}`);
      }
      return typeof reply === 'function' ? reply(args) : reply;
    }
  };
}

describe('exception() as ipyparallel', () => {
  it('many failed tasks give one CompositeError with every member, in task order', () => {
    const s = storeWithResult('AsyncResult', [failed('a', 1, 'one'), failed('b', 0, 'two')], {
      fname: 'g'
    });
    const e = new AsyncResult(s, 'r1').exception() as CompositeError;
    expect(e).toBeInstanceOf(CompositeError);
    expect(e.message).toBe(
      'one or more exceptions raised in: g\n[1:apply]ValueError: one\n[0:apply]ValueError: two'
    );
    expect(e.elist.map(m => [m.engineId, m.evalue, m.traceback])).toEqual([
      [1, 'one', 'tb 1'],
      [0, 'two', 'tb 0']
    ]);
  });

  it('more than four members are counted in the message, as ipyparallel', () => {
    const tasks = [0, 1, 2, 3, 4, 5].map(i => failed(`m${i}`, i % 2));
    const e = new AsyncResult(storeWithResult('AsyncResult', tasks), 'r1').exception()!;
    expect(e.message.split('\n')).toHaveLength(6);
    expect(e.message).toMatch(/\n\.\.\.\. 2 more exceptions \.\.\.$/);
  });

  it('an aborted single task gives TaskAborted with its msg_id; nothing before the end', () => {
    const s = storeWithResult('AsyncResult', [taskRecord('a', 'aborted')], { single: true });
    const e = new AsyncResult(s, 'r1').exception();
    expect(e).toBeInstanceOf(TaskAborted);
    expect((e as TaskAborted).msgId).toBe('a');
    const running = storeWithResult('AsyncResult', [failed('a', 0), taskRecord('b', 'running')]);
    expect(new AsyncResult(running, 'r1').exception()).toBeNull();
  });

  it('get() rejects an aborted map with TaskAborted even when the kernel gives values', async () => {
    const s = storeWithResult('AsyncMapResult', [
      taskRecord('a', 'done'),
      taskRecord('b', 'aborted')
    ]);
    const ar = new AsyncMapResult(s, 'r1', requester({ get_value: json(['x']) }) as any);
    await expect(ar.get(1)).rejects.toBeInstanceOf(TaskAborted);
    expect(ar.toString()).toBe('<AsyncMapResult(f): failed>');
  });
});

describe('values by element', () => {
  it('returnExceptions repeats a failed chunk error for each of its elements', async () => {
    const s = storeWithResult('AsyncMapResult', [failed('a', 0), taskRecord('b', 'done')], {
      chunk_sizes: { a: 3, b: 2 }
    });
    const ar = new AsyncMapResult(
      s,
      'r1',
      requester({
        get_chunks: { a: { status: 'error', error: bad(0) }, b: json([4, 5]) }
      }) as any
    );
    const values = (await ar.get(1, { returnExceptions: true })) as unknown[];
    expect(values).toHaveLength(ar.length);
    expect(values.slice(0, 3).every(v => v instanceof RemoteError)).toBe(true);
    expect(values.slice(3)).toEqual([4, 5]);
  });

  it('at() and slice() index the value as Python does; not ready is a TimeoutError', async () => {
    const s = storeWithResult('AsyncResult', [taskRecord('a', 'done'), taskRecord('b', 'done')]);
    const ar = new AsyncResult(s, 'r1', requester({ get_value: json([10, 20]) }) as any);
    await expect(ar.at(0)).resolves.toBe(10);
    await expect(ar.at(-1)).resolves.toBe(20);
    await expect(ar.at(2)).rejects.toBeInstanceOf(RangeError);
    await expect(ar.slice(1)).resolves.toEqual([20]);
    const running = storeWithResult('AsyncResult', [taskRecord('a', 'running')]);
    await expect(new AsyncResult(running, 'r1').at(0)).rejects.toBeInstanceOf(TimeoutError);
  });

  it('a multi-task result iterates per task; a single one is not iterable', async () => {
    const s = storeWithResult('AsyncResult', [taskRecord('a', 'done'), taskRecord('b', 'done')]);
    const ar = new AsyncResult(
      s,
      'r1',
      requester({ get_chunks: { a: json([1, 2]), b: json(3) } }) as any
    );
    const seen: unknown[] = [];
    for await (const x of ar) {
      seen.push(x);
    }
    expect(seen).toEqual([[1, 2], 3]); // not flattened: only maps are
    const one = storeWithResult('AsyncResult', [taskRecord('a', 'done')], { single: true });
    await expect(
      (async () => {
        for await (const x of new AsyncResult(one, 'r1')) {
          seen.push(x);
        }
      })()
    ).rejects.toBeInstanceOf(TypeError);
  });
});

describe('cancel, running, wait({returnWhen})', () => {
  it('cancel() settles waits and get() rejects with CancelledError; not once done', async () => {
    const s = storeWithResult('AsyncResult', [taskRecord('a', 'running')]);
    const ar = new AsyncResult(s, 'r1');
    expect(ar.running()).toBe(true);
    const waiting = ar.get();
    expect(ar.cancel()).toBe(true);
    await expect(waiting).rejects.toBeInstanceOf(CancelledError);
    expect(ar.cancelled()).toBe(true);
    expect(ar.done()).toBe(true);
    const done = new AsyncResult(storeWithResult('AsyncResult', [taskRecord('a', 'done')]), 'r1');
    expect(done.cancel()).toBe(false);
    expect(done.running()).toBe(false);
  });

  it('wait({returnWhen: FIRST_COMPLETED}) gives done and pending parts', async () => {
    const s = storeWithResult('AsyncResult', [taskRecord('a', 'done'), taskRecord('b', 'running')]);
    // split makes r2, r3 in the kernel; their records follow in a delta
    const rq = requester({
      split: () => {
        setTimeout(() =>
          s.apply(
            deltaMessage(
              1,
              [],
              [
                { ...s.result('r1')!, id: 'r2', msg_ids: ['a'], single: true },
                { ...s.result('r1')!, id: 'r3', msg_ids: ['b'], single: true }
              ]
            )
          )
        );
        return { result_ids: ['r2', 'r3'] };
      }
    });
    const ar = createAsyncResult(s, 'r1', rq as any);
    const { done, pending } = await ar.wait({ returnWhen: 'FIRST_COMPLETED', timeout: 5 });
    expect(done.map(p => p.msgIds)).toEqual([['a']]);
    expect(pending.map(p => p.msgIds)).toEqual([['b']]);
  });
});

describe('replies are checked at the edge', () => {
  it('a reply of the wrong shape is a ProtocolError naming the op', () => {
    expect(() => parseReply('split', { result_ids: 'r2' })).toThrow(ProtocolError);
    expect(() => parseReply('get_value', { status: 'maybe' })).toThrow('get_value reply');
    expect(() => parseReply('spin', { seq: 1.5 })).toThrow(ProtocolError);
    expect(parseReply('join', { result_id: 'r9' })).toEqual({ result_id: 'r9' });
  });

  it('a proxy rejects a malformed reply instead of reading undefined', async () => {
    const s = storeWithResult('AsyncResult', [taskRecord('a', 'done')]);
    const ar = new AsyncResult(s, 'r1', requester({ get_value: { status: 'ok' } }) as any);
    await expect(ar.get(1)).rejects.toBeInstanceOf(ProtocolError);
  });
});

describe('the Out[engine:count] prompt', () => {
  it("prefixes an execute result's text as ipyparallel's ExecuteReply", () => {
    const task = (text: string) => ({
      msg_id: 'a',
      engine_id: 1,
      stdout: '',
      stdout_truncated: false,
      stderr: '',
      stderr_truncated: false,
      outputs: [],
      outputs_truncated: false,
      execute_result: { data: { 'text/plain': text }, metadata: {}, execution_count: 4 }
    });
    expect(withPrompt(task('42')).data['text/plain']).toBe('Out[1:4]: 42');
    expect(withPrompt(task('a\nb')).data['text/plain']).toBe('Out[1:4]: \na\nb');
  });
});
