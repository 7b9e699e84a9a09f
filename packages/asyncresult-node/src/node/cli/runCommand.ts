import { readFileSync } from 'node:fs';
import { engineRanges, formatStreams, type OutputItem } from '../../core/outputs';
import type { AsyncResult } from '../../core/asyncResult';
import { FINISHED, type ITaskRecord } from '../../core/protocol';
import type { Client } from '../client';
import type { ICommandLine } from './args';

/**
 * `ipp-top run CODE`: run the code, then print what it printed and
 * returned, grouped as asked (or, with --json, one JSON document). Exit
 * status 0 when every task succeeded, 1 when one failed or was aborted,
 * 2 when tasks were lost (the controller stopped answering).
 */
export async function runCommand(client: Client, cmd: ICommandLine): Promise<number> {
  const code = cmd.code === '-' ? readFileSync(0, 'utf8') : cmd.code!;
  const ar =
    cmd.targets === null
      ? client.loadBalancedView().execute(code, { silent: false })
      : client.directView(cmd.targets).execute(code, { silent: false });
  // no limit on the code's own run time, but the controller must keep
  // answering: the wait ends (false) as soon as it does not
  await ar.waitForOutput(-1);
  const tasks = ar.tasks() as Array<ITaskRecord | undefined>;
  const lost = tasks.filter(t => !t || !FINISHED.has(t.status));
  if (cmd.json) {
    process.stdout.write(`${JSON.stringify(Private.json(client, ar, lost.length > 0), null, 1)}\n`);
  } else {
    await Private.print(ar, cmd, lost.length > 0);
  }
  if (lost.length) {
    const why = client.store.controller.ok
      ? 'the controller stopped answering'
      : client.store.controller.detail;
    process.stderr.write(
      `ipp-top: ${why}: ${lost.length} of ${tasks.length} tasks lost, their results unknown ` +
        `(${lost.map((t, i) => t?.msg_id ?? ar.msgIds[i]).join(', ')})\n`
    );
    return 2;
  }
  return tasks.some(t => t!.status !== 'done') ? 1 : 0;
}

namespace Private {
  /** Terminal colours: kept for a terminal, dropped for a pipe or a file. */
  export function plain(text: string, stream: NodeJS.WriteStream): string {
    // eslint-disable-next-line no-control-regex
    return stream.isTTY ? text : text.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
  }

  /** Outputs grouped by type (streams, then results), by engine or in order. */
  export async function print(ar: AsyncResult, cmd: ICommandLine, partial: boolean): Promise<void> {
    let items: OutputItem[] = [];
    try {
      items = await ar.displayOutputs(cmd.groupby);
    } catch (reason) {
      if (!partial) {
        throw reason;
      }
    }
    const out = process.stdout;
    const err = process.stderr;
    // by type: all stdout, all stderr, then results; by engine or order:
    // each engine's streams and results together
    // (merge comes in type's order; first is one engine's outputs)
    const byType = cmd.groupby === 'type' || cmd.groupby === 'merge';
    const groups: OutputItem[][] = [];
    for (const item of items) {
      const last = groups[groups.length - 1];
      if (!byType && last && last[0].engineId === item.engineId) {
        last.push(item);
      } else if (byType && last) {
        last.push(item);
      } else {
        groups.push([item]);
      }
    }
    for (const group of groups) {
      out.write(plain(formatStreams(group, 'stdout'), out));
      err.write(plain(formatStreams(group, 'stderr'), err));
      for (const item of group) {
        if (item.kind === 'header' || item.kind === 'truncated' || item.kind === 'hidden') {
          out.write(`${item.text}\n`);
        } else if (item.kind === 'display' || item.kind === 'result') {
          const text = item.bundle.data['text/plain'];
          const shown = typeof text === 'string' ? text : JSON.stringify(item.bundle.data);
          // results carry no header when grouped by type: say whose they are
          const where =
            item.kind === 'result' && byType && ar.msgIds.length > 1
              ? `Out[${item.engines ? engineRanges(item.engines) : item.engineId}]: `
              : '';
          out.write(`${where}${plain(shown, out)}\n`);
        }
      }
    }
    for (const t of ar.tasks()) {
      if (t?.status === 'error' && t.error) {
        err.write(
          plain(
            `[${t.engine_id ?? '?'}:execute] ${t.error.ename}: ${t.error.evalue}\n${t.error.traceback}\n`,
            err
          )
        );
      } else if (t?.status === 'aborted') {
        err.write(`[${t.engine_id ?? '?'}:execute] aborted\n`);
      }
    }
  }

  /** One JSON document for scripts: every task's status, streams, result and error. */
  export function json(client: Client, ar: AsyncResult, partial: boolean) {
    return {
      ok: !partial && ar.tasks().every(t => t?.status === 'done'),
      lost: partial,
      tasks: ar.msgIds.map(msgId => {
        const t = client.book.task(msgId);
        const r = t?.record;
        return {
          msg_id: msgId,
          engine_id: r?.engine_id ?? null,
          status: r?.status ?? 'unknown',
          stdout: t?.stdout ?? '',
          stderr: t?.stderr ?? '',
          result: t?.executeResult?.data ?? null,
          displays: t?.outputs.map(o => o.data) ?? [],
          error: r?.error
            ? {
                ...r.error,
                // eslint-disable-next-line no-control-regex -- ANSI colour codes, for scripts
                traceback: r.error.traceback.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '')
              }
            : null
        };
      })
    };
  }
}
