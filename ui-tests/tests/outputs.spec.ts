import type { Locator, Page } from '@playwright/test';
import * as path from 'path';
import {
  Barrier,
  collectErrors,
  expect,
  openCells,
  outputOf,
  savedNotebook,
  SCREENSHOTS,
  startCell,
  test
} from './helpers';

const OUTPUTS_MIME = 'application/vnd.jupyterlab-asyncresult.outputs+json';

const CONNECT = [
  'import ipyparallel as ipp',
  'rc = ipp.Client()',
  'rc.wait_for_engines(2, timeout=60)',
  'dview = rc[:]',
  "dview.scatter('rank', list(range(len(rc))), flatten=True, block=True)",
  'print(f"{len(rc)} engines ready")'
].join('\n');

// every engine prints to stdout and stderr and displays an image and HTML
const WORK = [
  '%%px --no-stream',
  'import sys',
  'from IPython.display import HTML, Image, display',
  "print('out', rank)",
  "print('err', rank, file=sys.stderr)",
  'display(Image(data=bytes.fromhex(',
  "  '89504e470d0a1a0a0000000d4948445200000001000000010806000000'",
  "  '1f15c4890000000d49444154789c63f8cfc0f01f0005000201e226'",
  "  '05f70000000049454e44ae426082'), format='png'))",
  'display(HTML(f\'<b class="engine-html">engine {rank}</b>\'))'
].join('\n');

// what an engine might send to steal the page: none of it may run
const HOSTILE = [
  '%%px --no-stream',
  'from IPython.display import HTML, SVG, Javascript, display',
  'display(HTML(\'<img class="bait" src=x onerror="window.__pwned=1">\'))',
  "display(HTML('<script>window.__pwned=2</script><i>after script</i>'))",
  'display(SVG(\'<svg xmlns="http://www.w3.org/2000/svg" onload="window.__pwned=3"><rect width="4" height="4"/></svg>\'))',
  "display(Javascript('window.__pwned=4'))"
].join('\n');

/** The block labels of the grouped view, in order. */
async function labels(view: Locator): Promise<string[]> {
  const texts = await view.locator('.jp-AsyncResultOutputs-toggle').allTextContents();
  return texts.map(t => t.slice(2));
}

async function groupBy(view: Locator, groupby: string): Promise<void> {
  await view.locator('select.jp-AsyncResultOutputs-groupby').selectOption(groupby);
}

async function pwned(page: Page): Promise<unknown> {
  return page.evaluate(() => (window as any).__pwned);
}

