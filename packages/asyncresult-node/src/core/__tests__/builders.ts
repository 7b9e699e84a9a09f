/** Protocol messages and stores for tests, built with defaults. */
import { Signal } from '@lumino/signaling';
import type { IDeltaMessage, IResultRecord, ISnapshotMessage, ITaskRecord } from '../protocol';
import type { ITaskSource } from '../taskSources';
import { TaskStore } from '../taskStore';

/**
 * A live task source over `store` whose requests `request` answers (none
 * by default); `extra` overrides any field (state, busy, ...).
 */
export function fakeSource(
  store: TaskStore,
  extra: Partial<ITaskSource> = {},
  request: (op: string, args?: unknown) => Promise<unknown> = () =>
    Promise.reject(new Error('no requests in this test'))
): ITaskSource {
  return {
    id: 'k1',
    store,
    state: 'live',
    detail: '',
    supportsSubshells: true,
    busy: false,
    lostWork: '',
    stateChanged: new Signal<object, any>({}),
    disposed: new Signal<object, void>({}),
    isDisposed: false,
    request,
    ...extra
  } as ITaskSource;
}

/** A result record over `msgIds`. */
export function resultRecord(
  id: string,
  msgIds: string[],
  extra: Partial<IResultRecord> = {}
): IResultRecord {
  return {
    id,
    kind: 'AsyncResult',
    fname: 'f',
    label: null,
    msg_ids: msgIds,
    targets: null,
    cell_id: null,
    parent_msg_id: null,
    created: 0,
    ...extra
  };
}

/** A snapshot message. */
export function snapshotMessage(
  seq: number,
  results: IResultRecord[] = [],
  tasks: ITaskRecord[] = [],
  extra: Partial<ISnapshotMessage> = {}
): ISnapshotMessage {
  return {
    v: 1,
    type: 'snapshot',
    seq,
    clock: Date.now() / 1000,
    results,
    tasks,
    reply_to: null,
    bridge: { version: '0.1.0', ipyparallel: '9.2.0' },
    ...extra
  };
}

/** A delta message. */
export function deltaMessage(
  seq: number,
  tasks: ITaskRecord[] = [],
  results: IResultRecord[] = [],
  removed: string[] = [],
  extra: Partial<IDeltaMessage> = {}
): IDeltaMessage {
  return {
    v: 1,
    type: 'delta',
    seq,
    clock: Date.now() / 1000,
    results,
    tasks,
    removed,
    ...extra
  };
}

/** A store holding one result 'r1' of `kind` over `tasks`. */
export function storeWithResult(
  kind: IResultRecord['kind'],
  tasks: ITaskRecord[],
  extra: Partial<IResultRecord> = {},
  clock = Date.now() / 1000
): TaskStore {
  const store = new TaskStore();
  store.apply(
    snapshotMessage(
      0,
      [
        resultRecord(
          'r1',
          tasks.map(t => t.msg_id),
          { kind, ...extra }
        )
      ],
      tasks,
      { clock }
    )
  );
  return store;
}

/** A task record; times are kernel seconds. */
export function taskRecord(
  msgId: string,
  status: ITaskRecord['status'],
  extra: Partial<ITaskRecord> = {}
): ITaskRecord {
  return {
    msg_id: msgId,
    status,
    engine_id: null,
    engine_uuid: null,
    submitted: null,
    started: null,
    completed: null,
    received: null,
    ...extra
  };
}
