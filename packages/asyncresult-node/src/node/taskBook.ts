import type { IMimeBundle, ITaskOutputs } from '../core/outputs';
import {
  FINISHED,
  type IControllerState,
  type IErrorInfo,
  type IResultRecord,
  type ITaskRecord,
  PROTOCOL_VERSION,
  type TaskStatus
} from '../core/protocol';
import { TaskStore } from '../core/taskStore';
import type { Session } from './session';
import { nowSeconds, wireTime } from './wireTime';

/**
 * Everything the Node client knows about its tasks (and the hub's tasks it
 * looked up): status, times, outputs, and the reply. It keeps a TaskStore
 * current with deltas, so the same AsyncResult proxies as in JupyterLab
 * read it.
 */
export class TaskBook {
  constructor(private readonly _engineId: (uuid: string) => number | null) {
    this.store.apply({
      v: PROTOCOL_VERSION,
      type: 'snapshot',
      seq: 0,
      clock: nowSeconds(),
      results: [],
      tasks: [],
      reply_to: null,
      bridge: { version: 'node', ipyparallel: null }
    });
  }

  /** The store the proxies read. */
  readonly store = new TaskStore();

  /** One task's whole state, if known. */
  task(msgId: string): TaskBook.ITask | undefined {
    return this._tasks.get(msgId);
  }

  /** Tasks not finished yet, oldest first. */
  unfinished(): TaskBook.ITask[] {
    return Array.from(this._open).map(m => this._tasks.get(m)!);
  }

  /** How many tasks are not finished yet. */
  get openCount(): number {
    return this._open.size;
  }

  /** Every task, oldest first. */
  all(): IterableIterator<TaskBook.ITask> {
    return this._tasks.values();
  }

  /** Start following tasks and the result made of them; the store has them at once. */
  addResult(record: IResultRecord, tasks: TaskBook.ITask[]): void {
    for (const t of tasks) {
      this._tasks.set(t.record.msg_id, t);
      if (!FINISHED.has(t.record.status)) {
        this._open.add(t.record.msg_id);
      }
      this._dirtyTasks.add(t.record.msg_id);
    }
    this._dirtyResults.set(record.id, record);
    this.flush();
  }

  /** A new task, pending. */
  static newTask(
    msgId: string,
    channel: TaskBook.ITask['channel'],
    submitted: number | null,
    engine: { id: number | null; uuid: string | null }
  ): TaskBook.ITask {
    return {
      record: {
        msg_id: msgId,
        status: 'pending',
        error: null,
        output_done: false,
        stream_size: 0,
        engine_id: engine.id,
        engine_uuid: engine.uuid,
        submitted,
        started: null,
        completed: null,
        received: null
      },
      channel,
      replyType: null,
      stdout: '',
      stderr: '',
      outputs: [],
      executeResult: null,
      executeInput: null,
      executionCount: null,
      label: null
    };
  }

  /** An execute_reply or apply_reply for one of our tasks. */
  onReply(message: Session.IMessage, engineUuid: string | null): TaskBook.ITask | undefined {
    const msgId = message.parent_header.msg_id ?? '';
    const t = this._tasks.get(msgId);
    if (!t || !this._open.has(msgId)) {
      return undefined; // unknown, or already failed (a dead engine's late reply)
    }
    const c = message.content;
    const md = message.metadata;
    const uuid = md.engine ?? engineUuid ?? t.record.engine_uuid;
    t.replyType = message.header.msg_type;
    t.executionCount = typeof c.execution_count === 'number' ? c.execution_count : null;
    this._update(t, {
      status: Private.statusOf(c.status),
      engine_uuid: uuid ?? null,
      engine_id: uuid ? this._engineId(uuid) : t.record.engine_id,
      started: wireTime(md.started) ?? t.record.started,
      completed: wireTime(message.header.date) ?? nowSeconds(),
      received: nowSeconds(),
      error: c.status === 'error' ? this.errorOf(c, uuid) : null
    });
    // aborted tasks and failures outside the engine send no output
    if (c.status === 'aborted' || (c.status !== 'ok' && !c.engine_info)) {
      t.record.output_done = true;
    }
    return t;
  }

