#!/usr/bin/env node
import { Client } from '../client';
import { clusterSnapshot } from '../clusterSnapshot';
import { type ICommandLine, parseArgs, USAGE, UsageError } from './args';
import { liveView } from './liveView';
import { runCommand } from './runCommand';

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
      return await runCommand(client, cmd);
    }
    if (cmd.json) {
      const snap = await clusterSnapshot(client, { window: cmd.window });
      process.stdout.write(`${JSON.stringify(snap, null, 1)}\n`);
      return 0;
    }
    return await liveView(client, cmd);
  } catch (reason) {
    process.stderr.write(`ipp-top: ${(reason as Error).message}\n`);
    return 2;
  } finally {
    client.close();
  }
}

// `ipp-top --json | head` closes the pipe early: that is not an error
process.stdout.on('error', (reason: NodeJS.ErrnoException) => {
  if (reason.code === 'EPIPE') {
    process.exit(0);
  }
  throw reason;
});

// exit at once when done: stdin, which the live view read, or a refresh
// abandoned on a controller that does not answer must not keep us alive
// (stdout and stderr are synchronous for files, pipes and terminals on Linux)
main(process.argv.slice(2)).then(
  code => process.exit(code),
  reason => {
    process.stderr.write(`ipp-top: ${(reason as Error).stack ?? String(reason)}\n`);
    process.exit(2);
  }
);