test.describe('Grouped outputs of parallel work', () => {
  test('a %%px cell shows in all five groupings, switched in place', async ({ page, tmpPath }) => {
    const errors = collectErrors(page);
    await openCells(page, tmpPath, 'outputs.ipynb', [CONNECT, WORK]);
    await page.notebook.runCell(0, true);
    await page.notebook.runCell(1, true);
    const view = outputOf(page, 1).locator('.jp-AsyncResultOutputs');
    await expect(view).toBeVisible({ timeout: 30000 });
    // one output: our view, not ipyparallel's text dump
    await expect(outputOf(page, 1).locator('.jp-OutputArea-output')).toHaveCount(1);
    await expect(view.locator('.engine-html')).toHaveCount(2);
    await expect(view.locator('.jp-AsyncResultOutputs-display img')).toHaveCount(2);

    await expect
      .poll(() => labels(view))
      .toEqual([
        '[stdout:0]',
        '[stdout:1]',
        '[stderr:0]',
        '[stderr:1]',
        '[output:0]',
        '[output:1]'
      ]);
    await view.screenshot({ path: path.join(SCREENSHOTS, 'outputs-light.png') });
    await groupBy(view, 'engine');
    await expect
      .poll(() => labels(view))
      .toEqual([
        '[stdout:0]',
        '[stderr:0]',
        '[output:0]',
        '[stdout:1]',
        '[stderr:1]',
        '[output:1]'
      ]);
    await groupBy(view, 'order');
    await expect
      .poll(() => labels(view))
      .toEqual([
        '[stdout:0]',
        '[stdout:1]',
        '[stderr:0]',
        '[stderr:1]',
        '[output:0]',
        '[output:1]',
        '[output:0]',
        '[output:1]'
      ]);
    await groupBy(view, 'first');
    await expect.poll(() => labels(view)).toEqual(['[stdout:0]', '[stderr:0]', '[output:0]']);
    await expect(view).toContainText('1 more engine(s) hidden');
    await groupBy(view, 'merge');
    // the outputs differ by engine: merge keeps them apart
    await expect.poll(() => labels(view)).toContain('[stdout:1]');

    // an engine folds, and the stream filter hides stderr
    await groupBy(view, 'type');
    await view.locator('.jp-AsyncResultOutputs-toggle', { hasText: '[stdout:0]' }).click();
    await expect(view.locator('.jp-AsyncResultOutputs-block.jp-mod-collapsed')).toHaveCount(3);
    await expect(view).not.toContainText('out 0');
    await view.locator('.jp-AsyncResultOutputs-toggle', { hasText: '[stdout:0]' }).click();
    await view.locator('input[data-stream="stderr"]').uncheck();
    await expect(view).not.toContainText('err 1');
    await expect(view).toContainText('out 1');

    // the text beside it is ipyparallel's own
    await page.notebook.save();
    const nb = await savedNotebook(page, `${tmpPath}/outputs.ipynb`);
    const [output] = nb.cells[1].outputs;
    expect(output.data['text/plain']).toContain('[stdout:0] \nout 0\n');
    expect(output.data[OUTPUTS_MIME].tasks).toHaveLength(2);

    // dark theme: readable, and looked at
    await page.theme.setDarkTheme();
    const [fg, bg] = await view.evaluate(el => [
      getComputedStyle(el.querySelector('.jp-AsyncResultOutputs-text')!).color,
      getComputedStyle(el.closest('.jp-Notebook')!).backgroundColor
    ]);
    expect(fg).not.toEqual(bg);
    await view.screenshot({ path: path.join(SCREENSHOTS, 'outputs-dark.png') });
    await page.theme.setLightTheme();

    // reopened with the kernel gone: the saved outputs, grouped
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
    const saved = outputOf(page, 1).locator('.jp-AsyncResultOutputs');
    await expect(saved).toBeVisible();
    await expect.poll(() => labels(saved)).toContain('[stderr:1]');
    await expect(saved.locator('.engine-html')).toHaveCount(2);
    expect(errors).toEqual([]);
  });

  test('outputs appear while the tasks run, before they end', async ({ page, tmpPath }) => {
    const barrier = new Barrier();
    const live = [
      '%%px --stream',
      'import os, time',
      "print('started', rank, flush=True)",
      `while not os.path.exists(${JSON.stringify(barrier.path)}):`,
      '    time.sleep(0.05)',
      "print('finished', rank)"
    ].join('\n');
    await openCells(page, tmpPath, 'live.ipynb', [CONNECT, live]);
    await page.notebook.runCell(0, true);
    try {
      await startCell(page, 1);
      const view = outputOf(page, 1).locator('.jp-AsyncResultOutputs');
      await expect(view).toContainText('started 0', { timeout: 60000 });
      await expect(view).toContainText('started 1', { timeout: 60000 });
      await expect(view).not.toContainText('finished');
      // engine order holds however the lines arrived
      await groupBy(view, 'engine');
      await expect.poll(() => labels(view)).toEqual(['[stdout:0]', '[stdout:1]']);
    } finally {
      barrier.release();
    }
    const view = outputOf(page, 1).locator('.jp-AsyncResultOutputs');
    await expect(view).toContainText('finished 1', { timeout: 60000 });
    await expect(view.locator('.jp-AsyncResultOutputs-status')).toHaveText('', { timeout: 30000 });
  });

  test('a page reload mid-run waits for the kernel, then shows the same result', async ({
    page,
    tmpPath
  }) => {
    const errors = collectErrors(page);
    const barrier = new Barrier();
    const live = [
      '%%px --stream',
      'import os, time',
      "print('started', rank, flush=True)",
      `while not os.path.exists(${JSON.stringify(barrier.path)}):`,
      '    time.sleep(0.05)',
      "print('finished', rank)"
    ].join('\n');
    await openCells(page, tmpPath, 'reload.ipynb', [CONNECT, live]);
    await page.notebook.runCell(0, true);
    try {
      await startCell(page, 1);
      const view = outputOf(page, 1).locator('.jp-AsyncResultOutputs');
      await expect(view).toContainText('started 1', { timeout: 60000 });
      await page.notebook.save();

      await page.reload({ waitForIsReady: false } as any);
      const again = outputOf(page, 1).locator('.jp-AsyncResultOutputs');
      // the running cell holds back the kernel's first answer to the new
      // page (see the progress bar's notice): the view says it waits...
      await expect(again.locator('.jp-AsyncResultOutputs-status')).toHaveText(
        'Waiting for the kernel…',
        { timeout: 90000 }
      );
      await expect(again).not.toContainText('finished');
      barrier.release();
      // ...and once the kernel answers, follows the same result to its end
      await expect(again).toContainText('finished 1', { timeout: 90000 });
      await expect(again).toContainText('started 0');
      await expect(again.locator('.jp-AsyncResultOutputs-status')).toHaveText('');
      expect(errors).toEqual([]);
    } finally {
      barrier.release();
    }
  });

  test('HTML, scripts and SVG from engines do not run in the page', async ({ page, tmpPath }) => {
    await openCells(page, tmpPath, 'hostile.ipynb', [CONNECT, HOSTILE]);
    await page.notebook.runCell(0, true);
    await page.notebook.runCell(1, true);
    const view = outputOf(page, 1).locator('.jp-AsyncResultOutputs');
    await expect(view).toBeVisible({ timeout: 30000 });
    // the sanitised HTML was rendered (the bait is there, its handler gone)
    await expect(view.locator('img.bait')).toHaveCount(2);
    await expect(view).toContainText('after script');
    expect(await view.locator('img.bait').first().getAttribute('onerror')).toBeNull();
    await expect(view.locator('script')).toHaveCount(0);
    // give an image that fails to load every chance to fire its handler
    await page.waitForFunction(() =>
      Array.from(document.querySelectorAll('img.bait')).every(i => (i as HTMLImageElement).complete)
    );
    expect(await pwned(page)).toBeUndefined();
  });
});
