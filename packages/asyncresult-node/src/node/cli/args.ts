import { type GroupBy, GROUPINGS } from '../../core/outputs';
import type { Client } from '../client';

/** What the command line asked for. */
export interface ICommandLine {
  command: 'top' | 'run' | 'help';
  connection: Client.IOptions;
  json: boolean;
  /** Seconds between refreshes of the live view. */
  interval: number;
  /** Seconds of history for recent tasks and rates. */
  window: number;
  /** `run`: engines, or null for load-balanced. */
  targets: 'all' | number[] | null;
  groupby: GroupBy;
  code: string | null;
}

/** The usage text. */
export const USAGE = `Usage:
  ipp-top [options]              a live view of an ipyparallel cluster (q quits)
  ipp-top --json [options]       print one snapshot as JSON and exit
  ipp-top run [options] CODE     run Python CODE on engines, print grouped outputs
                                 (CODE - reads it from stdin)

Where the controller is (as ipyparallel's Client):
  --file PATH          ipcontroller-client.json
  --profile NAME       profile (default "default") in $IPYTHONDIR (default ~/.ipython)
  --profile-dir DIR    profile directory
  --cluster-id ID      cluster id (ipcontroller-ID-client.json)
  --timeout S          seconds to wait for the controller (default 10)

Live view and --json:
  --interval S         refresh every S seconds (default 1)
  --window S           recent tasks and rates over the last S seconds (default 60)

run:
  --targets LIST       engine ids, e.g. 0,2, -1 (the last) or all (default all)
  --balanced           one task on whichever engine the scheduler picks
  --groupby KIND       type, engine, order, merge or first (default type)
  --json               print every task's status, streams, result and error as JSON

q or Ctrl-C quits the live view at once.
Exit status: 0 ok, 1 a task failed (run), 2 bad usage, no controller, or
tasks lost because the controller stopped answering (run), 130 Ctrl-C.`;

/** A command line that makes no sense, with why. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Parse argv (without node and the script). */
export function parseArgs(argv: string[]): ICommandLine {
  const out: ICommandLine = {
    command: 'top',
    connection: {},
    json: false,
    interval: 1,
    window: 60,
    targets: 'all',
    groupby: 'type',
    code: null
  };
  const args = [...argv];
  if (args[0] === 'run' || args[0] === 'top') {
    out.command = args.shift() as 'run' | 'top';
  }
  const rest: string[] = [];
  while (args.length) {
    const arg = args.shift()!;
    const [flag, inline] =
      arg.startsWith('--') && arg.includes('=') ? arg.split(/=(.*)/s, 2) : [arg, undefined];
    const value = (): string => {
      const v = inline ?? args.shift();
      if (v === undefined) {
        throw new UsageError(`${flag} needs a value`);
      }
      return v;
    };
    const seconds = (): number => {
      const v = Number(value());
      if (!Number.isFinite(v) || v <= 0) {
        throw new UsageError(`${flag} needs a positive number of seconds`);
      }
      return v;
    };
    switch (flag) {
      case '-h':
      case '--help':
        out.command = 'help';
        break;
      case '--json':
        out.json = true;
        break;
      case '--file':
        out.connection.path = value();
        break;
      case '--profile':
        out.connection.profile = value();
        break;
      case '--profile-dir':
        out.connection.profileDir = value();
        break;
      case '--cluster-id':
        out.connection.clusterId = value();
        break;
      case '--timeout':
        out.connection.timeout = seconds();
        break;
      case '--interval':
        out.interval = seconds();
        break;
      case '--window':
        out.window = seconds();
        break;
      case '--targets': {
        const v = value();
        out.targets =
          v === 'all'
            ? 'all'
            : v.split(',').map(s => {
                const n = Number(s);
                if (!Number.isInteger(n)) {
                  throw new UsageError(`--targets: ${s} is not an engine id`);
                }
                return n;
              });
        break;
      }
      case '--balanced':
        out.targets = null;
        break;
      case '--groupby': {
        const v = value();
        if (!GROUPINGS.includes(v as GroupBy)) {
          throw new UsageError('--groupby is type, engine, order, merge or first');
        }
        out.groupby = v as GroupBy;
        break;
      }
      default:
        if (flag.startsWith('-') && flag !== '-') {
          throw new UsageError(`unknown option ${flag}`);
        }
        rest.push(arg);
    }
  }
  if (out.command === 'run') {
    if (rest.length !== 1) {
      throw new UsageError('run needs exactly one CODE argument (quote it)');
    }
    out.code = rest[0];
  } else if (rest.length && out.command !== 'help') {
    throw new UsageError(`unexpected argument ${rest[0]}`);
  }
  return out;
}
