import type { AsyncResult } from '../core/asyncResult';
import { ClientClosedError } from '../core/errors';
import type { IHubContext } from './clientContext';
import type { Session } from './session';
import { TaskBook } from './taskBook';
import { wireTime } from './wireTime';

/**
 * What the hub answers on the query channel: queue status, results and
 * metadata of any task (other clients' too), history, purge and raw record
 * queries. Each call fails after the client's request timeout.
 */
export class HubQueries {
  constructor(private readonly _client: IHubContext) {}

  /**
   * ipyparallel's `queue_status`: per engine id, queued (mux), tasks
   * (load-balanced) and completed counts, and `unassigned` tasks; lists of
   * msg_ids when verbose.
   */
  async queueStatus(
    targets: number[] | number | string | null = null,
    verbose = false
  ): Promise<HubQueries.IQueueStatus> {
    const reply = await this._query('queue_request', { targets, verbose });
    const { status: _, ...rest } = reply.content;
    return rest as HubQueries.IQueueStatus;
  }

  /** Which of `msgIds` the hub has finished and which are pending. */
  async resultStatus(msgIds: string[]): Promise<{ pending: string[]; completed: string[] }> {
    const reply = await this._query('result_request', { msg_ids: msgIds, status_only: true });
    return { pending: reply.content.pending ?? [], completed: reply.content.completed ?? [] };
  }

  /**
   * Every finished task among `msgIds` as the hub recorded it (status,
   * metadata, io), put into the client's book; pending ones are listed.
   */
  async fetchResults(msgIds: string[]): Promise<{ pending: string[]; completed: string[] }> {
    const reply = await this._query('result_request', { msg_ids: msgIds, status_only: false });
    const c = reply.content;
    for (const msgId of c.completed ?? []) {
      this._client.book.putTask(
        this.taskFromRecord(msgId, c[msgId], this._client.book.task(msgId))
      );
    }
    return { pending: c.pending ?? [], completed: c.completed ?? [] };
  }

  /**
   * ipyparallel's `client.get_result(msg_ids)`: an AsyncHubResult for tasks
   * of any client, filled from the hub (values of Python apply tasks are
   * pickled: the Node client gives their status, metadata and output, not
   * their value).
   */
  async getResult(msgIds: string | string[]): Promise<AsyncResult> {
    const ids = typeof msgIds === 'string' ? [msgIds] : msgIds;
    const book = this._client.book;
    const { pending } = await this.fetchResults(ids);
    const tasks = ids.map(msgId => {
      if (pending.includes(msgId)) {
        return book.task(msgId) ?? TaskBook.newTask(msgId, 'hub', null, { id: null, uuid: null });
      }
      return book.task(msgId)!;
    });
    return this._client.addResult(
      {
        kind: 'AsyncHubResult',
        fname: 'unknown',
        label: tasks[0]?.label ?? null,
        msg_ids: ids,
        targets: null,
        cell_id: null,
        parent_msg_id: null,
        created: Date.now() / 1000,
        single: typeof msgIds === 'string',
        sent: true
      },
      tasks
    );
  }

  /**
   * ipyparallel's `client.resubmit(msg_ids)`: the hub sends finished tasks
   * again under new msg_ids; an AsyncHubResult of the new tasks.
   */
  async resubmit(msgIds: string[]): Promise<AsyncResult> {
    if (!msgIds.length) {
      throw new Error('resubmit: give at least one msg_id');
    }
    const reply = await this._query('resubmit_request', { msg_ids: msgIds });
    const again = (reply.content.resubmitted ?? {}) as Record<string, string>;
    return this.getResult(msgIds.map(m => again[m]));
  }

  /** Every msg_id the hub holds, oldest first. */
  async history(): Promise<string[]> {
    return (await this._query('history_request', {})).content.history ?? [];
  }

