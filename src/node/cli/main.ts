#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { formatStreams, type OutputItem } from '../../core/outputs';
import { RemoteError } from '../../core/errors';
import { Client } from '../client';
import { clusterSnapshot } from '../clusterSnapshot';
import { type ICommandLine, parseArgs, USAGE, UsageError } from './args';
import { renderTop } from './topView';

/**
 * ipp-top: a `top` for ipyparallel (engines, queues, running and recent
 * tasks, rates, failures), `--json` for one snapshot, and `run` to execute
 * code on engines. Exit status 2 on bad usage or an unreachable controller,
 * never a hang: every wait is bounded by --timeout.
 */
async function main(argv: string[]): Promise<number> {
  let cmd: ICommandLine;
  try {
    cmd = parseArgs(argv);
  } catch (reason) {
    if (reason instanceof UsageError) {
      process.stderr.write(`ipp-top: ${reason.message}\n\n${USAGE}\n`);
      return 2;
    }
    throw reason;
  }
  if (cmd.command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  let client: Client;
  try {
    client = await Client.connect(cmd.connection);
  } catch (reason) {
    process.stderr.write(`ipp-top: ${(reason as Error).message}\n`);
    return 2;
  }
  try {
    if (cmd.command === 'run') {
      return await Private.run(client, cmd);
    }
    if (cmd.json) {
      const snap = await clusterSnapshot(client, { window: cmd.window });
      process.stdout.write(`${JSON.stringify(snap, null, 1)}\n`);
      return 0;
    }
    return await Private.live(client, cmd);
  } catch (reason) {
    process.stderr.write(`ipp-top: ${(reason as Error).message}\n`);
    return 2;
  } finally {
    client.close();
  }
}

namespace Private {
  /** Run the code, then print what it printed and returned, grouped. */
  export async function run(client: Client, cmd: ICommandLine): Promise<number> {
    const code = cmd.code === '-' ? readFileSync(0, 'utf8') : cmd.code!;
    const ar =
      cmd.targets === null
        ? client.loadBalancedView().execute(code, { silent: false })
        : client.directView(cmd.targets).execute(code, { silent: false });
    // a task that never answers must not hang the command: no limit on
    // the code's own run time, but the controller must stay there
    const ready = await ar.waitForOutput(-1);
    const items: OutputItem[] = ready ? await ar.displayOutputs(cmd.groupby) : [];
    process.stdout.write(formatStreams(items, 'stdout'));
    process.stderr.write(formatStreams(items, 'stderr'));
    for (const item of items) {
      if (item.kind === 'header' || item.kind === 'truncated') {
        process.stdout.write(`${item.text}\n`);
      } else if (item.kind === 'display' || item.kind === 'result') {
        const text = item.bundle.data['text/plain'];
        const shown = typeof text === 'string' ? text : JSON.stringify(item.bundle.data);
        // results carry no header when grouped by type: say whose they are
        const where =
          item.kind === 'result' && cmd.groupby === 'type' && ar.msgIds.length > 1
            ? `Out[${item.engineId}]: `
            : '';
        process.stdout.write(`${where}${shown}\n`);
      }
    }
    let status = 0;
    for (const t of ar.tasks()) {
      if (t?.status === 'error' && t.error) {
        const e = new RemoteError(t.error);
        process.stderr.write(
          `[${t.engine_id ?? '?'}:execute] ${e.ename}: ${e.evalue}\n${t.error.traceback}\n`
        );
        status = 1;
      } else if (t?.status === 'aborted') {
        process.stderr.write(`[${t.engine_id ?? '?'}:execute] aborted\n`);
        status = 1;
      }
    }
    return status;
  }

  /** Redraw every interval (and at once when engines come or go) until q or Ctrl-C. */
  export async function live(client: Client, cmd: ICommandLine): Promise<number> {
    const out = process.stdout;
    let note = '';
    let stop: () => void = () => undefined;
    const stopped = new Promise<void>(resolve => (stop = resolve));
    let timer: ReturnType<typeof setTimeout> | null = null;
    let drawing = false;
    const draw = async () => {
      if (drawing) {
        return;
      }
      drawing = true;
      try {
        const snap = await clusterSnapshot(client, { window: cmd.window });
        out.write(
          `\x1b[H\x1b[2J${renderTop(snap, { width: out.columns ?? 100, height: out.rows ?? 40, note })}\n`
        );
        note = '';
      } catch (reason) {
        note = `no answer from the controller: ${(reason as Error).message}`;
        out.write(`\x1b[H\x1b[2Jipp-top: ${note}\n`);
      } finally {
        drawing = false;
      }
    };
    const loop = async () => {
      await draw();
      timer = setTimeout(() => void loop(), cmd.interval * 1000);
    };
    client.enginesChanged.connect((_, e) => {
      note =
        e.event === 'shutdown'
          ? 'the controller shut down'
          : `engine ${e.id} ${e.event === 'register' ? 'joined' : 'left'}`;
      if (e.event === 'shutdown') {
        stop();
      } else {
        void draw();
      }
    });
    const stdin = process.stdin;
    if (stdin.isTTY) {
      stdin.setRawMode(true);
      stdin.resume();
      stdin.on('data', key => {
        const k = key.toString();
        if (k === 'q' || k === '\x03') {
          stop();
        }
      });
    }
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    void loop();
    await stopped;
    if (timer !== null) {
      clearTimeout(timer);
    }
    if (stdin.isTTY) {
      stdin.setRawMode(false);
      stdin.pause();
    }
    return 0;
  }
}

// `ipp-top --json | head` closes the pipe early: that is not an error
process.stdout.on('error', (reason: NodeJS.ErrnoException) => {
  if (reason.code === 'EPIPE') {
    process.exit(0);
  }
  throw reason;
});

main(process.argv.slice(2)).then(
  code => {
    process.exitCode = code;
  },
  reason => {
    process.stderr.write(`ipp-top: ${(reason as Error).stack ?? String(reason)}\n`);
    process.exitCode = 2;
  }
);
