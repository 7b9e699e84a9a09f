import * as fs from 'fs';
import {
  collectErrors,
  command,
  expect,
  galata,
  openProgress,
  outputOf,
  PROGRESS_NOTEBOOK,
  test
} from './helpers';

test.describe('Progress widgets come and go cleanly', () => {
  test('collapsed, re-run, cleared and closed outputs throw nothing and leave no widget behind', async ({
    page,
    tmpPath
  }) => {
    const errors = collectErrors(page);
    await openProgress(page, tmpPath);

    await page.notebook.runCell(3);
    const widget = outputOf(page, 3).locator('.jp-AsyncResultProgress');
    await expect(widget).toBeVisible({ timeout: 30000 });

    // collapsed and expanded again: the same live widget, still counting
    await page.notebook.selectCells(3);
    await command(page, 'notebook:hide-cell-outputs');
    await expect(widget).toBeHidden();
    await command(page, 'notebook:show-cell-outputs');
    await expect(widget).toBeVisible();
    const before = await widget.locator('.jp-AsyncResultProgress-count').textContent();
    await expect(widget.locator('.jp-AsyncResultProgress-count')).not.toHaveText(before!, {
      timeout: 20000
    });

    // re-run while the first run still works: one widget, the new one
    await page.notebook.runCell(3);
    await expect(outputOf(page, 3).locator('.jp-AsyncResultProgress')).toHaveCount(1);

    // cleared: gone, and the work ending later finds nothing to replace
    await command(page, 'notebook:clear-all-cell-outputs');
    await expect(page.locator('.jp-AsyncResultProgress')).toHaveCount(0);
    await expect(page.locator('.jp-AsyncResultSummary')).toHaveCount(0);
    // both runs end in the kernel meanwhile (2 x 120 tasks of 0.1 s)
    await page.waitForTimeout(15000);
    await expect(page.locator('.jp-AsyncResultSummary')).toHaveCount(0);

    // a widget in a notebook that closes while its work runs
    await page.notebook.runCell(1);
    await expect(outputOf(page, 1).locator('.jp-AsyncResultProgress')).toBeVisible({
      timeout: 30000
    });
    await page.notebook.close(true);
    await expect(page.locator('.jp-AsyncResultProgress')).toHaveCount(0);
    await page.waitForTimeout(8000);
    expect(errors).toEqual([]);
  });

  test.describe('in a fully windowed notebook', () => {
    test.use({
      mockSettings: {
        ...galata.DEFAULT_SETTINGS,
        '@jupyterlab/notebook-extension:tracker': {
          ...galata.DEFAULT_SETTINGS['@jupyterlab/notebook-extension:tracker'],
          windowingMode: 'full'
        }
      }
    });

    test('a widget scrolled out of view still becomes its summary', async ({ page, tmpPath }) => {
      const errors = collectErrors(page);
      const nb = JSON.parse(fs.readFileSync(PROGRESS_NOTEBOOK, 'utf-8'));
      // a long notebook: the first cells leave the window when scrolled down
      for (let i = 0; i < 60; i++) {
        nb.cells.push({
          cell_type: 'markdown',
          id: `filler-${i}`,
          metadata: {},
          source: `## Filler ${i}\n\n` + 'Some text to take room. '.repeat(20)
        });
      }
      await page.contents.uploadContent(JSON.stringify(nb), 'text', `${tmpPath}/long.ipynb`);
      await page.notebook.openByPath(`${tmpPath}/long.ipynb`);
      await page.notebook.activate('long.ipynb');
      await page.notebook.runCell(0, true);
      await page.notebook.runCell(3);
      await expect(outputOf(page, 3).locator('.jp-AsyncResultProgress')).toBeVisible({
        timeout: 30000
      });

      // far down: the cell is out of the window while its work ends
      await page.notebook.selectCells(60);
      await page.evaluate(async () => {
        const panel = (window as any).jupyterapp.shell.currentWidget;
        await panel.content.scrollToItem(60, 'start');
      });
      await page.waitForTimeout(16000);

      await page.evaluate(async () => {
        const panel = (window as any).jupyterapp.shell.currentWidget;
        await panel.content.scrollToItem(3, 'center');
      });
      await expect(page.locator('.jp-AsyncResultSummary').first()).toContainText(
        '120/120 tasks done',
        { timeout: 30000 }
      );
      await expect(page.locator('.jp-AsyncResultProgress')).toHaveCount(0);
      expect(errors).toEqual([]);
    });
  });
});
