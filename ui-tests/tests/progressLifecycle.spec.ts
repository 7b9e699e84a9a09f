import * as fs from 'fs';
import {
  Barrier,
  collectErrors,
  command,
  expect,
  galata,
  kernelValue,
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
    // half the tasks end at once, the rest wait for the barrier: "still
    // working" holds however busy the machine
    const barrier = new Barrier();
    // into the model (typing it would auto-indent)
    await page.evaluate(
      ([index, source]) => {
        const panel = (window as any).jupyterapp.shell.currentWidget;
        panel.content.widgets[index].model.sharedModel.setSource(source);
      },
      [3, `${barrier.python(60)}\nslow = lview.map_async(held, range(120))\nslow`] as const
    );

    await page.notebook.runCell(3);
    const widget = outputOf(page, 3).locator('.jp-AsyncResultProgress');
    await expect(widget).toBeVisible({ timeout: 30000 });
    const count = widget.locator('.jp-AsyncResultProgress-count');
    await expect(count).toHaveText('60 / 120 done', { timeout: 60000 });

    // collapsed and expanded again: the same live widget
    await page.notebook.selectCells(3);
    await command(page, 'notebook:hide-cell-outputs');
    await expect(widget).toBeHidden();
    await command(page, 'notebook:show-cell-outputs');
    await expect(widget).toBeVisible();
    await expect(count).toHaveText('60 / 120 done');

    // re-run while the first run still works: one widget, the new one
    await page.notebook.runCell(3);
    await expect(outputOf(page, 3).locator('.jp-AsyncResultProgress')).toHaveCount(1);

    // cleared: gone, and the work ending later finds nothing to replace
    await command(page, 'notebook:clear-all-cell-outputs');
    await expect(page.locator('.jp-AsyncResultProgress')).toHaveCount(0);
    await expect(page.locator('.jp-AsyncResultSummary')).toHaveCount(0);
    // both runs end in the kernel: a cell that waits for all the client's
    // work returns only then
    barrier.release();
    expect(await kernelValue(page, 'rc.wait(timeout=300)')).toBe(true);
    await expect(page.locator('.jp-AsyncResultSummary')).toHaveCount(0);
    await expect(page.locator('.jp-AsyncResultProgress')).toHaveCount(0);

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
      // (Galata's selectCells scrolls there by mouse wheel: minutes on a busy machine)
      await page.evaluate(async () => {
        const panel = (window as any).jupyterapp.shell.currentWidget;
        panel.content.activeCellIndex = 60;
        await panel.content.scrollToItem(60, 'start');
      });
      // until the work ended in the kernel, the cell out of the window
      expect(await kernelValue(page, 'rc.wait(timeout=300)')).toBe(true);

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
