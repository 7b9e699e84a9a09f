/**
 * A real Jupyter server and ipyparallel cluster for Node integration tests,
 * started from the Python environment on PATH (scripts/test.sh activates
 * .venv) and stopped afterwards.
 */
import { ChildProcess, execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { KernelManager, ServerConnection } from '@jupyterlab/services';
import WebSocket from 'ws';

export interface ILiveServer {
  kernels: KernelManager;
  clusterId: string;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

async function waitForServer(url: string, child: ChildProcess): Promise<void> {
  // generous: on a shared, busy machine the server takes minutes to start
  const deadline = Date.now() + 300000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`jupyter server exited with ${child.exitCode}`);
    }
    try {
      const response = await fetch(url);
      if (response.ok) {
        return;
      }
    } catch {
      // not listening yet
    }
    await new Promise(resolve => setTimeout(resolve, 250));
  }
  throw new Error(`jupyter server did not answer at ${url}`);
}

/** Start a 2-engine cluster and a Jupyter server; give a KernelManager. */
export async function startLiveServer(): Promise<ILiveServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jar-it-'));
  const env = { ...process.env, IPYTHONDIR: path.join(dir, 'ipython') };
  const clusterId = `jest-${process.pid}`;
  execFileSync('ipcluster', ['start', '-n', '2', '--daemonize', `--cluster-id=${clusterId}`], {
    env,
    stdio: 'ignore',
    timeout: 120000
  });
  const port = await freePort();
  const token = 'integration-token';
  const server = spawn(
    'jupyter',
    [
      'server',
      '--no-browser',
      `--port=${port}`,
      '--ip=127.0.0.1',
      `--ServerApp.token=${token}`,
      `--ServerApp.root_dir=${dir}`,
      '--allow-root'
    ],
    { env, stdio: 'ignore' }
  );
  const baseUrl = `http://127.0.0.1:${port}/`;
  const stopCluster = () => {
    try {
      execFileSync('ipcluster', ['stop', `--cluster-id=${clusterId}`], {
        env,
        stdio: 'ignore',
        timeout: 60000
      });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  };
  try {
    await waitForServer(`${baseUrl}api/status?token=${token}`, server);
  } catch (reason) {
    // leave nothing running behind a failed start
    server.kill('SIGTERM');
    stopCluster();
    throw reason;
  }
  const serverSettings = ServerConnection.makeSettings({
    baseUrl,
    wsUrl: `ws://127.0.0.1:${port}/`,
    token,
    WebSocket: WebSocket as any
  });
  const kernels = new KernelManager({ serverSettings });
  await kernels.ready;
  return {
    kernels,
    clusterId,
    stop: async () => {
      try {
        await kernels.shutdownAll();
      } catch {
        // the server may already be gone
      }
      kernels.dispose();
      server.kill('SIGTERM');
      stopCluster();
    }
  };
}
