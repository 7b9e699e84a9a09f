import { DOMWidgetModel, DOMWidgetView, type ExportData } from '@jupyter-widgets/base';
import type { TranslationBundle } from '@jupyterlab/translation';
import type { ITaskSource } from 'jupyterlab-asyncresult-node/core';
import { ProgressBar } from './progressBar';
import { ProgressBinding } from './progressBinding';

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
      this._binding?.dispose();
      this._binding = null;
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
            if (!this._binding && deps.transport(kernelId)) {
              this._attach();
            }
          });
        }
        return;
      }
      this._binding = new ProgressBinding({
        bar: this._bar!,
        transport,
        trans: deps.trans,
        resultIds: this.model.get('result_ids') as string[],
        label: this.model.get('label') as string
      });
    }

    private _onModelChange(): void {
      if (this._binding) {
        this._binding.follower.resultIds = this.model.get('result_ids') as string[];
        this._binding.follower.label = this.model.get('label') as string;
      }
    }

    private _bar: ProgressBar | null = null;
    private _binding: ProgressBinding | null = null;
    private _detach: (() => void) | null = null;
  }

  return { ProgressModel, ProgressView };
}

/** What the progress widget needs from the extension. */
export interface IProgressWidgetDeps {
  trans: TranslationBundle;
  /** The transport of a kernel, if the extension follows it. */
  transport(kernelId: string): ITaskSource | undefined;
  /** Call `callback` when transports come and go; returns a disconnect. */
  onTransportsChanged(callback: () => void): () => void;
  /** Whether the per-engine strip shows (a setting). */
  showEngines(): boolean;
  /** Replace every output showing a widget model by a static bundle. */
  replaceOutputs(modelId: string, bundle: SummaryBundle): void;
}
