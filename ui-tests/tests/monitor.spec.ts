/**
 * The task monitor in the main area (issue 15.3): the chart of busy
 * engines and the task table of a chosen AsyncResult, told against what
 * ipyparallel says at the same moment (its controller's queue_status, read
 * by a client of its own, and the AsyncResult's own metadata), with work
 * held mid-run on a barrier, a failed task among it.
 */
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
  openCells,
  resultRow,
  SCREENSHOTS,
  showTasks,
  test
} from './helpers';

/** Engines the controller says run a task now, asked by a client of its own. */
function hubBusyEngines(): { engines: number; busy: number } {
  const engines = hubEngines(hubQueueStatus());
  return { engines: engines.length, busy: engines.filter(v => v.tasks).length };
}

/** Evaluate `body` on the open monitor (a MonitorView) in the page. */
function onMonitor<T>(page: Page, body: string): Promise<T> {
  return page.evaluate(body => {
    const app = (window as any).jupyterapp;
    const widget = Array.from(app.shell.widgets('main') as Iterable<any>).find((w: any) =>
      w.id.startsWith('jp-asyncresult-timeline-')
    ) as any;
    return new Function('monitor', body)(widget.content);
  }, body) as Promise<T>;
}

/** The table's rows as its grid paints them: column name -> text. */
function tableRows(page: Page): Promise<Array<Record<string, string>>> {
  return onMonitor(
    page,
    `const m = monitor.table.model;
     if (!m) return [];
     const names = Array.from({ length: m.columnCount('body') }, (_, c) => m.data('column-header', 0, c));
     return Array.from({ length: m.rowCount('body') }, (_, r) =>
       Object.fromEntries(names.map((n, c) => [n, m.data('body', r, c)])));`
  );
}

/** What ipyparallel's own metadata says of each task of `ar`, as the table words it. */
const TRUTH = `[dict(msg_id=m, engine='' if md['engine_id'] is None else str(md['engine_id']),
   status={'ok': 'done', 'error': 'failed', 'aborted': 'aborted'}.get(md['status'],
     'queued' if md['engine_id'] is None else 'running'),
   error='' if not md['error'] else f"{md['error'].ename}: {md['error'].evalue}")
  for m, md in zip(ar.msg_ids, ar._metadata)]`;

