import type { Kernel, KernelMessage } from '@jupyterlab/services';
import type { JSONObject } from '@lumino/coreutils';
import type { IDisposable } from '@lumino/disposable';
import { type ISignal, Signal } from '@lumino/signaling';
import {
  BridgeError,
  COMM_TARGET,
  ConnectionLostError,
  type FrontendMessage,
  type ITaskSource,
  parseBridgeMessage,
  PROTOCOL_VERSION,
  ProtocolError,
  type IRequestArgs,
  type RequestOp,
  TaskStore,
  type TaskSourceState,
  TimeoutError
} from 'jupyterlab-asyncresult-node/core';
import { LastKnown, TabComms } from './lastKnown';

/**
 * One comm to the bridge in one kernel, feeding one TaskStore.
 *
 * It opens the comm when the kernel is ready, asks for a snapshot, applies
 * deltas, asks again after a gap, and starts over after a restart.
 */
export class KernelTransport implements IDisposable, ITaskSource {
  constructor(options: KernelTransport.IOptions) {
    this.kernel = options.kernel;
    this._snapshotTimeout = options.snapshotTimeout ?? 5000;
    this._kernelSettings = { ...(options.kernelSettings ?? {}) };
    this._storage = options.storage ?? null;
    this._tabStorage = options.tabStorage ?? null;
    this.store.snapshotNeeded.connect(this._onSnapshotNeeded, this);
    this.store.changed.connect(this._scheduleSave, this);
    this.kernel.statusChanged.connect(this._onStatus, this);
    void this.connect();
  }

  /** The kernel this transport talks to. */
  readonly kernel: Kernel.IKernelConnection;

  /** Whether the kernel runs a cell now. */
  get busy(): boolean {
    return this.kernel.status === 'busy';
  }

  /** The kernel's id: what tells this source from others. */
  get id(): string {
    return this.kernel.id;
  }

  /** What the bridge of this kernel knows, as far as this frontend heard. */
  readonly store = new TaskStore();

  /** Where the connection stands. */
  get state(): KernelTransport.State {
    return this._state;
  }

  /** A sentence for the user about the state, or '' when all is well. */
  get detail(): string {
    return this._detail;
  }

  /** Whether control messages can run while a cell blocks the kernel. */
  get supportsSubshells(): boolean {
    return this.kernel.supportsSubshells;
  }

  /** Emitted when `state` or `detail` change. */
  get stateChanged(): ISignal<this, KernelTransport.State> {
    return this._stateChanged;
  }

  /** Emitted once when the transport is disposed (its kernel went away). */
  get disposed(): ISignal<this, void> {
    return this._disposed;
  }

