import { RemoteError } from '../../core/errors';
import type { Client } from '../client';
import { clusterSnapshot } from '../clusterSnapshot';
import type { ICommandLine } from './args';
import { renderTop } from './topView';

/**
 * The live view: redraw every interval (and at once when engines come or
 * go) until `q` (status 0) or Ctrl-C (status 130). Quitting never waits for
 * a refresh: a refresh still waiting on a controller that does not answer
 * is abandoned, and nothing is drawn or scheduled after the stop.
 */
export async function liveView(client: Client, cmd: ICommandLine): Promise<number> {
  const out = process.stdout;
  const stdin = process.stdin;
  let note = '';
  let stopped = false;
  let finish: (code: number) => void = () => undefined;
  const done = new Promise<number>(resolve => (finish = resolve));
  const stop = (code: number) => {
    if (!stopped) {
      stopped = true;
      finish(code);
    }
  };
  let timer: ReturnType<typeof setTimeout> | null = null;
  let drawing = false;
  const draw = async () => {
    if (drawing || stopped) {
      return;
    }
    drawing = true;
    try {
      const snap = await clusterSnapshot(client, { window: cmd.window });
      if (!stopped) {
        const screen = renderTop(snap, { width: out.columns ?? 100, height: out.rows ?? 40, note });
        out.write(`\x1b[H\x1b[2J${screen}\n`);
        note = '';
      }
    } catch (reason) {
      if (!stopped) {
        // a hub that answers with an error is not a controller that is silent
        const what =
          reason instanceof RemoteError
            ? 'the hub refused the query'
            : 'no answer from the controller';
        note = `${what}: ${(reason as Error).message}`;
        out.write(`\x1b[H\x1b[2Jipp-top: ${note}\n`);
      }
    } finally {
      drawing = false;
    }
  };
  const loop = async () => {
    await draw();
    if (!stopped) {
      timer = setTimeout(() => void loop(), cmd.interval * 1000);
    }
  };
  const onEngines = (_: Client, e: Client.IEngineEvent) => {
    note =
      e.event === 'shutdown'
        ? 'the controller shut down'
        : `engine ${e.id} ${e.event === 'register' ? 'joined' : 'died or left'}`;
    if (e.event === 'shutdown') {
      stop(0);
    } else {
      void draw();
    }
  };
  client.enginesChanged.connect(onEngines);
  // keys: raw from a terminal; from a pipe too, so that scripts and tests can quit
  const onKey = (key: Buffer) => {
    const k = key.toString();
    if (k.includes('\x03')) {
      stop(130);
    } else if (k.includes('q')) {
      stop(0);
    }
  };
  if (stdin.isTTY) {
    stdin.setRawMode(true);
  }
  stdin.on('data', onKey);
  stdin.resume();
  const onSigint = () => stop(130);
  const onSigterm = () => stop(143);
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigterm);
  void loop();
  const code = await done;
  if (timer !== null) {
    clearTimeout(timer);
  }
  client.enginesChanged.disconnect(onEngines);
  process.off('SIGINT', onSigint);
  process.off('SIGTERM', onSigterm);
  stdin.off('data', onKey);
  if (stdin.isTTY) {
    stdin.setRawMode(false);
  }
  stdin.pause();
  return code;
}
