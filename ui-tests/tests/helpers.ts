/**
 * What the Galata specs share: opening notebooks, running cells, reading the
 * bar and the panel, asking the kernel for the truth, holding tasks on a
 * barrier. One place, so that every spec does these the same way.
 */
import {
  expect,
  galata,
  test as galataTest,
  type IJupyterLabPageFixture
} from '@jupyterlab/galata';
import { JupyterLabPage } from '@jupyterlab/galata/lib/jupyterlabpage';
import type { Locator, Page } from '@playwright/test';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export { expect, galata };

/** How long JupyterLab may take to start on a busy machine (load 10-20). */
const START_TIMEOUT = 180 * 1000;

// Galata waits 15 s, hard-coded, for JupyterLab to start and for its
// Launcher; on the shared 2-core machine under load each plugin takes 5-10 s
// to activate and every test failed before it began. A default of 3 min for
// Galata's own waits (an explicit timeout still wins).
const galataWait = JupyterLabPage.prototype.waitForCondition;
JupyterLabPage.prototype.waitForCondition = function (
  condition: () => boolean | Promise<boolean>,
  timeout?: number
): Promise<void> {
  return galataWait.call(this, condition, timeout ?? START_TIMEOUT);
};

/** Galata's test: import it from here, so the patient waits above apply. */
export const test = galataTest;

/** The test notebook of the progress specs (cell 0 connects to the cluster). */
export const PROGRESS_NOTEBOOK = path.resolve(__dirname, '../notebooks/progress.ipynb');
/** The demo notebook of the README (cell 1 connects to the cluster). */
export const DEMO_NOTEBOOK = path.resolve(__dirname, '../../examples/demo.ipynb');
/** Where the specs keep screenshots worth looking at. */
export const SCREENSHOTS = path.resolve(__dirname, '../screenshots');

/** Collect every error of the browser console and page: tests assert none. */
export function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', message => {
    if (message.type() === 'error') {
      errors.push(message.text());
    }
  });
  page.on('pageerror', error => errors.push(error.message));
  return errors;
}

/** The output area of cell `index` of the current notebook. */
export function outputOf(page: Page, index: number): Locator {
  return page.locator('.jp-Notebook .jp-Cell').nth(index).locator('.jp-OutputArea');
}

/** Run one JupyterLab command, as a menu or key binding would. */
export async function command(page: Page, id: string, args: object = {}): Promise<void> {
  await page.evaluate(([id, args]) => (window as any).jupyterapp.commands.execute(id, args), [
    id,
    args
  ] as const);
}

/**
 * Start a command without waiting for it: for those that open a dialog
 * (restart), which the test then answers.
 */
export async function startCommand(page: Page, id: string): Promise<void> {
  await page.evaluate(id => {
    void (window as any).jupyterapp.commands.execute(id);
  }, id);
}

/** Upload a notebook file and open it as the current tab. */
export async function openNotebook(
  page: IJupyterLabPageFixture,
  tmpPath: string,
  source: string,
  name = path.basename(source)
): Promise<void> {
  await page.contents.uploadFile(source, `${tmpPath}/${name}`);
  await page.notebook.openByPath(`${tmpPath}/${name}`);
  await page.notebook.activate(name);
}

/** The JSON of a notebook made of these code cells (ids `cell-0`, `cell-1`, ...). */
export function notebookOf(cells: string[]): string {
  return JSON.stringify({
    cells: cells.map((source, i) => ({
      cell_type: 'code',
      id: `cell-${i}`,
      execution_count: null,
      metadata: {},
      outputs: [],
      source
    })),
    metadata: {
      kernelspec: { display_name: 'Python 3 (ipykernel)', language: 'python', name: 'python3' }
    },
    nbformat: 4,
    nbformat_minor: 5
  });
}

/** Upload a notebook made of these code cells and open it. */
export async function openCells(
  page: IJupyterLabPageFixture,
  tmpPath: string,
  name: string,
  cells: string[]
): Promise<void> {
  await page.contents.uploadContent(notebookOf(cells), 'text', `${tmpPath}/${name}`);
  await page.notebook.openByPath(`${tmpPath}/${name}`);
  await page.notebook.activate(name);
}

/** Open the progress notebook and connect it to the cluster (cell 0). */
export async function openProgress(page: IJupyterLabPageFixture, tmpPath: string): Promise<void> {
  await openNotebook(page, tmpPath, PROGRESS_NOTEBOOK);
  await page.notebook.runCell(0, true);
}

/** Open the demo notebook with the panel showing, connected to the cluster. */
export async function openDemo(page: IJupyterLabPageFixture, tmpPath: string): Promise<void> {
  await openNotebook(page, tmpPath, DEMO_NOTEBOOK);
  await showTasks(page);
  await page.notebook.runCell(1, true);
}

/** Start running cell `index` without waiting for it (runCell waits). */
export async function startCell(page: IJupyterLabPageFixture, index: number): Promise<void> {
  await page.notebook.selectCells(index);
  await page.evaluate(() => {
    void (window as any).jupyterapp.commands.execute('notebook:run-cell');
  });
}

/** Show the Parallel tasks panel. */
export async function showTasks(page: Page): Promise<void> {
  await command(page, 'asyncresult:show-tasks');
  await expect(page.locator('#jp-asyncresult-sidebar')).toBeVisible();
}

/** The panel's row of the newest result named `name`. */
export function resultRow(page: Page, name: string): Locator {
  return page
    .locator('.jp-AsyncResultSidebar-result')
    .filter({
      has: page.locator('.jp-AsyncResultSidebar-name', { hasText: name })
    })
    .first();
}

