import type * as Zmq from 'zeromq';
import { type ISignal, Signal } from '@lumino/signaling';
import { ClientClosedError, RemoteError, TimeoutError } from '../core/errors';
import type { Channel, IConnectionInfo } from './connectionFile';
import { acceptsConnections, whyNoAnswer } from './connectFailure';
import { Session } from './session';

/**
 * The ZeroMQ sockets of one ipyparallel client, speaking the controller's
 * protocol: DEALERs for query (the `registration` port), mux, task, control
 * and broadcast, SUBs for iopub and notification.
 *
 * Incoming messages are verified (Session) and announced on `received`;
 * the ones that fail are counted and announced on `rejected`, never acted
 * on. Query and control replies settle the request that asked for them.
 */
export class ControllerTransport {
  /**
   * Connect to the controller: ask the hub for its engines (up to `timeout`
   * seconds), then open the other channels.
   */
  static async connect(
    info: IConnectionInfo,
    options: ControllerTransport.IOptions = {}
  ): Promise<ControllerTransport> {
    const transport = new ControllerTransport(info, options);
    try {
      await transport._open(options.timeout ?? 10);
    } catch (reason) {
      transport.close();
      throw reason;
    }
    return transport;
  }

  private constructor(
    readonly info: IConnectionInfo,
    options: ControllerTransport.IOptions
  ) {
    this.session = new Session({
      key: info.key,
      signatureScheme: info.signatureScheme,
      username: options.username
    });
    this._zmq = Private.loadZeromq();
  }

  /** Framing and signing for this client's messages. */
  readonly session: Session;

  /** The engines the hub reported when we connected: id -> uuid. */
  get initialEngines(): Record<string, string> {
    return this._initialEngines;
  }

  /** Every verified message from mux, task, broadcast, iopub, notification. */
  get received(): ISignal<this, ControllerTransport.IIncoming> {
    return this._received;
  }

  /** Messages refused for a bad signature, no signature, replay or bad framing. */
  get rejected(): ISignal<this, ControllerTransport.IRejected> {
    return this._rejected;
  }

  /** How many messages were refused so far. */
  get rejectedCount(): number {
    return this._rejectedCount;
  }

  get isClosed(): boolean {
    return this._closed;
  }

  /** Sign and send a message; `idents` route it (an engine's uuid on mux and control). */
  send(
    channel: ControllerTransport.Outgoing,
    message: Session.IMessage,
    idents: Buffer[] = []
  ): Promise<void> {
    if (this._closed) {
      return Promise.reject(new ClientClosedError(channel, 'controller'));
    }
    const socket = this._sockets.get(channel) as Zmq.Dealer | undefined;
    if (!socket) {
      return Promise.reject(new Error(`${channel} is not connected`));
    }
    const frames = this.session.serialize(message, idents);
    // an answer may come at once: readers paused while idle listen again
    for (const wake of Array.from(this._sleepers)) {
      wake();
    }
    // zeromq.js allows one send in flight per socket: queue behind the last
    const previous = this._sendChains.get(channel) ?? Promise.resolve();
    const next = previous.then(() => socket.send(frames));
    this._sendChains.set(
      channel,
      next.catch(() => undefined)
    );
    return next;
  }

