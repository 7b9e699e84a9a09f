import type { IDisposable } from '@lumino/disposable';
import { type ISignal, Signal } from '@lumino/signaling';
import {
  ClusterWatch,
  type IKernelWork,
  type IQueueAhead,
  type ITaskSource,
  type ITaskSources,
  kernelWork,
  queueAhead
} from 'jupyterlab-asyncresult-node/core';

/**
 * Every task source a view shows, followed: one `changed` for any change
 * of any store, kernel state or cluster, and a watch on each kernel's
 * cluster that asks the controller only while `active` (someone looks),
 * and, at each answer, that kernel's unfinished work, so that a kernel can
 * be told whose work its queued tasks wait behind.
 */
export class WatchedSources implements IDisposable {
  constructor(sources: ITaskSources) {
    this._sources = sources;
    sources.changed.connect(this._onSourcesChanged, this);
    this._onSourcesChanged();
  }

  /** Emitted when anything shown of any source may have changed. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** Whether the cluster watches ask their controllers (while the view is seen). */
  get active(): boolean {
    return this._active;
  }
  set active(value: boolean) {
    this._active = value;
    this._clusters.forEach(w => (value ? w.start() : w.stop()));
  }

  /** Whether this has been disposed. */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /** The watch on the cluster behind one source, if it is followed. */
  cluster(source: ITaskSource): ClusterWatch | null {
    return this._clusters.get(source) ?? null;
  }

  /**
   * Whose work the queued tasks of `source` wait behind on its controller,
   * as the kernels' counts stood at their controllers' last answers; null
   * when nothing of its own waits or its controller is not known.
   */
  queueAhead(source: ITaskSource): IQueueAhead | null {
    const own = this._work.get(source);
    const queues = this._clusters.get(source)?.queues;
    return own && queues ? queueAhead(own, Array.from(this._work.values()), queues) : null;
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._sources.changed.disconnect(this._onSourcesChanged, this);
    for (const source of Array.from(this._clusters.keys())) {
      this._forget(source);
    }
    Signal.clearData(this);
  }

  private _onSourcesChanged(): void {
    for (const { source } of this._sources.sources()) {
      if (!this._clusters.has(source)) {
        source.store.changed.connect(this._emit, this);
        source.stateChanged.connect(this._emit, this);
        source.disposed.connect(this._onSourceDisposed, this);
        const watch = new ClusterWatch(source);
        watch.changed.connect(this._onAnswer, this);
        this._clusters.set(source, watch);
        if (this._active) {
          watch.start();
        }
      }
    }
    this._emit();
  }

  private _onSourceDisposed(source: ITaskSource): void {
    this._forget(source);
    this._emit();
  }

  /**
   * Count the kernel's work when its controller answers: once per answer
   * (every few seconds), not at each of the store's many changes, and at
   * the moment the controller's own counts were taken.
   */
  private _onAnswer(watch: ClusterWatch): void {
    for (const [source, w] of this._clusters) {
      if (w === watch) {
        const id = watch.queues?.controllerId ?? null;
        this._work.set(source, kernelWork(source.id, id, source.store));
      }
    }
    this._emit();
  }

  private _forget(source: ITaskSource): void {
    source.store.changed.disconnect(this._emit, this);
    source.stateChanged.disconnect(this._emit, this);
    source.disposed.disconnect(this._onSourceDisposed, this);
    this._clusters.get(source)?.dispose();
    this._clusters.delete(source);
    this._work.delete(source);
  }

  private _emit(): void {
    this._changed.emit();
  }

  private _sources: ITaskSources;
  private _active = false;
  private _isDisposed = false;
  private _clusters = new Map<ITaskSource, ClusterWatch>();
  private _work = new Map<ITaskSource, IKernelWork>();
  private _changed = new Signal<this, void>(this);
}
