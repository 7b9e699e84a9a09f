import type { ISessionContext } from '@jupyterlab/apputils';
import type { Kernel } from '@jupyterlab/services';
import type { IDisposable } from '@lumino/disposable';
import { type ISignal, Signal } from '@lumino/signaling';
import type { ITaskSource, ITaskSourceEntry, ITaskSources } from 'jupyterlab-asyncresult-node/core';
import { KernelTransport } from './kernelTransport';
import { LastKnown, TabComms } from './lastKnown';

/**
 * The transports of every kernel behind an open notebook or console panel,
 * one per kernel id however many panels share it.
 *
 * It reuses each panel's own kernel connection, follows kernel changes, and
 * drops a transport when its last panel closes.
 */
export class KernelTransports implements IDisposable, ITaskSources {
  /** Emitted when a transport is added or removed, or its state changes. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** Every live transport with the names of the panels using its kernel. */
  entries(): KernelTransports.IEntry[] {
    return Array.from(this._byKernel.values()).map(e => ({
      transport: e.transport,
      names: Array.from(e.sessions).map(s => s.name || s.path)
    }));
  }

  /** Every live transport as a task source, with its documents' names and paths. */
  sources(): ITaskSourceEntry[] {
    return Array.from(this._byKernel.values()).map(e => {
      const sessions = Array.from(e.sessions);
      return {
        source: e.transport,
        names: sessions.map(s => s.name || s.path),
        paths: sessions.map(s => s.path || s.name)
      };
    });
  }

  /** The transport of one kernel, as a task source. */
  source(kernelId: string): ITaskSource | undefined {
    return this.get(kernelId);
  }

  /**
   * Paths of the panels whose kernel went away while followed (shut down),
   * and that have no kernel now.
   */
  withoutKernel(): string[] {
    return Array.from(this._shutDown)
      .filter(c => !c.isDisposed && !c.session?.kernel)
      .map(c => c.path || c.name);
  }

  /** The transport of one kernel, if a panel uses it. */
  get(kernelId: string): KernelTransport | undefined {
    return this._byKernel.get(kernelId)?.transport;
  }

  /** Whether new kernels get a transport (the `enabled` setting). */
  get enabled(): boolean {
    return this._enabled;
  }
  set enabled(value: boolean) {
    if (value === this._enabled) {
      return;
    }
    this._enabled = value;
    for (const [context, kernelId] of Array.from(this._contexts)) {
      if (kernelId) {
        this._release(context, kernelId);
      }
      this._contexts.set(context, null);
      if (value) {
        this._attach(context);
      }
    }
    this._changed.emit();
  }

  /** Settings every kernel bridge acts on; see KernelTransport.kernelSettings. */
  get kernelSettings(): Readonly<Record<string, unknown>> {
    return this._kernelSettings;
  }
  set kernelSettings(value: Readonly<Record<string, unknown>>) {
    if (JSON.stringify(value) === JSON.stringify(this._kernelSettings)) {
      return;
    }
    this._kernelSettings = { ...value };
    for (const { transport } of this._byKernel.values()) {
      transport.kernelSettings = this._kernelSettings;
    }
  }

  /** Where transports keep the last known state between pages. */
  storage: Storage | null = null;

  /** Where transports keep this tab's comms for its next page (see TabComms). */
  tabStorage: Storage | null = null;

  /** Keep every live transport's state for the next page (see LastKnown). */
  saveLastKnown(): void {
    for (const { transport } of this._byKernel.values()) {
      transport.saveLastKnown();
    }
  }

  /** Follow a panel's session context until it is disposed. */
  track(context: ISessionContext): void {
    if (this._contexts.has(context) || this._isDisposed) {
      return;
    }
    this._contexts.set(context, null);
    context.kernelChanged.connect(this._onKernelChanged, this);
    context.disposed.connect(this._onContextDisposed, this);
    this._attach(context);
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    for (const entry of this._byKernel.values()) {
      entry.kernel.disposed.disconnect(this._onKernelDisposed, this);
      entry.transport.dispose();
    }
    this._byKernel.clear();
    this._contexts.clear();
    this._shutDown.clear();
    Signal.clearData(this);
  }

