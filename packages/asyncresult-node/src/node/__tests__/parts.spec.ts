/**
 * The Node client's parts, each alone with fakes of the narrow context it
 * is given (clientContext.ts): fast, no controller. The same parts are
 * tested assembled, against a real cluster, in controller.spec.ts and
 * inflight.spec.ts.
 */
import { BridgeError } from '../../core/errors';
import { type IRequestReplies, type IResultRecord, parseReply } from '../../core/protocol';
import type {
  IHubAnswers,
  IHubContext,
  IRequestsContext,
  ISubmission,
  ISubmitter
} from '../clientContext';
import { ClientRequests } from '../clientRequests';
import { clusterSnapshot, type ISnapshotSource } from '../clusterSnapshot';
import { ControllerWatch } from '../controllerWatch';
import { EngineActivity } from '../engineActivity';
import { HubQueries } from '../hubQueries';
import type { Session } from '../session';
import { TaskBook } from '../taskBook';
import { DirectView, LoadBalancedView } from '../views';

describe('EngineActivity', () => {
  const status = (state: string, msgId: string, type = 'execute_request') =>
    ({
      header: { msg_type: 'status', date: '2026-01-01T00:00:05Z' },
      parent_header: { msg_id: msgId, msg_type: type },
      metadata: {},
      content: { execution_state: state },
      buffers: []
    }) as unknown as Session.IMessage;

  it('learns which task each engine runs from busy and idle, ignoring control requests', () => {
    const a = new EngineActivity();
    expect(a.hasSeen(2)).toBe(false);
    a.onIopub('engine.2.status', status('busy', 'm1'));
    a.onIopub('engine.3.status', status('busy', 'k', 'kernel_info_request'));
    expect(a.runningOn(2)).toEqual({
      msgId: 'm1',
      started: Date.parse('2026-01-01T00:00:05Z') / 1000
    });
    expect(a.runningOn(3)).toBeUndefined();
    expect(a.hasSeen(2)).toBe(true);
    a.onIopub('engine.2.status', status('idle', 'other'));
    expect(a.runningOn(2)?.msgId).toBe('m1');
    a.onIopub('engine.2.status', status('idle', 'm1'));
    expect(a.runningOn(2)).toBeUndefined();
    a.onIopub('kernel.x.status', status('busy', 'm2'));
    expect(a.running().size).toBe(0);
  });
});

describe('clusterSnapshot', () => {
  const iso = (s: number) => new Date(s * 1000).toISOString();

  function source(records: { open: any[]; done: any[] }, seen: number[] = []) {
    const queries: any[] = [];
    const activity = new EngineActivity();
    const src: ISnapshotSource = {
      hub: {
        queueStatus: async () => ({
          '0': { queue: 2, tasks: 0, completed: 3 },
          '1': { queue: 1, tasks: 0, completed: 1 },
          unassigned: 0
        }),
        dbQuery: async (query: Record<string, unknown>) => {
          queries.push(query);
          return 'completed' in query && query.completed === null ? records.open : records.done;
        }
      } as any,
      activity: {
        running: () => activity.running(),
        hasSeen: (id: number) => seen.includes(id)
      },
      deadEngines: new Map([[1, 'u1']]),
      connectionFile: '/c.json',
      engineId: uuid => ({ u0: 0, u1: 1 })[uuid] ?? null,
      engineUuid: id => ['u0'][id]
    };
    return { src, queries };
  }

  it('asks the hub only what DictDB, SQLiteDB and MongoDB all answer', async () => {
    const { src, queries } = source({ open: [], done: [] });
    await clusterSnapshot(src, { window: 30 });
    expect(queries[0]).toEqual({ completed: null });
    // $ne null first: DictDB stops there for unfinished tasks instead of comparing None
    expect(Object.keys(queries[1].completed)).toEqual(['$ne', '$gte']);
    expect(queries[1].completed.$ne).toBeNull();
  });

  it('shows dead engines as dead, infers what an engine not yet seen runs, and counts the current rate', async () => {
    const now = Date.now() / 1000;
    const rec = (msgId: string, submitted: number, completed: number | null) => ({
      msg_id: msgId,
      engine_uuid: 'u0',
      header: { msg_type: 'execute_request' },
      submitted: iso(submitted),
      started: null,
      completed: completed === null ? null : iso(completed),
      result_content: completed === null ? null : { status: 'ok' }
    });
    const { src } = source({
      open: [rec('later', now - 5, null), rec('first', now - 9, null)],
      done: [rec('d1', now - 50, now - 40), rec('d2', now - 3, now - 1)]
    });
    const snap = await clusterSnapshot(src, { window: 60 });
    expect(snap.engines.map(e => [e.id, e.state])).toEqual([
      [0, 'busy'],
      [1, 'dead']
    ]);
    expect(snap.running.map(t => [t.msg_id, t.status])).toEqual([
      ['first', 'running'],
      ['later', 'pending']
    ]);
    expect(snap.rate).toBeCloseTo(2 / 60);
    expect(snap.current_rate).toBeCloseTo(1 / 5);
  });
});

