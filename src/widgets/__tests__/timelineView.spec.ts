import { Signal } from '@lumino/signaling';
import { type ITaskSource, TaskStore } from 'jupyterlab-asyncresult-node/core';
import {
  deltaMessage,
  resultRecord,
  snapshotMessage,
  taskRecord
} from '../../../packages/asyncresult-node/src/core/__tests__/builders';
import { TimelineView } from '../timelineView';

function source(store: TaskStore): ITaskSource & { disposed: Signal<any, void> } {
  return {
    id: 'k1',
    store,
    state: 'live',
    detail: '',
    supportsSubshells: true,
    stateChanged: new Signal<object, any>({}),
    disposed: new Signal<object, void>({}),
    isDisposed: false,
    request: () => Promise.reject(new Error('none'))
  } as any;
}

describe('TimelineView', () => {
  beforeAll(() => {
    // jsdom draws nothing: the view must still say what it shows
    jest.spyOn(HTMLCanvasElement.prototype, 'getContext').mockReturnValue(null);
  });

  it('says per engine what its lane shows, and follows the store', () => {
    const store = new TaskStore();
    store.apply(
      snapshotMessage(
        0,
        [resultRecord('r1', ['a', 'b', 'c'])],
        [
          taskRecord('a', 'done', { engine_id: 0, started: 10, completed: 12 }),
          taskRecord('b', 'running', { engine_id: 1, started: 11 }),
          taskRecord('c', 'pending')
        ],
        { clock: 20 }
      )
    );
    const src = source(store);
    const view = new TimelineView({ source: src });
    view.draw();
    expect(view.node.dataset.lanes).toBe('2');
    expect(JSON.parse(view.node.dataset.summary!)).toEqual([
      { engine: 0, tasks: 1, running: 0, failed: 0, first: 10, last: 12 },
      { engine: 1, tasks: 1, running: 1, failed: 0, first: 11, last: null }
    ]);
    const canvas = view.node.querySelector('.jp-AsyncResultTimeline-canvas')!;
    expect(canvas.getAttribute('aria-label')).toBe(
      'engine 0: 1 tasks, 0 running, 0 failed; engine 1: 1 tasks, 1 running, 0 failed'
    );
    expect(view.node.textContent).toContain('2 engines, 2 tasks, 1 running');

    store.apply(
      deltaMessage(
        1,
        [
          taskRecord('b', 'error', { engine_id: 1, started: 11, completed: 15 }),
          taskRecord('c', 'done', { engine_id: 0, started: 13, completed: 14 })
        ],
        [],
        [],
        { clock: 21 }
      )
    );
    view.draw();
    expect(JSON.parse(view.node.dataset.summary!)).toEqual([
      { engine: 0, tasks: 2, running: 0, failed: 0, first: 10, last: 14 },
      { engine: 1, tasks: 1, running: 0, failed: 1, first: 11, last: 15 }
    ]);

    (src as any).isDisposed = true;
    src.disposed.emit();
    view.draw();
    expect(view.node.textContent).toContain('The kernel of this timeline is gone');
    view.dispose();
  });
});