/** The live bar in the output of cell `index`. */
export function barOf(page: Page, index: number): Locator {
  return outputOf(page, index).locator('.jp-AsyncResultProgress');
}

/** "N / M done" of a bar, as numbers. */
export async function doneOf(widget: Locator): Promise<[number, number]> {
  const text = (await widget.locator('.jp-AsyncResultProgress-count').textContent())!;
  const [done, total] = text.match(/\d+/g)!.map(Number);
  return [done, total];
}

/** The saved notebook, as the server has it. */
export async function savedNotebook(page: Page, file: string): Promise<any> {
  const response = await page.request.get(`/api/contents/${file}?content=1`);
  expect(response.ok()).toBe(true);
  return (await response.json()).content;
}

/**
 * The value of a Python expression in the current notebook's kernel, read
 * silently (no cell, no output) as JSON: the truth to compare the views
 * with. The kernel must be idle (or have subshells).
 */
export async function kernelValue<T = any>(page: Page, expression: string): Promise<T> {
  const text = await page.evaluate(async expression => {
    const kernel = (window as any).jupyterapp.shell.currentWidget.sessionContext.session.kernel;
    const reply = await kernel.requestExecute({
      code: '',
      silent: true,
      store_history: false,
      // base64 of the JSON: its repr (text/plain) needs no unquoting
      user_expressions: {
        v: `__import__('base64').b64encode(__import__('json').dumps(${expression}).encode()).decode()`
      }
    }).done;
    const v = reply.content.user_expressions.v;
    if (v.status !== 'ok') {
      throw new Error(`${v.ename}: ${v.evalue}`);
    }
    return v.data['text/plain'] as string;
  }, expression);
  return JSON.parse(Buffer.from(text.replace(/'/g, ''), 'base64').toString('utf-8'));
}

/** Run Python in the current notebook's kernel silently (no cell). */
export async function kernelRun(page: Page, code: string): Promise<void> {
  const error = await page.evaluate(async code => {
    const kernel = (window as any).jupyterapp.shell.currentWidget.sessionContext.session.kernel;
    const reply = await kernel.requestExecute({ code, silent: true, store_history: false }).done;
    return reply.content.status === 'ok' ? '' : `${reply.content.ename}: ${reply.content.evalue}`;
  }, code);
  if (error) {
    throw new Error(error);
  }
}

/**
 * A file the tasks of a test wait for: they hold "mid-run" until the test
 * releases it, however busy the machine (never a guessed sleep).
 */
export class Barrier {
  readonly path = path.join(
    fs.mkdtempSync(path.join(os.tmpdir(), 'asyncresult-barrier-')),
    'release'
  );

  /**
   * Python defining `held(i)`: returns at once for i < `free`, else waits
   * for the barrier, then returns i.
   */
  python(free: number): string {
    return [
      'def held(i):',
      '    import os, time',
      `    while i >= ${free} and not os.path.exists(${JSON.stringify(this.path)}):`,
      '        time.sleep(0.05)',
      '    return i'
    ].join('\n');
  }

  /** Let every held task finish. */
  release(): void {
    fs.writeFileSync(this.path, 'go');
  }
}

/**
 * What the controller says now, asked by a client of its own (the kernel
 * cannot answer while its cell blocks): `rc.queue_status()`, by engine id
 * and "unassigned"; `verbose` lists msg_ids instead of counting them.
 */
export function hubQueueStatus(verbose = false): Record<string, any> {
  const out = execFileSync(
    'python',
    [
      '-c',
      [
        'import json, ipyparallel as ipp',
        'rc = ipp.Client()',
        `q = rc.queue_status(verbose=${verbose ? 'True' : 'False'})`,
        'rc.close()',
        'print(json.dumps({str(k): v for k, v in q.items()}))'
      ].join('\n')
    ],
    { encoding: 'utf-8', timeout: 60000 }
  );
  return JSON.parse(out.trim().split('\n').pop()!);
}

/** The engines' entries of a `hubQueueStatus()`. */
export function hubEngines(status: Record<string, any>): Array<Record<string, any>> {
  return Object.entries(status)
    .filter(([k]) => k !== 'unassigned')
    .map(([, v]) => v);
}

/**
 * Open a notebook of these cells at `file` by the command a user's
 * double-click runs: Galata's openByPath goes through the file browser, and
 * its activation by name cannot tell same-named files apart.
 */
export async function openAt(
  page: IJupyterLabPageFixture,
  file: string,
  cells: string[]
): Promise<void> {
  await page.contents.uploadContent(notebookOf(cells), 'text', file);
  await page.evaluate(async file => {
    const app = (window as any).jupyterapp;
    const widget = await app.commands.execute('docmanager:open', { path: file });
    await widget.context.ready;
    await widget.sessionContext.ready;
  }, file);
}

/**
 * Python defining `truth(ar)`, what ipyparallel says of one AsyncResult
 * now: its own futures for the finished tasks, and the hub's verbose
 * queue_status (msg_ids on each engine, and unassigned in the scheduler)
 * for the others.
 */
export const RESULT_TRUTH = `
def truth(ar):
    ids = set(ar.msg_ids)
    q = rc.queue_status(verbose=True)
    engines = [v for k, v in q.items() if k != "unassigned"]
    return dict(
        total=len(ar),
        done=sum(1 for f in ar._children if f.done() and f.exception() is None),
        running=sum(len(ids.intersection(v["tasks"] + v["queue"])) for v in engines),
        queued=len(ids.intersection(q["unassigned"])),
    )
`;
