import type { ISessionContext } from '@jupyterlab/apputils';
import type { IRenderMime, IRenderMimeRegistry } from '@jupyterlab/rendermime';
import type { TranslationBundle } from '@jupyterlab/translation';
import type { ReadonlyPartialJSONObject } from '@lumino/coreutils';
import type { IDisposable } from '@lumino/disposable';
import { Signal } from '@lumino/signaling';
import { Panel } from '@lumino/widgets';
import {
  GROUPINGS,
  type GroupBy,
  type IMimeBundle,
  type ITaskSource,
  type ITaskSources,
  type ITaskOutputs,
  OutputStream,
  type TaskStore,
  PROTOCOL_VERSION
} from 'jupyterlab-asyncresult-node/core';
import { OutputsView } from '../widgets/outputsView';

/** Our mime type for an AsyncResult's grouped outputs (docs/protocol.md). */
export const OUTPUTS_MIME = 'application/vnd.jupyterlab-asyncresult.outputs+json';

/** Ahead of text/plain and of every standard renderer. */
export const OUTPUTS_RANK = -20;

/**
 * An AsyncResult's outputs, grouped, for our mime data. It shows the
 * bundle's saved outputs at once (so a notebook opened without a kernel
 * reads them), and while the result still runs in the kernel that made the
 * bundle, follows it: streams as they arrive, then everything once done.
 */
export class OutputsRenderer extends Panel implements IRenderMime.IRenderer {
  constructor(options: OutputsRenderer.IOptions) {
    super();
    this._options = options;
    this.addClass('jp-AsyncResultOutputs-host');
  }

  async renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    const data = OutputsRenderer.parse(model.data[OUTPUTS_MIME]);
    const { trans } = this._options;
    if (!data) {
      this.node.textContent = trans.__('These parallel outputs are not understood.');
      return;
    }
    this._data = data;
    if (!this._view) {
      this._view = new OutputsView({
        trans,
        groupby: data.groupby,
        single: data.single,
        resultOnly: data.resultOnly,
        renderBundle: (bundle, host) => this._renderBundle(bundle, host)
      });
      this.addWidget(this._view);
    }
    this._view.setTasks(data.tasks);
    if (data.done) {
      this._stop();
      this._view.status = '';
      this._hideIfEmpty();
    } else {
      this._attach();
    }
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._stop();
    super.dispose();
  }

  /** Draw an engine's bundle: untrusted (sanitised) unless the user trusts engine outputs. */
  private _renderBundle(bundle: IMimeBundle, host: HTMLElement): void {
    const { rendermime, trusted } = this._options;
    const trust = trusted();
    const data = bundle.data as ReadonlyPartialJSONObject;
    const mime = rendermime.preferredMimeType(data, trust ? 'any' : 'ensure');
    if (!mime) {
      host.textContent = OutputsView.plainText(bundle);
      return;
    }
    const renderer = rendermime.createRenderer(mime);
    const model = rendermime.createModel({
      data,
      metadata: bundle.metadata as ReadonlyPartialJSONObject,
      trusted: trust
    });
    host.appendChild(renderer.node);
    renderer.renderModel(model).catch(reason => {
      host.textContent = String(reason);
    });
  }

  /** Follow the result live once the kernel's transport knows its bridge session. */
  private _attach(): void {
    const data = this._data;
    const view = this._view;
    if (!data || !view || this._stream || this.isDisposed) {
      return;
    }
    const { transports, context, trans } = this._options;
    const kernelId = context.session?.kernel?.id;
    const transport = kernelId ? transports.source(kernelId) : undefined;
    if (!transport || !transport.store.synced || transport.state !== 'live') {
      if (!this._waiting) {
        this._waiting = true;
        transports.changed.connect(this._attach, this);
      }
      // a reloaded page's store holds the last page's state before the
      // comm is open: requests wait for the transport to be live
      this._watch(transport ?? null);
      view.status = kernelId
        ? trans.__('Waiting for the kernel…')
        : trans.__('No kernel: these are the outputs saved with the notebook.');
      return;
    }
    const store = transport.store;
    const record = store.result(data.resultId);
    if (store.session === data.session && !record && store.seq < data.seq) {
      // the display came before the delta announcing its result
      this._awaitSeq(store);
      view.status = trans.__('Waiting for the kernel…');
      return;
    }
    if (store.session !== data.session || !record) {
      this._stop();
      view.status = trans.__('Saved outputs: the work that made them is not in this kernel now.');
      return;
    }
    this._stop();
    view.status = trans.__('Live: outputs appear as tasks print them.');
    const changed = new Signal<unknown, void>(this);
    const watch = store.watch(data.resultId, () => changed.emit());
    const source: OutputStream.ISource = {
      changed,
      tasks: () => record.msg_ids.map(m => store.task(m)),
      ready: () => {
        const s = store.summary(data.resultId);
        return !!s && s.total > 0 && s.finished === s.total;
      }
    };
    // every task in its submission slot from the start, so engines keep
    // their order however their output arrives
    const saved = new Map(data.tasks.map(t => [t.msg_id, t]));
    view.setTasks(
      record.msg_ids.map(
        m => saved.get(m) ?? OutputsView.emptyTask(m, store.task(m)?.engine_id ?? null)
      )
    );
    const stream = new OutputStream(
      source,
      chunk =>
        view.appendStream(
          chunk.msgId,
          // a running task's metadata may not name its engine yet; its record does
          chunk.engineId ?? store.task(chunk.msgId)?.engine_id ?? null,
          chunk.name,
          chunk.text
        ),
      async offsets =>
        (
          (await transport.request('get_outputs', {
            result_id: data.resultId,
            offsets
          })) as { tasks: ITaskOutputs[] }
        ).tasks
    );
    this._stream = {
      dispose: () => {
        watch.dispose();
        stream.dispose();
      },
      isDisposed: false
    };
    stream.done
      .then(() => this._final(transport, data.resultId))
      .catch(reason => {
        if (this.isDisposed) {
          return;
        }
        this._stop();
        view.status = trans.__('Live outputs stopped: %1', String(reason));
        // follow again once the kernel answers (a restart ends in "not in this kernel")
        this._watch(transport);
      });
  }

  /** Everything the finished result printed and displayed, errors included. */
  private async _final(transport: ITaskSource, resultId: string): Promise<void> {
    const view = this._view;
    if (!view || this.isDisposed || !this._stream) {
      return;
    }
    const reply = (await transport.request('get_outputs', { result_id: resultId })) as {
      tasks: ITaskOutputs[];
    };
    view.setTasks(
      reply.tasks.map(t => ({
        ...t,
        error: t.msg_id ? transport.store.task(t.msg_id)?.error : null
      }))
    );
    view.status = '';
    this._hideIfEmpty();
  }

  /** Finished work that printed nothing shows nothing, as with ipyparallel (`%px import os`). */
  private _hideIfEmpty(): void {
    const empty = this._view?.tasks.every(
      t => !t.stdout && !t.stderr && !t.outputs.length && !t.execute_result && !t.error
    );
    this._view?.setHidden(!!empty);
  }

  /** Try again when `transport` changes state (null: stop watching). */
  private _watch(transport: ITaskSource | null): void {
    if (this._watched === transport) {
      return;
    }
    this._watched?.stateChanged.disconnect(this._attach, this);
    this._watched = transport;
    transport?.stateChanged.connect(this._attach, this);
  }

  /** Try again at each change of `store` (null: stop). */
  private _awaitSeq(store: TaskStore | null): void {
    if (this._awaited === store) {
      return;
    }
    this._awaited?.changed.disconnect(this._attach, this);
    this._awaited = store;
    store?.changed.connect(this._attach, this);
  }

  private _stop(): void {
    if (this._waiting) {
      this._waiting = false;
      this._options.transports.changed.disconnect(this._attach, this);
    }
    this._awaitSeq(null);
    this._watch(null);
    this._stream?.dispose();
    this._stream = null;
  }

  private _options: OutputsRenderer.IOptions;
  private _view: OutputsView | null = null;
  private _data: OutputsRenderer.IData | null = null;
  private _stream: IDisposable | null = null;
  private _waiting = false;
  private _watched: ITaskSource | null = null;
  private _awaited: TaskStore | null = null;
}

