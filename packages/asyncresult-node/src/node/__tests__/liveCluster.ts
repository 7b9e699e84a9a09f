import { type ChildProcessWithoutNullStreams, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/**
 * A private ipyparallel cluster (controller + engines) for the Node
 * client's tests and bench, run by cluster.py with its own IPYTHONDIR and
 * cluster id. Python comes from the active virtualenv or PATH.
 */
export class LiveCluster {
  /** Start `n` engines (CURVE-encrypted with `curve`); resolves once they all answer. */
  static async start(
    n = 2,
    options: { curve?: boolean; timeout?: number } = {}
  ): Promise<LiveCluster> {
    const timeout = options.timeout ?? 90;
    const args = [join(__dirname, 'cluster.py'), String(n), ...(options.curve ? ['--curve'] : [])];
    const child = spawn(pythonExecutable(), args, {
      stdio: ['pipe', 'pipe', 'pipe']
    });
    const cluster = new LiveCluster(child);
    const first = await cluster._nextLine(timeout, 'the cluster to start');
    Object.assign(cluster, { info: JSON.parse(first) });
    return cluster;
  }

  private constructor(private readonly _child: ChildProcessWithoutNullStreams) {
    const lines = createInterface({ input: _child.stdout });
    lines.on('line', line => {
      const waiter = this._waiters.shift();
      if (waiter) {
        waiter(line);
      } else {
        this._lines.push(line);
      }
    });
    _child.stderr.on('data', chunk => {
      this._stderr = (this._stderr + chunk.toString()).slice(-4000);
    });
  }

  /** What cluster.py reported: connection file, engine pids... */
  readonly info!: {
    connection_file: string;
    profile_dir: string;
    ipython_dir: string;
    cluster_id: string;
    engines: Record<string, number>;
  };

  /** SIGKILL one engine (only ours). */
  async killEngine(id: number): Promise<void> {
    this._child.stdin.write(`kill ${id}\n`);
    await this._nextLine(10, `engine ${id} to be killed`);
  }

  /** SIGKILL the controller's whole process tree (hub and schedulers; only ours). */
  async killController(): Promise<void> {
    this._child.stdin.write('killcontroller\n');
    await this._nextLine(10, 'the controller to be killed');
  }

  /** Stop (SIGSTOP) or continue (SIGCONT) the controller's whole process tree. */
  async pauseController(paused: boolean): Promise<void> {
    this._child.stdin.write(paused ? 'pause\n' : 'resume\n');
    await this._nextLine(10, 'the controller to be paused or resumed');
  }

  /** Start one more engine. */
  async addEngine(): Promise<void> {
    this._child.stdin.write('add\n');
    await this._nextLine(60, 'an engine to start');
  }

  /** Stop the controller and engines, and wait for cluster.py to exit. */
  async stop(): Promise<void> {
    if (this._child.exitCode !== null) {
      return;
    }
    const exited = new Promise(resolve => this._child.once('exit', resolve));
    this._child.stdin.end('stop\n');
    const timer = setTimeout(() => this._child.kill('SIGKILL'), 30000);
    await exited;
    clearTimeout(timer);
  }

  private _nextLine(timeout: number, what: string): Promise<string> {
    const queued = this._lines.shift();
    if (queued !== undefined) {
      return Promise.resolve(queued);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`timed out waiting for ${what}; cluster.py said:\n${this._stderr}`)),
        timeout * 1000
      );
      this._child.once('exit', () => reject(new Error(`cluster.py exited:\n${this._stderr}`)));
      this._waiters.push(line => {
        clearTimeout(timer);
        resolve(line);
      });
    });
  }

  private _lines: string[] = [];
  private _waiters: Array<(line: string) => void> = [];
  private _stderr = '';
}

/** The Python of the active virtualenv, else python3 on PATH. */
export function pythonExecutable(): string {
  const venv = process.env.VIRTUAL_ENV;
  if (venv && existsSync(join(venv, 'bin', 'python'))) {
    return join(venv, 'bin', 'python');
  }
  return 'python3';
}

/** Run a Python snippet with arguments; resolve with its stdout parsed as JSON. */
export function runPython(code: string, args: string[] = [], timeout = 60): Promise<any> {
  return new Promise((resolve, reject) => {
    execFile(
      pythonExecutable(),
      ['-c', code, ...args],
      { timeout: timeout * 1000 },
      (error, stdout, stderr) => {
        if (error) {
          reject(new Error(`python failed: ${error.message}\n${stderr}`));
          return;
        }
        try {
          resolve(JSON.parse(stdout.trim().split('\n').pop()!));
        } catch {
          reject(new Error(`python printed no JSON:\n${stdout}\n${stderr}`));
        }
      }
    );
  });
}
