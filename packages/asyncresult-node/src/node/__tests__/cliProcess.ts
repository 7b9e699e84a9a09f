import { type ChildProcessWithoutNullStreams, execFile, spawn } from 'node:child_process';
import { join } from 'node:path';

/** The headless package's folder, the repository's root, and the built ipp-top the CLI tests run. */
export const PACKAGE = join(__dirname, '..', '..', '..');
export const REPO = join(PACKAGE, '..', '..');
export const BIN = join(PACKAGE, 'lib', 'node', 'cli', 'main.js');

/** Build the package's lib (incremental): the CLI tests run the built bin. */
export function buildNode(): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [
        join(REPO, 'node_modules', 'typescript', 'bin', 'tsc'),
        '-p',
        join(PACKAGE, 'tsconfig.json')
      ],
      { cwd: PACKAGE },
      (error, stdout) => (error ? reject(new Error(`build:node failed\n${stdout}`)) : resolve())
    );
  });
}

/** What a finished ipp-top said, and how long it took. */
export interface IFinished {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  seconds: number;
}

/**
 * One ipp-top process, its output collected as it comes, so that a test
 * can wait for a screen, then press a key or send a signal.
 */
export class CliProcess {
  constructor(args: string[], options: { input?: string } = {}) {
    this._child = spawn(process.execPath, [BIN, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    this._child.stdout.on('data', chunk => (this.stdout += chunk.toString()));
    this._child.stderr.on('data', chunk => (this.stderr += chunk.toString()));
    if (options.input !== undefined) {
      this._child.stdin.end(options.input);
    }
    this.exited = new Promise(resolve => {
      this._child.once('exit', (code, signal) =>
        resolve({
          code,
          signal,
          stdout: this.stdout,
          stderr: this.stderr,
          seconds: (Date.now() - this._started) / 1000
        })
      );
    });
  }

  stdout = '';
  stderr = '';

  /** Resolves when the process ends. */
  readonly exited: Promise<IFinished>;

  /** Resolves once stdout matches, or rejects after `ms` with what was printed. */
  async waitForOutput(pattern: RegExp, ms = 30000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!pattern.test(this.stdout)) {
      if (Date.now() > deadline || this._child.exitCode !== null) {
        throw new Error(
          `ipp-top never printed ${pattern}; it printed:\n${this.stdout.slice(-3000)}\n${this.stderr}`
        );
      }
      await new Promise(r => setTimeout(r, 50));
    }
  }

  /** Type on its stdin (a pipe: the live view reads keys from pipes too). */
  press(keys: string): void {
    this._child.stdin.write(keys);
  }

  signal(name: NodeJS.Signals): void {
    this._child.kill(name);
  }

  /** Ends it (SIGKILL) if still running: a test that failed must not leave it behind. */
  kill(): void {
    if (this._child.exitCode === null && this._child.signalCode === null) {
      this._child.kill('SIGKILL');
    }
  }

  private _child: ChildProcessWithoutNullStreams;
  private _started = Date.now();
}

/** Run ipp-top to the end (killed after `timeout` seconds). */
export async function runBin(args: string[], timeout = 60): Promise<IFinished> {
  const p = new CliProcess(args, { input: '' });
  const timer = setTimeout(() => p.kill(), timeout * 1000);
  try {
    return await p.exited;
  } finally {
    clearTimeout(timer);
  }
}

/** Poll until `predicate` holds, or fail after `ms`. */
export async function waitFor(
  predicate: () => boolean | Promise<boolean>,
  ms: number
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await predicate())) {
    if (Date.now() > deadline) {
      throw new Error('condition not met in time');
    }
    await new Promise(r => setTimeout(r, 50));
  }
}