  /** An iopub message of our session. */
  onIopub(message: Session.IMessage): TaskBook.ITask | undefined {
    const t = this._tasks.get(message.parent_header.msg_id ?? '');
    if (!t) {
      return undefined;
    }
    const c = message.content;
    const r = t.record;
    const uuid: string | undefined = message.metadata.engine;
    if (uuid && !r.engine_uuid) {
      // a load-balanced task: iopub tells us where it runs
      r.engine_uuid = uuid;
      r.engine_id = this._engineId(uuid);
    }
    switch (message.header.msg_type) {
      case 'stream':
        if (c.name === 'stdout' || c.name === 'stderr') {
          t[c.name as 'stdout' | 'stderr'] += String(c.text ?? '');
          r.stream_size = t.stdout.length + t.stderr.length;
        }
        break;
      case 'execute_input':
        t.executeInput = String(c.code ?? '');
        if (r.status === 'pending') {
          r.status = 'running';
          r.started ??= wireTime(message.header.date);
        }
        break;
      case 'display_data':
        t.outputs.push({ data: c.data ?? {}, metadata: c.metadata ?? {} });
        break;
      case 'execute_result':
        t.executeResult = { data: c.data ?? {}, metadata: c.metadata ?? {} };
        break;
      case 'error':
        if (!r.error) {
          r.error = this.errorOf(c, uuid ?? null);
        }
        break;
      case 'status':
        if (c.execution_state === 'busy' && r.status === 'pending') {
          r.status = 'running';
        } else if (c.execution_state === 'idle') {
          r.output_done = true;
        }
        break;
      default:
        return t;
    }
    this._touch(t);
    return t;
  }

  /**
   * Fail the unfinished tasks that an engine that died held, with an
   * EngineError, as ipyparallel's client does; their late replies are
   * ignored.
   */
  failEngine(uuid: string, id: number): string[] {
    const failed: string[] = [];
    for (const t of this.unfinished()) {
      if (t.record.engine_uuid !== uuid) {
        continue;
      }
      const msgId = t.record.msg_id;
      this._update(t, {
        status: 'error',
        received: nowSeconds(),
        completed: nowSeconds(),
        error: {
          ename: 'EngineError',
          evalue: `Engine ${id} died while running task '${msgId}'`,
          traceback: `EngineError: Engine ${id} died while running task '${msgId}'`,
          engine_id: id
        }
      });
      t.record.output_done = true;
      failed.push(msgId);
    }
    return failed;
  }

  /** Replace a task's state wholesale (from the hub's record). */
  putTask(t: TaskBook.ITask): void {
    this._tasks.set(t.record.msg_id, t);
    if (FINISHED.has(t.record.status)) {
      this._open.delete(t.record.msg_id);
    } else {
      this._open.add(t.record.msg_id);
    }
    this._touch(t);
  }

  /**
   * Say whether the controller answers; while it does not, waiting
   * AsyncResults give up with a ConnectionLostError instead of hanging.
   */
  setController(state: IControllerState): void {
    const now = this.store.controller;
    if (now.ok === state.ok && now.detail === state.detail) {
      return;
    }
    this._controller = state;
    this.flush();
  }

  /** What a task printed and displayed, from `offsets` on, capped per reply. */
  outputsOf(msgId: string, offsets?: { stdout?: number; stderr?: number }): ITaskOutputs {
    const t = this._tasks.get(msgId);
    const out = Private.cut(t?.stdout ?? '', offsets?.stdout);
    const err = Private.cut(t?.stderr ?? '', offsets?.stderr);
    return {
      msg_id: msgId,
      engine_id: t?.record.engine_id ?? null,
      stdout: out.text,
      stdout_truncated: out.truncated,
      stdout_total: t?.stdout.length ?? 0,
      stderr: err.text,
      stderr_truncated: err.truncated,
      stderr_total: t?.stderr.length ?? 0,
      outputs: (t?.outputs ?? []).slice(0, Private.MAX_OUTPUTS),
      outputs_truncated: (t?.outputs.length ?? 0) > Private.MAX_OUTPUTS,
      execute_result: t?.executeResult ?? null
    };
  }

