import type { ISessionContext } from '@jupyterlab/apputils';
import type { IRenderMime } from '@jupyterlab/rendermime';
import type { TranslationBundle } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';
import { type ITaskSources, noProgress, PROTOCOL_VERSION } from 'jupyterlab-asyncresult-node/core';
import { ProgressBar } from '../widgets/progressBar';
import { ProgressBinding } from '../widgets/progressBinding';

/** The bar's own mime type, next to the widget's in the bundle the bridge displays. */
export const PROGRESS_MIME = 'application/vnd.jupyterlab-asyncresult.progress+json';

/**
 * Ahead of the ipywidgets view (rank -10): the bar is drawn from the task
 * store, so it shows at once after a reload, even while a cell blocks the
 * kernel and no widget model can be restored.
 */
export const PROGRESS_RANK = -20;

/**
 * A live progress bar drawn from the kernel transport's task store, for
 * the bar's mime data (which results, of which bridge session).
 *
 * It waits, saying so, until the kernel's transport knows its session; it
 * follows the results when the session is the one that made the bar, and
 * says the work is not known when the bar was saved by an earlier kernel.
 */
export class ProgressRenderer extends Widget implements IRenderMime.IRenderer {
  constructor(options: ProgressRenderer.IOptions) {
    super();
    this._options = options;
    this.addClass('jp-AsyncResultProgress-host');
    this._bar = new ProgressBar(options.trans);
    this._bar.showEngines = options.showEngines();
    this.node.appendChild(this._bar.node);
  }

  async renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    const data = ProgressRenderer.parse(model.data[PROGRESS_MIME]);
    if (!data) {
      this._say('', this._options.trans.__('This progress bar’s data is not understood.'));
      return;
    }
    this._data = data;
    if (this._binding) {
      this._binding.follower.resultIds = data.resultIds;
      this._binding.follower.label = data.label;
    } else {
      this._attach();
    }
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._options.transports.changed.disconnect(this._attach, this);
    this._binding?.dispose();
    this._binding = null;
    this._bar.dispose();
    super.dispose();
  }

  /** Follow the results once the kernel's transport knows its bridge session. */
  private _attach(): void {
    const data = this._data;
    if (!data || this._binding || this.isDisposed) {
      return;
    }
    const { transports, context, trans } = this._options;
    const kernelId = context.session?.kernel?.id;
    const transport = kernelId ? transports.source(kernelId) : undefined;
    if (!transport || !transport.store.synced) {
      this._waitForTransports();
      this._say(
        data.label,
        kernelId
          ? trans.__('Waiting for the kernel…')
          : trans.__('No kernel: the work of this bar is not known.')
      );
      return;
    }
    const session = transport.store.session;
    if (session && data.session && session !== data.session) {
      // saved by an earlier kernel: its work died with it
      this._options.transports.changed.disconnect(this._attach, this);
      this._say(
        data.label,
        trans.__('This bar is from an earlier session of the kernel: its work is not known now.')
      );
      return;
    }
    transports.changed.disconnect(this._attach, this);
    this._binding = new ProgressBinding({
      bar: this._bar,
      transport,
      trans,
      resultIds: data.resultIds,
      label: data.label
    });
  }

  private _waitForTransports(): void {
    this._options.transports.changed.connect(this._attach, this);
  }

  private _say(label: string, message: string): void {
    this._bar.render(label, noProgress(), {
      message,
      aborting: false,
      abortDeferred: false,
      stopped: true
    });
  }

  private _options: ProgressRenderer.IOptions;
  private _bar: ProgressBar;
  private _binding: ProgressBinding | null = null;
  private _data: ProgressRenderer.IData | null = null;
}

/** Types and helpers that go with ProgressRenderer. */
export namespace ProgressRenderer {
  export interface IOptions {
    /** The session of the notebook or console whose outputs it draws. */
    context: ISessionContext;
    transports: ITaskSources;
    trans: TranslationBundle;
    /** Whether the per-engine strip shows (a setting). */
    showEngines(): boolean;
  }

  /** What a bar's mime data says. */
  export interface IData {
    session: string;
    resultIds: string[];
    label: string;
  }

  /** The bar's mime data, checked; null when it is not a bar this version draws. */
  export function parse(value: unknown): IData | null {
    if (!value || typeof value !== 'object') {
      return null;
    }
    const data = value as Record<string, unknown>;
    const ids = data.result_ids;
    if (
      data.v !== PROTOCOL_VERSION ||
      typeof data.session !== 'string' ||
      typeof data.label !== 'string' ||
      !Array.isArray(ids) ||
      !ids.every(id => typeof id === 'string')
    ) {
      return null;
    }
    return { session: data.session, resultIds: ids as string[], label: data.label };
  }

  /** A renderer factory for the outputs of one notebook or console. */
  export function factory(options: IOptions): IRenderMime.IRendererFactory {
    return {
      safe: true,
      mimeTypes: [PROGRESS_MIME],
      defaultRank: PROGRESS_RANK,
      createRenderer: () => new ProgressRenderer(options)
    };
  }
}