  /**
   * Send a request on query or control and resolve with its reply. Rejects
   * with a RemoteError when the reply's status is not ok, a TimeoutError
   * after `timeout` seconds, a ClientClosedError on close.
   */
  request(
    channel: 'query' | 'control',
    msgType: string,
    content: Record<string, unknown> = {},
    options: { idents?: Buffer[]; timeout?: number } = {}
  ): Promise<Session.IMessage> {
    const message = this.session.message(msgType, content);
    const msgId = message.header.msg_id;
    const timeout = options.timeout ?? 10;
    const refusedBefore = this._rejectedCount;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this._pending.delete(msgId);
        reject(
          new TimeoutError(
            `${msgType}: no answer from the controller in ${timeout} s${this._refusedSince(refusedBefore)}`,
            'controller'
          )
        );
      }, timeout * 1000);
      this._pending.set(msgId, { resolve, reject, timer, msgType });
      this.send(channel, message, options.idents).catch(reason => {
        this._settle(msgId, p => p.reject(reason));
      });
    });
  }

  /** Close every socket at once and fail what waits on them. */
  close(): void {
    if (this._closed) {
      return;
    }
    this._closed = true;
    for (const wake of Array.from(this._sleepers)) {
      wake();
    }
    for (const socket of this._sockets.values()) {
      socket.close();
    }
    this._sockets.clear();
    for (const id of Array.from(this._pending.keys())) {
      this._settle(id, p => p.reject(new ClientClosedError(p.msgType, 'controller')));
    }
    Signal.clearData(this);
  }

  private async _open(timeout: number): Promise<void> {
    const urls = this.info.urls;
    const query = this._socket('query', 'Dealer');
    query.connect(urls.registration);
    let reply: Session.IMessage;
    try {
      reply = await this.request('query', 'connection_request', {}, { timeout });
    } catch (reason) {
      if (reason instanceof TimeoutError) {
        // whether anything accepts a connection there tells a controller
        // that is not there from one that ignores us (another key, or hung)
        const accepted = await acceptsConnections(urls.registration);
        throw new TimeoutError(
          whyNoAnswer(this.info.path, urls.registration, timeout, {
            accepted,
            refused: this._rejectedCount,
            why: this._lastRefusal
          }),
          'controller'
        );
      }
      throw reason;
    }
    this._initialEngines = { ...(reply.content.engines ?? {}) };
    const channels: Array<[ControllerTransport.Channel, Channel, 'Dealer' | 'Subscriber']> = [
      ['mux', 'mux', 'Dealer'],
      ['task', 'task', 'Dealer'],
      ['broadcast', 'broadcast', 'Dealer'],
      ['control', 'control', 'Dealer'],
      ['iopub', 'iopub', 'Subscriber'],
      ['notification', 'notification', 'Subscriber']
    ];
    for (const [name, port, kind] of channels) {
      this._socket(name, kind).connect(urls[port]);
    }
    const engines = Object.values(this._initialEngines);
    if (engines.length) {
      await this._iopubLive(engines[0], timeout);
    }
  }

  /**
   * Wait until our iopub subscription is live: a SUB socket misses what is
   * published before its subscription reaches the publisher (the "slow
   * joiner"), so a task's first output could be lost. An engine answers a
   * kernel_info_request on control with busy / idle on iopub: once one of
   * those arrives, everything later will too. Gives up quietly after
   * `timeout` (tasks then recover late output from the hub).
   */
  private async _iopubLive(engineUuid: string, timeout: number): Promise<void> {
    const deadline = Date.now() + timeout * 1000;
    while (!this._closed && Date.now() < deadline) {
      const probe = this.session.message('kernel_info_request', {});
      const seen = new Promise<boolean>(resolve => {
        const timer = setTimeout(() => resolve(false), Private.PROBE_INTERVAL);
        this._probes.set(probe.header.msg_id, () => {
          clearTimeout(timer);
          resolve(true);
        });
      });
      await this.send('control', probe, [Buffer.from(engineUuid)]).catch(() => undefined);
      const live = await seen;
      this._probes.delete(probe.header.msg_id);
      if (live) {
        return;
      }
    }
  }

  /** Why a wait may have failed: replies refused since `before`. */
  private _refusedSince(before: number): string {
    const refused = this._rejectedCount - before;
    return refused > 0
      ? ` (${refused} messages were refused meanwhile: ${this._lastRefusal}; is the key right?)`
      : '';
  }

  private _socket(
    name: ControllerTransport.Channel,
    kind: 'Dealer' | 'Subscriber'
  ): Zmq.Dealer | Zmq.Subscriber {
    const socket = new this._zmq[kind]({ linger: 0 });
    if (this.info.curveServerKey) {
      this._curve ??= this._zmq.curveKeyPair();
      socket.curveServerKey = this.info.curveServerKey;
      socket.curvePublicKey = this._curve.publicKey;
      socket.curveSecretKey = this._curve.secretKey;
    }
    if (kind === 'Subscriber') {
      // never drop iopub or notifications: they are all the news we get
      socket.receiveHighWaterMark = 0;
      (socket as Zmq.Subscriber).subscribe();
    }
    this._sockets.set(name, socket);
    void this._receive(name, socket);
    return socket;
  }

  private async _receive(
    channel: ControllerTransport.Channel,
    socket: Zmq.Dealer | Zmq.Subscriber
  ): Promise<void> {
    // a pending receive keeps Node alive, and zeromq.js cannot unref it: so
    // each receive waits a short slice only, and while nothing is pending
    // (no request, and `keepsAlive` says no) the next one is started from
    // an unref'd timer, which lets a script that forgot close() end.
    // Messages wait in ZeroMQ's queue meanwhile: none is lost.
    socket.receiveTimeout = Private.RECEIVE_SLICE;
    while (!this._closed) {
      const started = Date.now();
      let frames: Buffer[];
      try {
        frames = await socket.receive();
      } catch (reason) {
        if (this._closed) {
          return;
        }
        if ((reason as { code?: string }).code !== 'EAGAIN') {
          console.warn(`asyncresult: ${channel} stopped: ${String(reason)}`);
          return;
        }
        const busy = this._pending.size > 0 || this._probes.size > 0 || this.keepsAlive();
        // zeromq.js gives up at once while not yet connected: do not spin
        if (!busy || Date.now() - started < Private.RECEIVE_SLICE / 2) {
          await this._pause(Private.RECEIVE_SLICE, busy);
        }
        continue;
      }
      this._dispatch(channel, frames);
    }
  }

  /** A pause between receives, which keeps Node alive only if `ref`; a send ends it. */
  private _pause(ms: number, ref: boolean): Promise<void> {
    return new Promise(resolve => {
      const wake = () => {
        clearTimeout(timer);
        this._sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      if (!ref) {
        timer.unref();
      }
      this._sleepers.add(wake);
    });
  }

  /**
   * Whether the owner has work that needs the sockets read (unfinished
   * tasks, say); while false and no request is pending, the transport
   * does not keep Node alive.
   */
  keepsAlive: () => boolean = () => false;

  private _dispatch(channel: ControllerTransport.Channel, frames: Buffer[]): void {
    let received: Session.IReceived;
    try {
      received = this.session.deserialize(frames);
    } catch (reason) {
      this._rejectedCount++;
      this._lastRefusal = (reason as Error).message;
      this._rejected.emit({ channel, reason: (reason as Error).message });
      return;
    }
    const { idents, message } = received;
    if (channel === 'iopub' && this._probes.size) {
      this._probes.get(message.parent_header.msg_id ?? '')?.();
    }
    if (channel === 'query' || channel === 'control') {
      const parentId = message.parent_header.msg_id;
      if (parentId && this._pending.has(parentId)) {
        this._settle(parentId, p => {
          const status = message.content.status;
          if (status !== undefined && status !== 'ok') {
            p.reject(Private.remoteError(message));
          } else {
            p.resolve(message);
          }
        });
        return;
      }
    }
    this._received.emit({ channel, idents, message });
  }

  private _settle(msgId: string, how: (p: Private.IPending) => void): void {
    const pending = this._pending.get(msgId);
    if (pending) {
      this._pending.delete(msgId);
      clearTimeout(pending.timer);
      how(pending);
    }
  }

  private _zmq: typeof Zmq;
  private _curve: { publicKey: string; secretKey: string } | null = null;
  private _sockets = new Map<ControllerTransport.Channel, Zmq.Dealer | Zmq.Subscriber>();
  private _sendChains = new Map<string, Promise<void>>();
  private _pending = new Map<string, Private.IPending>();
  private _initialEngines: Record<string, string> = {};
  private _rejectedCount = 0;
  private _lastRefusal = '';
  private _probes = new Map<string, () => void>();
  private _sleepers = new Set<() => void>();
  private _closed = false;
  private _received = new Signal<this, ControllerTransport.IIncoming>(this);
  private _rejected = new Signal<this, ControllerTransport.IRejected>(this);
}