/** Types and helpers that go with OutputsRenderer. */
export namespace OutputsRenderer {
  export interface IOptions {
    /** The session of the notebook or console whose outputs it draws. */
    context: ISessionContext;
    transports: ITaskSources;
    trans: TranslationBundle;
    /** The registry that draws engines' bundles (the notebook's own). */
    rendermime: IRenderMimeRegistry;
    /** Whether engine HTML, SVG and scripts run unsanitised (a setting). */
    trusted(): boolean;
  }

  /** What our mime data says. */
  export interface IData {
    session: string;
    resultId: string;
    /** The store holds the result from this seq on (0 when not said). */
    seq: number;
    groupby: GroupBy;
    single: boolean;
    resultOnly: boolean;
    /** The result had finished when the bundle was made: nothing to follow. */
    done: boolean;
    tasks: ITaskOutputs[];
  }

  /** Our mime data, checked; null when this version cannot draw it. */
  export function parse(value: unknown): IData | null {
    if (!value || typeof value !== 'object') {
      return null;
    }
    const d = value as Record<string, unknown>;
    if (
      d.v !== PROTOCOL_VERSION ||
      typeof d.session !== 'string' ||
      typeof d.result_id !== 'string' ||
      !GROUPINGS.includes(d.groupby as GroupBy) ||
      !Array.isArray(d.tasks) ||
      !d.tasks.every(t => t && typeof t === 'object' && Array.isArray((t as ITaskOutputs).outputs))
    ) {
      return null;
    }
    return {
      session: d.session,
      resultId: d.result_id,
      seq: typeof d.seq === 'number' ? d.seq : 0,
      groupby: d.groupby as GroupBy,
      single: d.single === true,
      resultOnly: d.result_only === true,
      done: d.done !== false,
      tasks: d.tasks as ITaskOutputs[]
    };
  }

  /** A renderer factory for the outputs of one notebook or console. */
  export function factory(options: IOptions): IRenderMime.IRendererFactory {
    return {
      safe: true,
      mimeTypes: [OUTPUTS_MIME],
      defaultRank: OUTPUTS_RANK,
      createRenderer: () => new OutputsRenderer(options)
    };
  }
}