  /** What an error reply (or iopub error) says, with the engine's id. */
  errorOf(content: Record<string, any>, uuid: string | null): IErrorInfo {
    const info = content.engine_info ?? {};
    const engineUuid = info.engine_uuid ?? uuid;
    return {
      ename: String(content.ename ?? 'Error'),
      evalue: String(content.evalue ?? ''),
      traceback: Array.isArray(content.traceback)
        ? content.traceback.join('\n')
        : String(content.traceback ?? ''),
      engine_id:
        typeof info.engine_id === 'number'
          ? info.engine_id
          : engineUuid
            ? this._engineId(engineUuid)
            : null
    };
  }

  /** Apply what changed to the store now; returns the store's seq. */
  flush(): number {
    if (this._timer !== null) {
      clearImmediate(this._timer);
      this._timer = null;
    }
    if (!this._dirtyTasks.size && !this._dirtyResults.size && !this._controller) {
      return this.store.seq;
    }
    const tasks = Array.from(this._dirtyTasks, m => ({ ...this._tasks.get(m)!.record }));
    const results = Array.from(this._dirtyResults.values());
    const controller = this._controller;
    this._dirtyTasks.clear();
    this._dirtyResults.clear();
    this._controller = null;
    this.store.apply({
      v: PROTOCOL_VERSION,
      type: 'delta',
      seq: this.store.seq + 1,
      clock: nowSeconds(),
      results,
      tasks,
      removed: [],
      ...(controller ? { controller } : {})
    });
    return this.store.seq;
  }

  /** Stop flushing (on close) and drop the store. */
  dispose(): void {
    if (this._timer !== null) {
      clearImmediate(this._timer);
      this._timer = null;
    }
    this.store.dispose();
  }

  private _update(t: TaskBook.ITask, change: Partial<ITaskRecord>): void {
    Object.assign(t.record, change);
    if (FINISHED.has(t.record.status)) {
      this._open.delete(t.record.msg_id);
    }
    this._touch(t);
  }

  /** Mark changed; many messages arriving together make one delta. */
  private _touch(t: TaskBook.ITask): void {
    this._dirtyTasks.add(t.record.msg_id);
    if (this._timer === null) {
      this._timer = setImmediate(() => {
        this._timer = null;
        this.flush();
      });
    }
  }

  private _tasks = new Map<string, TaskBook.ITask>();
  private _open = new Set<string>();
  private _dirtyTasks = new Set<string>();
  private _dirtyResults = new Map<string, IResultRecord>();
  private _timer: ReturnType<typeof setImmediate> | null = null;
  private _controller: IControllerState | null = null;
}

/** Types that go with TaskBook. */
export namespace TaskBook {
  /** A task as the Node client knows it. */
  export interface ITask {
    record: ITaskRecord;
    /** How it was sent: to one engine, load-balanced, or only seen in the hub. */
    channel: 'mux' | 'task' | 'hub';
    /** execute_reply or apply_reply, once replied. */
    replyType: string | null;
    stdout: string;
    stderr: string;
    outputs: IMimeBundle[];
    executeResult: IMimeBundle | null;
    executeInput: string | null;
    executionCount: number | null;
    label: string | null;
  }
}

namespace Private {
  export const MAX_STREAM = 100_000;
  export const MAX_OUTPUTS = 50;

  export function statusOf(status: unknown): TaskStatus {
    return status === 'ok' ? 'done' : status === 'aborted' ? 'aborted' : 'error';
  }

  /** A stream from `start` (capped), or without a start its last part. */
  export function cut(text: string, start?: number): { text: string; truncated: boolean } {
    if (start === undefined) {
      return text.length <= MAX_STREAM
        ? { text, truncated: false }
        : { text: text.slice(-MAX_STREAM), truncated: true };
    }
    return {
      text: text.slice(start, start + MAX_STREAM),
      truncated: text.length - start > MAX_STREAM
    };
  }
}
