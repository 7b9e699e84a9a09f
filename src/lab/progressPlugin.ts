import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { IJupyterWidgetRegistry } from '@jupyter-widgets/base';
import type { ISessionContext } from '@jupyterlab/apputils';
import { IConsoleTracker } from '@jupyterlab/console';
import { INotebookTracker } from '@jupyterlab/notebook';
import type { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import type { ITaskSources } from 'jupyterlab-asyncresult-node/core';
import { createProgressWidgetClasses, WIDGET_MODULE } from '../widgets/progressWidget';
import { VERSION } from '../version';
import { PLUGIN_ID } from './plugin';
import { PROGRESS_MIME, PROGRESS_RANK, ProgressRenderer } from './progressRenderer';
import { followSettings } from './settings';
import { IAsyncResultTransports } from './tokens';
import { replaceWidgetOutputs } from './widgetOutputs';

/**
 * Live progress widgets in notebook cells: registers the ipywidgets module
 * whose Python model the kernel bridge displays.
 */
export const progressPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyterlab-asyncresult:progress',
  description: 'Shows live progress of ipyparallel work in the cell that submitted it.',
  autoStart: true,
  requires: [IJupyterWidgetRegistry, IAsyncResultTransports],
  optional: [INotebookTracker, IConsoleTracker, ISettingRegistry, ITranslator],
  activate: (
    _app: JupyterFrontEnd,
    registry: IJupyterWidgetRegistry,
    transports: ITaskSources,
    notebooks: INotebookTracker | null,
    consoles: IConsoleTracker | null,
    settings: ISettingRegistry | null,
    translator: ITranslator | null
  ): void => {
    const trans = (translator ?? nullTranslator).load('jupyterlab-asyncresult');
    let showEngines = true;
    if (settings) {
      followSettings(settings, PLUGIN_ID, s => {
        showEngines = s.get('progressEngines').composite as boolean;
      });
    }
    // the bar's own renderer, in every notebook's and console's outputs
    const addRenderer = (context: ISessionContext, rendermime: IRenderMimeRegistry) => {
      if (!rendermime.getFactory(PROGRESS_MIME)) {
        rendermime.addFactory(
          ProgressRenderer.factory({ context, transports, trans, showEngines: () => showEngines }),
          PROGRESS_RANK
        );
      }
    };
    notebooks?.forEach(panel => addRenderer(panel.sessionContext, panel.content.rendermime));
    notebooks?.widgetAdded.connect((_, panel) =>
      addRenderer(panel.sessionContext, panel.content.rendermime)
    );
    consoles?.forEach(panel => addRenderer(panel.sessionContext, panel.console.rendermime));
    consoles?.widgetAdded.connect((_, panel) =>
      addRenderer(panel.sessionContext, panel.console.rendermime)
    );

    registry.registerWidget({
      name: WIDGET_MODULE,
      version: VERSION,
      exports: createProgressWidgetClasses(
        {
          trans,
          transport: kernelId => transports.source(kernelId),
          onTransportsChanged: callback => {
            const slot = () => callback();
            transports.changed.connect(slot);
            return () => transports.changed.disconnect(slot);
          },
          showEngines: () => showEngines,
          replaceOutputs: (modelId, bundle) =>
            replaceWidgetOutputs(notebooks, consoles, modelId, bundle)
        },
        VERSION
      )
    });
  }
};
