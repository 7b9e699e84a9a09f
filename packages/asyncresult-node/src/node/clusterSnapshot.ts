import type { EngineActivity } from './engineActivity';
import type { HubQueries } from './hubQueries';
import { wireTime } from './wireTime';

/** What a snapshot is made from: the hub's answers and what the client saw itself. */
export interface ISnapshotSource {
  readonly hub: Pick<HubQueries, 'queueStatus' | 'dbQuery'>;
  /** What each engine runs now, from iopub. */
  readonly activity: Pick<EngineActivity, 'running' | 'hasSeen'>;
  /** Engines that left or died: id -> uuid. */
  readonly deadEngines: ReadonlyMap<number, string>;
  /** The connection file the client read. */
  readonly connectionFile: string;
  engineId(uuid: string): number | null;
  engineUuid(id: number): string | undefined;
}

/** One engine in a snapshot: its queues as the hub counts them. */
export interface IEngineRow {
  id: number;
  uuid: string | null;
  /** busy while it runs a task (seen on iopub) or holds queued ones; dead once it left. */
  state: 'idle' | 'busy' | 'dead';
  /** The task it runs now, since `started` (seconds since the epoch). */
  running: { msg_id: string; started: number } | null;
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
  /** Tasks finished per second over the last few seconds (`current_span`). */
  current_rate: number;
  current_span: number;
  /** Failed tasks in the window. */
  failures: number;
}

/**
 * Ask the hub for what the cluster is doing: queue status, unfinished tasks
 * and those finished in the last `window` seconds (all clients' tasks).
 */
export async function clusterSnapshot(
  client: ISnapshotSource,
  options: { window?: number; limit?: number } = {}
): Promise<IClusterSnapshot> {
  const window = options.window ?? 60;
  const limit = options.limit ?? 1000;
  const now = Date.now() / 1000;
  const since = new Date((now - window) * 1000).toISOString();
  const keys = ['header', 'submitted', 'started', 'completed', 'engine_uuid', 'label'];
  // queries that DictDB, SQLiteDB and MongoDB all answer: DictDB compares
  // an unfinished task's completed=None with a date and fails, unless
  // $ne null comes first (it stops at the first failing test); SQLiteDB
  // knows no $exists
  const [status, open, done] = await Promise.all([
    client.hub.queueStatus(null, false),
    client.hub.dbQuery({ completed: null }, keys),
    client.hub.dbQuery({ completed: { $ne: null, $gte: since } }, [...keys, 'result_content'])
  ]);
  const busyWith = new Map<string, { engine: number; started: number }>();
  for (const [engine, r] of client.activity.running()) {
    busyWith.set(r.msgId, { engine, started: r.started });
  }
  const engines: IEngineRow[] = [];
  for (const [key, value] of Object.entries(status)) {
    if (key === 'unassigned' || typeof value !== 'object' || Array.isArray(value)) {
      continue;
    }
    const q = value as HubQueries.IEngineQueue;
    const id = Number(key);
    const current = client.activity.running().get(id);
    const dead = client.deadEngines.has(id);
    const queued = Number(q.queue) + Number(q.tasks);
    engines.push({
      id,
      uuid: client.engineUuid(id) ?? client.deadEngines.get(id) ?? null,
      state: dead ? 'dead' : current || queued > 0 ? 'busy' : 'idle',
      running: current && !dead ? { msg_id: current.msgId, started: current.started } : null,
      queue: Number(q.queue),
      tasks: Number(q.tasks),
      completed: Number(q.completed)
    });
  }
  // the hub may still list a dead engine for a while, or no longer: show it either way
  for (const [id, uuid] of client.deadEngines) {
    if (!engines.some(e => e.id === id)) {
      engines.push({ id, uuid, state: 'dead', running: null, queue: 0, tasks: 0, completed: 0 });
    }
  }
  engines.sort((a, b) => a.id - b.id);
  const row = (rec: Record<string, any>): ITaskRow => Private.row(client, rec, busyWith);
  const running = open.map(row);
  Private.inferRunning(client, running);
  running.sort(
    (a, b) =>
      Number(b.status === 'running') - Number(a.status === 'running') ||
      (a.submitted ?? 0) - (b.submitted ?? 0)
  );
  const recent = done.map(row).sort((a, b) => (b.completed ?? 0) - (a.completed ?? 0));
  const span = Math.min(Private.CURRENT_SPAN, window);
  const lately = recent.filter(r => (r.completed ?? 0) >= now - span).length;
  return {
    time: now,
    connection_file: client.connectionFile,
    queue_status: status,
    engines,
    unassigned: Number(status.unassigned),
    running: running.slice(0, limit),
    recent: recent.slice(0, limit),
    window,
    rate: recent.length / window,
    current_rate: lately / span,
    current_span: span,
    failures: recent.filter(r => r.status === 'error').length
  };
}

namespace Private {
  /** Seconds over which the current rate is counted. */
  export const CURRENT_SPAN = 5;

  /**
   * An engine we have not seen start or end a task since we connected runs
   * the oldest unfinished task the hub assigned to it (an engine runs its
   * tasks one at a time, in order): say so, with its start time unknown.
   */
  export function inferRunning(client: ISnapshotSource, open: ITaskRow[]): void {
    const known = new Set(open.filter(t => t.status === 'running').map(t => t.engine_id));
    const oldestFirst = [...open].sort((a, b) => (a.submitted ?? 0) - (b.submitted ?? 0));
    for (const t of oldestFirst) {
      const engine = t.engine_id;
      if (engine === null || known.has(engine) || client.activity.hasSeen(engine)) {
        continue;
      }
      if (client.deadEngines.has(engine)) {
        continue;
      }
      known.add(engine);
      t.status = 'running';
    }
  }

  export function row(
    client: ISnapshotSource,
    rec: Record<string, any>,
    busyWith: Map<string, { engine: number; started: number }>
  ): ITaskRow {
    const content =
      typeof rec.result_content === 'string' ? JSON.parse(rec.result_content) : rec.result_content;
    const uuid = rec.engine_uuid ?? null;
    const completed = wireTime(rec.completed);
    // the hub fills `started` only once a task completes: iopub knows sooner
    const busy = completed === null ? busyWith.get(rec.msg_id) : undefined;
    let status = rec.started || busy ? 'running' : 'pending';
    if (completed !== null) {
      status =
        content?.status === 'ok' ? 'done' : content?.status === 'aborted' ? 'aborted' : 'error';
    }
    const type: string = rec.header?.msg_type ?? '';
    return {
      msg_id: rec.msg_id,
      engine_id: uuid ? client.engineId(uuid) : (busy?.engine ?? null),
      status,
      kind: type.replace(/_request$/, ''),
      label: rec.label ?? null,
      submitted: wireTime(rec.submitted),
      started: wireTime(rec.started) ?? busy?.started ?? null,
      completed,
      error:
        status === 'error' && content
          ? `${content.ename ?? 'Error'}: ${content.evalue ?? ''}`
          : null
    };
  }
}
