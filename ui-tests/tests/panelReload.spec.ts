/**
 * A page reload while work is in flight (issue 15): the Parallel tasks
 * panel comes back as the user left it (text and status filters, sort,
 * folded section, all kept in JupyterLab's state database), with the rows
 * and counts ipyparallel itself gives at that moment, nothing twice, and
 * still counting once the held tasks go on.
 */
import type { Locator, Page } from '@playwright/test';
import * as path from 'path';
import {
  Barrier,
  collectErrors,
  expect,
  kernelValue,
  openAt,
  RESULT_TRUTH,
  SCREENSHOTS,
  showTasks,
  test
} from './helpers';

interface ITruth {
  total: number;
  done: number;
  running: number;
  queued: number;
}

/** The kernel's truth of `alpha` and `beta`, once it reads `expected`. */
async function truthBecomes(
  page: Page,
  expected: Record<string, Partial<ITruth>>
): Promise<Record<string, ITruth>> {
  let last: Record<string, ITruth> | undefined;
  await expect
    .poll(
      async () => (last = await kernelValue(page, 'dict(alpha=truth(alpha), beta=truth(beta))')),
      { timeout: 90000, intervals: [250] }
    )
    .toMatchObject(expected);
  return last!;
}

/** A row shows exactly what ipyparallel says of its result. */
async function rowShows(row: Locator, t: ITruth): Promise<void> {
  await expect(row.locator('.jp-AsyncResultSidebar-count')).toHaveText(`${t.done}/${t.total}`, {
    timeout: 60000
  });
  await expect(row).toHaveAttribute(
    'title',
    new RegExp(`${t.done} done, 0 failed, 0 aborted, ${t.running} running, ${t.queued} queued`)
  );
}

test.describe('The Parallel tasks panel across a page reload', () => {
  test.setTimeout(300 * 1000);

  test('reload mid-run restores the view, the rows and the counts, and goes on counting', async ({
    page,
    tmpPath
  }) => {
    const errors = collectErrors(page);
    const barrier = new Barrier();
    const connect = [
      'import ipyparallel as ipp',
      'rc = ipp.Client()',
      'rc.wait_for_engines(2, timeout=60)',
      'lview = rc.load_balanced_view()',
      barrier.python(4),
      RESULT_TRUTH
    ].join('\n');
    const folded = `${tmpPath}/folded/analysis.ipynb`;
    const main = `${tmpPath}/main.ipynb`;
    try {
      await showTasks(page);
      // a second kernel whose section the user folds
      await openAt(page, folded, [
        connect,
        "ar = lview.map_async(abs, range(-3, 3))\nar.get(timeout=60)\nprint('ok')"
      ]);
      await page.notebook.runCell(0, true);
      await page.notebook.runCell(1, true);
      await page.notebook.save();

      // alpha: 4 done, then 2 held on the engines and 4 behind them; beta
      // and absolutes queued behind alpha
      await openAt(page, main, [
        connect,
        [
          "with lview.temp_flags(label='alpha'):",
          '    alpha = lview.map_async(held, range(10))',
          "with lview.temp_flags(label='beta'):",
          '    beta = lview.map_async(held, range(10, 12))',
          'absolutes = lview.map_async(abs, range(-2, 2))'
        ].join('\n')
      ]);
      await page.notebook.runCell(0, true);
      await page.notebook.runCell(1, true);
      await page.notebook.save();
      const held = await truthBecomes(page, {
        alpha: { done: 4, running: 2, queued: 4 },
        beta: { done: 0, running: 0, queued: 2 }
      });

      // the view: words, status, sort, and the other notebook folded, the
      // last change right before the reload: JupyterLab writes the workspace
      // some time after a change, so only the tab's own copy can have it
      const panel = page.locator('#jp-asyncresult-sidebar');
      const filter = panel.locator('.jp-AsyncResultSidebar-filter');
      const [status, sort] = [0, 1].map(i => panel.locator('.jp-AsyncResultSidebar-select').nth(i));
      await filter.fill('held');
      await status.selectOption('unfinished');
      await sort.selectOption('longest');
      const sectionOf = (file: string) =>
        panel.locator('.jp-AsyncResultSidebar-kernel').filter({
          has: page.locator(`.jp-AsyncResultSidebar-kernelName[title^="${file}"]`)
        });
      const mainRows = sectionOf(main).locator('.jp-AsyncResultSidebar-result');
      const names = mainRows.locator('.jp-AsyncResultSidebar-name');
      // longest first: alpha runs, beta waits (newest first would be beta)
      await expect(names).toHaveText(['held (alpha)', 'held (beta)'], { timeout: 30000 });
      await rowShows(mainRows.nth(0), held.alpha);
      await rowShows(mainRows.nth(1), held.beta);
      await sectionOf(folded).locator('.jp-AsyncResultSidebar-toggle').click();
      await expect(sectionOf(folded).locator('.jp-AsyncResultSidebar-result')).toHaveCount(0);
      await page.reload({ waitForIsReady: false } as any);
      await showTasks(page);
      await page.notebook.activate('main.ipynb');

      // the same view
      await expect(filter).toHaveValue('held', { timeout: 60000 });
      await expect(status).toHaveValue('unfinished');
      await expect(sort).toHaveValue('longest');
      await expect(sectionOf(folded).locator('.jp-AsyncResultSidebar-toggle')).toHaveAttribute(
        'aria-expanded',
        'false',
        { timeout: 60000 }
      );
      await expect(sectionOf(folded).locator('.jp-AsyncResultSidebar-result')).toHaveCount(0);
      // the same rows, in the same order, once each, with ipyparallel's counts now
      await expect(names).toHaveText(['held (alpha)', 'held (beta)'], { timeout: 60000 });
      const now = await truthBecomes(page, {
        alpha: { done: 4, running: 2, queued: 4 },
        beta: { done: 0, running: 0, queued: 2 }
      });
      await rowShows(mainRows.nth(0), now.alpha);
      await rowShows(mainRows.nth(1), now.beta);
      await expect(panel.locator('.jp-AsyncResultSidebar-kernel')).toHaveCount(2);
      await page.screenshot({ path: path.join(SCREENSHOTS, 'panel-after-reload.png') });

      // still live: show every status, let the held tasks go, watch them end
      await status.selectOption('all');
      barrier.release();
      const end = await truthBecomes(page, {
        alpha: { done: 10, running: 0, queued: 0 },
        beta: { done: 2, running: 0, queued: 0 }
      });
      const named = (name: string) =>
        mainRows.filter({ has: page.locator('.jp-AsyncResultSidebar-name', { hasText: name }) });
      await rowShows(named('alpha'), end.alpha);
      await rowShows(named('beta'), end.beta);
      await expect(named('alpha')).toHaveAttribute('data-status', 'done');
      await expect(mainRows).toHaveCount(2);
      const ids = await panel
        .locator('.jp-AsyncResultSidebar-result')
        .evaluateAll(rows => rows.map(r => `${r.dataset.kernelId}/${r.dataset.resultId}`));
      expect(new Set(ids).size).toBe(ids.length);
      expect(errors).toEqual([]);
    } finally {
      barrier.release();
    }
  });
});