describe('ControllerWatch', () => {
  it('says the controller does not answer while tasks wait, and that it answers again', async () => {
    const book = new TaskBook(() => null);
    const t = TaskBook.newTask('m', 'mux', 1, { id: 0, uuid: 'u0' });
    book.addResult(Private.record(['m']), [t]);
    let answer: () => Promise<Record<string, unknown>> = () =>
      Promise.reject(new Error('no answer'));
    const watch = new ControllerWatch(
      { book, isDisposed: false, hub: { queueStatus: () => answer() } },
      0.01
    );
    try {
      await Private.until(() => !book.store.controller.ok);
      expect(book.store.controller.detail).toBe('the controller does not answer (no answer)');
      answer = async () => ({});
      await Private.until(() => book.store.controller.ok);
    } finally {
      watch.dispose();
      book.dispose();
    }
  });
});

describe('HubQueries', () => {
  function context(reply: Record<string, unknown>) {
    const sent: Array<[string, Record<string, unknown> | undefined]> = [];
    const book = new TaskBook(() => 0);
    const ctx: IHubContext = {
      book,
      requestTimeout: 1,
      isDisposed: false,
      engineId: () => 0,
      engineUuid: () => 'u0',
      transport: {
        request: async (_channel, msgType, content) => {
          sent.push([msgType, content]);
          return { content: reply } as unknown as Session.IMessage;
        }
      },
      addResult: () => {
        throw new Error('not used');
      }
    };
    return { hub: new HubQueries(ctx), sent, book };
  }

  it('asks queue_status as ipyparallel does and returns it without the status', async () => {
    const { hub, sent } = context({ status: 'ok', '0': { queue: 0 }, unassigned: 0 });
    expect(await hub.queueStatus([0])).toEqual({ '0': { queue: 0 }, unassigned: 0 });
    expect(sent).toEqual([['queue_request', { targets: [0], verbose: false }]]);
  });

  it('refuses a purge of nothing, and puts finished hub records into the book', async () => {
    const { hub, book } = context({
      status: 'ok',
      pending: [],
      completed: ['m'],
      m: {
        result_content: { status: 'ok', execution_count: 3 },
        result_header: { msg_type: 'execute_reply', date: '2026-01-01T00:00:01Z' },
        result_metadata: { engine: 'u0' },
        io: { stdout: 'hi\n', execute_result: { data: { 'text/plain': '1' } } }
      }
    });
    await expect(hub.purgeResults([])).rejects.toThrow(/give msg_ids, targets, or "all"/);
    await hub.fetchResults(['m']);
    const t = book.task('m')!;
    expect([t.record.status, t.stdout, t.executionCount, t.record.output_done]).toEqual([
      'done',
      'hi\n',
      3,
      true
    ]);
  });
});

