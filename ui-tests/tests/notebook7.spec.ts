/**
 * Jupyter Notebook 7 as a host (issue 15, item 6): the bar in a cell and
 * the Parallel tasks panel in Notebook 7's left sidebar, live while a map
 * is held on a barrier, told against what ipyparallel says, then at its end.
 * Plain Playwright against `jupyter notebook` (the `notebook7` project of
 * playwright.config.js): Galata's page fixture expects JupyterLab's shell.
 */
import { expect, type Page, test } from '@playwright/test';
import { Barrier, kernelValue, notebookOf, RESULT_TRUTH, SCREENSHOTS } from './helpers';
import * as path from 'path';

/**
 * Errors Notebook 7.6 logs on every page with or without this extension
 * (its shortcuts plugin reads the schema of a plugin whose settings are not
 * loaded): not ours, and nothing the test could change.
 */
const NOTEBOOK7_OWN_ERRORS = [/Cannot read properties of undefined \(reading 'schema'\)/];

/** Every error of the page and its console, but Notebook 7's own. */
function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  const keep = (text: string) => {
    if (!NOTEBOOK7_OWN_ERRORS.some(known => known.test(text))) {
      errors.push(text);
    }
  };
  page.on('console', message => {
    if (message.type() === 'error') {
      keep(message.text());
    }
  });
  page.on('pageerror', error => keep(error.message));
  return errors;
}

test.describe('Jupyter Notebook 7', () => {
  test.setTimeout(300 * 1000);

  test('the bar and the Parallel tasks panel count a held map live, then its end', async ({
    page
  }, info) => {
    const errors = collectErrors(page);
    const barrier = new Barrier();
    const folder = `notebook7-${Date.now()}`;
    const file = `${folder}/hosts.ipynb`;
    try {
      await page.request.put(`/api/contents/${folder}`, { data: { type: 'directory' } });
      const response = await page.request.put(`/api/contents/${file}`, {
        data: {
          type: 'notebook',
          format: 'json',
          content: JSON.parse(
            notebookOf([
              [
                'import ipyparallel as ipp',
                'rc = ipp.Client()',
                'rc.wait_for_engines(2, timeout=60)',
                'lview = rc.load_balanced_view()',
                barrier.python(2),
                RESULT_TRUTH
              ].join('\n'),
              'ar = lview.map_async(held, range(8))\nar'
            ])
          )
        }
      });
      expect(response.ok()).toBe(true);

      await page.goto(`/notebooks/${file}`);
      await page.waitForFunction(() => !!(window as any).jupyterapp, null, { timeout: 180000 });
      await page.evaluate(async () => {
        const app = (window as any).jupyterapp;
        await app.started;
        await app.restored;
      });
      await page.waitForFunction(
        () => !!(window as any).jupyterapp.shell.currentWidget?.sessionContext?.session?.kernel,
        null,
        { timeout: 180000 }
      );
      // the panel, in Notebook 7's left sidebar: the kernel's bridge answers
      // there before the cells run (a cell run earlier shows ipyparallel's
      // own repr: the kernel shows bars only while a frontend listens)
      // opened as a user would, from View > Left Sidebar, where Notebook 7
      // names each panel "Show <its caption>": short, not a sentence
      await page.locator('.lm-MenuBar-item', { hasText: /^View$/ }).click();
      await page.locator('.lm-Menu-item', { hasText: /^Left Sidebar$/ }).hover();
      const entry = page.locator('.lm-Menu-item[data-command="application:toggle-panel"]', {
        hasText: 'Parallel'
      });
      await expect(entry.locator('.lm-Menu-itemLabel')).toHaveText('Show Parallel Tasks');
      await entry.click();
      const panel = page.locator('#jp-left-stack #jp-asyncresult-sidebar');
      await expect(panel).toBeVisible();
      await expect(panel.locator('.jp-AsyncResultSidebar-kernel[data-state="live"]')).toHaveCount(
        1,
        { timeout: 120000 }
      );
      await page.evaluate(() =>
        (window as any).jupyterapp.commands.execute('notebook:run-all-cells')
      );

      // held: 2 done, 2 on the engines, 4 waiting, as ipyparallel says
      let held: any;
      await expect
        .poll(async () => (held = await kernelValue(page, 'truth(ar)')), {
          timeout: 120000,
          intervals: [250]
        })
        .toEqual({ total: 8, done: 2, running: 2, queued: 4 });
      const bar = page.locator('.jp-Notebook .jp-Cell').nth(1).locator('.jp-AsyncResultProgress');
      await expect(bar.locator('.jp-AsyncResultProgress-count')).toHaveText(
        `${held.done} / ${held.total} done`,
        { timeout: 60000 }
      );
      const stats = bar.locator('.jp-AsyncResultProgress-stats');
      await expect(stats).toContainText(`${held.running} running`);
      await expect(stats).toContainText(`${held.queued} queued`);

      // and the panel says the same
      const row = panel.locator('.jp-AsyncResultSidebar-result');
      await expect(row).toHaveCount(1, { timeout: 60000 });
      await expect(row.locator('.jp-AsyncResultSidebar-count')).toHaveText(
        `${held.done}/${held.total}`
      );
      await expect(row).toHaveAttribute(
        'title',
        new RegExp(
          `${held.done} done, 0 failed, 0 aborted, ${held.running} running, ${held.queued} queued`
        )
      );
      await expect(panel.locator('.jp-AsyncResultSidebar-kernelName')).toHaveAttribute(
        'title',
        new RegExp(`^${file}`)
      );
      await page.screenshot({ path: path.join(SCREENSHOTS, 'notebook7-held.png') });

      barrier.release();
      await expect
        .poll(() => kernelValue(page, 'truth(ar)'), { timeout: 120000, intervals: [250] })
        .toEqual({ total: 8, done: 8, running: 0, queued: 0 });
      await expect(row.locator('.jp-AsyncResultSidebar-count')).toHaveText('8/8', {
        timeout: 60000
      });
      await expect(row).toHaveAttribute('data-status', 'done');
      // the bar ends as in JupyterLab: full, or given way to its summary
      await expect(
        page.locator('.jp-Notebook .jp-Cell').nth(1).locator('.jp-OutputArea')
      ).toContainText(/8 \/ 8 done|8\/8 tasks done/, { timeout: 60000 });
      await page.screenshot({ path: path.join(SCREENSHOTS, 'notebook7-done.png') });
      info.annotations.push({ type: 'notebook 7 console errors', description: `${errors.length}` });
      expect(errors).toEqual([]);
    } finally {
      barrier.release();
      // the kernel of this page goes with it: Notebook 7 keeps it otherwise
      await page.request
        .get('/api/sessions')
        .then(r => r.json())
        .then((sessions: any[]) =>
          Promise.all(
            sessions
              .filter(s => s.path === file)
              .map(s => page.request.delete(`/api/sessions/${s.id}`))
          )
        )
        .catch(() => undefined);
    }
  });
});
