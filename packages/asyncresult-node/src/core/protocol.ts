/**
 * The comm protocol between the kernel bridge and a frontend, version 1.
 *
 * docs/protocol.md is the prose twin of this file; change both together.
 */
import type { IErrorInfo } from './errorInfo';
import { type ConnectionSide, ProtocolError } from './errors';
import type { ITaskOutputs } from './outputs';

// kept importable from here, where they used to live
export { ProtocolError };
export type { IErrorInfo };

/** The comm target the kernel bridge registers. */
export const COMM_TARGET = 'jupyterlab-asyncresult';

/** The protocol version this frontend speaks. */
export const PROTOCOL_VERSION = 1;

/** Where a task stands, as the kernel's ipyparallel Client sees it. */
export type TaskStatus = 'pending' | 'running' | 'done' | 'error' | 'aborted' | 'unknown';

/** Every status, in the order the UI lists them. */
export const TASK_STATUSES: ReadonlyArray<TaskStatus> = [
  'pending',
  'running',
  'done',
  'error',
  'aborted',
  'unknown'
];

/** Task statuses after which a task changes no more (but for output). */
export const FINISHED: ReadonlySet<string> = new Set<TaskStatus>(['done', 'error', 'aborted']);

/**
 * One task (one msg_id) as the bridge reports it. Times are seconds since the
 * epoch on the kernel's clock, or null when not known yet.
 */
export interface ITaskRecord {
  msg_id: string;
  status: TaskStatus;
  /** What the task raised, when status is 'error'. */
  error?: IErrorInfo | null;
  /** Whether all its output (iopub, up to idle) has arrived. */
  output_done?: boolean;
  /** Characters of stdout plus stderr so far. */
  stream_size?: number;
  engine_id: number | null;
  engine_uuid: string | null;
  submitted: number | null;
  started: number | null;
  completed: number | null;
  received: number | null;
  /** ipyparallel's metadata keys of the same names (absent before 0.2). */
  label?: string | null;
  follow?: string[] | null;
  after?: string[] | null;
  is_broadcast?: boolean;
  is_coalescing?: boolean;
}

/** A result value as it crosses the bridge. */
export interface IValue {
  repr: string;
  repr_truncated: boolean;
  /** The value itself, when it is plain JSON and not too large. */
  json?: unknown;
  json_truncated: boolean;
  /** IPython's rich reprs (text/html, image/png, ...), besides the repr. */
  bundle?: Record<string, unknown>;
}

/** One AsyncResult (or AsyncMapResult, AsyncHubResult) of the kernel. */
export interface IResultRecord {
  id: string;
  kind: 'AsyncResult' | 'AsyncMapResult' | 'AsyncHubResult';
  fname: string;
  label: string | null;
  msg_ids: string[];
  targets: number[] | number | string | null;
  cell_id: string | null;
  parent_msg_id: string | null;
  /** The `In [n]` of the cell that made it (absent from older bridges). */
  execution_count?: number | null;
  created: number;
  /** `get()` gives one value rather than a list. */
  single?: boolean;
  /** A map iterates in submission order (else as tasks finish). */
  ordered?: boolean;
  /** Every message of the result left the kernel's client. */
  sent?: boolean;
  /** Elements per task of a map, where not 1 (ipyparallel's chunk sizes). */
  chunk_sizes?: Record<string, number>;
  /**
   * A map still being submitted: its msg_ids grow, and the kernel has no
   * AsyncResult for it yet. Absent for results never announced early.
   */
  submitting?: boolean;
}

/** Fields every kernel -> frontend message carries. */
interface IBridgeMessageBase {
  v: number;
  seq: number;
  /** The kernel's clock when the message was made. */
  clock: number;
}

/** Whether the kernel's ipyparallel controller answers. */
export interface IControllerState {
  ok: boolean;
  /** Why not, in words for the user; '' when ok. */
  detail: string;
}

