/** Stores, bars and fakes shared by the widget tests. */
import { nullTranslator } from '@jupyterlab/translation';
import { type IRequester, TaskStore } from 'jupyterlab-asyncresult-node/core';
import {
  deltaMessage,
  resultRecord,
  snapshotMessage,
  taskRecord
} from '../../../packages/asyncresult-node/src/core/__tests__/builders';
import { ProgressBar } from '../progressBar';
import { ProgressFollower } from '../progressFollower';

export const trans = nullTranslator.load('jupyterlab-asyncresult');

/** A store whose kernel clock is now, with result r1 over `n` pending tasks. */
export function pendingStore(n: number): TaskStore {
  const now = Date.now() / 1000;
  const tasks = Array.from({ length: n }, (_, i) =>
    taskRecord(`m${i}`, 'pending', { submitted: now - 10 })
  );
  const store = new TaskStore();
  store.apply(
    snapshotMessage(
      0,
      [
        resultRecord(
          'r1',
          tasks.map(t => t.msg_id),
          { fname: 'slow' }
        )
      ],
      tasks,
      {
        clock: now
      }
    )
  );
  return store;
}

export function finish(
  store: TaskStore,
  seq: number,
  ids: number[],
  status: 'done' | 'error' | 'aborted' = 'done'
) {
  const now = Date.now() / 1000;
  store.apply(
    deltaMessage(
      seq,
      ids.map(i =>
        taskRecord(`m${i}`, status, { engine_id: i % 2, submitted: now - 10, completed: now })
      ),
      [],
      [],
      { clock: now }
    )
  );
}

export function text(bar: ProgressBar, part: string): string {
  return bar.node.querySelector(`.jp-AsyncResultProgress-${part}`)!.textContent!;
}

export class FakeRequester implements IRequester {
  calls: Array<[string, Record<string, unknown> | undefined]> = [];
  answer: () => Promise<unknown> = () => Promise.resolve({ status: 'ok' });
  request(op: string, args?: Record<string, unknown>): Promise<unknown> {
    this.calls.push([op, args]);
    return this.answer();
  }
}

/** A bar following result r1 of `store`, with a fake requester for Abort. */
export function follow(
  store: TaskStore,
  extra: Partial<ProgressFollower.IOptions> = {}
): { bar: ProgressBar; follower: ProgressFollower; requester: FakeRequester } {
  const bar = new ProgressBar(trans);
  const requester = (extra.requester as FakeRequester) ?? new FakeRequester();
  const follower = new ProgressFollower({
    store,
    requester,
    bar,
    trans,
    resultIds: ['r1'],
    label: 'slow',
    ...extra
  });
  return { bar, follower, requester };
}

export function abortButton(bar: ProgressBar): HTMLButtonElement {
  return bar.node.querySelector<HTMLButtonElement>('.jp-AsyncResultProgress-abort')!;
}
