/**
 * Abort some tasks of one AsyncResult (issue 15, item 2): rows chosen in
 * the monitor's task table, with the mouse and the keyboard, while the
 * submitting cell blocks in `ar.get()`; ipyparallel's own AsyncResult then
 * says exactly those tasks were aborted and the others done, and the table
 * agrees row by row.
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
  startCell,
  test
} from './helpers';

/** The table's rows as its grid paints them: msg_id and status. */
function tableRows(page: Page): Promise<Array<{ msg_id: string; status: string }>> {
  return page.evaluate(() => {
    const app = (window as any).jupyterapp;
    const widget = Array.from(app.shell.widgets('main') as Iterable<any>).find((w: any) =>
      w.id.startsWith('jp-asyncresult-timeline-')
    ) as any;
    const model = widget?.content.table.model;
    if (!model) {
      return [];
    }
    const names = Array.from({ length: model.columnCount('body') }, (_, c) =>
      model.data('column-header', 0, c)
    );
    const column = (name: string) => names.indexOf(name);
    return Array.from({ length: model.rowCount('body') }, (_, r) => ({
      msg_id: model.data('body', r, column('msg_id')),
      status: model.data('body', r, column('status'))
    }));
  });
}

/** What the controller says now of some msg_ids: on an engine, or waiting for one. */
function hubWhere(msgIds: string[]): string[] {
  const status = hubQueueStatus(true);
  const onEngines = new Set(hubEngines(status).flatMap(e => [...e.tasks, ...e.queue]));
  const waiting = new Set(status.unassigned as string[]);
  return msgIds.map(m => (onEngines.has(m) ? 'engine' : waiting.has(m) ? 'unassigned' : 'none'));
}

