import type { ITranslator } from '@jupyterlab/translation';
import { SplitPanel } from '@lumino/widgets';
import type { ITaskSource } from 'jupyterlab-asyncresult-node/core';
import { TaskTableView } from './taskTableView';
import { TimelineView } from './timelineView';

/**
 * The task monitor of one source, in the main area: the busy-engines chart
 * and the engines' lanes above, the task table of the chosen AsyncResult
 * below. A click on a bar chooses the result that task belongs to.
 */
export class MonitorView extends SplitPanel {
  constructor(options: MonitorView.IOptions) {
    super({ orientation: 'vertical', spacing: 4 });
    this.addClass('jp-AsyncResultMonitor');
    this.source = options.source;
    this.timeline = new TimelineView(options);
    this.table = new TaskTableView(options);
    this.addWidget(this.timeline);
    this.addWidget(this.table);
    this.setRelativeSizes([3, 2]);
    this.timeline.taskClicked.connect((_, msgId) => {
      const resultId = MonitorView.resultOfTask(this.source, msgId);
      if (resultId) {
        this.table.showResult(resultId);
      }
    });
  }

  readonly source: ITaskSource;
  /** The chart and the lanes. */
  readonly timeline: TimelineView;
  /** The chosen result's tasks. */
  readonly table: TaskTableView;

  /** List the tasks of one result in the table. */
  showResult(resultId: string): void {
    this.table.showResult(resultId);
  }
}

/** Types and helpers that go with MonitorView. */
export namespace MonitorView {
  export interface IOptions {
    source: ITaskSource;
    translator?: ITranslator;
  }

  /**
   * The result a task is best shown with: the one holding most tasks (a
   * map rather than one of its chunks), the newest of those.
   */
  export function resultOfTask(source: ITaskSource, msgId: string): string | null {
    let best: string | null = null;
    let size = -1;
    for (const id of source.store.resultsOf(msgId)) {
      const n = source.store.result(id)?.msg_ids.length ?? 0;
      if (n >= size) {
        best = id;
        size = n;
      }
    }
    return best;
  }
}
