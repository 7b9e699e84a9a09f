import type { IDisposable } from '@lumino/disposable';
import { type ISignal, Signal } from '@lumino/signaling';
import type { ITaskSource } from './taskSources';
import { timers } from './timing';

/** One engine's queue, as the controller's `queue_status` says it. */
export interface IEngineQueue {
  id: number;
  /** Tasks the engine runs or holds now (`tasks` plus `queue`). */
  busy: number;
  completed: number;
}

/** The cluster behind a kernel: its engines' queues and the scheduler's backlog. */
export interface IClusterQueues {
  engines: IEngineQueue[];
  /** Tasks no engine has taken yet (every client's, not only this kernel's). */
  unassigned: number;
  /** Which controller answered (the same for every kernel on it), when the bridge says. */
  controllerId?: string;
}

/**
 * Read a `queue_status` reply (`{"0": {"queue", "completed", "tasks"}, ...,
 * "unassigned": n, "controller_id"?: id}`); throws on anything else.
 */
export function parseQueues(value: unknown): IClusterQueues {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error('queue_status reply is not an object');
  }
  const engines: IEngineQueue[] = [];
  let unassigned = 0;
  let controllerId: string | undefined;
  for (const [key, entry] of Object.entries(value as Record<string, unknown>)) {
    if (key === 'unassigned') {
      unassigned = Number(entry) || 0;
      continue;
    }
    if (key === 'controller_id') {
      controllerId = typeof entry === 'string' && entry ? entry : undefined;
      continue;
    }
    const id = Number(key);
    const q = entry as Record<string, unknown> | null;
    if (!Number.isInteger(id) || typeof q !== 'object' || q === null) {
      throw new Error(`queue_status reply has a bad entry ${JSON.stringify(key)}`);
    }
    engines.push({
      id,
      busy: (Number(q.tasks) || 0) + (Number(q.queue) || 0),
      completed: Number(q.completed) || 0
    });
  }
  engines.sort((a, b) => a.id - b.id);
  return controllerId ? { engines, unassigned, controllerId } : { engines, unassigned };
}

/**
 * Asks one source's controller for its queues every few seconds while
 * started (the panel starts it while it is shown): not while the source
 * is not live, nor while a cell blocks a kernel without subshells, where
 * a request would only queue up behind it, nor while the controller is
 * known to be lost.
 */
export class ClusterWatch implements IDisposable {
  constructor(source: ITaskSource, every = ClusterWatch.EVERY) {
    this._source = source;
    this._every = every;
  }

  /** The last answer, or null before the first one. */
  get queues(): IClusterQueues | null {
    return this._queues;
  }

  /** Why the last request failed ('' when it did not). */
  get error(): string {
    return this._error;
  }

  /** Emitted after each answer or failure. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** Ask now, then every `every` ms until stopped. */
  start(): void {
    if (this._timer === null && !this._isDisposed) {
      void this.poll();
      this._timer = timers.setInterval(() => void this.poll(), this._every);
    }
  }

  stop(): void {
    if (this._timer !== null) {
      timers.clearInterval(this._timer);
      this._timer = null;
    }
  }

  /** Ask once, unless a request is out or the source cannot answer now. */
  async poll(): Promise<void> {
    const source = this._source;
    if (
      this._asking ||
      this._isDisposed ||
      source.isDisposed ||
      source.state !== 'live' ||
      (source.busy && !source.supportsSubshells) ||
      // a lost controller cannot answer: the bridge's watchdog says when it is back
      !source.store.controller.ok
    ) {
      return;
    }
    this._asking = true;
    try {
      // `identify`: which controller it is, to tell the kernels that share it
      this._queues = parseQueues(await source.request('queue_status', { identify: true }, 10));
      this._error = '';
    } catch (reason) {
      this._error = reason instanceof Error ? reason.message : String(reason);
    } finally {
      this._asking = false;
    }
    if (!this._isDisposed) {
      this._changed.emit();
    }
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this.stop();
    Signal.clearData(this);
  }

  private _source: ITaskSource;
  private _every: number;
  private _queues: IClusterQueues | null = null;
  private _error = '';
  private _asking = false;
  private _timer: unknown = null;
  private _isDisposed = false;
  private _changed = new Signal<this, void>(this);
}

/** Constants of ClusterWatch. */
export namespace ClusterWatch {
  /** Milliseconds between two questions to the controller. */
  export const EVERY = 2000;
}