  private _attach(context: ISessionContext): void {
    const kernel = context.session?.kernel;
    if (!kernel || !this._enabled) {
      return;
    }
    let entry = this._byKernel.get(kernel.id);
    if (!entry) {
      entry = { transport: this._create(kernel), kernel, sessions: new Set() };
      this._byKernel.set(kernel.id, entry);
    }
    entry.sessions.add(context);
    this._shutDown.delete(context);
    this._contexts.set(context, kernel.id);
    this._changed.emit();
  }

  private _create(kernel: Kernel.IKernelConnection): KernelTransport {
    const transport = new KernelTransport({
      kernel,
      kernelSettings: this._kernelSettings,
      storage: this.storage,
      tabStorage: this.tabStorage
    });
    transport.stateChanged.connect(this._onTransportStateChanged, this);
    kernel.disposed.connect(this._onKernelDisposed, this);
    return transport;
  }

  private _onTransportStateChanged(): void {
    this._changed.emit();
  }

  private _onKernelDisposed(kernel: Kernel.IKernelConnection): void {
    // its work is gone with it: no page should show it as last known
    LastKnown.forget(this.storage, kernel.id);
    TabComms.forget(this.tabStorage, kernel.id);
    this._drop(kernel.id, true);
  }

  private _release(context: ISessionContext, kernelId: string): void {
    const entry = this._byKernel.get(kernelId);
    if (!entry) {
      return;
    }
    entry.sessions.delete(context);
    if (entry.sessions.size === 0) {
      this._drop(kernelId);
    }
  }

  /** Forget a kernel's transport; `gone` when the kernel itself went away. */
  private _drop(kernelId: string, gone = false): void {
    const entry = this._byKernel.get(kernelId);
    if (!entry) {
      return;
    }
    this._byKernel.delete(kernelId);
    entry.kernel.disposed.disconnect(this._onKernelDisposed, this);
    for (const context of entry.sessions) {
      this._contexts.set(context, null);
      if (gone) {
        this._shutDown.add(context);
      }
    }
    entry.transport.dispose();
    this._changed.emit();
  }

  private _onKernelChanged(context: ISessionContext): void {
    const old = this._contexts.get(context);
    const kernel = context.session?.kernel;
    if (old && kernel && this._byKernel.get(old)?.kernel === kernel) {
      // JupyterLab 4.6 says the kernel changed after a restart, with the
      // same connection: this is a restart (the transport follows it), not
      // a new kernel, and the work shown was not shut down
      return;
    }
    if (old) {
      this._release(context, old);
      if (!context.session?.kernel) {
        this._shutDown.add(context);
      }
    }
    this._contexts.set(context, null);
    this._attach(context);
    this._changed.emit();
  }

  private _onContextDisposed(context: ISessionContext): void {
    const old = this._contexts.get(context);
    this._contexts.delete(context);
    this._shutDown.delete(context);
    if (old) {
      this._release(context, old);
    }
    this._changed.emit();
  }

  private _byKernel = new Map<
    string,
    {
      transport: KernelTransport;
      kernel: Kernel.IKernelConnection;
      sessions: Set<ISessionContext>;
    }
  >();
  /** Panels whose kernel went away while followed. */
  private _shutDown = new Set<ISessionContext>();
  private _contexts = new Map<ISessionContext, string | null>();
  private _enabled = true;
  private _kernelSettings: Record<string, unknown> = {};
  private _isDisposed = false;
  private _changed = new Signal<this, void>(this);
}

/** Types that go with KernelTransports. */
export namespace KernelTransports {
  export interface IEntry {
    transport: KernelTransport;
    /** Names of the panels (notebooks, consoles) using this kernel. */
    names: string[];
  }
}
