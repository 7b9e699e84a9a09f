import { type ITaskRecord, TASK_STATUSES, type TaskRow } from './protocol';

/**
 * The whole task record a wire row stands for (docs/protocol.md, "Task
 * rows"): `engines` maps engine ids to uuids, `previous` is the record it
 * replaces, whose error a row without one keeps.
 */
export function decodeTaskRow(
  msgId: string,
  row: TaskRow,
  t0: number,
  engines: ReadonlyMap<number, string>,
  previous?: ITaskRecord
): ITaskRecord {
  const status = TASK_STATUSES[row[1]];
  const engine = row[2];
  const time = (us: number | null) => (us === null ? null : t0 + us / 1e6);
  let error = row[9] ?? null;
  const extras = row[10] ?? {};
  if (!error && status === 'error') {
    error = previous?.error ?? null;
  }
  return {
    msg_id: msgId,
    status,
    error,
    output_done: row[7] === 1,
    stream_size: row[8],
    engine_id: engine,
    engine_uuid: engine === null ? null : (engines.get(engine) ?? null),
    submitted: time(row[3]),
    started: time(row[4]),
    completed: time(row[5]),
    received: time(row[6]),
    label: extras.label ?? null,
    // None until the reply, a list after it, as in ipyparallel
    follow: extras.follow === undefined ? (row[6] === null ? null : []) : extras.follow,
    after: extras.after === undefined ? (row[6] === null ? null : []) : extras.after,
    is_broadcast: extras.is_broadcast ?? false,
    is_coalescing: extras.is_coalescing ?? false
  };
}
