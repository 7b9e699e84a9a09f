import type { IErrorInfo } from './protocol';

/** What a task raised on its engine, as ipyparallel's RemoteError. */
export class RemoteError extends Error {
  constructor(info: IErrorInfo) {
    const where = info.engine_id === null ? '' : `[${info.engine_id}:apply] `;
    super(`${where}${info.ename}: ${info.evalue}`);
    this.name = 'RemoteError';
    this.ename = info.ename;
    this.evalue = info.evalue;
    this.traceback = info.traceback;
    this.engineId = info.engine_id;
  }

  readonly ename: string;
  readonly evalue: string;
  readonly traceback: string;
  readonly engineId: number | null;
}

/** A wait ran out of time (Python's TimeoutError). */
export class TimeoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TimeoutError';
  }
}

/** The bridge refused a request, and said why. */
export class BridgeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BridgeError';
  }
}

/**
 * The connection to the kernel went away (restart, death, closed panel)
 * while something waited on it.
 */
export class ConnectionLostError extends Error {
  constructor(reason: string, where: 'kernel' | 'controller' = 'kernel') {
    super(`connection to the ${where} lost: ${reason}`);
    this.name = 'ConnectionLostError';
  }
}

/** Raised by members that need a finished result, as ipyparallel 9 does. */
export class NotReadyError extends Error {
  constructor(member: string) {
    super(`${member}: the AsyncResult is not ready`);
    this.name = 'NotReadyError';
  }
}
