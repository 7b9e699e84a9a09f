import type { JupyterFrontEnd } from '@jupyterlab/application';
import {
  Clipboard,
  Dialog,
  type ICommandPalette,
  MainAreaWidget,
  Notification,
  showDialog
} from '@jupyterlab/apputils';
import type { INotebookTracker } from '@jupyterlab/notebook';
import type { ITranslator, TranslationBundle } from '@jupyterlab/translation';
import type { ReadonlyPartialJSONObject } from '@lumino/coreutils';
import {
  abortTimeout,
  type IPanelRow,
  type ITaskSources,
  isUnfinished,
  PROTOCOL_VERSION,
  promptOf,
  rowKey
} from 'jupyterlab-asyncresult-node/core';
import { OUTPUTS_MIME } from './outputsRenderer';
import { Panel } from '@lumino/widgets';
import type { TaskSidebar } from '../widgets/taskSidebar';
import { CommandIDs } from './commands';
import { addMonitorCommands } from './monitorCommands';

/**
 * The task panel's actions as commands: in the palette, in the rows'
 * context menu, and behind the panel's buttons. Each takes `kernelId` and
 * `resultId` arguments, or acts on the row the user last pointed at.
 */
export function addPanelCommands(
  app: JupyterFrontEnd,
  sidebar: TaskSidebar,
  sources: ITaskSources,
  notebooks: INotebookTracker,
  trans: TranslationBundle,
  palette: ICommandPalette | null,
  translator: ITranslator | null
): void {
  const { commands } = app;
  const rowOf = (args: ReadonlyPartialJSONObject): IPanelRow | null => {
    const kernelId = args.kernelId as string | undefined;
    const resultId = args.resultId as string | undefined;
    if (kernelId && resultId) {
      return sidebar.row(kernelId, resultId) ?? null;
    }
    return sidebar.activeRow;
  };
  const name = (row: IPanelRow) => row.record.label ?? row.record.fname;

  const abort = async (kernelId: string, resultIds: string[]) => {
    const source = sources.source(kernelId);
    if (!source || !resultIds.length) {
      return;
    }
    const timeout = abortTimeout(source.supportsSubshells);
    const keys = resultIds.map(id => rowKey(kernelId, id));
    sidebar.noteAbort(keys, 'sending');
    const outcomes = await Promise.allSettled(
      resultIds.map(id => source.request('abort', { result_id: id }, timeout))
    );
    const errors: string[] = [];
    outcomes.forEach((outcome, i) => {
      if (outcome.status === 'fulfilled') {
        sidebar.noteAbort([keys[i]], 'sent');
      } else {
        const error = String(outcome.reason?.message ?? outcome.reason);
        errors.push(error);
        sidebar.noteAbort([keys[i]], { error });
      }
    });
    if (errors.length) {
      Notification.error(
        trans.__(
          'Abort failed for %1 of %2 results: %3',
          errors.length,
          resultIds.length,
          errors[0]
        )
      );
    }
  };
  sidebar.abortRequested.connect((_, { sourceId, resultIds }) => void abort(sourceId, resultIds));

  commands.addCommand(CommandIDs.abortResult, {
    label: trans.__('Abort Queued Tasks of This Result'),
    caption: trans.__('Abort the queued tasks of the selected AsyncResult; running ones finish'),
    isEnabled: args => {
      const row = rowOf(args);
      return !!row && isUnfinished(row.progress);
    },
    execute: args => {
      const row = rowOf(args);
      if (row) {
        return abort(row.source.id, [row.record.id]);
      }
    }
  });

  commands.addCommand(CommandIDs.abortKernel, {
    label: trans.__('Abort All Queued Parallel Tasks of This Kernel'),
    caption: trans.__('Abort the queued tasks of every unfinished AsyncResult of one kernel'),
    isEnabled: args => !!kernelOf(args),
    execute: args => {
      const kernelId = kernelOf(args);
      const section = sidebar.sections.find(s => s.key === kernelId);
      const ids = (section?.rows ?? []).filter(r => isUnfinished(r.progress)).map(r => r.record.id);
      if (kernelId) {
        return abort(kernelId, ids);
      }
    }
  });
  function kernelOf(args: ReadonlyPartialJSONObject): string | undefined {
    return (
      (args.kernelId as string | undefined) ??
      sidebar.activeRow?.source.id ??
      notebooks.currentWidget?.sessionContext.session?.kernel?.id
    );
  }

  commands.addCommand(CommandIDs.resubmitFailed, {
    label: trans.__('Resubmit Failed and Aborted Tasks'),
    caption: trans.__(
      'Submit again the tasks of the selected AsyncResult that failed or were aborted'
    ),
    isEnabled: args => {
      const row = rowOf(args);
      return !!row && row.progress.failed + row.progress.aborted > 0;
    },
    execute: async args => {
      const row = rowOf(args);
      if (!row) {
        return;
      }
      const store = row.source.store;
      const msgIds = row.record.msg_ids.filter(m => {
        const status = store.task(m)?.status;
        return status === 'error' || status === 'aborted';
      });
      if (!msgIds.length) {
        return;
      }
      try {
        await row.source.request('resubmit', { result_id: row.record.id, msg_ids: msgIds }, 60);
        Notification.success(
          trans._n(
            'Resubmitted %1 task of %2',
            'Resubmitted %1 tasks of %2',
            msgIds.length,
            name(row)
          ),
          { autoClose: 4000 }
        );
      } catch (reason) {
        Notification.error(
          trans.__('Resubmit failed: %1', (reason as Error).message ?? String(reason))
        );
      }
    }
  });

  /** The engines running a task of a row's result now. */
  const runningEngines = (row: IPanelRow): number[] => {
    const engines = new Set<number>();
    for (const m of row.record.msg_ids) {
      const task = row.source.store.task(m);
      if (task?.status === 'running' && task.engine_id !== null) {
        engines.add(task.engine_id);
      }
    }
    return Array.from(engines).sort((a, b) => a - b);
  };
  commands.addCommand(CommandIDs.interruptEngines, {
    label: trans.__('Stop Running Tasks by Interrupting Their Engines…'),
    caption: trans.__(
      'Send SIGINT to the engines that run tasks of the selected AsyncResult, after a confirmation'
    ),
    isEnabled: args => {
      const row = rowOf(args);
      return !!row && runningEngines(row).length > 0;
    },
    execute: async args => {
      const row = rowOf(args);
      const engines = row ? runningEngines(row) : [];
      if (!row || !engines.length) {
        return;
      }
      const list = engines.join(', ');
      const answer = await showDialog({
        title: trans.__('Interrupt engines %1?', list),
        body: trans._n(
          'Engine %2 runs a task of %3. Interrupting stops whatever the engine runs now, for every client of the cluster, not only this task; that task then fails with KeyboardInterrupt. Queued tasks are not touched (use Abort for them).',
          'Engines %2 run tasks of %3. Interrupting stops whatever these engines run now, for every client of the cluster, not only these tasks; those tasks then fail with KeyboardInterrupt. Queued tasks are not touched (use Abort for them).',
          engines.length,
          list,
          name(row)
        ),
        buttons: [
          Dialog.cancelButton({ label: trans.__('Cancel') }),
          Dialog.warnButton({ label: trans.__('Interrupt') })
        ]
      });
      if (!answer.button.accept) {
        return;
      }
      try {
        await row.source.request('interrupt', { result_id: row.record.id, engines }, 60);
      } catch (reason) {
        Notification.error(
          trans.__('Interrupt failed: %1', (reason as Error).message ?? String(reason))
        );
      }
    }
  });

  commands.addCommand(CommandIDs.showOutputs, {
    label: trans.__('Show Grouped Outputs'),
    caption: trans.__(
      "Show what the selected AsyncResult's tasks printed and displayed, by engine"
    ),
    isEnabled: args => {
      const row = rowOf(args);
      return !!row && !!panelOf(row.source.id)?.content.rendermime.getFactory(OUTPUTS_MIME);
    },
    execute: async args => {
      const row = rowOf(args);
      const rendermime = row ? panelOf(row.source.id)?.content.rendermime : undefined;
      if (!row || !rendermime?.getFactory(OUTPUTS_MIME)) {
        return;
      }
      // the same view as in a cell, fed live from the kernel: an empty
      // bundle of this session that is not done yet
      const data = {
        v: PROTOCOL_VERSION,
        session: row.source.store.session,
        result_id: row.record.id,
        groupby: 'engine',
        single: false,
        result_only: false,
        done: false,
        tasks: []
      };
      const renderer = rendermime.createRenderer(OUTPUTS_MIME);
      const content = new Panel();
      content.addClass('jp-AsyncResultOutputs-page');
      content.addWidget(renderer);
      const widget = new MainAreaWidget({ content });
      const prompt = promptOf(row.record);
      widget.title.label = trans.__('Outputs: %1', prompt ? `${name(row)} ${prompt}` : name(row));
      widget.title.closable = true;
      app.shell.add(widget, 'main', { mode: 'split-right' });
      await renderer.renderModel(rendermime.createModel({ data: { [OUTPUTS_MIME]: data } }));
    }
  });
  /** The open notebook whose kernel is this one. */
  function panelOf(kernelId: string) {
    return notebooks.find(p => p.sessionContext.session?.kernel?.id === kernelId) ?? null;
  }

  commands.addCommand(CommandIDs.goToCell, {
    label: trans.__('Go to the Submitting Cell'),
    caption: trans.__('Show the cell that created the selected AsyncResult'),
    isEnabled: args => !!rowOf(args)?.record.cell_id,
    execute: args => {
      const row = rowOf(args);
      if (row?.record.cell_id) {
        revealCell(row.source.id, row.record.cell_id, name(row));
      }
    }
  });
  sidebar.cellRequested.connect((_, { kernelId, cellId }) => revealCell(kernelId, cellId, ''));

  function revealCell(kernelId: string, cellId: string, what: string): void {
    const panels = notebooks.filter(p => p.sessionContext.session?.kernel?.id === kernelId);
    for (const panel of panels) {
      const index = panel.content.widgets.findIndex(c => c.model.id === cellId);
      if (index >= 0) {
        app.shell.activateById(panel.id);
        panel.content.activeCellIndex = index;
        void panel.content.scrollToItem(index, 'smart');
        return;
      }
    }
    Notification.warning(
      panels.length
        ? trans.__(
            'The cell that submitted %1 is no longer in the notebook.',
            what || trans.__('this result')
          )
        : trans.__('No open notebook runs on the kernel of %1.', what || trans.__('this result')),
      { autoClose: 5000 }
    );
  }

  commands.addCommand(CommandIDs.copyMsgIds, {
    label: trans.__('Copy Task msg_ids'),
    caption: trans.__("Copy the selected AsyncResult's msg_ids, one per line"),
    isEnabled: args => !!rowOf(args),
    execute: args => {
      const row = rowOf(args);
      if (row) {
        Clipboard.copyToSystem(row.record.msg_ids.join('\n'));
      }
    }
  });

  commands.addCommand(CommandIDs.clearFinished, {
    label: trans.__('Clear Finished Parallel Tasks'),
    caption: trans.__('Hide the finished AsyncResults from the Parallel tasks panel'),
    execute: () => sidebar.clearFinished()
  });
  commands.addCommand(CommandIDs.restoreCleared, {
    label: trans.__('Show Cleared Parallel Tasks Again'),
    caption: trans.__('Bring back the results "Clear finished" hid'),
    isEnabled: () => sidebar.query.cleared.size > 0,
    execute: () => sidebar.restoreCleared()
  });

  addMonitorCommands(app, sidebar, sources, notebooks, trans, translator);

  const rowCommands = [
    CommandIDs.goToCell,
    CommandIDs.showOutputs,
    CommandIDs.abortResult,
    CommandIDs.interruptEngines,
    CommandIDs.resubmitFailed,
    CommandIDs.copyMsgIds,
    CommandIDs.abortKernel,
    CommandIDs.showTimeline,
    CommandIDs.showResultTasks
  ];
  rowCommands.forEach((command, rank) =>
    app.contextMenu.addItem({ command, selector: '.jp-AsyncResultSidebar-result', rank })
  );
  if (palette) {
    const category = trans.__('Parallel Tasks');
    for (const command of [
      CommandIDs.showTimeline,
      CommandIDs.showResultTasks,
      CommandIDs.abortSelectedTasks,
      CommandIDs.abortKernel,
      CommandIDs.clearFinished,
      CommandIDs.restoreCleared
    ]) {
      palette.addItem({ command, category });
    }
  }
}