describe('ClientRequests', () => {
  function context(hub: Partial<IHubAnswers> = {}) {
    const book = new TaskBook(() => 0);
    const aborted: unknown[] = [];
    const signalled: unknown[] = [];
    const ctx: IRequestsContext = {
      book,
      requestTimeout: 1,
      isDisposed: false,
      engineId: () => 0,
      engineUuid: () => 'u0',
      hub: {
        queueStatus: async () => ({}),
        resultStatus: async () => ({ pending: [], completed: [] }),
        fetchResults: async () => ({ pending: [], completed: [] }),
        resubmit: async () => {
          throw new Error('not used');
        },
        ...hub
      },
      abort: async (ids, targets) => {
        aborted.push([ids, targets]);
      },
      sendSignal: async (sig, targets) => {
        signalled.push([sig, targets]);
      }
    };
    return { requests: new ClientRequests(ctx), book, aborted, signalled };
  }

  it('refuses what it cannot do with a BridgeError that says why', async () => {
    const { requests, book } = context();
    const done = { ...TaskBook.newTask('m', 'mux', 1, { id: 0, uuid: 'u0' }) };
    done.record.status = 'done';
    book.addResult(Private.record(['m']), [done]);
    await expect(requests.request('abort', { result_id: 'r' })).rejects.toThrow(
      "abort: can't abort, the result is already done"
    );
    await expect(requests.request('nope' as any, {})).rejects.toBeInstanceOf(BridgeError);
    await expect(requests.request('get_value', { result_id: 'x' })).rejects.toThrow(
      'no result x in this client'
    );
  });

  it('aborts the unfinished tasks of a result on its engines', async () => {
    const { requests, book, aborted } = context();
    book.addResult(Private.record(['m'], [0]), [
      TaskBook.newTask('m', 'mux', 1, { id: 0, uuid: 'u0' })
    ]);
    expect(await requests.request('abort', { result_id: 'r' })).toEqual({ status: 'ok' });
    expect(aborted).toEqual([[['m'], [0]]]);
  });

  it('interrupts only the engines that run a task of the result, as the bridge does', async () => {
    const { requests, book, signalled } = context();
    const running = TaskBook.newTask('m', 'mux', 1, { id: 1, uuid: 'u1' });
    running.record.status = 'running';
    book.addResult(Private.record(['m'], [1]), [running]);
    await expect(requests.request('interrupt', { result_id: 'r', engines: [0] })).rejects.toThrow(
      'engine(s) 0 run no task of this result now: nothing interrupted'
    );
    await expect(requests.request('interrupt', { result_id: 'r', engines: [] })).rejects.toThrow(
      'non-empty list'
    );
    expect(signalled).toEqual([]);
    expect(await requests.request('interrupt', { result_id: 'r', engines: [1] })).toEqual({
      status: 'ok',
      engines: [1]
    });
    expect(signalled).toEqual([['SIGINT', [1]]]);
  });

  it('splits a result into one per task, and joins results into one, locally', async () => {
    const { requests, book } = context();
    const tasks = ['a', 'b'].map(m => TaskBook.newTask(m, 'mux', 1, { id: 0, uuid: 'u0' }));
    book.addResult(Private.record(['a', 'b'], [0, 1]), tasks);
    const { result_ids } = (await requests.request('split', { result_id: 'r' })) as any;
    expect(result_ids.map((id: string) => book.store.result(id)!.msg_ids)).toEqual([['a'], ['b']]);
    const { result_id } = (await requests.request('join', {
      result_id: result_ids[1],
      result_ids: [result_ids[1], result_ids[0]]
    })) as any;
    expect(book.store.result(result_id)!.msg_ids).toEqual(['b', 'a']);
    await expect(
      requests.request('join', { result_id: 'r', result_ids: ['r', result_ids[0]] })
    ).rejects.toThrow('join: the results share tasks');
  });

  it('answers each op with the reply the protocol map gives it, and refuses the kernel-only ops', async () => {
    const { requests, book } = context({
      queueStatus: async targets => ({ unassigned: 0, asked: targets ?? null }),
      resultStatus: async msgIds => ({ pending: [], completed: msgIds })
    });
    const t = TaskBook.newTask('m', 'mux', 1, { id: 0, uuid: 'u0' });
    book.addResult(Private.record(['m'], [0]), [t]);
    // typed by IRequestReplies: these lines do not compile if a reply drifts
    const outputs: IRequestReplies['get_outputs'] = await requests.answer('get_outputs', {
      result_id: 'r'
    });
    expect(outputs.tasks.map(o => o.msg_id)).toEqual(['m']);
    const queue: IRequestReplies['queue_status'] = await requests.answer('queue_status', {
      targets: [0]
    });
    expect(queue).toEqual({ unassigned: 0, asked: [0] });
    const status: IRequestReplies['result_status'] = await requests.answer('result_status', {
      msg_ids: ['m']
    });
    expect(status).toEqual({ pending: [], completed: ['m'] });
    const spin: IRequestReplies['spin'] = await requests.answer('spin', { result_id: 'r' });
    expect(spin.seq).toBe(book.store.seq);
    // the untyped IRequester path answers the same, and parseReply accepts it
    for (const [op, args] of [
      ['get_outputs', { result_id: 'r' }],
      ['queue_status', { targets: [0] }],
      ['result_status', { msg_ids: ['m'] }],
      ['spin', { result_id: 'r' }]
    ] as const) {
      const value = await requests.request(op, args);
      expect(() => parseReply(op, value)).not.toThrow();
    }
    for (const op of ['get_metadata', 'configure'] as const) {
      await expect(requests.request(op, { result_id: 'r' })).rejects.toThrow(
        `${op}: not supported by the Node client`
      );
    }
  });

  it("polls the hub with no deadline for an AsyncHubResult's get() without a timeout", async () => {
    let polls = 0;
    const ctx = context({
      fetchResults: async () => {
        if (++polls === 4) {
          const t = ctx.book.task('m')!;
          ctx.book.putTask({ ...t, record: { ...t.record, status: 'aborted', output_done: true } });
        }
        return { pending: [], completed: [] };
      }
    });
    ctx.book.addResult({ ...Private.record(['m']), kind: 'AsyncHubResult' }, [
      TaskBook.newTask('m', 'hub', 1, { id: null, uuid: null })
    ]);
    const reply: any = await ctx.requests.request('get_value', { result_id: 'r', wait: true });
    expect(polls).toBe(4);
    expect(reply.error.ename).toBe('TaskAborted');
  });
});

