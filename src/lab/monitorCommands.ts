import type { JupyterFrontEnd } from '@jupyterlab/application';
import { MainAreaWidget } from '@jupyterlab/apputils';
import type { INotebookTracker } from '@jupyterlab/notebook';
import type { ITranslator, TranslationBundle } from '@jupyterlab/translation';
import type { ReadonlyPartialJSONObject } from '@lumino/coreutils';
import { type ITaskSources, promptOf } from 'jupyterlab-asyncresult-node/core';
import { MonitorView } from '../widgets/monitorView';
import type { TaskSidebar } from '../widgets/taskSidebar';
import { CommandIDs } from './commands';
import { addTaskTableCommands } from './taskTableCommands';

/**
 * The monitor's commands: open a kernel's monitor (chart, lanes, task
 * table) in the main area, list one AsyncResult's tasks there, and act on
 * the tasks selected in it. One monitor per kernel, reused.
 */
export function addMonitorCommands(
  app: JupyterFrontEnd,
  sidebar: TaskSidebar,
  sources: ITaskSources,
  notebooks: INotebookTracker,
  trans: TranslationBundle,
  translator: ITranslator | null
): void {
  const { commands } = app;
  const monitors = new Map<string, MainAreaWidget<MonitorView>>();
  const kernelOf = (args: ReadonlyPartialJSONObject): string | undefined =>
    (args.kernelId as string | undefined) ??
    sidebar.activeRow?.source.id ??
    notebooks.currentWidget?.sessionContext.session?.kernel?.id;

  /** The monitor of a kernel, opened if need be; null when the kernel has no source. */
  const open = (kernelId: string): MainAreaWidget<MonitorView> | null => {
    const source = sources.source(kernelId);
    if (!source) {
      return null;
    }
    let widget = monitors.get(kernelId);
    if (!widget || widget.isDisposed) {
      const content = new MonitorView({ source, translator: translator ?? undefined });
      widget = new MainAreaWidget({ content });
      widget.id = `jp-asyncresult-timeline-${kernelId}`;
      const entry = sources.sources().find(e => e.source.id === kernelId);
      const names = entry?.names.join(', ') ?? kernelId;
      widget.title.label = trans.__('Timeline: %1', names);
      widget.title.caption = trans.__('Parallel tasks of %1', entry?.paths.join(', ') ?? kernelId);
      widget.title.closable = true;
      monitors.set(kernelId, widget);
      widget.disposed.connect(() => monitors.delete(kernelId));
      app.shell.add(widget, 'main', { mode: 'split-bottom' });
    }
    app.shell.activateById(widget.id);
    return widget;
  };

  commands.addCommand(CommandIDs.showTimeline, {
    label: trans.__('Show the Timeline of Parallel Tasks'),
    caption: trans.__(
      'Which engine ran what, when, and how many were busy: one lane per engine, for one kernel'
    ),
    isEnabled: args => !!kernelOf(args),
    execute: args => {
      const kernelId = kernelOf(args);
      if (kernelId) {
        open(kernelId);
      }
    }
  });
  sidebar.timelineRequested.connect(
    (_, kernelId) => void commands.execute(CommandIDs.showTimeline, { kernelId })
  );

  /** The result named by the arguments, or the panel's active row. */
  const resultOf = (args: ReadonlyPartialJSONObject) => {
    const kernelId = args.kernelId as string | undefined;
    const resultId = args.resultId as string | undefined;
    if (kernelId && resultId) {
      const record = sources.source(kernelId)?.store.result(resultId);
      return record ? { kernelId, record } : null;
    }
    const row = sidebar.activeRow;
    return row ? { kernelId: row.source.id, record: row.record } : null;
  };
  commands.addCommand(CommandIDs.showResultTasks, {
    label: trans.__('Show Tasks of This Result'),
    caption: trans.__(
      "List the selected AsyncResult's tasks in the monitor: engine, status, times, error"
    ),
    isEnabled: args => !!resultOf(args),
    execute: args => {
      const chosen = resultOf(args);
      const widget = chosen ? open(chosen.kernelId) : null;
      if (chosen && widget) {
        widget.content.showResult(chosen.record.id);
        const prompt = promptOf(chosen.record);
        widget.content.table.grid.node.setAttribute(
          'aria-label',
          trans.__(
            'Tasks of %1',
            `${chosen.record.label ?? chosen.record.fname}${prompt ? ` ${prompt}` : ''}`
          )
        );
        widget.content.table.grid.activate();
      }
    }
  });

  /** The monitor named by `kernelId`, else the one with the focus, else the current widget. */
  const monitorOf = (args: ReadonlyPartialJSONObject): MonitorView | null => {
    const kernelId = args.kernelId as string | undefined;
    const all = Array.from(monitors.values());
    const widget = kernelId
      ? monitors.get(kernelId)
      : (all.find(w => w.node.contains(document.activeElement)) ??
        all.find(w => w === app.shell.currentWidget));
    return widget && !widget.isDisposed ? widget.content : null;
  };
  addTaskTableCommands(app, monitorOf, trans);
}