/** Types that go with ControllerTransport. */
export namespace ControllerTransport {
  export interface IOptions {
    /** Seconds to wait for the hub's connection reply (default 10). */
    timeout?: number;
    username?: string;
  }

  /** Our names for the sockets (query is the `registration` port). */
  export type Channel =
    | 'query'
    | 'mux'
    | 'task'
    | 'broadcast'
    | 'control'
    | 'iopub'
    | 'notification';

  /** The channels a client sends on. */
  export type Outgoing = 'query' | 'mux' | 'task' | 'broadcast' | 'control';

  /** A verified message and where it came from. */
  export interface IIncoming {
    channel: Channel;
    idents: Buffer[];
    message: Session.IMessage;
  }

  /** A refused message: on which channel, and why. */
  export interface IRejected {
    channel: Channel;
    reason: string;
  }
}

namespace Private {
  /** Milliseconds one receive waits before the transport looks whether it is still needed. */
  export const RECEIVE_SLICE = 100;

  /** Milliseconds to wait for one iopub probe before sending another. */
  export const PROBE_INTERVAL = 250;

  export interface IPending {
    resolve: (message: Session.IMessage) => void;
    reject: (reason: Error) => void;
    timer: ReturnType<typeof setTimeout>;
    msgType: string;
  }

  /** zeromq is optional: say plainly when it is missing. */
  export function loadZeromq(): typeof Zmq {
    try {
      return require('zeromq');
    } catch (reason) {
      throw new Error(
        `the Node client needs the optional dependency zeromq (npm install zeromq): ${(reason as Error).message}`
      );
    }
  }

  /** The error a hub_error or a failed reply carries. */
  export function remoteError(message: Session.IMessage): RemoteError {
    const c = message.content;
    return new RemoteError(
      {
        ename: String(c.ename ?? message.header.msg_type),
        evalue: String(c.evalue ?? c.status ?? ''),
        traceback: Array.isArray(c.traceback) ? c.traceback.join('\n') : '',
        engine_id: c.engine_info?.engine_id ?? null,
        method: c.engine_info?.method ?? null
      },
      'controller'
    );
  }
}
