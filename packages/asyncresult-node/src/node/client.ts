import type { IDisposable } from '@lumino/disposable';
import { type ISignal, Signal } from '@lumino/signaling';
import { AsyncResult } from '../core/asyncResult';
import { ClientClosedError, ConnectionLostError, TimeoutError } from '../core/errors';
import { createAsyncResult } from '../core/proxies';
import type { IResultRecord } from '../core/protocol';
import type { TaskStore } from '../core/taskStore';
import { type IConnectionFileOptions, readConnectionFile } from './connectionFile';
import { HubQueries } from './hubQueries';
import { ClientRequests } from './clientRequests';
import type {
  IHubContext,
  IRequestsContext,
  ISubmission as ISubmissionShape,
  ISubmitter,
  IWatchContext
} from './clientContext';
import { ControllerWatch } from './controllerWatch';
import { EngineActivity } from './engineActivity';
import { JsonCalls } from './jsonCalls';
import type { Session } from './session';
import { TaskBook } from './taskBook';
import { ControllerTransport } from './transport';
import { DirectView, LoadBalancedView, type Targets } from './views';
import { nowSeconds } from './wireTime';

/**
 * A TypeScript client of an ipyparallel controller, over ZeroMQ, without
 * Python in between: runs code on engines, follows their output, asks the
 * hub, and hands out the same AsyncResult proxies as the JupyterLab side.
 */
