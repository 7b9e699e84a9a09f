import type { JupyterFrontEnd } from '@jupyterlab/application';
import { Notification } from '@jupyterlab/apputils';
import type { TranslationBundle } from '@jupyterlab/translation';
import type { ReadonlyPartialJSONObject } from '@lumino/coreutils';
import {
  abortChoice,
  abortQueuedTasks,
  type IAbortChoice,
  promptOf
} from 'jupyterlab-asyncresult-node/core';
import type { MonitorView } from '../widgets/monitorView';
import { CommandIDs } from './commands';

/**
 * The task table's own command: abort the selected tasks of the result it
 * lists, from its context menu, the Delete key, or the palette while a
 * monitor is the current widget. Only queued tasks abort in ipyparallel;
 * the table says how many were sent and why the others were not.
 */
export function addTaskTableCommands(
  app: JupyterFrontEnd,
  monitorOf: (args: ReadonlyPartialJSONObject) => MonitorView | null,
  trans: TranslationBundle
): void {
  const { commands } = app;
  /** The monitor, its table's result and the rows selected there, if any. */
  const chosen = (args: ReadonlyPartialJSONObject) => {
    const monitor = monitorOf(args);
    const model = monitor?.table.model;
    if (!monitor || !model) {
      return null;
    }
    const rows = monitor.table.selectedRows();
    return rows.length ? { monitor, table: model.table, rows } : null;
  };

  commands.addCommand(CommandIDs.abortSelectedTasks, {
    label: args => {
      const rows = chosen(args)?.rows.length ?? 0;
      return rows > 1
        ? trans.__('Abort %1 Selected Tasks', rows)
        : trans.__('Abort Selected Tasks');
    },
    caption: trans.__(
      'Abort the queued tasks among the rows selected in the task table; running tasks finish (ipyparallel aborts only queued tasks)'
    ),
    isEnabled: args => !!chosen(args),
    execute: async args => {
      const selected = chosen(args);
      if (!selected) {
        return;
      }
      const { monitor, table, rows } = selected;
      const choice = abortChoice(table, rows);
      const view = monitor.table;
      const record = monitor.source.store.result(table.resultId);
      const prompt = record ? promptOf(record) : '';
      const what = `${record?.label ?? record?.fname ?? table.resultId}${prompt ? ` ${prompt}` : ''}`;
      if (!choice.queued.length) {
        const text = [
          trans._n(
            'Nothing to abort: the selected task is not queued.',
            'Nothing to abort: none of the %1 selected tasks is queued.',
            rows.length
          ),
          Private.notSent(choice, trans)
        ].join(' ');
        view.setNote(text, false, choice.running ? `${text}\n${Private.whyRunning(trans)}` : text);
        return;
      }
      view.setNote(
        trans._n(
          'Aborting %1 queued task of %2…',
          'Aborting %1 queued tasks of %2…',
          choice.queued.length,
          what
        )
      );
      try {
        await abortQueuedTasks(monitor.source, table.resultId, choice);
      } catch (reason) {
        const error = String((reason as Error)?.message ?? reason);
        view.setNote(trans.__('Abort failed: %1', error), true);
        Notification.error(trans.__('Abort of the selected tasks of %1 failed: %2', what, error));
        return;
      }
      if (view.model?.table === table) {
        const sent = trans._n(
          'Abort sent for %1 queued task of %2.',
          'Abort sent for %1 queued tasks of %2.',
          choice.queued.length,
          what
        );
        const skipped = Private.notSent(choice, trans);
        view.setNote(
          [sent, skipped].filter(Boolean).join(' '),
          false,
          [
            sent,
            trans._n(
              'It ends as aborted when the scheduler hands it to an engine.',
              'They end as aborted when the scheduler hands them to an engine.',
              choice.queued.length
            ),
            skipped,
            choice.running ? Private.whyRunning(trans) : ''
          ]
            .filter(Boolean)
            .join('\n')
        );
      }
    }
  });
  app.commands.addKeyBinding({
    command: CommandIDs.abortSelectedTasks,
    keys: ['Delete'],
    selector: '.jp-AsyncResultTaskTable-grid'
  });
  app.contextMenu.addItem({
    command: CommandIDs.abortSelectedTasks,
    selector: '.jp-AsyncResultTaskTable-grid',
    rank: 0
  });
}

namespace Private {
  /** Why some selected tasks were not sent ('' when all were). */
  export function notSent(choice: IAbortChoice, trans: TranslationBundle): string {
    const parts: string[] = [];
    if (choice.running) {
      parts.push(
        trans._n(
          '%1 running task cannot be aborted.',
          '%1 running tasks cannot be aborted.',
          choice.running
        )
      );
    }
    if (choice.finished) {
      parts.push(trans._n('%1 had already finished.', '%1 had already finished.', choice.finished));
    }
    return parts.join(' ');
  }

  /** Why a running task goes on. */
  export function whyRunning(trans: TranslationBundle): string {
    return trans.__(
      'ipyparallel aborts only queued tasks: a running task finishes, unless its engine is interrupted ("Stop Running Tasks by Interrupting Their Engines…" in the Parallel Tasks panel).'
    );
  }
}