/**
 * One task's state in wire form, indexed into its result's msg_ids:
 * `[index, status, engine_id, submitted, started, completed, received,
 * output_done, stream_size, error?, extras?]`. `status` indexes TASK_STATUSES; times
 * are whole microseconds after the message's `t0` (or null); `output_done`
 * is 0 or 1; `error` is there only when it changed (else keep the old one).
 */
export type TaskRow = [
  number,
  number,
  number | null,
  number | null,
  number | null,
  number | null,
  number | null,
  number,
  number,
  (IErrorInfo | null)?,
  ITaskExtras?
];

/** ipyparallel metadata a task row carries only when not the default. */
export interface ITaskExtras {
  label?: string | null;
  follow?: string[] | null;
  after?: string[] | null;
  is_broadcast?: boolean;
  is_coalescing?: boolean;
}

/**
 * What changed in a result record already sent: its changed fields, and
 * `add_msg_ids` to put at `msg_ids_at` (a map still submitting, or a big
 * result spread over snapshot parts).
 */
export interface IResultChange extends Partial<Omit<IResultRecord, 'msg_ids'>> {
  id: string;
  msg_ids_at?: number;
  add_msg_ids?: string[];
}

/** The compact body of deltas and snapshot parts (see docs/protocol.md). */
export interface IRecordBatch {
  /**
   * Whole results: on the wire some may be brief rows, which
   * parseBridgeMessage makes whole.
   */
  results: IResultRecord[];
  /** Whole task records (the Node client's store sends these). */
  tasks: ITaskRecord[];
  /** Base of the rows' times: whole seconds on the kernel's clock. */
  t0?: number;
  result_changes?: IResultChange[];
  /** Task rows by the id of the result they index into. */
  changes?: Record<string, TaskRow[]>;
  /** The uuid of every engine id the rows name. */
  engines?: Record<string, string>;
}

/** Changed records since the previous message of the same stream. */
export interface IDeltaMessage extends IBridgeMessageBase, IRecordBatch {
  type: 'delta';
  /** Ids of results the bridge no longer keeps (and their tasks). */
  removed: string[];
  /** Present when the controller's state changed. */
  controller?: IControllerState;
}

/**
 * The whole state of the bridge, as of `seq`, in `parts` messages (numbered
 * from 0 by `part`) that apply together once the last one arrives.
 */
export interface ISnapshotMessage extends IBridgeMessageBase, IRecordBatch {
  type: 'snapshot';
  part?: number;
  parts?: number;
  reply_to: string | null;
  /**
   * The bridge's versions, and its session: one id per kernel process, which
   * progress bars saved in a notebook carry too.
   */
  bridge: { version: string; ipyparallel: string | null; session?: string };
  controller?: IControllerState;
}

/** A request the bridge could not honour. */
export interface IErrorMessage {
  v: number;
  type: 'error';
  reply_to: string | null;
  error: string;
}

/** The answer to a request. */
export interface IReplyMessage {
  v: number;
  type: 'reply';
  reply_to: string;
  value: unknown;
}

/** Anything the bridge sends. */
export type BridgeMessage = IDeltaMessage | ISnapshotMessage | IErrorMessage | IReplyMessage;

/** The frontend asks for the whole state. */
export interface ISnapshotRequest {
  v: number;
  type: 'snapshot_request';
  request_id: string;
}

/** A value, or what getting it raised. */
export type ValueReply = { status: 'ok'; value: IValue } | { status: 'error'; error: IErrorInfo };

/** The arguments of each request op (`result_id` names the AsyncResult). */
export interface IRequestArgs {
  get_value: { result_id: string; timeout?: number; full?: boolean; wait?: boolean };
  get_dict: { result_id: string };
  get_chunks: { result_id: string; msg_ids: string[] };
  get_outputs: {
    result_id: string;
    offsets?: Record<string, { stdout?: number; stderr?: number }>;
  };
  get_metadata: { result_id: string };
  split: { result_id: string };
  join: { result_id?: string; result_ids: string[] };
  resubmit: { result_id: string; msg_ids?: string[] };
  spin: { result_id: string };
  abort: { result_id: string; msg_ids?: string[] };
  interrupt: { result_id: string; engines: number[] };
  queue_status: { targets?: number[] | number | string | null; identify?: boolean };
  result_status: { msg_ids: string[] };
  configure: { progress?: string };
}

