/**
 * The Parallel tasks panel as a place to act from (issue 15): Abort from a
 * row while the submitting cell blocks in `ar.get()`, told against what
 * ipyparallel's hub says at that moment; same-named notebooks told apart;
 * going to the submitting cell, and saying so when it is gone.
 */
import * as path from 'path';
import {
  Barrier,
  collectErrors,
  expect,
  hubEngines,
  hubQueueStatus,
  kernelValue,
  openAt,
  openCells,
  resultRow,
  SCREENSHOTS,
  showTasks,
  startCell,
  test
} from './helpers';

/** Tasks on engines and unassigned, as the controller says now. */
function hubQueues(): { onEngines: number; unassigned: number } {
  const status = hubQueueStatus();
  return {
    onEngines: hubEngines(status).reduce((n, v) => n + v.tasks + v.queue, 0),
    unassigned: status.unassigned
  };
}

/** Connect, and define `held` (every task waits for the barrier). */
function connectCell(barrier: Barrier): string {
  return [
    'import ipyparallel as ipp',
    'rc = ipp.Client()',
    'rc.wait_for_engines(2, timeout=60)',
    'lview = rc.load_balanced_view()',
    barrier.python(0)
  ].join('\n');
}

test.describe('The Parallel tasks panel', () => {
  test.setTimeout(300 * 1000);

  test('Abort on a row while the cell blocks in ar.get() aborts that result only', async ({
    page,
    tmpPath
  }) => {
    const errors = collectErrors(page);
    const barrier = new Barrier();
    try {
      await openCells(page, tmpPath, 'blocking.ipynb', [
        connectCell(barrier),
        [
          "with lview.temp_flags(label='first'):",
          '    ar = lview.map_async(held, range(20))',
          "with lview.temp_flags(label='second'):",
          '    other = lview.map_async(held, range(20, 30))',
          'ar.get()'
        ].join('\n')
      ]);
      await showTasks(page);
      await page.notebook.runCell(0, true);
      await startCell(page, 1);
      const row = resultRow(page, 'first');
      const otherRow = resultRow(page, 'second');
      await expect(row.locator('.jp-AsyncResultSidebar-count')).toHaveText('0/20', {
        timeout: 60000
      });
      await expect(otherRow.locator('.jp-AsyncResultSidebar-count')).toHaveText('0/10');

      // the cell blocks; both results held: one task on each engine, the rest
      // unassigned in the scheduler, as the hub itself says
      await expect
        .poll(() => hubQueues(), { timeout: 60000 })
        .toEqual({
          onEngines: 2,
          unassigned: 28
        });
      // the panel's own view of the cluster, asked through the bridge while
      // the cell blocks, says the same as the hub
      const cluster = page.locator('.jp-AsyncResultSidebar-cluster');
      await expect(cluster).toHaveAttribute('data-unassigned', '28', { timeout: 30000 });
      await expect(cluster).toHaveAttribute('data-engines', '2');
      await expect(cluster).toContainText('2 engines, 2 busy, 28 tasks waiting for an engine');
      await expect(row).toHaveAttribute(
        'title',
        /0 done, 0 failed, 0 aborted, 2 running, 18 queued/
      );
      await expect(otherRow).toHaveAttribute('title', /10 queued/);
      await expect(row.locator('.jp-AsyncResultSidebar-prompt')).toHaveText(/^In \[\d+\]$/);

      const clicked = Date.now();
      await row.locator('.jp-AsyncResultSidebar-abort').click();
      const state = row.locator('.jp-AsyncResultSidebar-abortState');
      await expect(state).toHaveText('Abort sent', { timeout: 30000 });
      await expect(state).toHaveAttribute('title', /\(18 still queued\)/);
      // answered while the cell still blocks: the barrier holds every task
      console.log(`abort answered ${Date.now() - clicked} ms after the click, cell still blocking`);
      await expect(
        page.locator('.jp-Notebook .jp-Cell').nth(1).locator('.jp-InputPrompt')
      ).toHaveText('[*]:');
      // the other result keeps its own Abort
      await expect(otherRow.locator('.jp-AsyncResultSidebar-abort')).toBeVisible();
      await page.screenshot({ path: path.join(SCREENSHOTS, 'panel-abort-blocking.png') });

      // released: the running tasks end, ar's queued ones are aborted, and
      // the other result runs to its end
      barrier.release();
      await expect(row).toHaveAttribute('data-status', 'aborted', { timeout: 90000 });
      await expect(otherRow).toHaveAttribute('data-status', 'done', { timeout: 90000 });
      await expect(
        page.locator('.jp-Notebook .jp-Cell').nth(1).locator('.jp-InputPrompt')
      ).not.toHaveText('[*]:', { timeout: 60000 });
      // ipyparallel's own futures: a map task's result is its chunk (a list),
      // an aborted one's a TaskAborted
      const truth = await kernelValue<string[][]>(
        page,
        `[[type(f.exception() or f.result(0)).__name__ for f in r._children] for r in (ar, other)]`
      );
      const count = (list: string[], what: string) => list.filter(x => x === what).length;
      expect(count(truth[0], 'list')).toBe(2);
      expect(count(truth[0], 'TaskAborted')).toBe(18);
      expect(count(truth[1], 'list')).toBe(10);
      await expect(row.locator('.jp-AsyncResultSidebar-count')).toHaveText('2/20');
      await expect(row.locator('.jp-AsyncResultSidebar-aborted')).toHaveText('18 aborted');
      await expect(otherRow.locator('.jp-AsyncResultSidebar-count')).toHaveText('10/10');
      expect(errors).toEqual([]);
    } finally {
      barrier.release();
    }
  });

  test('two notebooks of the same name in two folders are told apart, and fold apart', async ({
    page,
    tmpPath
  }) => {
    const errors = collectErrors(page);
    const cells = [
      'import ipyparallel as ipp\nrc = ipp.Client()\nrc.wait_for_engines(2, timeout=60)',
      'ar = rc.load_balanced_view().map_async(abs, range(-3, 3))\nar.get(timeout=60)'
    ];
    await showTasks(page);
    for (const folder of ['a', 'b']) {
      await openAt(page, `${tmpPath}/${folder}/analysis.ipynb`, cells);
      await page.notebook.runCell(0, true);
      await page.notebook.runCell(1, true);
    }
    // the same name, and the end of each folder that tells them apart
    const headings = page.locator('.jp-AsyncResultSidebar-kernelName');
    await expect(headings.locator('.jp-AsyncResultSidebar-fileName')).toHaveText(
      ['analysis.ipynb', 'analysis.ipynb'],
      { timeout: 60000 }
    );
    await expect(headings.locator('.jp-AsyncResultSidebar-folder')).toHaveText([/\/a$/, /\/b$/]);
    await expect(headings.first()).toHaveAttribute(
      'title',
      new RegExp(`^${tmpPath}/a/analysis.ipynb`)
    );
    const rows = page.locator('.jp-AsyncResultSidebar-result');
    await expect(rows).toHaveCount(2);
    await expect(rows.locator('.jp-AsyncResultSidebar-count')).toHaveText(['6/6', '6/6']);

    // fold the first: its row goes, the heading stays
    await page.locator('.jp-AsyncResultSidebar-toggle').first().click();
    await expect(rows).toHaveCount(1);
    await expect(page.locator('.jp-AsyncResultSidebar-toggle').first()).toHaveAttribute(
      'aria-expanded',
      'false'
    );
    await page.screenshot({ path: path.join(SCREENSHOTS, 'panel-two-folders.png') });
    await page.locator('.jp-AsyncResultSidebar-toggle').first().click();
    await expect(rows).toHaveCount(2);

    // the filter finds by path
    await page.locator('.jp-AsyncResultSidebar-select').nth(2).selectOption('flat');
    await page.locator('.jp-AsyncResultSidebar-filter').fill('b/analysis');
    await expect(rows).toHaveCount(1);
    await expect(rows.locator('.jp-AsyncResultSidebar-path')).toHaveText(
      `${tmpPath}/b/analysis.ipynb`
    );
    await page.locator('.jp-AsyncResultSidebar-filter').fill('');
    await page.locator('.jp-AsyncResultSidebar-select').nth(2).selectOption('notebook');
    expect(errors).toEqual([]);
  });

  test('a row leads to its cell, and says so when that cell was deleted', async ({
    page,
    tmpPath
  }) => {
    await openCells(page, tmpPath, 'cells.ipynb', [
      'import ipyparallel as ipp\nrc = ipp.Client()\nrc.wait_for_engines(2, timeout=60)',
      'x = 1',
      'ar = rc.load_balanced_view().map_async(abs, range(4))\nar.get(timeout=60)'
    ]);
    await showTasks(page);
    for (const i of [0, 1, 2]) {
      await page.notebook.runCell(i, true);
    }
    const row = resultRow(page, 'abs');
    await expect(row.locator('.jp-AsyncResultSidebar-count')).toHaveText('4/4', { timeout: 60000 });
    await page.notebook.selectCells(0);
    await row.focus();
    await page.keyboard.press('Enter');
    await expect
      .poll(() =>
        page.evaluate(() => (window as any).jupyterapp.shell.currentWidget.content.activeCellIndex)
      )
      .toBe(2);

    // the context menu offers the row's actions
    await row.click({ button: 'right' });
    const menu = page.locator('.lm-Menu');
    await expect(menu.getByText('Go to the Submitting Cell')).toBeVisible();
    await expect(menu.getByText('Copy Task msg_ids')).toBeVisible();
    await page.keyboard.press('Escape');

    await page.notebook.deleteCells();
    await row.focus();
    await page.keyboard.press('Enter');
    await expect(page.locator('.jp-Notification-Toast-warning').first()).toContainText(
      'no longer in the notebook',
      { timeout: 30000 }
    );
  });

  test('the timeline shows one lane per engine, its tasks at the times ipyparallel says', async ({
    page,
    tmpPath
  }) => {
    const errors = collectErrors(page);
    await openCells(page, tmpPath, 'timeline.ipynb', [
      'import ipyparallel as ipp\nrc = ipp.Client()\nrc.wait_for_engines(2, timeout=60)',
      [
        'import time',
        'def nap(x):',
        '    import time',
        '    time.sleep(0.05)',
        '    return x',
        'ar = rc.load_balanced_view().map_async(nap, range(16), chunksize=1)',
        'ar.get(timeout=60)'
      ].join('\n')
    ]);
    await showTasks(page);
    await page.notebook.runCell(0, true);
    await page.notebook.runCell(1, true);
    await expect(resultRow(page, 'nap').locator('.jp-AsyncResultSidebar-count')).toHaveText(
      '16/16',
      { timeout: 60000 }
    );
    // ipyparallel's own metadata, per engine (its stamps stay text until a
    // timing property parses them: parse them as that would)
    const truth = await kernelValue<Record<string, { tasks: number; first: number; last: number }>>(
      page,
      `(ar._parse_metadata_dates(),
        {str(e): dict(tasks=sum(1 for md in ar._metadata if md['engine_id'] == e),
          first=min(md['started'].timestamp() for md in ar._metadata if md['engine_id'] == e),
          last=max(md['completed'].timestamp() for md in ar._metadata if md['engine_id'] == e))
        for e in sorted({md['engine_id'] for md in ar._metadata})})[1]`
    );
    await page.locator('.jp-AsyncResultSidebar-timeline').first().click();
    const timeline = page.locator('.jp-AsyncResultTimeline');
    await expect(timeline).toBeVisible();
    await expect(timeline).toHaveAttribute('data-lanes', String(Object.keys(truth).length));
    const summary = JSON.parse((await timeline.getAttribute('data-summary'))!);
    expect(summary.map((l: any) => String(l.engine))).toEqual(Object.keys(truth));
    for (const lane of summary) {
      const theirs = truth[String(lane.engine)];
      expect(lane.tasks).toBe(theirs.tasks);
      expect(lane.running).toBe(0);
      expect(Math.abs(lane.first - theirs.first)).toBeLessThan(1e-3);
      expect(Math.abs(lane.last - theirs.last)).toBeLessThan(1e-3);
    }
    await page.screenshot({ path: path.join(SCREENSHOTS, 'timeline.png') });
    // keyboard: zoom in, then fit again
    await timeline.locator('canvas.jp-AsyncResultTimeline-canvas').focus();
    await page.keyboard.press('+');
    await page.keyboard.press('0');
    expect(errors).toEqual([]);
  });

  test('a running task stops from the context menu, after a confirmation, by interrupting its engine', async ({
    page,
    tmpPath
  }) => {
    const errors = collectErrors(page);
    const barrier = new Barrier();
    try {
      await openCells(page, tmpPath, 'interrupt.ipynb', [
        connectCell(barrier),
        'ar = lview.map_async(held, range(2))'
      ]);
      await showTasks(page);
      await page.notebook.runCell(0, true);
      await page.notebook.runCell(1, true);
      const row = resultRow(page, 'held');
      await expect(row).toHaveAttribute('title', /0 done, 0 failed, 0 aborted, 2 running/, {
        timeout: 60000
      });
      await row.click({ button: 'right' });
      await page
        .locator('.lm-Menu')
        .getByText('Stop Running Tasks by Interrupting Their Engines…')
        .click();
      const dialog = page.locator('.jp-Dialog');
      await expect(dialog).toContainText('for every client of the cluster');
      await dialog.getByRole('button', { name: 'Interrupt' }).click();
      // ipyparallel's own futures: both tasks ended in KeyboardInterrupt
      await expect
        .poll(
          () =>
            kernelValue(
              page,
              `[getattr(f.exception() or f.result(0), 'ename', None) if f.done() else None for f in ar._children]`
            ),
          { timeout: 60000 }
        )
        .toEqual(['KeyboardInterrupt', 'KeyboardInterrupt']);
      await expect(row.locator('.jp-AsyncResultSidebar-failed')).toHaveText('2 failed');
      await expect(row).toHaveAttribute('data-status', 'error');
      expect(errors).toEqual([]);
    } finally {
      barrier.release();
    }
  });

  test("a row's grouped outputs open beside the notebook, as the engines printed them", async ({
    page,
    tmpPath
  }) => {
    const errors = collectErrors(page);
    await openCells(page, tmpPath, 'outputs-from-panel.ipynb', [
      'import ipyparallel as ipp\nrc = ipp.Client()\nrc.wait_for_engines(2, timeout=60)',
      [
        'def shout(x):',
        "    print(f'item {x} here')",
        '    return x',
        'ar = rc.load_balanced_view().map_async(shout, range(4), chunksize=1)',
        'ar.wait(60)'
      ].join('\n')
    ]);
    await showTasks(page);
    await page.notebook.runCell(0, true);
    await page.notebook.runCell(1, true);
    const row = resultRow(page, 'shout');
    await expect(row.locator('.jp-AsyncResultSidebar-count')).toHaveText('4/4', { timeout: 60000 });
    // what ipyparallel itself holds: each task's stdout
    const truth = await kernelValue<string[]>(page, 'ar.stdout');
    await row.click({ button: 'right' });
    await page.locator('.lm-Menu').getByText('Show Grouped Outputs').click();
    const view = page.locator('.jp-AsyncResultOutputs-page .jp-AsyncResultOutputs');
    await expect(view).toBeVisible({ timeout: 30000 });
    for (const text of truth) {
      await expect(view).toContainText(text.trim(), { timeout: 30000 });
    }
    await expect(view).toContainText('[stdout:');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'panel-outputs.png') });
    expect(errors).toEqual([]);
  });
});