  /** Forget results in the hub: of some tasks, of some engines, or 'all'. */
  async purgeResults(msgIds: string[] | 'all' = [], targets: number[] = []): Promise<void> {
    if (msgIds !== 'all' && !msgIds.length && !targets.length) {
      throw new Error('purgeResults: give msg_ids, targets, or "all"');
    }
    await this._query('purge_request', { msg_ids: msgIds, engine_ids: targets });
  }

  /**
   * A raw query of the hub's task records (`db_query`), e.g.
   * `{ completed: null }` or `{ submitted: { $gte: isoDate } }`; buffers
   * (pickled data) are never asked for.
   */
  async dbQuery(
    query: Record<string, unknown>,
    keys: string[] | null = null
  ): Promise<Array<Record<string, any>>> {
    const wanted = keys?.filter(k => k !== 'buffers' && k !== 'result_buffers') ?? null;
    const reply = await this._query('db_request', { query, keys: wanted });
    return reply.content.records ?? [];
  }

  /** A task's state from a hub record (result_request or db_query shape). */
  taskFromRecord(msgId: string, rec: Record<string, any>, known?: TaskBook.ITask): TaskBook.ITask {
    const client = this._client;
    let content = rec.result_content ?? {};
    if (typeof content === 'string') {
      content = JSON.parse(content); // the hub may keep it packed
    }
    const resultMd = rec.result_metadata ?? {};
    const uuid: string | null =
      resultMd.engine ?? rec.engine_uuid ?? rec.result_header?.engine ?? null;
    const t =
      known && known.channel !== 'hub'
        ? { ...known, record: { ...known.record } }
        : TaskBook.newTask(msgId, 'hub', wireTime(rec.header?.date ?? rec.submitted), {
            id: uuid ? client.engineId(uuid) : null,
            uuid
          });
    const io = rec.io ?? rec;
    const status = content.status;
    const finished = status !== undefined && status !== null;
    Object.assign(t.record, {
      status: !finished
        ? rec.started
          ? 'running'
          : 'pending'
        : status === 'ok'
          ? 'done'
          : status === 'aborted'
            ? 'aborted'
            : 'error',
      engine_uuid: uuid,
      engine_id: uuid ? client.engineId(uuid) : null,
      started: wireTime(resultMd.started ?? rec.started) ?? t.record.started,
      completed: wireTime(rec.result_header?.date ?? rec.completed) ?? t.record.completed,
      received: wireTime(rec.received) ?? t.record.received,
      error:
        finished && status !== 'ok' && status !== 'aborted'
          ? client.book.errorOf(content, uuid)
          : null,
      output_done: finished
    });
    t.replyType = rec.result_header?.msg_type ?? t.replyType;
    t.stdout = io.stdout ?? t.stdout;
    t.stderr = io.stderr ?? t.stderr;
    t.record.stream_size = t.stdout.length + t.stderr.length;
    t.executeInput = io.execute_input ?? t.executeInput;
    if (io.execute_result) {
      t.executeResult = {
        data: io.execute_result.data ?? {},
        metadata: io.execute_result.metadata ?? {}
      };
    }
    t.executionCount =
      typeof content.execution_count === 'number' ? content.execution_count : t.executionCount;
    t.label = rec.label ?? rec.metadata?.label ?? t.label;
    return t;
  }

  private _query(msgType: string, content: Record<string, unknown>): Promise<Session.IMessage> {
    if (this._client.isDisposed) {
      return Promise.reject(new ClientClosedError(msgType, 'controller'));
    }
    return this._client.transport.request('query', msgType, content, {
      timeout: this._client.requestTimeout
    });
  }
}

/** Types that go with HubQueries. */
export namespace HubQueries {
  /** One engine's queues: counts, or msg_ids when verbose. */
  export interface IEngineQueue {
    queue: number | string[];
    completed: number | string[];
    tasks: number | string[];
  }

  /** queue_status: engine id (as a string key) -> queues, and `unassigned`. */
  export type IQueueStatus = Record<string, IEngineQueue | number | string[]> & {
    unassigned: number | string[];
  };
}