test.describe('Abort some tasks of a result', () => {
  test.setTimeout(300 * 1000);
  test.use({ viewport: { width: 1280, height: 1100 } });

  test('the selected queued rows abort, and only they, while the cell blocks in ar.get()', async ({
    page,
    tmpPath
  }) => {
    const errors = collectErrors(page);
    const barrier = new Barrier();
    try {
      await openCells(page, tmpPath, 'abort-some.ipynb', [
        [
          'import ipyparallel as ipp',
          'rc = ipp.Client()',
          'rc.wait_for_engines(2, timeout=60)',
          'lview = rc.load_balanced_view()',
          barrier.python(0)
        ].join('\n'),
        [
          'ar = lview.map_async(held, range(10))',
          'try:',
          '    ar.get()',
          'except Exception as e:',
          '    print(type(e).__name__)'
        ].join('\n')
      ]);
      await showTasks(page);
      // the panel's tab in the left bar: only the icon, as JupyterLab's own
      // panels, with a short name for the tooltip and the tab lists
      const tab = page.locator('.jp-SideBar .lm-TabBar-tab[data-id="jp-asyncresult-sidebar"]');
      await expect(tab).toHaveAttribute('title', 'Parallel Tasks');
      await expect(tab.locator('.lm-TabBar-tabLabel')).toHaveText('');

      await page.notebook.runCell(0, true);
      await startCell(page, 1);
      const row = resultRow(page, 'held');
      await expect(row).toHaveAttribute(
        'title',
        /0 done, 0 failed, 0 aborted, 2 running, 8 queued/,
        {
          timeout: 60000
        }
      );
      await row.click({ button: 'right' });
      await page.locator('.lm-Menu').getByText('Show Tasks of This Result').click();
      const table = page.locator('.jp-AsyncResultTaskTable');
      await expect(table).toHaveAttribute('data-rows', '10', { timeout: 30000 });
      // room for all ten rows: the table gets most of the monitor
      await page.evaluate(() => {
        const app = (window as any).jupyterapp;
        const widget = Array.from(app.shell.widgets('main') as Iterable<any>).find((w: any) =>
          w.id.startsWith('jp-asyncresult-timeline-')
        ) as any;
        widget.content.setRelativeSizes([1, 3]);
      });
      const grid = table.locator('.jp-AsyncResultTaskTable-grid');
      await expect
        .poll(async () => (await grid.boundingBox())!.height, { timeout: 10000 })
        .toBeGreaterThan(24 + 10 * 22 + 20);

      // which rows wait for an engine, as the controller says (a client of
      // its own: the kernel blocks), and as the table says
      const rows = await tableRows(page);
      const where = hubWhere(rows.map(r => r.msg_id));
      expect(where.filter(w => w === 'engine')).toHaveLength(2);
      const waiting = where.flatMap((w, i) => (w === 'unassigned' ? [i] : []));
      expect(waiting).toHaveLength(8);
      waiting.forEach(i => expect(rows[i].status).toBe('queued'));
      // two neighbours and one more further on, plus a running row that abort must leave alone
      const first = waiting.find(i => waiting.includes(i + 1) && waiting.some(j => j > i + 2))!;
      const last = waiting.find(j => j > first + 2)!;
      const running = where.indexOf('engine');
      const chosen = [first, first + 1, last];

      // the mouse picks the first, Shift+Down adds its neighbour, Ctrl+click the
      // third, and a Ctrl+click on a running row (which abort cannot stop)
      const rowY = (i: number) => 24 + i * 22 + 11;
      await grid.click({ position: { x: 40 + 30, y: rowY(first) } });
      await page.keyboard.press('Shift+ArrowDown');
      await grid.click({ position: { x: 40 + 30, y: rowY(last) }, modifiers: ['Control'] });
      await grid.click({ position: { x: 40 + 30, y: rowY(running) }, modifiers: ['Control'] });
      const selected = await page.evaluate(() => {
        const app = (window as any).jupyterapp;
        const widget = Array.from(app.shell.widgets('main') as Iterable<any>).find((w: any) =>
          w.id.startsWith('jp-asyncresult-timeline-')
        ) as any;
        return widget.content.table.selectedRows();
      });
      expect(selected).toEqual([...chosen, running].sort((a, b) => a - b));

      // the context menu names the command with the count; Delete runs it
      await grid.click({ position: { x: 40 + 30, y: rowY(first) }, button: 'right' });
      await expect(
        page.locator('.lm-Menu-item[data-command="asyncresult:abort-selected-tasks"]')
      ).toContainText('Abort 4 Selected Tasks');
      await page.keyboard.press('Escape');
      await grid.focus();
      await page.keyboard.press('Delete');
      const note = table.locator('.jp-AsyncResultTaskTable-note');
      await expect(note).toContainText('Abort sent for 3 queued tasks of held', {
        timeout: 30000
      });
      await expect(note).toContainText('1 running task cannot be aborted');
      await page.screenshot({ path: path.join(SCREENSHOTS, 'abort-selected-light.png') });
      await command(page, 'apputils:change-theme', { theme: 'JupyterLab Dark' });
      await expect(table).toHaveAttribute('data-theme', 'dark', { timeout: 30000 });
      await page.waitForTimeout(300); // the grid repaints in the new colours
      await page.screenshot({ path: path.join(SCREENSHOTS, 'abort-selected-dark.png') });
      await command(page, 'apputils:change-theme', { theme: 'JupyterLab Light' });

      // released: ipyparallel's own AsyncResult says which aborted, and the table agrees
      barrier.release();
      await expect(row).toHaveAttribute('data-status', 'aborted', { timeout: 90000 });
      // the kernel is asked through the notebook: back to its tab
      await page.evaluate(() => {
        const app = (window as any).jupyterapp;
        const notebook = Array.from(app.shell.widgets('main') as Iterable<any>).find((w: any) =>
          w.context?.path?.endsWith('abort-some.ipynb')
        ) as any;
        app.shell.activateById(notebook.id);
      });
      // each task's metadata status, and whether its future holds a
      // TaskAborted (ipyparallel resolves an aborted task's future with one)
      const truth = await kernelValue<Array<[string, string, boolean]>>(
        page,
        `[(m, md['status'], f.exception() is None and type(f.result()).__name__ == 'TaskAborted')
          for m, md, f in zip(ar.msg_ids, ar._metadata, ar._children)]`
      );
      const abortedIds = chosen.map(i => rows[i].msg_id).sort();
      expect(
        truth
          .filter(([, s]) => s === 'aborted')
          .map(([m]) => m)
          .sort()
      ).toEqual(abortedIds);
      expect(truth.filter(([, s]) => s === 'ok')).toHaveLength(7);
      expect(
        truth
          .filter(([, , f]) => f)
          .map(([m]) => m)
          .sort()
      ).toEqual(abortedIds);
      await expect
        .poll(async () => (await tableRows(page)).map(r => r.status))
        .toEqual(truth.map(([, s]) => (s === 'aborted' ? 'aborted' : 'done')));
      expect(errors).toEqual([]);
    } finally {
      barrier.release();
    }
  });
});
