import {
  ILabShell,
  ILayoutRestorer,
  type JupyterFrontEnd,
  type JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { IConsoleTracker } from '@jupyterlab/console';
import { INotebookTracker } from '@jupyterlab/notebook';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { LabIcon } from '@jupyterlab/ui-components';
import { TaskSidebar } from '../widgets/taskSidebar';
import { CommandIDs } from './commands';
import { TabComms } from './lastKnown';
import { sharedSettings } from './settings';
import { IAsyncResultTransports } from './tokens';
import { KernelTransports } from './transports';

/** The id of the main plugin, which owns the settings. */
export const PLUGIN_ID = 'jupyterlab-asyncresult:plugin';

const tasksIcon = new LabIcon({
  name: 'jupyterlab-asyncresult:tasks',
  svgstr:
    '<svg xmlns="http://www.w3.org/2000/svg" width="16" viewBox="0 0 24 24">' +
    '<g class="jp-icon3" fill="#616161">' +
    '<rect x="3" y="4" width="18" height="3" rx="1"/>' +
    '<rect x="3" y="10.5" width="12" height="3" rx="1"/>' +
    '<rect x="3" y="17" width="7" height="3" rx="1"/>' +
    '</g></svg>'
});

/**
 * The sidebar of pending tasks, fed by one transport per open kernel.
 */
export const sidebarPlugin: JupyterFrontEndPlugin<KernelTransports> = {
  id: PLUGIN_ID,
  description: 'Lists the ipyparallel AsyncResults of every open kernel, live, in a sidebar.',
  autoStart: true,
  provides: IAsyncResultTransports,
  requires: [INotebookTracker],
  optional: [
    IConsoleTracker,
    ILabShell,
    ILayoutRestorer,
    ICommandPalette,
    ISettingRegistry,
    ITranslator
  ],
  activate: (
    app: JupyterFrontEnd,
    notebooks: INotebookTracker,
    consoles: IConsoleTracker | null,
    labShell: ILabShell | null,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null,
    settings: ISettingRegistry | null,
    translator: ITranslator | null
  ): KernelTransports => {
    const trans = (translator ?? nullTranslator).load('jupyterlab-asyncresult');
    const transports = new KernelTransports();
    transports.storage = Private.storage('localStorage');
    transports.tabStorage = Private.storage('sessionStorage');
    if (!Private.reloaded()) {
      TabComms.forgetAll(transports.tabStorage);
    }
    // A reload or a closed tab: keep what we know for the next page (it may
    // load while a cell blocks the kernel), then close our comms while the
    // socket still works. Left open, they pile up in the kernel, whose
    // bridge later closes the oldest, and every page then logs "Comm not
    // found".
    window.addEventListener(
      'pagehide',
      () => {
        transports.saveLastKnown();
        transports.dispose();
      },
      { once: true }
    );

    notebooks.widgetAdded.connect((_, panel) => transports.track(panel.sessionContext));
    notebooks.forEach(panel => transports.track(panel.sessionContext));
    consoles?.widgetAdded.connect((_, panel) => transports.track(panel.sessionContext));
    consoles?.forEach(panel => transports.track(panel.sessionContext));

    const sidebar = new TaskSidebar({ transports, translator: translator ?? undefined });
    sidebar.id = 'jp-asyncresult-sidebar';
    sidebar.title.icon = tasksIcon;
    app.shell.add(sidebar, 'left', { rank: 650, type: 'Parallel tasks' });
    restorer?.add(sidebar, sidebar.id);

    sidebar.cellRequested.connect((_, { kernelId, cellId }) => {
      const panel = notebooks.find(
        p =>
          p.sessionContext.session?.kernel?.id === kernelId &&
          p.content.widgets.some(c => c.model.id === cellId)
      );
      if (!panel) {
        return;
      }
      app.shell.activateById(panel.id);
      const index = panel.content.widgets.findIndex(c => c.model.id === cellId);
      panel.content.activeCellIndex = index;
      void panel.content.scrollToItem(index, 'smart');
    });

    app.commands.addCommand(CommandIDs.showTasks, {
      label: trans.__('Show Parallel Tasks'),
      caption: trans.__('Show the ipyparallel tasks of every open kernel'),
      execute: () => {
        if (labShell) {
          labShell.activateById(sidebar.id);
        } else {
          app.shell.activateById(sidebar.id);
        }
      }
    });
    app.commands.addCommand(CommandIDs.refresh, {
      label: trans.__('Refresh Parallel Tasks'),
      caption: trans.__('Ask every kernel bridge for its whole state again'),
      execute: () => {
        for (const { transport } of transports.entries()) {
          if (transport.state === 'live') {
            transport.requestSnapshot();
          } else {
            void transport.connect();
          }
        }
      }
    });
    app.commands.addCommand(CommandIDs.loadBridge, {
      label: trans.__('Load the Parallel Tasks Bridge in This Kernel'),
      caption: trans.__(
        'Run %load_ext jupyterlab_asyncresult silently in the current notebook kernel'
      ),
      isEnabled: () => !!notebooks.currentWidget?.sessionContext.session?.kernel,
      execute: async () => {
        const kernel = notebooks.currentWidget?.sessionContext.session?.kernel;
        if (!kernel) {
          return;
        }
        await kernel.requestExecute({
          code: '%load_ext jupyterlab_asyncresult',
          silent: true,
          store_history: false,
          stop_on_error: false
        }).done;
        void transports.get(kernel.id)?.connect();
      }
    });
    if (palette) {
      const category = trans.__('Parallel Tasks');
      for (const command of [CommandIDs.showTasks, CommandIDs.refresh, CommandIDs.loadBridge]) {
        palette.addItem({ command, category });
      }
    }

    if (settings) {
      const apply = (s: ISettingRegistry.ISettings) => {
        transports.enabled = s.get('enabled').composite as boolean;
        sidebar.showFinished = s.get('showFinished').composite as boolean;
        transports.kernelSettings = {
          progress: s.get('progress').composite as string
        };
      };
      sharedSettings(settings, PLUGIN_ID)
        .then(s => {
          apply(s);
          s.changed.connect(apply);
        })
        .catch(reason => console.error('jupyterlab-asyncresult: settings not loaded', reason));
    }
    return transports;
  }
};

namespace Private {
  /** Whether this page is a reload of the one before it in this tab. */
  export function reloaded(): boolean {
    try {
      const [navigation] = performance.getEntriesByType('navigation');
      return (navigation as PerformanceNavigationTiming | undefined)?.type === 'reload';
    } catch {
      return false;
    }
  }

  /** One of the browser's storages, if this page may use it. */
  export function storage(which: 'localStorage' | 'sessionStorage'): Storage | null {
    try {
      return window[which];
    } catch {
      return null;
    }
  }
}