/** The reply `value` of each request op (docs/protocol.md's table). */
export interface IRequestReplies {
  get_value: ValueReply;
  get_dict:
    | { status: 'ok'; value: Record<string, IValue> }
    | { status: 'error'; error: IErrorInfo };
  get_chunks: Record<string, ValueReply>;
  get_outputs: { tasks: ITaskOutputs[] };
  get_metadata: { metadata: Array<Record<string, unknown>> };
  split: { result_ids: string[] };
  join: { result_id: string };
  resubmit: { result_id: string; msg_ids?: string[] };
  spin: { seq: number };
  abort: { status: 'ok' };
  interrupt: { status: 'ok'; engines: number[] };
  queue_status: Record<string, unknown>;
  result_status: { pending: string[]; completed: string[] };
  configure: { progress: string };
}

/** Control operations the bridge answers. */
export type RequestOp = keyof IRequestArgs;

/**
 * Check that a reply `value` has the shape `op` promises (the edge, like
 * parseBridgeMessage): throws a ProtocolError saying what is wrong.
 */
export function parseReply<K extends RequestOp>(op: K, value: unknown): IRequestReplies[K] {
  const bad = (what: string) => new ProtocolError(`${op} reply: ${what}`);
  if (!Private.isObject(value)) {
    throw bad('not an object');
  }
  const strings = (x: unknown) => Array.isArray(x) && x.every(s => typeof s === 'string');
  const checkValueReply = (v: unknown, what: string) => {
    if (!Private.isObject(v)) {
      throw bad(`${what} is not an object`);
    }
    if (v.status === 'ok') {
      if (!Private.isObject(v.value)) {
        throw bad(`${what} without a value`);
      }
    } else if (v.status === 'error') {
      if (!Private.isObject(v.error) || typeof v.error.ename !== 'string') {
        throw bad(`${what} without an error`);
      }
    } else {
      throw bad(`${what} has status ${JSON.stringify(v.status)}`);
    }
  };
  switch (op) {
    case 'get_value':
    case 'get_dict':
      checkValueReply(value, 'the reply');
      break;
    case 'get_chunks':
      Object.entries(value).forEach(([m, v]) => checkValueReply(v, `task ${m}`));
      break;
    case 'get_outputs':
      if (!Array.isArray(value.tasks)) {
        throw bad('without tasks');
      }
      break;
    case 'get_metadata':
      if (!Array.isArray(value.metadata) || !value.metadata.every(Private.isObject)) {
        throw bad('without a metadata list');
      }
      break;
    case 'split':
      if (!strings(value.result_ids)) {
        throw bad('without result_ids');
      }
      break;
    case 'join':
    case 'resubmit':
      if (typeof value.result_id !== 'string') {
        throw bad('without a result_id');
      }
      break;
    case 'spin':
      if (!Number.isInteger(value.seq)) {
        throw bad('without a seq');
      }
      break;
    case 'interrupt':
      if (!Array.isArray(value.engines) || !value.engines.every(Number.isInteger)) {
        throw bad('without the engines interrupted');
      }
      break;
    case 'result_status':
      if (!strings(value.pending) || !strings(value.completed)) {
        throw bad('without pending and completed lists');
      }
      break;
    default:
      break;
  }
  return value as unknown as IRequestReplies[K];
}

/** The frontend asks the bridge to act on the kernel's Client. */
export interface IRequest {
  v: number;
  type: 'request';
  request_id: string;
  op: RequestOp;
  [arg: string]: unknown;
}

/** Anything a frontend sends. */
export type FrontendMessage = ISnapshotRequest | IRequest;

/** Something that can put a request to a bridge and await its reply. */
export interface IRequester {
  /** The connection requests travel (the kernel when not said). */
  readonly where?: ConnectionSide;

