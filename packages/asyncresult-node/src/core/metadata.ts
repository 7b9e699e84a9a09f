import type { IErrorInfo, ITaskRecord } from './protocol';

/**
 * ipyparallel's per-task metadata, from the task record the bridge keeps
 * current: every key but the big ones (streams, displays, data), which
 * `IFullMetadata` adds when fetched on demand.
 */
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
  label: string | null;
  follow: string[] | null;
  after: string[] | null;
  is_broadcast: boolean;
  is_coalescing: boolean;
}

/**
 * Every key of ipyparallel's metadata, as the bridge's `get_metadata` gives
 * it: the streams (their last 100,000 characters), displays, the
 * execute_input / execute_result of `execute` tasks and published data.
 */
export interface IFullMetadata extends ITaskMetadata {
  stdout: string;
  stderr: string;
  outputs: Array<{ data: Record<string, unknown>; metadata: Record<string, unknown> }>;
  execute_input: string | null;
  execute_result: Record<string, unknown> | null;
  /** Values published with `ipyparallel.datapub`, each decoded like a result. */
  data: Record<string, unknown>;
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
    error: t?.error ?? null,
    label: t?.label ?? null,
    follow: t?.follow ?? null,
    after: t?.after ?? null,
    is_broadcast: t?.is_broadcast ?? false,
    is_coalescing: t?.is_coalescing ?? false
  };
}
