/**
 * The Node client against a controller that requires CURVE encryption
 * (IPP_ENABLE_CURVE), started by this file; and against that controller
 * when it stops answering.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConnectionLostError, TimeoutError } from '../../core/errors';
import { Client } from '../client';
import { LiveCluster } from './liveCluster';

jest.setTimeout(60000);

let cluster: LiveCluster;

beforeAll(async () => {
  cluster = await LiveCluster.start(1, { curve: true });
}, 120000);

afterAll(async () => {
  await cluster?.stop();
}, 60000);

describe('Client with CURVE', () => {
  it('connects with the server key from the connection file and runs code', async () => {
    const cfg = JSON.parse(readFileSync(cluster.info.connection_file, 'utf8'));
    expect(cfg.curve_serverkey).toHaveLength(40);
    const client = await Client.connect({ path: cluster.info.connection_file, timeout: 5 });
    try {
      const value = (await client
        .directView(0)
        .execute('2 ** 10', { silent: false })
        .get(20)) as any;
      expect(value.data['text/plain']).toBe('1024');
    } finally {
      client.close();
    }
  });

  it('cannot talk to that controller without the key: it times out rather than hangs', async () => {
    const cfg = JSON.parse(readFileSync(cluster.info.connection_file, 'utf8'));
    cfg.curve_serverkey = null;
    const path = join(mkdtempSync(join(tmpdir(), 'ipp-nocurve-')), 'ipcontroller-client.json');
    writeFileSync(path, JSON.stringify(cfg));
    const saved = process.env.IPP_CURVE_SERVERKEY;
    delete process.env.IPP_CURVE_SERVERKEY;
    try {
      await expect(Client.connect({ path, timeout: 1 })).rejects.toBeInstanceOf(TimeoutError);
    } finally {
      if (saved !== undefined) {
        process.env.IPP_CURVE_SERVERKEY = saved;
      }
    }
  });

  it('fails a waiting get() with ConnectionLostError when the controller stops answering, and recovers', async () => {
    const client = await Client.connect({
      path: cluster.info.connection_file,
      timeout: 1,
      watchInterval: 0.3
    });
    try {
      const ar = client.directView(0).execute('import time; time.sleep(15)');
      await ar.waitForSend(5);
      await cluster.pauseController(true);
      const started = Date.now();
      let error: unknown;
      try {
        error = await ar.get().catch(e => e); // no timeout of its own
      } finally {
        await cluster.pauseController(false);
      }
      expect(error).toBeInstanceOf(ConnectionLostError);
      expect(String(error)).toMatch(/the controller does not answer/);
      expect(Date.now() - started).toBeLessThan(6000);
      const deadline = Date.now() + 10000;
      while (!client.store.controller.ok && Date.now() < deadline) {
        await new Promise(r => setTimeout(r, 100));
      }
      expect(client.store.controller.ok).toBe(true);
      await client.abort(undefined, 'all').catch(() => undefined);
    } finally {
      client.close();
    }
  });
});