  /**
   * Send `op` with its `args`; resolve with the reply's value, reject with
   * the bridge's error, or with a TimeoutError after `timeout` seconds. The
   * value is checked by whoever asked (parseReply), as it crossed an edge.
   */
  request<K extends RequestOp>(op: K, args?: IRequestArgs[K], timeout?: number): Promise<unknown>;
}

/**
 * Check that `data` is a bridge message this frontend understands.
 *
 * Throws a ProtocolError saying what is wrong; returns the typed message.
 */
export function parseBridgeMessage(data: unknown): BridgeMessage {
  if (!Private.isObject(data)) {
    throw new ProtocolError('message is not an object');
  }
  if (data.v !== PROTOCOL_VERSION) {
    throw new ProtocolError(
      `unsupported protocol version ${JSON.stringify(data.v)} (this frontend speaks ${PROTOCOL_VERSION})`
    );
  }
  switch (data.type) {
    case 'error':
      if (typeof data.error !== 'string') {
        throw new ProtocolError('error message without an error string');
      }
      return data as unknown as IErrorMessage;
    case 'reply':
      if (typeof data.reply_to !== 'string') {
        throw new ProtocolError('reply without a reply_to');
      }
      return data as unknown as IReplyMessage;
    case 'delta':
    case 'snapshot': {
      if (!Number.isInteger(data.seq) || (data.seq as number) < 0) {
        throw new ProtocolError(`${data.type} without a valid seq`);
      }
      if (typeof data.clock !== 'number') {
        throw new ProtocolError(`${data.type} without a clock`);
      }
      if (!Array.isArray(data.results) || !Array.isArray(data.tasks)) {
        throw new ProtocolError(`${data.type} without results or tasks`);
      }
      Private.checkBatch(data);
      const results = Private.wholeResults(data.results, data.t0);
      results.forEach(Private.checkResult);
      data.tasks.forEach(Private.checkTask);
      if (data.type === 'delta' && !Array.isArray(data.removed)) {
        throw new ProtocolError('delta without a removed list');
      }
      return (results === data.results ? data : { ...data, results }) as unknown as BridgeMessage;
    }
    default:
      throw new ProtocolError(`unknown message type ${JSON.stringify(data.type)}`);
  }
}

namespace Private {
  export function isObject(x: unknown): x is Record<string, unknown> {
    return typeof x === 'object' && x !== null && !Array.isArray(x);
  }

  const timeKeys = ['submitted', 'started', 'completed', 'received'] as const;

  export function checkTask(t: unknown): void {
    if (!isObject(t) || typeof t.msg_id !== 'string') {
      throw new ProtocolError('task record without a msg_id');
    }
    if (!TASK_STATUSES.includes(t.status as TaskStatus)) {
      throw new ProtocolError(`task ${t.msg_id} has unknown status ${JSON.stringify(t.status)}`);
    }
    if (
      t.error !== undefined &&
      t.error !== null &&
      (!isObject(t.error) || typeof t.error.ename !== 'string')
    ) {
      throw new ProtocolError(`task ${t.msg_id} has a bad error`);
    }
    for (const key of timeKeys) {
      if (t[key] !== null && typeof t[key] !== 'number') {
        throw new ProtocolError(`task ${t.msg_id} has a bad ${key}`);
      }
    }
  }

