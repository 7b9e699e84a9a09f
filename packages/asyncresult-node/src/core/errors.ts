import type { IErrorInfo } from './errorInfo';

/**
 * Which connection a proxy's requests travel: the kernel bridge (a
 * JupyterLab frontend) or the controller itself (the Node client).
 */
export type ConnectionSide = 'kernel' | 'controller';

/**
 * The base of every error this package raises, so one `instanceof` tells
 * ours from the rest; `where` says which connection it concerns.
 */
export class AsyncResultError extends Error {
  constructor(message: string, where: ConnectionSide = 'kernel') {
    super(message);
    this.name = 'AsyncResultError';
    this.where = where;
  }

  /** The connection the error came through (or was about). */
  readonly where: ConnectionSide;
}

/**
 * What a task did instead of giving a value: ipyparallel's KernelError
 * family (RemoteError, TaskAborted, EngineError), with the error's fields.
 */
export class TaskError extends AsyncResultError {
  constructor(message: string, info: IErrorInfo, where: ConnectionSide = 'kernel') {
    super(message, where);
    this.name = 'TaskError';
    this.ename = info.ename;
    this.evalue = info.evalue;
    this.traceback = info.traceback;
    this.engineId = info.engine_id;
    this.method = info.method ?? null;
  }

  readonly ename: string;
  readonly evalue: string;
  readonly traceback: string;
  readonly engineId: number | null;
  /** How the engine ran the task: `apply` or `execute` (null if unknown). */
  readonly method: string | null;
}

/** What a task raised on its engine, as ipyparallel's RemoteError. */
export class RemoteError extends TaskError {
  constructor(info: IErrorInfo, where: ConnectionSide = 'kernel') {
    super(`${Private.engineLabel(info)} ${info.ename}: ${info.evalue}`, info, where);
    this.name = 'RemoteError';
  }
}

/**
 * The errors of several tasks of one result, as ipyparallel's
 * CompositeError: its message names the function and the first members;
 * `elist` holds every member.
 */
export class CompositeError extends RemoteError {
  constructor(info: IErrorInfo, where: ConnectionSide = 'kernel') {
    super(info, where);
    this.name = 'CompositeError';
    this.elist = (info.elist ?? []).map(e => errorFromInfo(e, where));
    this.elistTotal = info.elist_total ?? this.elist.length;
    // ipyparallel's str(): the message and the first members
    this.message = info.evalue;
  }

  /** Every member error, in the result's task order (maybe capped). */
  readonly elist: TaskError[];
  /** How many members the kernel had (more than `elist` when capped). */
  readonly elistTotal: number;
}

/** A queued task was aborted before it ran (ipyparallel's TaskAborted). */
export class TaskAborted extends TaskError {
  constructor(info: IErrorInfo, where: ConnectionSide = 'kernel') {
    super(`task aborted: ${info.evalue}`, info, where);
    this.name = 'TaskAborted';
  }

  /** The aborted task's msg_id (ipyparallel's TaskAborted argument). */
  get msgId(): string {
    return this.evalue;
  }
}

/**
 * The engine running a task died or stopped. ipyparallel reports a dead
 * engine's task as a RemoteError named EngineError, so this is one too.
 */
export class EngineError extends RemoteError {
  constructor(info: IErrorInfo, where: ConnectionSide = 'kernel') {
    super(info, where);
    this.name = 'EngineError';
  }
}

/**
 * The right class for an error the bridge or controller reported:
 * CompositeError, TaskAborted, EngineError or RemoteError.
 */
export function errorFromInfo(info: IErrorInfo, where: ConnectionSide = 'kernel'): TaskError {
  switch (info.ename) {
    case 'CompositeError':
      return new CompositeError(info, where);
    case 'TaskAborted':
      return new TaskAborted(info, where);
    case 'EngineError':
      return new EngineError(info, where);
    default:
      return new RemoteError(info, where);
  }
}

/** A wait ran out of time (Python's TimeoutError). */
export class TimeoutError extends AsyncResultError {
  constructor(message: string, where: ConnectionSide = 'kernel') {
    super(message, where);
    this.name = 'TimeoutError';
  }
}

/** The bridge (or the Node client) refused a request, and said why. */
export class BridgeError extends AsyncResultError {
  constructor(message: string, where: ConnectionSide = 'kernel') {
    super(message, where);
    this.name = 'BridgeError';
  }
}

/** A message from the bridge or controller does not follow the protocol. */
export class ProtocolError extends AsyncResultError {
  constructor(message: string, where: ConnectionSide = 'kernel') {
    super(message, where);
    this.name = 'ProtocolError';
  }
}

/**
 * The connection went away (restart, death, lost controller) while
 * something waited on it.
 */
export class ConnectionLostError extends AsyncResultError {
  constructor(reason: string, where: ConnectionSide = 'kernel') {
    super(`connection to the ${where} lost: ${reason}`, where);
    this.name = 'ConnectionLostError';
  }
}

/**
 * The client (or transport) was closed by its owner: nothing more goes
 * through. A ConnectionLostError too, for code that catches those.
 */
export class ClientClosedError extends ConnectionLostError {
  constructor(member: string, where: ConnectionSide = 'kernel') {
    super('closed', where);
    this.name = 'ClientClosedError';
    this.message = `${member}: the client is closed`;
  }
}

/** Raised by members that need a finished result, as ipyparallel 9 does. */
export class NotReadyError extends AsyncResultError {
  constructor(member: string, where: ConnectionSide = 'kernel') {
    super(`${member}: the AsyncResult is not ready`, where);
    this.name = 'NotReadyError';
  }
}

/**
 * The proxy was cancelled with `cancel()` (concurrent.futures'
 * CancelledError); its tasks were not stopped.
 */
export class CancelledError extends AsyncResultError {
  constructor(member: string, where: ConnectionSide = 'kernel') {
    super(`${member}: the AsyncResult was cancelled`, where);
    this.name = 'CancelledError';
  }
}

namespace Private {
  /** ipyparallel's `[engine:method]` label, or `[Engine Exception]`. */
  export function engineLabel(info: IErrorInfo): string {
    if (info.engine_id === null || info.engine_id === undefined) {
      return '[Engine Exception]';
    }
    return `[${info.engine_id}:${info.method ?? 'apply'}]`;
  }
}
