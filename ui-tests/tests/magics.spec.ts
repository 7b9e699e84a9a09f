import type { Locator } from '@playwright/test';
import * as path from 'path';
import {
  collectErrors,
  DEMO_NOTEBOOK,
  expect,
  kernelValue,
  openNotebook,
  outputOf,
  SCREENSHOTS,
  test
} from './helpers';

/** The cells of a `%ar list` table row, by the name in its second column. */
async function rowOf(table: Locator, name: string): Promise<Record<string, string>> {
  const headers = await table.locator('thead th').allTextContents();
  const row = table.locator('tbody tr', { has: table.page().locator(`td:text-is("${name}")`) });
  await expect(row).toHaveCount(1);
  const cells = await row.locator('td').allTextContents();
  return Object.fromEntries(headers.map((h, i) => [h, cells[i]]));
}

test.describe('The %ar magics in the demo notebook', () => {
  test('list, stats, timeline, merged outputs and queue show what the kernel says', async ({
    page,
    tmpPath
  }) => {
    const errors = collectErrors(page);
    await openNotebook(page, tmpPath, DEMO_NOTEBOOK);
    for (const index of [1, 3, 4, 6, 8, 10, 11, 12, 13, 14, 15]) {
      await page.notebook.runCell(index, true);
    }

    // %ar list: an HTML table with one row per result, counts as ipyparallel has them
    const table = outputOf(page, 10).locator('table.jp-AsyncResultMagic-table');
    await expect(table).toBeVisible();
    // ipyparallel's own answers (9.2 can leave a map's metadata status None:
    // failures are counted from the task futures)
    const truth = await kernelValue(
      page,
      'dict(squares=squares.progress, ' +
        'failed=sum(isinstance(f.result(), Exception) for f in inverses._children), ' +
        'inverses=len(inverses), engines=len(rc.ids), ' +
        'hello=sorted(set(hello.label)) if isinstance(hello.label, list) else [hello.label])'
    );
    const squares = await rowOf(table, 'slow_square');
    expect(Number(squares.done)).toBe(truth.squares);
    expect(squares.total).toBe('60');
    expect(squares.status).toBe('done');
    expect(squares.cell).toMatch(/^In \[\d+\]$/);
    const inverses = await rowOf(table, 'invert');
    expect(Number(inverses.failed)).toBe(truth.failed);
    expect(Number(inverses.done)).toBe(truth.inverses - truth.failed);
    expect(inverses.status).toBe('failed');
    await table.screenshot({ path: path.join(SCREENSHOTS, 'magics-list.png') });

    // %ar stats: the per-engine tasks add up to the 60 of the map
    const stats = outputOf(page, 11);
    await expect(stats).toContainText('wall time');
    await expect(stats).toContainText('speed-up');
    const perEngine = stats.locator('table').nth(1).locator('tbody tr');
    await expect(perEngine).toHaveCount(truth.engines);
    let tasks = 0;
    for (const row of await perEngine.all()) {
      tasks += Number(await row.locator('td').nth(1).textContent());
    }
    expect(tasks).toBe(60);

    // %ar timeline: an SVG with one row label per engine
    const timeline = outputOf(page, 12).locator('svg.jp-AsyncResultMagic-timeline');
    await expect(timeline).toBeVisible();
    await expect(timeline.locator('text', { hasText: /^engine \d+$/ })).toHaveCount(truth.engines);
    expect(await timeline.locator('rect').count()).toBeGreaterThanOrEqual(60);
    await timeline.screenshot({ path: path.join(SCREENSHOTS, 'magics-timeline.png') });

    // %%ar --label: the label reached ipyparallel; merged outputs show the line once
    expect(truth.hello).toEqual(['greeting']);
    const merged = outputOf(page, 14);
    await expect(merged).toContainText(`[stdout:0-${truth.engines - 1}]`);
    expect(((await merged.textContent()) ?? '').split('hello from an engine').length - 1).toBe(1);

    // %ar queue: one row per engine
    const queue = outputOf(page, 15).locator('table.jp-AsyncResultMagic-table tbody tr');
    await expect(queue).toHaveCount(truth.engines);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'magics-notebook.png') });

    // a bad REF is one line, not a traceback
    await page.notebook.addCell('code', '%ar stats no_such_result');
    const bad = (await page.notebook.getCellCount()) - 1;
    await page.notebook.runCell(bad, true);
    await expect(outputOf(page, bad)).toContainText('UsageError: ');
    await expect(outputOf(page, bad)).not.toContainText('Traceback');
    expect(errors).toEqual([]);
  });
});
