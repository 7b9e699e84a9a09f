/**
 * Whose work a kernel's queued tasks wait behind (issue 15, item 1's last
 * bullet): two notebooks on two kernels and one cluster, and a client of
 * the test's own. Kernel A holds both engines on a barrier with work
 * queued behind; the other client queues some; kernel B queues after them.
 * B's section names A's notebook with A's running and queued count, and
 * the other client's, told against the controller's own queue_status read
 * at that moment by a client of its own; released, the line goes.
 */
import { execFileSync } from 'child_process';
import * as path from 'path';
import type { Page } from '@playwright/test';
import {
  Barrier,
  collectErrors,
  command,
  expect,
  hubEngines,
  hubQueueStatus,
  kernelValue,
  openAt,
  SCREENSHOTS,
  showTasks,
  startCell,
  test
} from './helpers';

/** Connect, and define `held` (every task waits for the barrier). */
function connectCell(barrier: Barrier): string {
  return [
    'import ipyparallel as ipp',
    'rc = ipp.Client()',
    'rc.wait_for_engines(2, timeout=60)',
    'lview = rc.load_balanced_view()',
    barrier.python(0)
  ].join('\n');
}

/** Queue `n` held tasks from a client of no open kernel; their msg_ids. */
function otherClientSubmits(barrier: Barrier, n: number): string[] {
  const out = execFileSync(
    'python',
    [
      '-c',
      [
        'import json, ipyparallel as ipp',
        'rc = ipp.Client()',
        'rc.wait_for_engines(2, timeout=60)',
        barrier.python(0),
        `ar = rc.load_balanced_view().map_async(held, range(${n}))`,
        'ar.wait_for_send(60)',
        // sent is not received: wait until the controller holds them, or
        // closing this client could drop them in flight
        'import time',
        'def queued_ids():',
        '    s = rc.queue_status(verbose=True)',
        "    ids = set(s.get('unassigned', []))",
        '    for v in s.values():',
        '        if isinstance(v, dict):',
        "            ids.update(v.get('tasks', []), v.get('queue', []))",
        '    return ids',
        'deadline = time.monotonic() + 60',
        'while not set(ar.msg_ids) <= queued_ids() and time.monotonic() < deadline:',
        '    time.sleep(0.1)',
        'print(json.dumps(ar.msg_ids))',
        // the tasks stay queued in the controller after this client goes
        'rc.close()'
      ].join('\n')
    ],
    { encoding: 'utf-8', timeout: 120000 }
  );
  return JSON.parse(out.trim().split('\n').pop()!);
}

/** Every msg_id the controller holds now, running or queued. */
function hubMsgIds(): Set<string> {
  const status = hubQueueStatus(true);
  return new Set([
    ...hubEngines(status).flatMap(e => [...e.tasks, ...e.queue]),
    ...(status.unassigned as string[])
  ]);
}

/** The kernel id of the open notebook at `file`. */
function kernelOf(page: Page, file: string): Promise<string> {
  return page.evaluate(file => {
    const app = (window as any).jupyterapp;
    const panel = Array.from(app.shell.widgets('main') as Iterable<any>).find(
      (w: any) => w.context?.path === file
    ) as any;
    return panel.sessionContext.session.kernel.id as string;
  }, file);
}

test.describe('Whose work is ahead in the queue', () => {
  test.setTimeout(360 * 1000);
  test.use({ viewport: { width: 1280, height: 900 } });

  test("a kernel's section names the other kernel and the other clients its queued tasks wait behind", async ({
    page,
    tmpPath
  }) => {
    const errors = collectErrors(page);
    const barrier = new Barrier();
    const fileA = `${tmpPath}/analysis/a.ipynb`;
    const fileB = `${tmpPath}/b.ipynb`;
    try {
      await showTasks(page);

      // A: both engines held, 4 tasks queued behind them; its cell blocks
      await openAt(page, fileA, [
        connectCell(barrier),
        'ar = lview.map_async(held, range(6))\nar.get()'
      ]);
      await page.notebook.runCell(0, true);
      await startCell(page, 1);
      const kernelA = await kernelOf(page, fileA);
      await expect
        .poll(
          () => {
            const status = hubQueueStatus();
            return hubEngines(status).reduce((n, e) => n + e.tasks + e.queue, 0);
          },
          { timeout: 60000 }
        )
        .toBe(2);

      // a client of no open kernel queues 2; then B queues 3
      const others = otherClientSubmits(barrier, 2);
      await openAt(page, fileB, [connectCell(barrier), 'br = lview.map_async(held, range(3))']);
      await page.notebook.runCell(0, true);
      await page.notebook.runCell(1, true);
      const kernelB = await kernelOf(page, fileB);
      const headA = page.locator(
        `.jp-AsyncResultSidebar-sectionHead[data-section-key="${kernelA}"]`
      );
      const headB = page.locator(
        `.jp-AsyncResultSidebar-sectionHead[data-section-key="${kernelB}"]`
      );

      // the truth, now: what the controller holds, and whose it is
      const held = hubMsgIds();
      const ofB = await kernelValue<string[]>(page, 'br.msg_ids');
      const bOnController = ofB.filter(m => held.has(m)).length;
      const othersOnController = others.filter(m => held.has(m)).length;
      const aOnController = held.size - bOnController - othersOnController;
      expect(bOnController).toBe(3);
      expect(othersOnController).toBe(2);
      expect(aOnController).toBe(6);

      const aheadB = headB.locator('.jp-AsyncResultSidebar-ahead');
      await expect(aheadB).toHaveText(
        `Queued behind ${aOnController} tasks of ${fileA}, ${othersOnController} of other clients`,
        { timeout: 30000 }
      );
      await expect(aheadB).toHaveAttribute('data-ahead', `${kernelA}:${aOnController}`);
      await expect(aheadB).toHaveAttribute('title', /2 running, 4 queued before/);
      // A's queued tasks came before B's: only the other client's share
      // the controller with them, in an order the controller does not say
      const aheadA = headA.locator('.jp-AsyncResultSidebar-ahead');
      await expect(aheadA).toHaveText(
        `Queued with ${othersOnController} tasks of other clients on the controller`,
        { timeout: 30000 }
      );
      await expect(aheadA).toHaveAttribute('data-ahead', '');
      // and the controller still says the same (nothing moved while we looked)
      expect(hubMsgIds().size).toBe(held.size);

      const panel = page.locator('#jp-asyncresult-sidebar');
      await panel.screenshot({ path: path.join(SCREENSHOTS, 'queue-ahead-light.png') });
      await command(page, 'apputils:change-theme', { theme: 'JupyterLab Dark' });
      await expect(page.locator('body')).toHaveAttribute('data-jp-theme-light', 'false', {
        timeout: 30000
      });
      await page.waitForTimeout(300); // the theme's colours reach the panel
      await panel.screenshot({ path: path.join(SCREENSHOTS, 'queue-ahead-dark.png') });
      await command(page, 'apputils:change-theme', { theme: 'JupyterLab Light' });

      // released: everything runs and ends, and the lines go
      barrier.release();
      await expect.poll(() => hubMsgIds().size, { timeout: 120000, intervals: [500] }).toBe(0);
      await expect(headB.locator('.jp-AsyncResultSidebar-ahead')).toHaveCount(0, {
        timeout: 30000
      });
      await expect(headA.locator('.jp-AsyncResultSidebar-ahead')).toHaveCount(0);
      expect(errors).toEqual([]);
    } finally {
      barrier.release();
    }
  });
});
