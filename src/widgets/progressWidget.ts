import { DOMWidgetModel, DOMWidgetView, type ExportData } from '@jupyter-widgets/base';
import type { TranslationBundle } from '@jupyterlab/translation';
import type { KernelTransport } from '../lab/kernelTransport';
import { ProgressBar } from './progressBar';
import { ProgressFollower } from './progressFollower';

/** The ipywidgets module name: the npm package's, as the Python model says. */
export const WIDGET_MODULE = 'jupyterlab-asyncresult';

/** A static mime bundle that replaces a finished widget's output. */
export type SummaryBundle = Record<string, string>;

/**
 * Make the ipywidgets model and view classes of the progress widget.
 *
 * The model (its Python twin lives in the kernel bridge) only names the
 * results; the view reads their state from the kernel transport's task
 * store, so no progress traffic goes through the widget's own comm.
 */
export function createProgressWidgetClasses(
  deps: IProgressWidgetDeps,
  version: string
): ExportData {
  class ProgressModel extends DOMWidgetModel {
    defaults(): any {
      return {
        ...super.defaults(),
        _model_name: 'ProgressModel',
        _model_module: WIDGET_MODULE,
        _model_module_version: version,
        _view_name: 'ProgressView',
        _view_module: WIDGET_MODULE,
        _view_module_version: version,
        result_ids: [],
        label: '',
        summary: {},
        finished: false
      };
    }

    initialize(attributes: any, options: any): void {
      super.initialize(attributes, options);
      this.on('change:summary', this._replaceIfFinished, this);
      // a page reloaded after the work ended restores a finished model
      this._replaceIfFinished();
    }

    private _replaceIfFinished(): void {
      const summary = this.get('summary') as SummaryBundle;
      if (summary && Object.keys(summary).length) {
        // after the event: replacing the output disposes this model's views
        setTimeout(() => deps.replaceOutputs(this.model_id, summary), 0);
      }
    }
  }

  class ProgressView extends DOMWidgetView {
    render(): void {
      this.el.classList.add('jp-AsyncResultProgress-host');
      this._bar = new ProgressBar(deps.trans);
      this._bar.showEngines = deps.showEngines();
      this.el.appendChild(this._bar.node);
      this.listenTo(this.model, 'change:result_ids', this._onModelChange);
      this.listenTo(this.model, 'change:label', this._onModelChange);
      this._attach();
    }

    remove(): any {
      this._detach?.();
      this._detachTransport?.();
      this._follower?.dispose();
      this._follower = null;
      this._bar?.dispose();
      return super.remove();
    }

    /** Find this kernel's transport; wait for it if it is not there yet. */
    private _attach(): void {
      const kernelId: string | undefined = (this.model.widget_manager as any)?.kernel?.id;
      const transport = kernelId ? deps.transport(kernelId) : undefined;
      if (!transport) {
        this._bar!.node.dataset.status = 'unavailable';
        this._bar!.node.querySelector('.jp-AsyncResultProgress-message')!.textContent =
          deps.trans.__(
            'Live progress needs the Parallel Tasks connection to this kernel (see the settings).'
          );
        if (kernelId && !this._detach) {
          this._detach = deps.onTransportsChanged(() => {
            if (!this._follower && deps.transport(kernelId)) {
              this._attach();
            }
          });
        }
        return;
      }
      let shutDown = false;
      this._follower = new ProgressFollower({
        store: transport.store,
        requester: transport,
        bar: this._bar!,
        trans: deps.trans,
        resultIds: this.model.get('result_ids') as string[],
        label: this.model.get('label') as string,
        abortDeferred: () =>
          !transport.isDisposed &&
          !transport.supportsSubshells &&
          transport.kernel.status === 'busy',
        kernelGone: () =>
          shutDown ? deps.trans.__('The kernel was shut down.') : transport.lostWork
      });
      // a restart empties the store: redraw at once with the last known state
      const redraw = () => this._follower?.update();
      const onDisposed = () => {
        shutDown = true;
        redraw();
      };
      transport.stateChanged.connect(redraw);
      transport.disposed.connect(onDisposed);
      this._detachTransport = () => {
        transport.stateChanged.disconnect(redraw);
        transport.disposed.disconnect(onDisposed);
      };
    }

    private _onModelChange(): void {
      if (this._follower) {
        this._follower.resultIds = this.model.get('result_ids') as string[];
        this._follower.label = this.model.get('label') as string;
      }
    }

    private _bar: ProgressBar | null = null;
    private _follower: ProgressFollower | null = null;
    private _detach: (() => void) | null = null;
    private _detachTransport: (() => void) | null = null;
  }

  return { ProgressModel, ProgressView };
}

/** What the progress widget needs from the extension. */
export interface IProgressWidgetDeps {
  trans: TranslationBundle;
  /** The transport of a kernel, if the extension follows it. */
  transport(kernelId: string): KernelTransport | undefined;
  /** Call `callback` when transports come and go; returns a disconnect. */
  onTransportsChanged(callback: () => void): () => void;
  /** Whether the per-engine strip shows (a setting). */
  showEngines(): boolean;
  /** Replace every output showing a widget model by a static bundle. */
  replaceOutputs(modelId: string, bundle: SummaryBundle): void;
}
