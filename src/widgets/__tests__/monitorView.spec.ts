import './noCanvas';
import { type ITaskSource, TaskStore } from 'jupyterlab-asyncresult-node/core';
import {
  deltaMessage,
  fakeSource,
  resultRecord,
  snapshotMessage,
  taskRecord
} from '../../../packages/asyncresult-node/src/core/__tests__/builders';
import { MonitorView } from '../monitorView';
import { TaskTableView } from '../taskTableView';

const T0 = 1.7e9;

function store(): TaskStore {
  const s = new TaskStore();
  s.apply(
    snapshotMessage(
      0,
      [resultRecord('r1', ['a', 'b', 'c']), resultRecord('chunk', ['b'])],
      [
        taskRecord('a', 'done', {
          engine_id: 0,
          submitted: T0,
          started: T0 + 1,
          completed: T0 + 2
        }),
        taskRecord('b', 'error', {
          engine_id: 1,
          submitted: T0,
          started: T0 + 1,
          completed: T0 + 1.25,
          error: {
            ename: 'ZeroDivisionError',
            evalue: 'division by zero',
            traceback: '',
            engine_id: 1
          }
        }),
        taskRecord('c', 'running', { engine_id: 1, submitted: T0, started: T0 + 2 })
      ],
      { clock: T0 + 3 }
    )
  );
  return s;
}

/** A source whose controller says it has `engines` engines, `busy` of them busy. */
function sourceOf(s: TaskStore, engines: number, busy: number): ITaskSource {
  const queues: Record<string, unknown> = { unassigned: 0 };
  for (let i = 0; i < engines; i++) {
    queues[String(i)] = { queue: 0, completed: 3, tasks: i < busy ? 1 : 0 };
  }
  return fakeSource(s, {}, op =>
    op === 'queue_status' ? Promise.resolve(queues) : Promise.reject(new Error(op))
  );
}

/** Let requestAnimationFrame callbacks run. */
const frame = () => new Promise(resolve => setTimeout(resolve, 50));

describe('MonitorView', () => {
  it("the chart says how many engines are busy, from the lanes and then from the controller's count", async () => {
    const s = store();
    const view = new MonitorView({ source: sourceOf(s, 4, 1) });
    view.timeline.draw();
    const chart = view.timeline.chart.node;
    expect(chart.dataset.running).toBe('1');
    // before the controller answers: the engines that have lanes
    expect(chart.dataset.engines).toBe('2');
    expect(chart.getAttribute('aria-label')).toBe(
      '1 of 2 engines busy with this kernel’s tasks now'
    );
    expect(view.timeline.chart.model.busyAt(T0 + 1.1)).toBe(2);
    // the controller's answer (asked while the view is shown)
    await (view.timeline as any)._cluster.poll();
    view.timeline.draw();
    expect(chart.dataset.engines).toBe('4');
    expect(chart.dataset.controllerBusy).toBe('1');
    expect(chart.getAttribute('aria-label')).toContain('the controller counts 1 busy');

    s.apply(
      deltaMessage(1, [
        taskRecord('c', 'done', { engine_id: 1, started: T0 + 2, completed: T0 + 4 })
      ])
    );
    view.timeline.draw();
    expect(chart.dataset.running).toBe('0');
    view.dispose();
  });

  it("lists a result's tasks with engine, status, times and error, and a click on a bar picks the whole map", async () => {
    const s = store();
    const view = new MonitorView({ source: sourceOf(s, 2, 0) });
    expect(view.table.model).toBeNull();
    // the bar of task b: shown with r1 (3 tasks), not its one-task chunk
    (view.timeline as any)._taskClicked.emit('b');
    const model = view.table.model!;
    expect(model.table.resultId).toBe('r1');
    expect(view.table.node.dataset.rows).toBe('3');
    const cells = (row: number) =>
      Array.from({ length: model.columnCount('body') }, (_, c) => model.data('body', row, c));
    expect(model.data('column-header', 0, 0)).toBe('engine');
    expect(cells(1)).toEqual([
      '1',
      'failed',
      expect.stringMatching(/^\d\d:\d\d:\d\d\.000$/),
      expect.stringMatching(/^\d\d:\d\d:\d\d\.000$/),
      expect.stringMatching(/^\d\d:\d\d:\d\d\.250$/),
      '250 ms',
      'ZeroDivisionError: division by zero',
      'b'
    ]);
    expect([cells(2)[7], ...cells(2).slice(0, 2)]).toEqual(['c', '1', 'running']);
    expect(view.table.node.textContent).toContain(
      'f: 3 tasks, 1 done, 1 failed, 0 aborted, 1 running, 0 queued'
    );

    // live: one task's news repaints its row only, once a frame
    const changes: any[] = [];
    model.changed.connect((_, args) => changes.push(args));
    s.apply(
      deltaMessage(1, [
        taskRecord('c', 'done', { engine_id: 1, started: T0 + 2, completed: T0 + 3 })
      ])
    );
    s.apply(
      deltaMessage(2, [
        taskRecord('c', 'done', { engine_id: 1, started: T0 + 2, completed: T0 + 3.5 })
      ])
    );
    expect(changes).toEqual([]);
    await frame();
    expect(changes).toEqual([
      { type: 'cells-changed', region: 'body', row: 2, rowSpan: 1, column: 0, columnSpan: 8 }
    ]);
    expect(cells(2)[5]).toBe('1.500 s');
    // the rows themselves change (a map still growing): one reset
    s.apply(
      deltaMessage(3, [taskRecord('d', 'pending')], [resultRecord('r1', ['a', 'b', 'c', 'd'])])
    );
    await frame();
    expect(changes[1]).toEqual({ type: 'model-reset' });
    expect(model.rowCount('body')).toBe(4);
    view.dispose();
  });

  it("takes the grid's colours from the theme's variables, and again when the theme changes", async () => {
    document.body.style.setProperty('--jp-layout-color1', 'rgb(255, 255, 255)');
    const view = new TaskTableView({ source: sourceOf(store(), 2, 0) });
    expect(view.grid.style.backgroundColor).toBe('rgb(255, 255, 255)');
    expect(view.node.dataset.theme).toBe('light');
    document.body.style.setProperty('--jp-layout-color1', 'rgb(17, 17, 17)');
    document.body.dataset.jpThemeLight = 'false';
    document.body.dataset.jpThemeName = 'JupyterLab Dark';
    await frame();
    expect(view.grid.style.backgroundColor).toBe('rgb(17, 17, 17)');
    expect(view.node.dataset.theme).toBe('dark');
    view.dispose();
  });
});
