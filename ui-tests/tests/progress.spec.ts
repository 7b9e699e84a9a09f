import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  Barrier,
  collectErrors,
  doneOf,
  expect,
  kernelRun,
  openProgress,
  outputOf,
  savedNotebook,
  SCREENSHOTS,
  startCell,
  test
} from './helpers';

const WIDGET_MIME = 'application/vnd.jupyter.widget-view+json';

test.describe('Live progress widgets', () => {
  test('a map_async of 200 tasks moves, ends at 200/200 and leaves a static summary that is saved', async ({
    page,
    tmpPath
  }) => {
    const errors = collectErrors(page);
    await openProgress(page, tmpPath);
    await page.notebook.runCell(1);

    const widget = outputOf(page, 1).locator('.jp-AsyncResultProgress');
    await expect(widget).toBeVisible({ timeout: 30000 });
    await expect(widget.locator('.jp-AsyncResultProgress-label')).toHaveText('sleep');
    // an intermediate value: some done, not all
    await expect
      .poll(
        async () => {
          const [done, total] = await doneOf(widget);
          return total === 200 && done > 0 && done < 200;
        },
        { timeout: 30000, intervals: [50] }
      )
      .toBe(true);
    await expect(widget).toHaveAttribute('data-status', 'running');
    await expect(widget.locator('.jp-AsyncResultProgress-stats')).toContainText(/tasks\/s/);
    await expect(widget.locator('.jp-AsyncResultProgress-stats')).toContainText('ETA');
    await expect(widget.locator('.jp-AsyncResultProgress-engine')).toHaveCount(2);
    await widget.screenshot({ path: path.join(SCREENSHOTS, 'progress-light.png') });

    // the end: the widget gives way to the kernel's static summary
    const summary = outputOf(page, 1).locator('.jp-AsyncResultSummary');
    await expect(summary).toContainText('200/200 tasks done', {
      timeout: 60000
    });
    await expect(widget).toHaveCount(0);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'progress-summary.png') });

    // saved, the output is plain HTML and text: no widget view
    await page.notebook.save();
    const nb = await savedNotebook(page, `${tmpPath}/progress.ipynb`);
    const outputs = nb.cells[1].outputs;
    expect(outputs).toHaveLength(1);
    expect(Object.keys(outputs[0].data).sort()).toEqual(['text/html', 'text/plain']);
    expect(outputs[0].data['text/plain']).toContain('200/200 tasks done');
    expect(errors).toEqual([]);
  });

  test('Abort in a blocking wait_interactive aborts the queued tasks and says how many', async ({
    page,
    tmpPath
  }) => {
    const errors = collectErrors(page);
    await openProgress(page, tmpPath);
    await startCell(page, 2);
    const widget = outputOf(page, 2).locator('.jp-AsyncResultProgress');
    await expect(widget).toBeVisible({ timeout: 30000 });
    await expect.poll(async () => (await doneOf(widget))[0], { timeout: 30000 }).toBeGreaterThan(0);

    await widget.locator('.jp-AsyncResultProgress-abort').click();
    // the cell still blocks in wait_interactive, yet the abort gets through
    const summary = outputOf(page, 2).locator('.jp-AsyncResultSummary');
    await expect(summary).toContainText(/\d+ aborted/, { timeout: 30000 });
    const text = (await summary.textContent())!;
    const aborted = Number(text.match(/(\d+) aborted/)![1]);
    const done = Number(text.match(/(\d+)\/40 tasks done/)![1]);
    expect(aborted).toBeGreaterThan(10);
    expect(done + aborted).toBe(40);
    await expect(summary).toHaveAttribute('data-status', 'aborted');
    expect(errors).toEqual([]);
  });

  test('a page reload mid-run brings the widget back with the right state', async ({
    page,
    tmpPath
  }) => {
    const errors = collectErrors(page);
    // held mid-run on a barrier, not by guessing how long 120 tasks last
    // (they used to end before the reloaded page restored the widget)
    const barrier = new Barrier();
    try {
      await openProgress(page, tmpPath);
      await kernelRun(page, barrier.python(10));
      await page.notebook.setCell(3, 'code', 'slow = lview.map_async(held, range(120))\nslow');
      await page.notebook.runCell(3);
      const widget = outputOf(page, 3).locator('.jp-AsyncResultProgress');
      await expect
        .poll(async () => (await widget.count()) && (await doneOf(widget))[0], {
          timeout: 60000
        })
        .toBe(10);
      await page.notebook.save();

      await page.reload({ waitForIsReady: false } as any);
      const again = outputOf(page, 3).locator('.jp-AsyncResultProgress');
      await expect(again).toBeVisible({ timeout: 90000 });
      // the restored widget counts on from where the work is, not from zero
      await expect.poll(async () => (await doneOf(again))[0], { timeout: 30000 }).toBe(10);
      expect((await doneOf(again))[1]).toBe(120);
      // and still gives way to the summary at the end
      barrier.release();
      await expect(outputOf(page, 3).locator('.jp-AsyncResultSummary')).toContainText(
        '120/120 tasks done',
        { timeout: 90000 }
      );
      expect(errors).toEqual([]);
    } finally {
      barrier.release();
    }
  });

  test('%%px shows the widget past --progress-after; the dark theme keeps it readable', async ({
    page,
    tmpPath
  }) => {
    const errors = collectErrors(page);
    await page.theme.setDarkTheme();
    await openProgress(page, tmpPath);
    await startCell(page, 4);
    const widget = outputOf(page, 4).locator('.jp-AsyncResultProgress');
    await expect(widget).toBeVisible({ timeout: 30000 });
    await expect(widget.locator('.jp-AsyncResultProgress-label')).toHaveText('%px');
    // one synchronous look: the bar redraws while %px runs, and an element
    // held across Playwright's two steps may be gone by the second
    const [fg, bg] = await page.evaluate(() => {
      const notebook = document.querySelector('.jp-Notebook')!;
      const cell = notebook.querySelectorAll('.jp-Cell')[4];
      const el = cell.querySelector('.jp-OutputArea .jp-AsyncResultProgress')!;
      return [getComputedStyle(el).color, getComputedStyle(notebook).backgroundColor];
    });
    expect(fg).not.toEqual(bg);
    await widget.screenshot({ path: path.join(SCREENSHOTS, 'progress-dark.png') });
    await expect(outputOf(page, 4).locator('.jp-AsyncResultSummary')).toContainText(
      '2/2 tasks done',
      { timeout: 30000 }
    );
    await page.theme.setLightTheme();
    expect(errors).toEqual([]);
  });

  test('the saved notebook shows the summary with no kernel, in JupyterLab and in nbconvert', async ({
    page,
    tmpPath
  }) => {
    const errors = collectErrors(page);
    await openProgress(page, tmpPath);
    await page.notebook.runCell(1);
    await expect(outputOf(page, 1).locator('.jp-AsyncResultSummary')).toContainText(
      '200/200 tasks done',
      { timeout: 60000 }
    );
    await page.notebook.save();

    // no kernel: shut it down, then reload the document from disk
    await page.evaluate(async () => {
      const app = (window as any).jupyterapp;
      await app.commands.execute('kernelmenu:shutdown');
      await app.commands.execute('docmanager:reload');
    });
    await expect
      .poll(() =>
        page.evaluate(
          () => !(window as any).jupyterapp.shell.currentWidget.sessionContext.session?.kernel
        )
      )
      .toBe(true);
    const summary = outputOf(page, 1).locator('.jp-AsyncResultSummary');
    await expect(summary).toContainText('200/200 tasks done');
    await expect(outputOf(page, 1).locator('.jp-AsyncResultProgress')).toHaveCount(0);

    // nbconvert renders it as plain HTML too (as GitHub would)
    const nb = await savedNotebook(page, `${tmpPath}/progress.ipynb`);
    expect(JSON.stringify(nb.cells[1].outputs)).not.toContain(WIDGET_MIME);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'asyncresult-'));
    const file = path.join(dir, 'saved.ipynb');
    fs.writeFileSync(file, JSON.stringify(nb));
    execFileSync('jupyter', ['nbconvert', '--to', 'html', file], {
      stdio: 'pipe'
    });
    const html = fs.readFileSync(path.join(dir, 'saved.html'), 'utf-8');
    expect(errors).toEqual([]);
    // a page of its own: the exported file asks for CDN scripts this
    // machine cannot reach, which is no concern of ours
    const viewer = await page.context().newPage();
    await viewer.setContent(html);
    await expect(viewer.locator('.jp-AsyncResultSummary')).toContainText('200/200 tasks done');
    await viewer.screenshot({ path: path.join(SCREENSHOTS, 'summary-nbconvert.png') });
    await viewer.close();
  });
});