  /** Check the compact fields of a delta or snapshot part. */
  export function checkBatch(data: Record<string, unknown>): void {
    if (data.t0 !== undefined && typeof data.t0 !== 'number') {
      throw new ProtocolError(`${data.type} with a bad t0`);
    }
    if (data.changes !== undefined) {
      if (!isObject(data.changes)) {
        throw new ProtocolError(`${data.type} with bad changes`);
      }
      for (const [id, rows] of Object.entries(data.changes)) {
        if (!Array.isArray(rows) || !rows.every(checkRow)) {
          throw new ProtocolError(`${data.type} with a bad task row for result ${id}`);
        }
      }
    }
    if (data.result_changes !== undefined) {
      const ok =
        Array.isArray(data.result_changes) &&
        data.result_changes.every(
          c =>
            isObject(c) &&
            typeof c.id === 'string' &&
            (c.add_msg_ids === undefined ||
              (Array.isArray(c.add_msg_ids) &&
                c.add_msg_ids.every(m => typeof m === 'string') &&
                Number.isInteger(c.msg_ids_at)))
        );
      if (!ok) {
        throw new ProtocolError(`${data.type} with bad result_changes`);
      }
    }
    if (data.engines !== undefined && !isObject(data.engines)) {
      throw new ProtocolError(`${data.type} with bad engines`);
    }
    if (data.type === 'snapshot' && data.parts !== undefined) {
      const part = data.part as number;
      const parts = data.parts as number;
      if (!Number.isInteger(parts) || !Number.isInteger(part) || part < 0 || part >= parts) {
        throw new ProtocolError('snapshot with a bad part number');
      }
    }
  }

  function checkRow(row: unknown): boolean {
    if (!Array.isArray(row) || row.length < 9) {
      return false;
    }
    const [index, status] = row;
    if (!Number.isInteger(index) || index < 0) {
      return false;
    }
    if (!Number.isInteger(status) || status < 0 || status >= TASK_STATUSES.length) {
      return false;
    }
    for (let i = 2; i < 9; i++) {
      if (row[i] !== null && typeof row[i] !== 'number') {
        return false;
      }
    }
    // then an error (null when only the extras follow) and the extras
    const error = row[9];
    if (row.length > 9 && error !== null && !isObject(error)) {
      return false;
    }
    return row.length <= 10 || (row.length === 11 && isObject(row[10]));
  }

  /**
   * Whole result records from a `results` list that may hold brief rows
   * (`[id, msg_id, created]`, see "Brief results" in docs/protocol.md): each
   * takes every other field from the last whole result before it. Returns
   * `items` itself when it holds none.
   */
  export function wholeResults(items: unknown[], t0: unknown): unknown[] {
    if (!items.some(Array.isArray)) {
      return items;
    }
    let like: unknown = undefined;
    return items.map(item => {
      if (!Array.isArray(item)) {
        like = item;
        return item;
      }
      return wholeResult(item, like, t0);
    });
  }

  function wholeResult(row: unknown[], like: unknown, t0: unknown): Record<string, unknown> {
    if (
      !isObject(like) ||
      typeof like.id !== 'string' ||
      !Array.isArray(like.msg_ids) ||
      like.msg_ids.length !== 1 ||
      typeof like.msg_ids[0] !== 'string'
    ) {
      throw new ProtocolError('a brief result without a one-task result before it');
    }
    const [id, msgId, created] = row;
    if (row.length !== 3 || typeof created !== 'number' || typeof t0 !== 'number') {
      throw new ProtocolError(`a bad brief result ${JSON.stringify(row).slice(0, 200)}`);
    }
    return {
      ...like,
      id: spelled(id, like.id),
      msg_ids: [spelled(msgId, like.msg_ids[0])],
      created: t0 + created / 1e6
    };
  }

  /**
   * A brief row's id or msg_id: a string as it is, or a number that takes
   * the place of the trailing digits of the whole result's own.
   */
  function spelled(value: unknown, model: string): string {
    if (typeof value === 'string') {
      return value;
    }
    if (Number.isSafeInteger(value) && (value as number) >= 0) {
      return model.replace(/[0-9]+$/, '') + String(value);
    }
    throw new ProtocolError(`a bad id in a brief result: ${JSON.stringify(value)}`);
  }

  export function checkResult(r: unknown): void {
    if (!isObject(r) || typeof r.id !== 'string') {
      throw new ProtocolError('result record without an id');
    }
    if (!Array.isArray(r.msg_ids) || !r.msg_ids.every(m => typeof m === 'string')) {
      throw new ProtocolError(`result ${r.id} without a msg_ids list`);
    }
  }
}
