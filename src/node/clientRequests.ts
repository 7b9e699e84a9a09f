import { BridgeError, ClientClosedError, TimeoutError } from '../core/errors';
import {
  FINISHED,
  type IErrorInfo,
  type IRequester,
  type IResultRecord,
  type IValue,
  type RequestOp
} from '../core/protocol';
import type { IRequestsContext } from './clientContext';
import type { TaskBook } from './taskBook';

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

  private async _answer(op: RequestOp, args: Record<string, unknown>): Promise<unknown> {
    const client = this._client;
    switch (op) {
      case 'get_value':
        return this._value(await this._ready(args), args);
      case 'get_dict':
        return this._dict(await this._ready(args));
      case 'get_chunks':
        return this._chunks(this._result(args), args.msg_ids as string[]);
      case 'get_outputs': {
        const offsets = (args.offsets ?? {}) as Record<
          string,
          { stdout?: number; stderr?: number }
        >;
        return {
          tasks: this._result(args).msg_ids.map(m => client.book.outputsOf(m, offsets[m]))
        };
      }
      case 'abort': {
        const record = this._result(args);
        const ids = (args.msg_ids as string[] | undefined) ?? record.msg_ids;
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
      }
      case 'spin': {
        const record = this._result(args);
        if (record.kind === 'AsyncHubResult') {
          await client.hub.fetchResults(record.msg_ids);
        }
        return { seq: client.book.flush() };
      }
      case 'split':
        return { result_ids: this._split(this._result(args)) };
      case 'join':
        return { result_id: this._join(args.result_ids) };
      case 'resubmit': {
        const again = await client.hub.resubmit(this._result(args).msg_ids);
        return { result_id: again.id };
      }
      case 'queue_status':
        return client.hub.queueStatus((args.targets as number[] | null) ?? null);
      case 'result_status':
        return client.hub.resultStatus(args.msg_ids as string[]);
      default:
        throw new BridgeError(`${op}: not supported by the Node client`);
    }
  }

  private _result(args: Record<string, unknown>): IResultRecord {
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
  private async _ready(args: Record<string, unknown>): Promise<TaskBook.ITask[]> {
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

  private _value(tasks: TaskBook.ITask[], args: Record<string, unknown>) {
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
      } as IValue
    };
  }

  private _dict(tasks: TaskBook.ITask[]) {
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

  private _chunks(record: IResultRecord, msgIds: string[]) {
    const out: Record<string, unknown> = {};
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