describe('the views', () => {
  function submitter(): ISubmitter & { sent: ISubmission[] } {
    const sent: ISubmission[] = [];
    return {
      sent,
      resolveTargets: t => (t === 'all' ? [0, 1] : typeof t === 'number' ? [t] : t),
      engineUuid: id => (id < 2 ? `u${id}` : undefined),
      submit: request => {
        sent.push(request);
        return null as any;
      }
    };
  }

  it('send one task per engine (direct) or one for the scheduler (balanced)', () => {
    const s = submitter();
    new DirectView(s, 'all').execute('x = 1', { label: 'l' });
    new LoadBalancedView(s, [1]).execute('y', { retries: 2 });
    expect(s.sent[0]).toMatchObject({ routes: ['u0', 'u1'], balanced: false, targets: [0, 1] });
    expect(s.sent[0].content).toEqual({ code: 'x = 1', silent: true, user_expressions: {} });
    expect(s.sent[1]).toMatchObject({ routes: [null], balanced: true, single: true });
    expect(s.sent[1].metadata).toMatchObject({ targets: ['u1'], retries: 2 });
  });

  it('refuse code that is not text and engines that do not exist', () => {
    const s = submitter();
    expect(() => new DirectView(s, 0).execute(42 as any)).toThrow('code must be text, not number');
    expect(() => new LoadBalancedView(s, [7]).execute('x')).toThrow('no such engine: 7');
  });
});

namespace Private {
  export function record(msgIds: string[], targets: number[] | null = null): IResultRecord {
    return {
      id: 'r',
      kind: 'AsyncResult',
      fname: 'execute',
      label: null,
      msg_ids: msgIds,
      targets,
      cell_id: null,
      parent_msg_id: null,
      created: 1,
      single: false,
      sent: true
    };
  }

  export async function until(predicate: () => boolean): Promise<void> {
    const deadline = Date.now() + 5000;
    while (!predicate()) {
      if (Date.now() > deadline) {
        throw new Error('condition not met in time');
      }
      await new Promise(r => setTimeout(r, 5));
    }
  }
}
