import {
  ILabShell,
  ILayoutRestorer,
  type JupyterFrontEnd,
  type JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { PageConfig } from '@jupyterlab/coreutils';
import { IConsoleTracker } from '@jupyterlab/console';
import { INotebookTracker } from '@jupyterlab/notebook';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { IStateDB } from '@jupyterlab/statedb';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { LabIcon } from '@jupyterlab/ui-components';
import { TaskSidebar } from '../widgets/taskSidebar';
import { keepView } from './viewKeeper';
import { CommandIDs } from './commands';
import { TabComms } from './lastKnown';
import { addPanelCommands } from './panelCommands';
import { followSettings } from './settings';
import { IAsyncResultTransports } from './tokens';
import { KernelTransports } from './transports';

/** The id of the main plugin, which owns the settings. */
export const PLUGIN_ID = 'jupyterlab-asyncresult:plugin';

// Engines as lanes, tasks as bars along them, and a line for now: what the
// panel is about, and unlike the sort icon the old three bars looked like.
const tasksIcon = new LabIcon({
  name: 'jupyterlab-asyncresult:tasks',
  svgstr:
    '<svg xmlns="http://www.w3.org/2000/svg" width="16" viewBox="0 0 24 24">' +
    '<g class="jp-icon3" fill="#616161">' +
    '<rect x="2" y="4" width="7" height="4" rx="1"/>' +
    '<rect x="10.5" y="4" width="5" height="4" rx="1"/>' +
    '<rect x="5" y="10" width="10" height="4" rx="1"/>' +
    '<rect x="2" y="16" width="4" height="4" rx="1"/>' +
    '<rect x="7.5" y="16" width="9" height="4" rx="1"/>' +
    '<rect x="18.5" y="2" width="1.5" height="20" rx="0.75"/>' +
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
    ITranslator,
    IStateDB
  ],
  activate: (
    app: JupyterFrontEnd,
    notebooks: INotebookTracker,
    consoles: IConsoleTracker | null,
    labShell: ILabShell | null,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null,
    settings: ISettingRegistry | null,
    translator: ITranslator | null,
    state: IStateDB | null
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

    const sidebar = new TaskSidebar({ sources: transports, translator: translator ?? undefined });
    sidebar.id = 'jp-asyncresult-sidebar';
    sidebar.title.icon = tasksIcon;
    // short: Notebook 7 lists sidebar panels as "Show <caption>" in its View
    // menu, and JupyterLab shows the caption as the tab's tooltip. No
    // title.label: JupyterLab would draw it as rotated text beside the icon,
    // where its own panels show only their icon; it reads `jpTabLabel`
    // instead where a panel's name is listed (as for its File Browser).
    sidebar.title.caption = trans.__('Parallel Tasks');
    sidebar.title.dataset = { ...sidebar.title.dataset, jpTabLabel: trans.__('Parallel Tasks') };
    app.shell.add(sidebar, 'left', { rank: 650, type: 'Parallel tasks' });
    restorer?.add(sidebar, sidebar.id);
    addPanelCommands(app, sidebar, transports, notebooks, trans, palette, translator);
    if (state) {
      void keepView(
        state,
        sidebar,
        Private.storage('sessionStorage'),
        PageConfig.getOption('workspace') || 'default'
      );
    }

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
      followSettings(settings, PLUGIN_ID, apply);
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