export class Client
  implements IDisposable, IHubContext, IRequestsContext, IWatchContext, ISubmitter
{
  /** Read the connection file the options name and connect (see Client.IOptions). */
  static async connect(options: Client.IOptions = {}): Promise<Client> {
    const info = readConnectionFile(options);
    const transport = await ControllerTransport.connect(info, {
      timeout: options.timeout ?? 10
    });
    return new Client(transport, options);
  }

  private constructor(
    readonly transport: ControllerTransport,
    options: Client.IOptions
  ) {
    this.requestTimeout = options.timeout ?? 10;
    this._outputGrace = options.outputGrace ?? 2;
    for (const [id, uuid] of Object.entries(transport.initialEngines)) {
      this._addEngine(Number(id), uuid);
    }
    this.book = new TaskBook(uuid => this._ids.get(uuid) ?? null);
    this.hub = new HubQueries(this);
    this.requests = new ClientRequests(this);
    transport.received.connect(this._onMessage, this);
    // unfinished tasks need their replies and output read; an idle client
    // does not keep Node alive
    transport.keepsAlive = () =>
      this.book.openCount > 0 || this._graceTimers.size > 0 || this._engineWaits.size > 0;
    this._watch = new ControllerWatch(this, options.watchInterval ?? 2);
  }

  /** Seconds any request waits for the controller before it fails. */
  readonly requestTimeout: number;

  /** Every task this client sent or looked up, feeding `store`. */
  readonly book: TaskBook;

  /** Queue status, results, history and purge: what the hub answers. */
  readonly hub: HubQueries;

  /** Answers the AsyncResult proxies' requests (values, outputs, abort...). */
  readonly requests: ClientRequests;

  /** Named Python functions called with JSON arguments, for JSON results (apply, map). */
  readonly json: JsonCalls = new JsonCalls(this);

  /** Which task each engine runs now (any client's), from iopub. */
  readonly activity = new EngineActivity();

  /** The store the AsyncResult proxies read. */
  get store(): TaskStore {
    return this.book.store;
  }

  /** The connection file this client read. */
  get connectionFile(): string {
    return this.transport.info.path;
  }

  /** Registered engine ids, sorted. */
  get ids(): number[] {
    return Array.from(this._engines.keys()).sort((a, b) => a - b);
  }

  /** An engine's uuid (its routing identity), if registered. */
  engineUuid(id: number): string | undefined {
    return this._engines.get(id);
  }

  /** An engine's id from its uuid, if registered (or once registered). */
  engineId(uuid: string): number | null {
    return this._ids.get(uuid) ?? null;
  }

  /** Engines that left (or died) since this client connected: id -> uuid. */
  get deadEngines(): ReadonlyMap<number, string> {
    return this._dead;
  }

  /** Emitted when an engine joins or leaves the cluster. */
  get enginesChanged(): ISignal<this, Client.IEngineEvent> {
    return this._enginesChanged;
  }

  /** Emitted for every stdout / stderr / display / result / error of our tasks, as it arrives. */
  get output(): ISignal<this, Client.IOutputEvent> {
    return this._output;
  }

  /** Messages refused (bad or missing signature, replays): the transport's signal. */
  get rejected(): ISignal<ControllerTransport, ControllerTransport.IRejected> {
    return this.transport.rejected;
  }

  /**
   * ipyparallel's `wait_for_engines`: resolve once at least `n` engines are
   * registered, or reject with a TimeoutError after `timeout` seconds
   * (default: wait as long as it takes).
   */
  waitForEngines(n: number, timeout = -1): Promise<void> {
    this._checkOpen();
    if (this._engines.size >= n) {
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const finish = (error?: Error) => {
        this._engineWaits.delete(check);
        this._enginesChanged.disconnect(check);
        if (timer !== null) {
          clearTimeout(timer);
        }
        if (error) {
          reject(error);
        } else {
          resolve();
        }
      };
      const check = () => {
        if (this._isDisposed) {
          finish(new ConnectionLostError('waitForEngines: the client was closed', 'controller'));
        } else if (this._engines.size >= n) {
          finish();
        }
      };
      const timer =
        timeout >= 0
          ? setTimeout(
              () =>
                finish(
                  new TimeoutError(
                    `waitForEngines: ${this._engines.size} of ${n} engines after ${timeout} s`
                  )
                ),
              timeout * 1000
            )
          : null;
      // registrations come as notifications: keep reading while we wait
      this._engineWaits.add(check);
      this._enginesChanged.connect(check);
    });
  }

  /** A view on some engines ('all' by default), as `client[targets]`. */
  directView(targets: Targets = 'all'): DirectView {
    return new DirectView(this, targets);
  }

  /** A load-balanced view (optionally over some engines only). */
  loadBalancedView(targets: number[] | null = null): LoadBalancedView {
    return new LoadBalancedView(this, targets);
  }

  /**
   * Send execute_requests and follow them as one AsyncResult; used by the
   * views. `routes` holds one engine uuid per task (mux), or null per task
   * for the task scheduler.
   */
  submit(request: Client.ISubmission): AsyncResult {
    this._checkOpen();
    const channel = request.balanced ? 'task' : 'mux';
    const msgIds: string[] = [];
    const tasks: TaskBook.ITask[] = [];
    const sends: Promise<void>[] = [];
    for (const uuid of request.routes) {
      const message = this.transport.session.message('execute_request', request.content, {
        metadata: request.metadata
      });
      const msgId = message.header.msg_id;
      const task = TaskBook.newTask(msgId, channel, nowSeconds(), {
        uuid,
        id: uuid ? this.engineId(uuid) : null
      });
      task.label = (request.metadata.label as string | null) ?? null;
      msgIds.push(msgId);
      tasks.push(task);
      sends.push(this.transport.send(channel, message, uuid ? [Buffer.from(uuid)] : []));
    }
    const record: IResultRecord = {
      id: `node-${++Private.resultCount}`,
      kind: 'AsyncResult',
      fname: 'execute',
      label: (request.metadata.label as string | null) ?? null,
      msg_ids: msgIds,
      targets: request.targets,
      cell_id: null,
      parent_msg_id: null,
      created: nowSeconds(),
      single: request.single,
      sent: false
    };
    this.book.addResult(record, tasks);
    void Promise.all(sends).then(
      () => this.book.addResult({ ...record, sent: true }, []),
      reason => this._failSend(msgIds, reason)
    );
    return this.proxy(record.id);
  }

  /** A proxy (AsyncResult, AsyncHubResult) for a result record in the store. */
  proxy(resultId: string): AsyncResult {
    return createAsyncResult(this.store, resultId, this.requests);
  }

  /** Put a result record made elsewhere (hub results) into the store. */
  addResult(record: Omit<IResultRecord, 'id'>, tasks: TaskBook.ITask[]): AsyncResult {
    const full = { ...record, id: `node-${++Private.resultCount}` };
    this.book.addResult(full, tasks);
    return this.proxy(full.id);
  }

  /**
   * Abort queued tasks (all this client's unfinished ones by default) on
   * `targets` (every engine by default), waiting for each engine's reply.
   * A running task is not interrupted.
   */
  async abort(msgIds?: string[], targets: Targets = 'all'): Promise<void> {
    this._checkOpen();
    const ids = msgIds ?? this.book.unfinished().map(t => t.record.msg_id);
    await Promise.all(
      this.resolveTargets(targets).map(id =>
        this.transport.request(
          'control',
          'abort_request',
          { msg_ids: ids },
          { idents: [Buffer.from(this._engines.get(id)!)], timeout: this.requestTimeout }
        )
      )
    );
  }

  /**
   * Send a signal (a name, `SIGINT`, or a number) to engines, as
   * ipyparallel's `Client.send_signal`: SIGINT stops whatever they run.
   */
  async sendSignal(sig: string | number, targets: Targets = 'all'): Promise<void> {
    this._checkOpen();
    await Promise.all(
      this.resolveTargets(targets).map(id =>
        this.transport.request(
          'control',
          'signal_request',
          { sig },
          { idents: [Buffer.from(this._engines.get(id)!)], timeout: this.requestTimeout }
        )
      )
    );
  }

  /** Engine ids for 'all', one id (negative counts from the end) or a list. */
  resolveTargets(targets: Targets): number[] {
    const ids = this.ids;
    if (targets === 'all') {
      return ids;
    }
    // negative ids count from the end, in a list too, as ipyparallel's
    const wanted = typeof targets === 'number' ? [targets] : targets;
    return wanted.map(id => {
      const actual = Number.isInteger(id) && id < 0 ? ids[ids.length + id] : id;
      if (actual === undefined || !this._engines.has(actual)) {
        throw new RangeError(`no such engine: ${id}`);
      }
      return actual;
    });
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /** Close every socket; pending requests fail with ConnectionLostError. */
  close(): void {
    this.dispose();
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    for (const check of Array.from(this._engineWaits)) {
      check(); // rejects: the client is closed
    }
    this._watch.dispose();
    for (const timer of this._graceTimers) {
      clearTimeout(timer);
    }
    this._graceTimers.clear();
    this.transport.close();
    this.book.dispose();
    Signal.clearData(this);
  }

  private _onMessage(_: ControllerTransport, incoming: ControllerTransport.IIncoming): void {
    const { channel, idents, message } = incoming;
    switch (channel) {
      case 'mux':
      case 'task':
      case 'broadcast': {
        const type = message.header.msg_type;
        if (type === 'execute_reply' || type === 'apply_reply') {
          const engine = idents.length ? idents[0].toString() : null;
          const t = this.book.onReply(message, engine);
          if (t && t.record.status === 'error' && t.record.error) {
            this._emitOutput(t, 'error', t.record.error.evalue);
          }
          if (t && !t.record.output_done) {
            this._awaitOutput(t.record.msg_id);
          }
        }
        break;
      }
      case 'iopub':
        this.activity.onIopub(idents.length ? idents[0].toString() : '', message);
        if (message.parent_header.session === this.transport.session.session) {
          this._onIopub(message);
        }
        break;
      case 'notification':
        this._onNotification(message);
        break;
    }
  }

  private _onIopub(message: Session.IMessage): void {
    const t = this.book.onIopub(message);
    if (!t) {
      return;
    }
    const c = message.content;
    switch (message.header.msg_type) {
      case 'stream':
        this._emitOutput(t, c.name === 'stderr' ? 'stderr' : 'stdout', String(c.text ?? ''));
        break;
      case 'display_data':
      case 'execute_result':
        this._emitOutput(
          t,
          message.header.msg_type === 'display_data' ? 'display' : 'result',
          String(c.data?.['text/plain'] ?? ''),
          c.data ?? {}
        );
        break;
    }
  }

  private _emitOutput(
    t: TaskBook.ITask,
    kind: Client.IOutputEvent['kind'],
    text: string,
    data?: Record<string, unknown>
  ): void {
    this._output.emit({ msgId: t.record.msg_id, engineId: t.record.engine_id, kind, text, data });
  }

  private _onNotification(message: Session.IMessage): void {
    const c = message.content;
    const id = Number(c.id);
    switch (message.header.msg_type) {
      case 'registration_notification':
        this._addEngine(id, String(c.uuid));
        this._enginesChanged.emit({ event: 'register', id, uuid: String(c.uuid) });
        break;
      case 'unregistration_notification': {
        const uuid = this._engines.get(id) ?? String(c.uuid);
        this._engines.delete(id);
        this._dead.set(id, uuid);
        this.activity.forget(id);
        // the id -> uuid map stays: late messages still name the engine
        const failed = this.book.failEngine(uuid, id);
        this._enginesChanged.emit({ event: 'unregister', id, uuid, failed });
        break;
      }
      case 'shutdown_notification':
        this.book.setController({ ok: false, detail: 'the controller shut down' });
        this._enginesChanged.emit({ event: 'shutdown', id: -1, uuid: '' });
        break;
    }
  }

  /**
   * The reply is in, but the task's iopub (its output, then `status: idle`)
   * may never come: a message published before our subscription was live
   * is lost (PUB/SUB's slow joiner). Give it `outputGrace` seconds, then
   * take the outputs the hub stored, so nothing waits forever for them.
   */
  private _awaitOutput(msgId: string): void {
    const timer = setTimeout(() => {
      this._graceTimers.delete(timer);
      const t = this.book.task(msgId);
      if (this._isDisposed || !t || t.record.output_done) {
        return;
      }
      const settle = () => {
        const now = this.book.task(msgId);
        if (now && !now.record.output_done) {
          this.book.putTask({ ...now, record: { ...now.record, output_done: true } });
        }
        this.book.flush();
      };
      this.hub.fetchResults([msgId]).then(settle, settle);
    }, this._outputGrace * 1000);
    this._graceTimers.add(timer);
  }

  private _addEngine(id: number, uuid: string): void {
    this._dead.delete(id);
    this._engines.set(id, uuid);
    this._ids.set(uuid, id);
  }

  private _failSend(msgIds: string[], reason: unknown): void {
    for (const msgId of msgIds) {
      const t = this.book.task(msgId);
      if (t && t.record.status === 'pending') {
        this.book.putTask({
          ...t,
          record: {
            ...t.record,
            status: 'error',
            output_done: true,
            error: { ename: 'SendError', evalue: String(reason), traceback: '', engine_id: null }
          }
        });
      }
    }
  }

  private _checkOpen(): void {
    if (this._isDisposed) {
      throw new ClientClosedError('client', 'controller');
    }
  }

  private _watch: ControllerWatch;
  private _outputGrace: number;
  private _engineWaits = new Set<() => void>();
  private _graceTimers = new Set<ReturnType<typeof setTimeout>>();
  private _dead = new Map<number, string>();
  private _engines = new Map<number, string>();
  private _ids = new Map<string, number>();
  private _isDisposed = false;
  private _enginesChanged = new Signal<this, Client.IEngineEvent>(this);
  private _output = new Signal<this, Client.IOutputEvent>(this);
}