test.describe('The task monitor', () => {
  test.setTimeout(300 * 1000);
  // room for the monitor below the notebook, and screenshots worth reading
  test.use({ viewport: { width: 1280, height: 1000 } });

  test('the chart counts the busy engines and the table lists each task as ipyparallel has it', async ({
    page,
    tmpPath
  }) => {
    const errors = collectErrors(page);
    const barrier = new Barrier();
    try {
      await openCells(page, tmpPath, 'monitor.ipynb', [
        [
          'import ipyparallel as ipp',
          'rc = ipp.Client()',
          'rc.wait_for_engines(2, timeout=60)',
          'lview = rc.load_balanced_view()',
          // self-contained: the engines have none of this notebook's names
          'def work(i):',
          '    import os, time',
          '    if i == 0:',
          "        raise ValueError('item 0 is bad')",
          `    while not os.path.exists(${JSON.stringify(barrier.path)}):`,
          '        time.sleep(0.05)',
          '    return i'
        ].join('\n'),
        'small = lview.map_async(abs, range(-2, 2), chunksize=1)\nsmall.get(timeout=60)',
        'ar = lview.map_async(work, range(6), chunksize=1)'
      ]);
      await showTasks(page);
      for (const i of [0, 1, 2]) {
        await page.notebook.runCell(i, true);
      }
      // task 0 fails at once; two more run on the two engines, held; three queue
      const row = resultRow(page, 'work');
      await expect(row).toHaveAttribute('title', /0 done, 1 failed, 0 aborted, 2 running/, {
        timeout: 60000
      });

      // the small result's tasks first, from its row's context menu
      await resultRow(page, 'abs').click({ button: 'right' });
      await page.locator('.lm-Menu').getByText('Show Tasks of This Result').click();
      const monitor = page.locator('.jp-AsyncResultMonitor');
      await expect(monitor).toBeVisible({ timeout: 30000 });
      const table = monitor.locator('.jp-AsyncResultTaskTable');
      await expect(table).toHaveAttribute('data-rows', '4');
      await expect(table.locator('.jp-AsyncResultTaskTable-heading')).toContainText(
        '4 tasks, 4 done'
      );

      // the chart: as many busy as the controller says, of as many engines
      const chart = monitor.locator('.jp-AsyncResultTimeline-chart');
      await expect
        .poll(() => hubBusyEngines(), { timeout: 60000 })
        .toEqual({ engines: 2, busy: 2 });
      await expect(chart).toHaveAttribute('data-running', '2', { timeout: 30000 });
      await expect(chart).toHaveAttribute('data-engines', '2', { timeout: 30000 });
      await expect(chart).toHaveAttribute('data-controller-busy', '2', { timeout: 30000 });
      await expect(chart).toHaveAttribute(
        'aria-label',
        '2 of 2 engines busy with this kernel’s tasks now; the controller counts 2 busy (every client)'
      );

      // and never more busy than engines, anywhere on the chart (a running
      // task's start is known only with its reply: a queued time is no run)
      const peak = await onMonitor<number>(
        page,
        `const now = monitor.source.store.kernelNow();
         const columns = monitor.timeline.chart.model.busyColumns(now - 120, now, 1200, now);
         return Math.max(...Array.from(columns).filter(v => !Number.isNaN(v)));`
      );
      expect(peak).toBeLessThanOrEqual(2);

      // a click on a held bar (lane 0, near now) lists that map's tasks
      const lanes = monitor.locator('.jp-AsyncResultTimeline-canvas');
      const box = (await lanes.boundingBox())!;
      await lanes.click({ position: { x: box.width - 14, y: 22 + 4 + 9 } });
      await expect(table).toHaveAttribute('data-rows', '6', { timeout: 30000 });
      await expect(table.locator('.jp-AsyncResultTaskTable-heading')).toContainText('work In [');
      // each task as ipyparallel's own AsyncResult has it, now, mid-run (the
      // kernel is asked through the notebook: back to its tab, the monitor stays)
      await page.evaluate(() => {
        const app = (window as any).jupyterapp;
        const notebook = Array.from(app.shell.widgets('main') as Iterable<any>).find((w: any) =>
          w.context?.path?.endsWith('monitor.ipynb')
        ) as any;
        app.shell.activateById(notebook.id);
      });
      await expect
        .poll(
          async () => {
            const truth = await kernelValue<Array<Record<string, string>>>(page, TRUTH);
            const ours = (await tableRows(page)).map(r => ({
              msg_id: r.msg_id,
              engine: r.engine,
              status: r.status,
              error: r.error
            }));
            return JSON.stringify(ours) === JSON.stringify(truth) ? 'same' : { ours, truth };
          },
          { timeout: 30000 }
        )
        .toBe('same');
      const mid = await tableRows(page);
      expect(mid.map(r => r.status).sort()).toEqual([
        'failed',
        'queued',
        'queued',
        'queued',
        'running',
        'running'
      ]);
      expect(mid[0].error).toBe('ValueError: item 0 is bad');
      expect(mid[0].engine).toMatch(/^[01]$/);

      for (const theme of ['light', 'dark']) {
        if (theme === 'dark') {
          await command(page, 'apputils:change-theme', { theme: 'JupyterLab Dark' });
          await expect(table).toHaveAttribute('data-theme', 'dark', { timeout: 30000 });
        }
        await page.waitForTimeout(300); // let the canvases repaint in the new colours
        await monitor.screenshot({ path: path.join(SCREENSHOTS, `monitor-${theme}.png`) });
      }
      await command(page, 'apputils:change-theme', { theme: 'JupyterLab Light' });

      // released: every task ends; at every task's midpoint the chart counts
      // what ipyparallel's started/completed times say ran then
      barrier.release();
      await expect(row).toHaveAttribute('data-status', 'error', { timeout: 90000 });
      await expect(chart).toHaveAttribute('data-running', '0', { timeout: 30000 });
      // ipyparallel 9 keeps the stamps as text until a timing property
      // parses them (_parse_metadata_dates): parse them as that would
      const spans = await kernelValue<Array<[number, number]>>(
        page,
        `(ar._parse_metadata_dates(), small._parse_metadata_dates(),
          [(md['started'].timestamp(), md['completed'].timestamp()) for md in ar._metadata + small._metadata])[2]`
      );
      const moments = spans.map(([a, b]) => (a + b) / 2);
      const truthBusy = moments.map(t => spans.filter(([a, b]) => a <= t && t < b).length);
      const ourBusy = await onMonitor<number[]>(
        page,
        `return ${JSON.stringify(moments)}.map(t => monitor.timeline.chart.model.busyAt(t));`
      );
      expect(ourBusy).toEqual(truthBusy);
      expect(Math.max(...ourBusy)).toBe(2);
      // and the table ends where ipyparallel ends
      await expect
        .poll(async () => {
          const truth = await kernelValue<Array<Record<string, string>>>(page, TRUTH);
          return (await tableRows(page)).map((r, i) =>
            [r.msg_id, r.engine, r.status, r.error].join('|') ===
            [truth[i].msg_id, truth[i].engine, truth[i].status, truth[i].error].join('|')
              ? 'same'
              : r
          );
        })
        .toEqual(Array(6).fill('same'));

      // keyboard: the grid takes focus and its cursor moves with the arrows
      await table.locator('.jp-AsyncResultTaskTable-grid').focus();
      await page.keyboard.press('ArrowDown');
      expect(errors).toEqual([]);
    } finally {
      barrier.release();
    }
  });
});
