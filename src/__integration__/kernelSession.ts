/**
 * A kernel with the bridge, a cluster and a transport for integration
 * tests: run code, read JSON back, find the proxy of a result.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { Kernel } from '@jupyterlab/services';
import { type AsyncResult, createAsyncResult } from 'jupyterlab-asyncresult-node/core';
import { KernelTransport } from '../lab/kernelTransport';
import { type ILiveServer, startLiveServer } from './liveServer';

/** One live kernel session; `stop()` ends it all. */
export class KernelSession {
  /** Start a server, cluster, kernel and transport; define `rc`, `lview`, `truth`. */
  static async start(): Promise<KernelSession> {
    const live = await startLiveServer();
    let session: KernelSession | null = null;
    try {
      const kernel = await live.kernels.startNew({ name: 'python3' });
      session = new KernelSession(live, kernel);
      await session._setUp();
      return session;
    } catch (reason) {
      // stop the cluster and server we started, or they outlive the test
      session?.transport.dispose();
      await live.stop();
      throw reason;
    }
  }

  private async _setUp(): Promise<void> {
    await until(() => this.transport.state === 'live', 240000);
    const truth = fs.readFileSync(path.join(__dirname, 'truth.py'), 'utf8');
    await this.run(
      'import ipyparallel as ipp, os, time, json\n' +
        `rc = ipp.Client(cluster_id=${JSON.stringify(this.live.clusterId)})\n` +
        'rc.wait_for_engines(2, timeout=240)\n' +
        'lview = rc.load_balanced_view()\n' +
        `exec(${JSON.stringify(truth)})\n`
    );
  }

  private constructor(live: ILiveServer, kernel: Kernel.IKernelConnection) {
    this.live = live;
    this.kernel = kernel;
    this.transport = new KernelTransport({ kernel });
  }

  readonly live: ILiveServer;
  readonly kernel: Kernel.IKernelConnection;
  readonly transport: KernelTransport;

  /** Run code in the kernel; return what it printed; throw what it raised. */
  async run(code: string): Promise<string> {
    let text = '';
    let error = '';
    const future = this.kernel.requestExecute({ code, stop_on_error: false });
    future.onIOPub = msg => {
      const content = msg.content as any;
      if (msg.header.msg_type === 'stream' && content.name === 'stdout') {
        text += content.text;
      } else if (msg.header.msg_type === 'error') {
        error = `${content.ename}: ${content.evalue}`;
      }
    };
    await future.done;
    if (error) {
      throw new Error(`kernel raised ${error} running:\n${code}`);
    }
    return text;
  }

  /** A JSON value computed in the kernel. */
  async evaluate(expression: string): Promise<any> {
    return JSON.parse(await this.run(`print(json.dumps(${expression}))`));
  }

  /** ipyparallel's own answers for the kernel's AsyncResult `name` (truth.py). */
  async truth(name: string, full = false): Promise<any> {
    return JSON.parse(await this.run(`print(truth(${name}, full=${full ? 'True' : 'False'}))`));
  }

  /** The proxy of the kernel's AsyncResult in variable `name`. */
  async proxyOf(name: string): Promise<AsyncResult> {
    const msgIds: string[] = await this.evaluate(`list(${name}.msg_ids)`);
    const same = () =>
      this.transport.store
        .results()
        .filter(
          r => r.msg_ids.length === msgIds.length && r.msg_ids.every((m, i) => m === msgIds[i])
        )
        .pop();
    await until(() => same() !== undefined, 120000);
    return createAsyncResult(this.transport.store, same()!.id, this.transport);
  }

  async stop(): Promise<void> {
    this.transport.dispose();
    await this.live.stop();
  }
}

/** Resolve once `check()` holds; reject after `timeout` ms. */
export async function until(check: () => boolean, timeout = 60000): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!check()) {
    if (Date.now() > deadline) {
      throw new Error('condition not met in time');
    }
    await new Promise(resolve => setTimeout(resolve, 50));
  }
}