/** Types that go with Client. */
export namespace Client {
  /** Where the controller is (a connection file or a profile), and how long to wait. */
  export interface IOptions extends IConnectionFileOptions {
    /** Seconds to wait for the controller, on connect and each request (default 10). */
    timeout?: number;
    /**
     * Seconds between checks that the controller still answers, while
     * tasks are unfinished (default 2); see ControllerWatch.
     */
    watchInterval?: number;
    /**
     * Seconds to wait, after a task's reply, for its iopub output to end
     * (`status: idle`) before the hub's stored outputs are taken instead
     * (default 2).
     */
    outputGrace?: number;
  }

  /** What a view hands to `submit`. */
  export type ISubmission = ISubmissionShape;

  /** An engine joined, left (and which of our tasks failed with it), or the controller shut down. */
  export interface IEngineEvent {
    event: 'register' | 'unregister' | 'shutdown';
    id: number;
    uuid: string;
    failed?: string[];
  }

  /** One piece of a task's output, as it arrives. */
  export interface IOutputEvent {
    msgId: string;
    engineId: number | null;
    kind: 'stdout' | 'stderr' | 'display' | 'result' | 'error';
    text: string;
    data?: Record<string, unknown>;
  }
}

namespace Private {
  // eslint-disable-next-line prefer-const -- reassigned through the namespace
  export let resultCount = 0;
}

export { AsyncResult };
