import type { Client } from './client';
import type { HubQueries } from './hubQueries';
import { wireTime } from './wireTime';

/** One engine in a snapshot: its queues as the hub counts them. */
export interface IEngineRow {
  id: number;
  uuid: string | null;
  /** Direct (mux) tasks waiting or running on it. */
  queue: number;
  /** Load-balanced tasks assigned to it, not finished. */
  tasks: number;
  completed: number;
}

/** A task in a snapshot, from the hub's records. */
export interface ITaskRow {
  msg_id: string;
  engine_id: number | null;
  /** pending (not started), running, done, error or aborted. */
  status: string;
  kind: string;
  label: string | null;
  submitted: number | null;
  started: number | null;
  completed: number | null;
  /** What it raised, for failures: `ename: evalue`. */
  error: string | null;
}

/** What the cluster is doing now, as `ipp-top` shows it and `--json` prints it. */
export interface IClusterSnapshot {
  time: number;
  connection_file: string;
  /** The hub's `queue_status()`, as ipyparallel's Python client returns it. */
  queue_status: HubQueries.IQueueStatus;
  engines: IEngineRow[];
  unassigned: number;
  /** Unfinished tasks: running first, then queued, oldest first. */
  running: ITaskRow[];
  /** Tasks finished in the last `window` seconds, newest first. */
  recent: ITaskRow[];
  window: number;
  /** Tasks finished per second over the window. */
  rate: number;
  /** Failed tasks in the window. */
  failures: number;
}

/**
 * Ask the hub for what the cluster is doing: queue status, unfinished tasks
 * and those finished in the last `window` seconds (all clients' tasks).
 */
export async function clusterSnapshot(
  client: Client,
  options: { window?: number; limit?: number } = {}
): Promise<IClusterSnapshot> {
  const window = options.window ?? 60;
  const limit = options.limit ?? 1000;
  const now = Date.now() / 1000;
  const since = new Date((now - window) * 1000).toISOString();
  const keys = ['header', 'submitted', 'started', 'completed', 'engine_uuid', 'label'];
  const [status, open, done] = await Promise.all([
    client.hub.queueStatus(null, false),
    client.hub.dbQuery({ completed: { $exists: false } }, keys),
    client.hub.dbQuery({ completed: { $gte: since } }, [...keys, 'result_content'])
  ]);
  const engines: IEngineRow[] = [];
  for (const [key, value] of Object.entries(status)) {
    if (key === 'unassigned' || typeof value !== 'object' || Array.isArray(value)) {
      continue;
    }
    const q = value as HubQueries.IEngineQueue;
    engines.push({
      id: Number(key),
      uuid: client.engineUuid(Number(key)) ?? null,
      queue: Number(q.queue),
      tasks: Number(q.tasks),
      completed: Number(q.completed)
    });
  }
  engines.sort((a, b) => a.id - b.id);
  const row = (rec: Record<string, any>): ITaskRow => Private.row(client, rec);
  const running = open
    .map(row)
    .sort(
      (a, b) =>
        Number(b.status === 'running') - Number(a.status === 'running') ||
        (a.submitted ?? 0) - (b.submitted ?? 0)
    );
  const recent = done.map(row).sort((a, b) => (b.completed ?? 0) - (a.completed ?? 0));
  return {
    time: now,
    connection_file: client.transport.info.path,
    queue_status: status,
    engines,
    unassigned: Number(status.unassigned),
    running: running.slice(0, limit),
    recent: recent.slice(0, limit),
    window,
    rate: recent.length / window,
    failures: recent.filter(r => r.status === 'error').length
  };
}

namespace Private {
  export function row(client: Client, rec: Record<string, any>): ITaskRow {
    const content =
      typeof rec.result_content === 'string' ? JSON.parse(rec.result_content) : rec.result_content;
    const uuid = rec.engine_uuid ?? null;
    const completed = wireTime(rec.completed);
    let status = rec.started ? 'running' : 'pending';
    if (completed !== null) {
      status =
        content?.status === 'ok' ? 'done' : content?.status === 'aborted' ? 'aborted' : 'error';
    }
    const type: string = rec.header?.msg_type ?? '';
    return {
      msg_id: rec.msg_id,
      engine_id: uuid ? client.engineId(uuid) : null,
      status,
      kind: type.replace(/_request$/, ''),
      label: rec.label ?? null,
      submitted: wireTime(rec.submitted),
      started: wireTime(rec.started),
      completed,
      error:
        status === 'error' && content
          ? `${content.ename ?? 'Error'}: ${content.evalue ?? ''}`
          : null
    };
  }
}
