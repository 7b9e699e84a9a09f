import type { IClusterSnapshot, ITaskRow } from '../clusterSnapshot';

/**
 * The live view's screen for one snapshot, as plain text lines cut to
 * `width` columns and `height` rows: a summary, the engines and their
 * queues, running tasks, then recent ones.
 */
export function renderTop(
  snap: IClusterSnapshot,
  options: { width?: number; height?: number; note?: string } = {}
): string {
  const width = options.width ?? 100;
  const height = options.height ?? 40;
  const lines: string[] = [];
  const now = snap.time;
  const busy = snap.engines.filter(e => e.state === 'busy').length;
  const dead = snap.engines.filter(e => e.state === 'dead').length;
  const running = snap.running.filter(t => t.status === 'running').length;
  lines.push(
    `ipp-top  ${new Date(now * 1000).toISOString().slice(11, 19)}  ${snap.connection_file}`,
    `engines ${snap.engines.length - dead} (${busy} busy${dead ? `, ${dead} dead` : ''})  running ${running}` +
      `  queued ${snap.running.filter(t => t.status === 'pending').length}  unassigned ${snap.unassigned}` +
      `  done/s ${snap.current_rate.toFixed(1)} now, ${snap.rate.toFixed(1)} avg` +
      `  failures ${snap.failures} (last ${snap.window}s)`,
    options.note ?? '',
    Private.row(['ENGINE', 'STATE', 'QUEUE', 'TASKS', 'COMPLETED', 'NOW RUNNING'], Private.ENGINE)
  );
  for (const e of snap.engines) {
    const gone = e.state === 'dead';
    lines.push(
      Private.row(
        [
          String(e.id),
          e.state,
          gone ? '-' : String(e.queue),
          gone ? '-' : String(e.tasks),
          String(e.completed),
          e.running ? Private.describe(e.running, snap, now) : '-'
        ],
        Private.ENGINE
      )
    );
  }
  lines.push(
    '',
    Private.row(['STATUS', 'ENGINE', 'TIME', 'KIND', 'MSG_ID / LABEL / ERROR'], [8, 6, 8, 8, 0])
  );
  const tasks = [...snap.running, ...snap.recent];
  for (const t of tasks.slice(0, Math.max(0, height - lines.length - 1))) {
    const time =
      t.completed !== null && t.started !== null
        ? t.completed - t.started
        : t.started !== null
          ? now - t.started
          : null;
    lines.push(
      Private.row(
        [
          t.status,
          t.engine_id === null ? '-' : String(t.engine_id),
          time === null ? '-' : `${time.toFixed(2)}s`,
          t.kind,
          [t.msg_id, t.label, t.error].filter(Boolean).join('  ')
        ],
        [8, 6, 8, 8, 0]
      )
    );
  }
  if (tasks.length === 0) {
    lines.push('(no tasks in the window)');
  }
  return lines.map(l => (l.length > width ? l.slice(0, width - 1) + '…' : l)).join('\n');
}

namespace Private {
  export function row(cells: string[], widths: number[]): string {
    return cells.map((c, i) => (widths[i] ? c.padEnd(widths[i]) : c)).join(' ');
  }

  export const ENGINE = [6, 6, 6, 6, 10, 0];

  /** What an engine runs: for how long, what kind of task, which one. */
  export function describe(
    running: { msg_id: string; started: number },
    snap: IClusterSnapshot,
    now: number
  ): string {
    const t: ITaskRow | undefined = snap.running.find(r => r.msg_id === running.msg_id);
    const elapsed = `${Math.max(0, now - running.started).toFixed(1)}s`;
    const label = t?.label ? ` (${t.label})` : '';
    return `${elapsed} ${t?.kind ?? 'task'} ${running.msg_id}${label}`;
  }
}
