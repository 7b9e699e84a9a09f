import type { IErrorInfo, ITaskRecord } from './protocol';

/** ipyparallel's per-task metadata, as far as the bridge reports it. */
export interface ITaskMetadata {
  msg_id: string;
  engine_id: number | null;
  engine_uuid: string | null;
  status: string | null;
  submitted: number | null;
  started: number | null;
  completed: number | null;
  received: number | null;
  error: IErrorInfo | null;
}

/** ipyparallel's reply status words for our task statuses. */
const replyStatus: Record<string, string | null> = {
  done: 'ok',
  error: 'error',
  aborted: 'aborted'
};

/** ipyparallel's metadata of one task from its record. */
export function metadataOf(t: ITaskRecord | undefined, msgId: string): ITaskMetadata {
  return {
    msg_id: msgId,
    engine_id: t?.engine_id ?? null,
    engine_uuid: t?.engine_uuid ?? null,
    status: t ? (replyStatus[t.status] ?? null) : null,
    submitted: t?.submitted ?? null,
    started: t?.started ?? null,
    completed: t?.completed ?? null,
    received: t?.received ?? null,
    error: t?.error ?? null
  };
}
