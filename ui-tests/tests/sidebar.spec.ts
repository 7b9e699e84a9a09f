import * as path from 'path';
import { collectErrors, expect, openDemo, resultRow, showTasks, test } from './helpers';

test.describe('Parallel tasks sidebar', () => {
  test('shows a load-balanced map count up live, then its final count', async ({
    page,
    tmpPath
  }) => {
    const errors = collectErrors(page);
    // connects to the cluster started by the test command
    await openDemo(page, tmpPath);
    await expect(page.locator('.jp-AsyncResultSidebar-kernel[data-state="live"]')).toHaveCount(1, {
      timeout: 60000
    });

    // submit 60 tasks of 0.1 s without waiting for them
    await page.notebook.runCell(3, false);
    const row = resultRow(page, 'slow_square');
    const count = row.locator('.jp-AsyncResultSidebar-count');
    await expect(count).toHaveText(/^\d+\/60$/, { timeout: 30000 });

    // an intermediate state: some done, not all
    await expect
      .poll(
        async () => {
          const [done] = (await count.textContent())!.split('/').map(Number);
          return done > 0 && done < 60;
        },
        { timeout: 30000, intervals: [50] }
      )
      .toBe(true);
    await expect(row).toHaveAttribute('data-status', 'running');
    await page.screenshot({ path: test.info().outputPath('sidebar-running.png') });

    // the final state
    await expect(count).toHaveText('60/60', { timeout: 60000 });
    await expect(row).toHaveAttribute('data-status', 'done');

    // failures are counted
    await page.notebook.runCell(6, true);
    const failing = resultRow(page, 'invert');
    // done / total, like the bar: the failed task is counted apart (10.10)
    await expect(failing.locator('.jp-AsyncResultSidebar-count')).toHaveText('7/8');
    await expect(failing.locator('.jp-AsyncResultSidebar-failed')).toHaveText('1 failed');
    await expect(failing).toHaveAttribute('data-status', 'error');

    // %px is listed by its name
    await page.notebook.runCell(8, true);
    await expect(resultRow(page, '%px')).toHaveAttribute('data-status', 'done', {
      timeout: 30000
    });

    await page.screenshot({ path: test.info().outputPath('sidebar-done.png') });
    await page.screenshot({
      path: path.resolve(__dirname, '../screenshots/sidebar-light.png')
    });
    expect(errors).toEqual([]);
  });

  test('clicking a result reveals the cell that submitted it', async ({ page, tmpPath }) => {
    const errors = collectErrors(page);
    await openDemo(page, tmpPath);
    await page.notebook.runCell(6, true);
    await page.notebook.selectCells(0);
    await resultRow(page, 'invert').click();
    await expect
      .poll(() =>
        page.evaluate(() => (window as any).jupyterapp.shell.currentWidget.content.activeCellIndex)
      )
      .toBe(6);
    expect(errors).toEqual([]);
  });

  test('a kernel without ipyparallel, then a closed notebook, leave the sidebar right', async ({
    page
  }) => {
    const errors = collectErrors(page);
    await showTasks(page);
    await page.notebook.createNew('plain.ipynb');
    const section = page.locator('.jp-AsyncResultSidebar-kernel');
    await expect(section).toHaveCount(1, { timeout: 60000 });
    await expect(section).toHaveAttribute('data-state', 'live', {
      timeout: 60000
    });
    await expect(section).toContainText('No AsyncResults in this kernel yet.');
    await page.notebook.setCell(0, 'code', 'print(1 + 1)');
    await page.notebook.runCell(0, true);
    await expect(section.locator('.jp-AsyncResultSidebar-result')).toHaveCount(0);

    await page.notebook.close(true);
    await expect(section).toHaveCount(0);
    await expect(page.locator('#jp-asyncresult-sidebar')).toContainText(
      'No notebook or console is open.'
    );
    expect(errors).toEqual([]);
  });

  test('a page reload mid-run brings the results back from a snapshot', async ({
    page,
    tmpPath
  }) => {
    const errors = collectErrors(page);
    await openDemo(page, tmpPath);
    await page.notebook.runCell(3, false);
    const count = resultRow(page, 'slow_square').locator('.jp-AsyncResultSidebar-count');
    await expect(count).toHaveText(/^\d+\/60$/, { timeout: 30000 });

    // Galata's reload; skip its wait for the Launcher tab
    await page.reload({ waitForIsReady: false } as any);
    await showTasks(page);
    const again = resultRow(page, 'slow_square');
    await expect(again.locator('.jp-AsyncResultSidebar-count')).toHaveText('60/60', {
      timeout: 60000
    });
    await expect(again).toHaveAttribute('data-status', 'done');
    expect(errors).toEqual([]);
  });

  test('the dark theme keeps the panel readable', async ({ page, tmpPath }) => {
    const errors = collectErrors(page);
    await page.theme.setDarkTheme();
    await openDemo(page, tmpPath);
    await page.notebook.runCell(6, true);
    const row = resultRow(page, 'invert');
    await expect(row).toHaveAttribute('data-status', 'error');
    // one synchronous look: the panel redraws its rows (cluster polls, ticks),
    // and a row element held across two steps may be gone by the second
    const [fg, bg] = await page.evaluate(() => {
      const panel = document.querySelector('#jp-asyncresult-sidebar')!;
      const el = panel.querySelector('.jp-AsyncResultSidebar-result[data-status="error"]')!;
      return [getComputedStyle(el).color, getComputedStyle(panel).backgroundColor];
    });
    expect(fg).not.toEqual(bg);
    await page.screenshot({
      path: path.resolve(__dirname, '../screenshots/sidebar-dark.png')
    });
    await page.theme.setLightTheme();
    expect(errors).toEqual([]);
  });
});
