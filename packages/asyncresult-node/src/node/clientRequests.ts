import { BridgeError, ClientClosedError, TimeoutError } from '../core/errors';
import {
  FINISHED,
  type IErrorInfo,
  type IRequestArgs,
  type IRequester,
  type IRequestReplies,
  type IResultRecord,
  type IValue,
  type RequestOp,
  type ValueReply
} from '../core/protocol';
import type { IRequestsContext } from './clientContext';
import type { TaskBook } from './taskBook';

/**
 * The request ops the Node client answers: every op of the protocol but the
 * two that only a kernel has a meaning for (`get_metadata` reads the kernel
 * Client's metadata dicts, `configure` sets the kernel's progress widgets).
 */
export type ControllerOp = Exclude<RequestOp, 'get_metadata' | 'configure'>;

/**
 * The Node client's answers to what the AsyncResult proxies ask (the role
 * the kernel bridge plays in JupyterLab): values, outputs, abort, spin,
 * queue and result status. Failures reject with a BridgeError saying why.
 */
export class ClientRequests implements IRequester {
  constructor(private readonly _client: IRequestsContext) {}

  /** Requests go to the controller itself. */
  readonly where = 'controller' as const;

  async request(
    op: RequestOp,
    args: Record<string, unknown> = {},
    timeout?: number
  ): Promise<unknown> {
    const client = this._client;
    if (client.isDisposed) {
      throw new ClientClosedError(op, 'controller');
    }
    const work = this._answer(op, args);
    if (args.wait === true && timeout === undefined) {
      // an AsyncHubResult's get() with no timeout: waits while the controller answers
      return work;
    }
    const limit = timeout ?? client.requestTimeout * 6;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const expiry = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new TimeoutError(`${op}: no answer in ${limit} s`, 'controller')),
        limit * 1000
      );
    });
    try {
      return await Promise.race([work, expiry]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Answer one op with the arguments and the reply the protocol's map
   * (IRequestArgs, IRequestReplies) gives it, as the kernel bridge would.
   */
  answer<K extends ControllerOp>(op: K, args: IRequestArgs[K]): Promise<IRequestReplies[K]> {
    const handler: (args: IRequestArgs[K]) => Promise<IRequestReplies[K]> = this._ops[op];
    return handler(args);
  }

  private async _answer(op: RequestOp, args: Record<string, unknown>): Promise<unknown> {
    if (!Private.isControllerOp(op)) {
      throw new BridgeError(`${op}: not supported by the Node client`);
    }
    // the proxies in src/core build `args` for `op` (IRequester takes them
    // untyped, as the kernel transport sends them on as JSON)
    return this.answer(op, args as IRequestArgs[typeof op]);
  }

  /** One handler per op, each checked against the protocol's map. */
  private readonly _ops: {
    [K in ControllerOp]: (args: IRequestArgs[K]) => Promise<IRequestReplies[K]>;
  } = {
    get_value: async args => this._value(await this._ready(args), args),
    get_dict: async args => this._dict(await this._ready(args)),
    get_chunks: async args => this._chunks(this._result(args), args.msg_ids),
    get_outputs: async args => {
      const offsets = args.offsets ?? {};
      return {
        tasks: this._result(args).msg_ids.map(m => this._client.book.outputsOf(m, offsets[m]))
      };
    },
    abort: async args => {
      const client = this._client;
      const record = this._result(args);
      const ids = args.msg_ids ?? record.msg_ids;
      if (!args.msg_ids && this._tasks(record).every(t => FINISHED.has(t.record.status))) {
        throw new BridgeError("abort: can't abort, the result is already done");
      }
      const targets = Array.isArray(record.targets)
        ? record.targets.filter(id => client.engineUuid(id))
        : typeof record.targets === 'number'
          ? [record.targets]
          : 'all';
      await client.abort(ids, targets);
      return { status: 'ok' };
    },
    interrupt: async args => {
      // as the kernel bridge: only engines that run a task of this result now
      const running = new Set(
        this._tasks(this._result(args))
          .filter(t => t.record.status === 'running' && t.record.engine_id !== null)
          .map(t => t.record.engine_id!)
      );
      const engines = Array.from(new Set(args.engines)).sort((a, b) => a - b);
      const strangers = engines.filter(e => !running.has(e));
      if (!engines.length || strangers.length) {
        throw new BridgeError(
          engines.length
            ? `engine(s) ${strangers.join(', ')} run no task of this result now: nothing interrupted`
            : 'engines must be a non-empty list of engine ids'
        );
      }
      await this._client.sendSignal('SIGINT', engines);
      return { status: 'ok', engines };
    },
    spin: async args => {
      const record = this._result(args);
      if (record.kind === 'AsyncHubResult') {
        await this._client.hub.fetchResults(record.msg_ids);
      }
      return { seq: this._client.book.flush() };
    },
    split: async args => ({ result_ids: this._split(this._result(args)) }),
    join: async args => ({ result_id: this._join(args.result_ids) }),
    resubmit: async args => {
      const again = await this._client.hub.resubmit(this._result(args).msg_ids);
      return { result_id: again.id };
    },
    queue_status: async args => this._client.hub.queueStatus(args.targets ?? null),
    result_status: async args => this._client.hub.resultStatus(args.msg_ids)
  };

  private _result(args: { result_id?: unknown }): IResultRecord {
    const record = this._client.book.store.result(String(args.result_id));
    if (!record) {
      throw new BridgeError(`no result ${String(args.result_id)} in this client`);
    }
    return record;
  }

  /** ipyparallel's split(): one result per task, made here from the same tasks. */
  private _split(record: IResultRecord): string[] {
    return record.msg_ids.map(msgId => {
      const t = this._client.book.task(msgId)!;
      const part: IResultRecord = {
        ...record,
        id: `${record.id}-split-${++Private.made}`,
        kind: record.kind === 'AsyncHubResult' ? 'AsyncHubResult' : 'AsyncResult',
        msg_ids: [msgId],
        targets: t.record.engine_id,
        single: true
      };
      this._client.book.addResult(part, [t]);
      return part.id;
    });
  }

  /** ipyparallel's AsyncResult.join(*results): one result of all their tasks. */
  private _join(ids: unknown): string {
    if (!Array.isArray(ids) || !ids.length) {
      throw new BridgeError('join: result_ids must be a list of results of this client');
    }
    const parts = ids.map(id => this._result({ result_id: id }));
    const msgIds = parts.flatMap(p => p.msg_ids);
    if (new Set(msgIds).size !== msgIds.length) {
      throw new BridgeError('join: the results share tasks');
    }
    const joined: IResultRecord = {
      ...parts[0],
      id: `join-${++Private.made}`,
      kind: parts.every(p => p.kind === 'AsyncHubResult') ? 'AsyncHubResult' : 'AsyncResult',
      msg_ids: msgIds,
      targets: parts.flatMap(p =>
        Array.isArray(p.targets) ? p.targets : typeof p.targets === 'number' ? [p.targets] : []
      ),
      single: false
    };
    this._client.book.addResult(joined, this._tasks(joined));
    return joined.id;
  }

  private _tasks(record: IResultRecord): TaskBook.ITask[] {
    return record.msg_ids.map(m => this._client.book.task(m)!);
  }

  /**
   * The tasks of a finished result. An AsyncHubResult learns that from the
   * hub, polling for up to `timeout` seconds (at most 60).
   */
  private async _ready(args: {
    result_id: string;
    timeout?: number;
    wait?: boolean;
  }): Promise<TaskBook.ITask[]> {
    const record = this._result(args);
    const done = () => this._tasks(record).every(t => t && FINISHED.has(t.record.status));
    if (record.kind === 'AsyncHubResult' && !done()) {
      // `wait`: no deadline; each poll still fails when the hub does not answer
      const limit = args.wait === true ? Infinity : Math.min(Number(args.timeout ?? 0), 60);
      const deadline = Date.now() + limit * 1000;
      for (;;) {
        await this._client.hub.fetchResults(record.msg_ids);
        if (done() || Date.now() >= deadline || this._client.isDisposed) {
          break;
        }
        await new Promise(r => setTimeout(r, Private.POLL_MS));
      }
      if (done() && this._tasks(record).some(Private.mayLackResult)) {
        // the hub stores a reply and its iopub execute_result as each
        // comes, either first, and keeps no sign that the output is all
        // in: ask once more, a poll later, before taking "no result"
        await new Promise(r => setTimeout(r, Private.POLL_MS));
        await this._client.hub.fetchResults(record.msg_ids);
      }
      this._client.book.flush();
    }
    if (!done()) {
      throw new BridgeError('the result is not ready');
    }
    await this._outputIn(record);
    return this._tasks(record);
  }

  /**
   * Wait (bounded) until the result's iopub output is in: the reply comes
   * on mux or task, its execute_result on iopub, and either can be first.
   * An execute's value is what it displayed as a result.
   */
  private _outputIn(record: IResultRecord): Promise<void> {
    const store = this._client.book.store;
    const done = () => this._tasks(record).every(t => t.record.output_done !== false);
    if (done()) {
      return Promise.resolve();
    }
    return new Promise(resolve => {
      const finish = () => {
        clearTimeout(timer);
        watch.dispose();
        resolve();
      };
      const timer = setTimeout(finish, this._client.requestTimeout * 1000);
      const watch = store.watch(record.id, () => {
        if (done()) {
          finish();
        }
      });
    });
  }

  private _value(tasks: TaskBook.ITask[], args: { result_id: string }): ValueReply {
    const failed = tasks.find(t => t.record.status !== 'done');
    if (failed) {
      return { status: 'error', error: Private.errorOf(failed) };
    }
    const record = this._result(args);
    const values = tasks.map(Private.valueOf);
    if (record.single) {
      return { status: 'ok', value: values[0] };
    }
    return {
      status: 'ok',
      value: {
        repr: `[${values.map(v => v.repr).join(', ')}]`,
        repr_truncated: false,
        json: values.map(v => v.json),
        json_truncated: false
      }
    };
  }

  private _dict(tasks: TaskBook.ITask[]): IRequestReplies['get_dict'] {
    const failed = tasks.find(t => t.record.status !== 'done');
    if (failed) {
      return { status: 'error', error: Private.errorOf(failed) };
    }
    const value: Record<string, IValue> = {};
    for (const t of tasks) {
      const key = String(t.record.engine_id);
      if (key in value) {
        return {
          status: 'error',
          error: {
            ename: 'ValueError',
            evalue: `Cannot build dict, ${tasks.length} jobs ran on engine #${key}`,
            traceback: '',
            engine_id: null
          }
        };
      }
      value[key] = Private.valueOf(t);
    }
    return { status: 'ok', value };
  }

  private _chunks(record: IResultRecord, msgIds: string[]): IRequestReplies['get_chunks'] {
    const out: IRequestReplies['get_chunks'] = {};
    for (const msgId of msgIds) {
      const t = this._client.book.task(msgId);
      if (!t || !record.msg_ids.includes(msgId)) {
        throw new BridgeError(`${msgId} is not a task of this result`);
      }
      if (!FINISHED.has(t.record.status)) {
        throw new BridgeError(`task ${msgId} is not finished`);
      }
      out[msgId] =
        t.record.status === 'done'
          ? { status: 'ok', value: Private.valueOf(t) }
          : { status: 'error', error: Private.errorOf(t) };
    }
    return out;
  }
}

namespace Private {
  /** Results made here (split, join), for unique ids. */
  // eslint-disable-next-line prefer-const -- reassigned through the namespace
  export let made = 0;

  /** Milliseconds between two questions to the hub while waiting for its result. */
  export const POLL_MS = 200;

  /** A hub task that ran code and, so far, shows no result of it. */
  export function mayLackResult(t: TaskBook.ITask): boolean {
    return (
      t.channel === 'hub' &&
      t.replyType === 'execute_reply' &&
      t.record.status === 'done' &&
      t.executeResult === null
    );
  }

  const CONTROLLER_OPS: ReadonlySet<string> = new Set<ControllerOp>([
    'get_value',
    'get_dict',
    'get_chunks',
    'get_outputs',
    'abort',
    'interrupt',
    'spin',
    'split',
    'join',
    'resubmit',
    'queue_status',
    'result_status'
  ]);

  export function isControllerOp(op: string): op is ControllerOp {
    return CONTROLLER_OPS.has(op);
  }

  export function errorOf(t: TaskBook.ITask): IErrorInfo {
    if (t.record.status === 'aborted') {
      return {
        ename: 'TaskAborted',
        evalue: `Task ${t.record.msg_id} was aborted`,
        traceback: '',
        engine_id: t.record.engine_id
      };
    }
    return (
      t.record.error ?? {
        ename: 'Error',
        evalue: 'the task failed',
        traceback: '',
        engine_id: t.record.engine_id
      }
    );
  }

  /**
   * An execute task's value, as ipyparallel's ExecuteReply: its execution
   * count and what it displayed as a result. An apply task's value is
   * pickled and stays out of reach of the Node client: say so.
   */
  export function valueOf(t: TaskBook.ITask): IValue {
    if (t.replyType === 'apply_reply') {
      throw new BridgeError(
        `task ${t.record.msg_id} is a Python apply task: its value is pickled, which the Node client does not read (its status, metadata and output are available)`
      );
    }
    const data = t.executeResult?.data ?? {};
    const text = typeof data['text/plain'] === 'string' ? (data['text/plain'] as string) : '';
    const eid = t.record.engine_id ?? '?';
    const count = t.executionCount ?? 0;
    return {
      repr: `<ExecuteReply[${eid}]: ${text ? `Out[${eid}:${count}]: ${text}` : count}>`,
      repr_truncated: false,
      json: { engine_id: t.record.engine_id, execution_count: t.executionCount, data },
      json_truncated: false
    };
  }
}
