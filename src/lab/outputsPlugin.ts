import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import type { ISessionContext } from '@jupyterlab/apputils';
import { IConsoleTracker } from '@jupyterlab/console';
import { INotebookTracker } from '@jupyterlab/notebook';
import type { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { PLUGIN_ID } from './plugin';
import { OUTPUTS_MIME, OUTPUTS_RANK, OutputsRenderer } from './outputsRenderer';
import { followSettings } from './settings';
import { IAsyncResultTransports } from './tokens';
import type { ITaskSources } from 'jupyterlab-asyncresult-node/core';

/**
 * Grouped outputs of parallel work (`display_outputs`, `%px`, `%ar outputs`)
 * in every notebook's and console's outputs, drawn from our mime type.
 */
export const outputsPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyterlab-asyncresult:outputs',
  description: 'Shows the outputs of ipyparallel work grouped by type, engine or order.',
  autoStart: true,
  requires: [IAsyncResultTransports],
  optional: [INotebookTracker, IConsoleTracker, ISettingRegistry, ITranslator],
  activate: (
    _app: JupyterFrontEnd,
    transports: ITaskSources,
    notebooks: INotebookTracker | null,
    consoles: IConsoleTracker | null,
    settings: ISettingRegistry | null,
    translator: ITranslator | null
  ): void => {
    const trans = (translator ?? nullTranslator).load('jupyterlab-asyncresult');
    // untrusted until the settings say otherwise
    let trusted = false;
    if (settings) {
      followSettings(settings, PLUGIN_ID, s => {
        trusted = s.get('trustEngineOutputs').composite === true;
      });
    }
    const addRenderer = (context: ISessionContext, rendermime: IRenderMimeRegistry) => {
      if (!rendermime.getFactory(OUTPUTS_MIME)) {
        rendermime.addFactory(
          OutputsRenderer.factory({
            context,
            transports,
            trans,
            rendermime,
            trusted: () => trusted
          }),
          OUTPUTS_RANK
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
  }
};
