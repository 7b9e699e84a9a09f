import type { IConsoleTracker } from '@jupyterlab/console';
import type { INotebookTracker } from '@jupyterlab/notebook';
import type { IOutputAreaModel } from '@jupyterlab/outputarea';

/** The mime type under which ipywidgets puts a view in an output. */
export const WIDGET_VIEW_MIME = 'application/vnd.jupyter.widget-view+json';

/**
 * Replace every output that shows widget model `modelId`, in every open
 * notebook and console, by a static display of `bundle`; returns how many.
 *
 * The kernel also sends the bundle as a display update under the widget's
 * display id, which JupyterLab applies to the outputs it saw displayed; a
 * page reloaded since has lost those display ids (they are not saved), so
 * this covers its outputs. Cell models exist even where a windowed notebook
 * has not rendered the cell. (The reload test in ui-tests fails without it.)
 */
export function replaceWidgetOutputs(
  notebooks: INotebookTracker | null,
  consoles: IConsoleTracker | null,
  modelId: string,
  bundle: Record<string, string>
): number {
  let replaced = 0;
  const visit = (outputs: IOutputAreaModel) => {
    for (let i = 0; i < outputs.length; i++) {
      const view = outputs.get(i).data[WIDGET_VIEW_MIME] as { model_id?: string } | undefined;
      if (view?.model_id === modelId) {
        outputs.set(i, {
          output_type: 'display_data',
          data: { ...bundle },
          metadata: {}
        });
        replaced += 1;
      }
    }
  };
  notebooks?.forEach(panel => {
    for (const cell of panel.content.model?.cells ?? []) {
      if (cell.type === 'code') {
        visit((cell as unknown as { outputs: IOutputAreaModel }).outputs);
      }
    }
  });
  consoles?.forEach(panel => {
    for (const cell of panel.console.cells) {
      const outputs = (cell.model as unknown as { outputs?: IOutputAreaModel }).outputs;
      if (outputs) {
        visit(outputs);
      }
    }
  });
  return replaced;
}
