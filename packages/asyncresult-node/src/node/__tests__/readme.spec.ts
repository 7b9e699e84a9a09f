/**
 * Every example of the README's Node section, run as written: the
 * TypeScript ones type-checked under the classic `node` module resolution
 * (through the package's typesVersions) and run; the `ipp-top run` and
 * `--json` lines run. The working directory holds the cluster's
 * connection file as `ipcontroller-client.json` and the packages under
 * node_modules, as a user's project would.
 */
import { execFile } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  symlinkSync,
  writeFileSync
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '../client';
import { BIN, buildNode, PACKAGE, REPO } from './cliProcess';
import { LiveCluster } from './liveCluster';

jest.setTimeout(180000);

let cluster: LiveCluster;
const dir = mkdtempSync(join(tmpdir(), 'ipp-readme-'));

beforeAll(async () => {
  const [started] = await Promise.all([LiveCluster.start(2), buildNode()]);
  cluster = started;
  copyFileSync(cluster.info.connection_file, join(dir, 'ipcontroller-client.json'));
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(PACKAGE, join(dir, 'node_modules', 'jupyterlab-asyncresult-node'));
  symlinkSync(REPO, join(dir, 'node_modules', 'jupyterlab-asyncresult'));
  symlinkSync(join(REPO, 'node_modules', '@types'), join(dir, 'node_modules', '@types'));
}, 240000);

afterAll(async () => {
  await cluster?.stop();
}, 90000);

describe("the README's Node examples", () => {
  const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
  const section = readme.slice(
    readme.indexOf('## From Node'),
    readme.indexOf('\n## ', readme.indexOf('## From Node') + 5)
  );
  const blocks = (lang: string) =>
    Array.from(section.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g')), m => m[1]);

  it('type-check under classic node resolution and run, printing what they say', async () => {
    const examples = blocks('ts');
    expect(examples.length).toBeGreaterThanOrEqual(2);
    const files = examples.map((code, i) => {
      const file = join(dir, `example${i}.ts`);
      writeFileSync(file, code);
      return file;
    });
    await Private.tsc(files);
    const first = await Private.exec(process.execPath, [join(dir, 'example0.js')]);
    expect(first).toMatch(/engine_id: 0, execution_count: \d+/);
    expect(first).toMatch(/ZeroDivisionError 0|ZeroDivisionError 1/);
    const second = await Private.exec(process.execPath, [join(dir, 'example1.js')]);
    expect(second.split('\n').slice(0, 3)).toEqual([
      '5',
      "[ 'A', 'B', 'C' ]",
      '[ { x: 1, x2: 1 }, { x: 2, x2: 4 }, { x: 3, x2: 9 } ]'
    ]);
  });

  it("resolve the package's core subpath and the extension's /node entry under classic resolution", async () => {
    // the core as the browser takes it (typesVersions), and the Node client
    // through the extension package's re-export, which the README mentions
    const file = join(dir, 'entries.ts');
    writeFileSync(
      file,
      [
        "import { TaskStore } from 'jupyterlab-asyncresult-node/core';",
        "import { Client } from 'jupyterlab-asyncresult/node';",
        "import * as headless from 'jupyterlab-asyncresult-node';",
        'console.log(typeof new TaskStore().watch, Client === headless.Client);'
      ].join('\n')
    );
    await Private.tsc([file]);
    expect(await Private.exec(process.execPath, [join(dir, 'entries.js')])).toBe('function true\n');
  });

  it('fails a JSON call whose result is not JSON with the TypeError the engine raised', async () => {
    const client = await Client.connect({ path: cluster.info.connection_file });
    try {
      await client.waitForEngines(2, 30);
      await expect(client.json.apply('set', [[1, 2]])).rejects.toMatchObject({
        ename: 'TypeError',
        evalue: expect.stringMatching(/set returned a value that is not JSON/)
      });
      await expect(client.waitForEngines(3, 0.5)).rejects.toThrow(
        'waitForEngines: 2 of 3 engines after 0.5 s'
      );
      await expect(client.json.map('os.system; x', [])).rejects.toThrow(
        /not a Python function name/
      );
    } finally {
      client.close();
    }
  });

  it('runs the ipp-top lines that end by themselves', async () => {
    const lines = blocks('bash')
      .flatMap(b => b.split('\n'))
      .filter(l => l.startsWith('npx ipp-top') && (l.includes(' run ') || l.includes('--json')));
    expect(lines.length).toBeGreaterThanOrEqual(3);
    for (const line of lines) {
      const command = line
        .replace(/\s+#.*$/, '')
        .replace(/^npx ipp-top/, `"${process.execPath}" "${BIN}"`);
      const out = await Private.exec('sh', ['-c', command]);
      expect({ line, empty: out.trim() === '' }).toEqual({ line, empty: false });
    }
  });
});

namespace Private {
  /** Compile to CommonJS under the classic `node` module resolution, as a user's old tsconfig would. */
  export async function tsc(files: string[]): Promise<void> {
    await exec(process.execPath, [
      join(REPO, 'node_modules', 'typescript', 'bin', 'tsc'),
      '--moduleResolution',
      'node',
      '--module',
      'commonjs',
      '--target',
      'ES2022',
      '--strict',
      '--skipLibCheck',
      '--types',
      'node',
      ...files
    ]);
  }

  /** Run in the examples' directory; resolve with stdout, reject with everything said. */
  export function exec(file: string, args: string[]): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile(file, args, { cwd: dir, timeout: 120000 }, (error, stdout, stderr) => {
        if (error) {
          reject(new Error(`${args.join(' ')} failed: ${error.message}\n${stdout}\n${stderr}`));
        } else {
          resolve(stdout);
        }
      });
    });
  }
}