  /**
   * Why the work this transport followed is no longer known, as a sentence
   * ('The kernel restarted.'), or '' while nothing was lost.
   */
  get lostWork(): string {
    return this._lostWork;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Settings the kernel bridge acts on (such as the progress mode). They go
   * with every comm open, and to the live bridge when they change.
   */
  get kernelSettings(): Readonly<Record<string, unknown>> {
    return this._kernelSettings;
  }
  set kernelSettings(value: Readonly<Record<string, unknown>>) {
    this._kernelSettings = { ...value };
    if (this._comm && !this._comm.isDisposed) {
      this.request('configure', this._kernelSettings).catch(reason =>
        console.warn(`jupyterlab-asyncresult: settings not applied: ${reason}`)
      );
    }
  }

  /** Open the comm (again) and ask for a snapshot. */
  async connect(): Promise<void> {
    if (this._isDisposed || this._comm) {
      return;
    }
    const kernel = this.kernel;
    this._setState('connecting', '');
    let language = '';
    // JupyterLab sends nothing to a kernel before its kernel_info reply,
    // which a cell running on the main shell holds back (after a page
    // reload, say): tell the user why the list waits instead of spinning.
    const slow = setTimeout(
      () => {
        if (this._state === 'connecting' && !this._comm && !this._isDisposed) {
          // meanwhile, what the last page knew (a reload, a second tab)
          const last = this.store.seq < 0 ? LastKnown.load(this._storage, kernel.id) : null;
          if (last) {
            this.store.apply(last);
          }
          this._setState(
            'connecting',
            last ? KernelTransport.SHOWING_LAST_KNOWN : KernelTransport.WAITING_FOR_INFO
          );
        }
      },
      Math.min(this._snapshotTimeout, KernelTransport.INFO_PATIENCE)
    );
    try {
      const info = await kernel.info;
      language = info.language_info?.name ?? '';
    } catch (reason) {
      this._setState('unavailable', String(reason));
      return;
    } finally {
      clearTimeout(slow);
    }
    if (this._isDisposed || this._comm) {
      return;
    }
    if (language !== 'python') {
      this._setState('unavailable', `kernel language is ${language}`);
      return;
    }
    if (this._comm === null) {
      const comm = kernel.createComm(COMM_TARGET);
      this._comm = comm;
      // A restart cancels the subshell being created for the comm; the
      // transport recovers by itself, so that rejection is not an error.
      (comm as { subshellStarted?: Promise<void> }).subshellStarted?.catch(() => undefined);
      comm.onMsg = msg => this._onMsg(msg);
      comm.onClose = () => this._onClose(comm);
      const request = this._request();
      const replaces = TabComms.previous(this._tabStorage, kernel.id);
      TabComms.remember(this._tabStorage, kernel.id, comm.commId);
      this._armSnapshotTimer();
      try {
        await comm.open({
          ...request,
          settings: this._kernelSettings as JSONObject,
          ...(replaces.length ? { replaces } : {})
        }).done;
      } catch (reason) {
        if (this._comm === comm) {
          this._comm = null;
          this._setState('unavailable', String(reason));
        }
      }
    }
  }

  /**
   * Put a control request to the bridge. Rejects with the bridge's error,
   * a TimeoutError after `timeout` seconds, or a ConnectionLostError when
   * the comm closes, the kernel restarts, or the transport is disposed.
   */
  request<K extends RequestOp>(
    op: K,
    args: IRequestArgs[K] | Record<string, never> = {},
    timeout = 60
  ): Promise<unknown> {
    const comm = this._comm;
    if (this._isDisposed || !comm || comm.isDisposed) {
      return Promise.reject(
        new ConnectionLostError(`${op}: no open connection to the kernel bridge`)
      );
    }
    const requestId = `req-${++Private.requestCount}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this._pending.delete(requestId);
        reject(new TimeoutError(`${op}: no answer from the kernel in ${timeout} s`));
      }, timeout * 1000);
      this._pending.set(requestId, { resolve, reject, timer });
      comm.send({
        ...args,
        v: PROTOCOL_VERSION,
        type: 'request',
        request_id: requestId,
        op
      });
    });
  }

  /**
   * Keep what this transport knows in the browser's storage, for the next
   * page to show while the kernel cannot answer it (see LastKnown).
   */
  saveLastKnown(): void {
    if (this.store.seq >= 0 && this._state === 'live') {
      LastKnown.save(this._storage, this.kernel.id, this.store);
    }
  }

  /** Ask the bridge for its whole state now. */
  requestSnapshot(): void {
    if (!this._comm || this._comm.isDisposed) {
      return;
    }
    this._armSnapshotTimer();
    this._comm.send(this._request());
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._clearSnapshotTimer();
    if (this._saveTimer !== null) {
      clearTimeout(this._saveTimer);
      this._saveTimer = null;
    }
    this._failPending('the panel closed');
    const comm = this._comm;
    this._comm = null;
    if (comm && !comm.isDisposed && !this.kernel.isDisposed) {
      try {
        comm.close();
      } catch {
        // the kernel went away first: nothing to close
      }
    }
    this.store.dispose();
    this._disposed.emit();
    Signal.clearData(this);
  }

  private _request(): FrontendMessage & { [key: string]: any } {
    return {
      v: PROTOCOL_VERSION,
      type: 'snapshot_request',
      request_id: `snap-${++Private.requestCount}`
    };
  }

  private _onMsg(msg: KernelMessage.ICommMsgMsg): void {
    let message;
    try {
      message = parseBridgeMessage(msg.content.data);
    } catch (reason) {
      const text = reason instanceof ProtocolError ? reason.message : String(reason);
      console.warn(`jupyterlab-asyncresult: bad message ignored: ${text}`);
      this._setState(this._state, `ignored a bad message: ${text}`);
      return;
    }
    if (message.type === 'reply') {
      this._settle(message.reply_to, p => p.resolve(message.value));
      return;
    }
    if (message.type === 'error' && message.reply_to !== null) {
      const pending = this._pending.get(message.reply_to);
      if (pending) {
        this._settle(message.reply_to, p => p.reject(new BridgeError(message.error)));
        return;
      }
    }
    if (message.type === 'error') {
      console.warn(`jupyterlab-asyncresult: bridge error: ${message.error}`);
      this._setState(this._state, `the kernel bridge said: ${message.error}`);
      return;
    }
    if (message.type === 'snapshot') {
      this._clearSnapshotTimer();
    }
    this.store.apply(message);
    if (this.store.synced && this._state !== 'live') {
      this._setState('live', '');
    }
  }

  private _onClose(comm: Kernel.IComm): void {
    if (this._comm !== comm) {
      return;
    }
    this._comm = null;
    this._clearSnapshotTimer();
    this._failPending('the kernel closed the connection');
    if (this.store.seq < 0) {
      // closed before any snapshot: the kernel has no bridge loaded
      this._setState(
        'unavailable',
        'the bridge is not loaded in this kernel (run %load_ext jupyterlab_asyncresult)'
      );
    } else {
      this._setState('closed', 'the kernel closed the connection');
    }
  }

  private _onStatus(_: Kernel.IKernelConnection, status: Kernel.Status): void {
    if (status === 'restarting' || status === 'autorestarting' || status === 'dead') {
      this._comm = null;
      this._clearSnapshotTimer();
      this._failPending(status === 'dead' ? 'the kernel died' : 'the kernel restarted');
      if (this.store.results().length) {
        this._lostWork = status === 'dead' ? 'The kernel died.' : 'The kernel restarted.';
      }
      LastKnown.forget(this._storage, this.kernel.id);
      this.store.reset();
      this._setState(
        status === 'dead' ? 'closed' : 'connecting',
        status === 'dead' ? 'the kernel died' : 'the kernel is restarting'
      );
    } else if (
      (status === 'idle' || status === 'busy') &&
      this._comm === null &&
      this._state === 'connecting'
    ) {
      void this.connect();
    }
  }

  private _onSnapshotNeeded(_: TaskStore, reason: string): void {
    console.info(`jupyterlab-asyncresult: ${reason}; asking for a snapshot`);
    this.requestSnapshot();
  }

  private _settle(requestId: string, how: (pending: Private.IPending) => void): void {
    const pending = this._pending.get(requestId);
    if (pending) {
      this._pending.delete(requestId);
      clearTimeout(pending.timer);
      how(pending);
    }
  }

  private _failPending(reason: string): void {
    for (const id of Array.from(this._pending.keys())) {
      this._settle(id, p => p.reject(new ConnectionLostError(reason)));
    }
  }

  private _armSnapshotTimer(): void {
    this._clearSnapshotTimer();
    this._snapshotTimer = setTimeout(() => {
      this._snapshotTimer = null;
      if (this._isDisposed || !this._comm) {
        return;
      }
      const detail = this.kernel.supportsSubshells
        ? 'the kernel has not answered yet'
        : 'waiting for the running cell: this kernel has no subshells, so the list updates when the cell ends';
      this._setState(this.store.seq < 0 ? 'connecting' : this._state, detail);
    }, this._snapshotTimeout);
  }

  /**
   * Keep the state for other pages now and then while it changes, not only
   * when this page goes away: a second tab opened while a cell blocks the
   * kernel then has something to show.
   */
  private _scheduleSave(): void {
    if (this._saveTimer !== null || !this._storage || this._isDisposed) {
      return;
    }
    this._saveTimer = setTimeout(() => {
      this._saveTimer = null;
      this.saveLastKnown();
    }, KernelTransport.SAVE_EVERY);
  }

  private _clearSnapshotTimer(): void {
    if (this._snapshotTimer !== null) {
      clearTimeout(this._snapshotTimer);
      this._snapshotTimer = null;
    }
  }

  private _setState(state: KernelTransport.State, detail: string): void {
    if (this._state === state && this._detail === detail) {
      return;
    }
    this._state = state;
    this._detail = detail;
    this._stateChanged.emit(state);
  }

  private _comm: Kernel.IComm | null = null;
  private _kernelSettings: Record<string, unknown>;
  private _state: KernelTransport.State = 'connecting';
  private _detail = '';
  private _snapshotTimeout: number;
  private _snapshotTimer: ReturnType<typeof setTimeout> | null = null;
  private _pending = new Map<string, Private.IPending>();
  private _isDisposed = false;
  private _lostWork = '';
  private _storage: Storage | null;
  private _tabStorage: Storage | null;
  private _saveTimer: ReturnType<typeof setTimeout> | null = null;
  private _stateChanged = new Signal<this, KernelTransport.State>(this);
  private _disposed = new Signal<this, void>(this);
}

/** Types that go with KernelTransport. */
export namespace KernelTransport {
  /** Why the transport waits for a kernel that has not answered. */
  /**
   * Milliseconds to wait for kernel_info before saying why it does not come
   * and showing the last known state (an idle kernel answers in far less).
   */
  export const INFO_PATIENCE = 1000;

  /** What the panel says while it shows a closed page's state. */
  export const SHOWING_LAST_KNOWN =
    "Last known state, kept when this notebook was last open in this browser: a running cell holds back the kernel's first answer to this page (kernel_info), and JupyterLab sends nothing before it. Live updates resume when that cell ends.";

  /** Why the transport waits for a kernel that has not answered. */
  export const WAITING_FOR_INFO =
    'Waiting for the kernel: a running cell holds back its first answer to this page (kernel_info), and JupyterLab sends nothing before it. The list appears when that cell ends.';

  /** Least time between two saves of the last known state, ms. */
  export const SAVE_EVERY = 5000;

  export interface IOptions {
    kernel: Kernel.IKernelConnection;
    /** Milliseconds before an unanswered snapshot request is reported. */
    snapshotTimeout?: number;
    /** Settings for the kernel bridge, sent when the comm opens. */
    kernelSettings?: Record<string, unknown>;
    /** Where the last known state is kept between pages (none by default). */
    storage?: Storage | null;
    /** Where this tab keeps the comms it opened, for its next page (see TabComms). */
    tabStorage?: Storage | null;
  }

  /**
   * - connecting: waiting for the kernel or the first snapshot
   * - live: synced with the bridge
   * - unavailable: no bridge in this kernel (or not a Python kernel)
   * - closed: the comm or the kernel went away
   */
  export type State = TaskSourceState;
}

namespace Private {
  // eslint-disable-next-line prefer-const -- incremented through the namespace
  export let requestCount = 0;

  export interface IPending {
    resolve: (value: unknown) => void;
    reject: (reason: Error) => void;
    timer: ReturnType<typeof setTimeout>;
  }
}
