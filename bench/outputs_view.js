/*
 * Drives JupyterLab in Debian's Chromium for bench/outputs_view.sh: how long
 * the grouped outputs view takes to show 64 engines x 1,000 lines (a
 * synthetic feed: the bundle `%px` would display, put straight into a cell's
 * output model, so no cluster or kernel time is counted), against the same
 * outputs as plain ipyparallel shows them in JupyterLab (its text dump: one
 * stdout stream of `[stdout:N]` blocks). Each timing runs from adding the
 * output to the first frame after it was drawn and laid out. Runs alternate
 * (ours, plain, plain, ours, ...). Prints a JSON report.
 */
'use strict';
const path = require('path');
const { chromium } = require(path.join(__dirname, '../ui-tests/node_modules/@playwright/test'));

function args() {
  const out = { port: 8888, runs: 10, engines: 64, lines: 1000 };
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i += 2) {
    out[argv[i].replace(/^--/, '')] = Number(argv[i + 1]);
  }
  return out;
}

const opts = args();
const base = `http://127.0.0.1:${opts.port}`;
const MIME = 'application/vnd.jupyterlab-asyncresult.outputs+json';

/** The bundle our bridge displays for that work, and ipyparallel's text of it. */
function feed(engines, lines) {
  const tasks = [];
  let text = '';
  for (let e = 0; e < engines; e++) {
    let stdout = '';
    for (let i = 0; i < lines; i++) {
      stdout += `engine ${e} line ${i}: some progress of the work, value ${(i * 7919) % 1000}\n`;
    }
    tasks.push({
      msg_id: `m${e}`,
      engine_id: e,
      stdout,
      stdout_truncated: false,
      stderr: '',
      stderr_truncated: false,
      outputs: [],
      outputs_truncated: false,
      execute_result: null,
      error: null
    });
    text += `[stdout:${e}] \n${stdout}`;
  }
  const ours = {
    output_type: 'display_data',
    metadata: {},
    data: {
      'text/plain': text,
      [MIME]: {
        v: 1,
        session: 'bench',
        result_id: 'r1',
        groupby: 'type',
        single: false,
        result_only: false,
        done: true,
        tasks
      }
    }
  };
  const plain = { output_type: 'stream', name: 'stdout', text };
  return { ours, plain };
}

async function time(page, output, selector) {
  return page.evaluate(
    async ({ output, selector }) => {
      const panel = window.jupyterapp.shell.currentWidget;
      const cell = panel.content.widgets[0];
      cell.model.outputs.clear();
      await new Promise(r => requestAnimationFrame(() => r()));
      const t0 = performance.now();
      cell.model.outputs.add(output);
      // until drawn (our view draws on the next frame), then laid out
      for (;;) {
        if (cell.outputArea.node.querySelector(selector)) {
          break;
        }
        await new Promise(r => requestAnimationFrame(() => r()));
      }
      void document.body.offsetHeight;
      await new Promise(r => requestAnimationFrame(() => r()));
      return performance.now() - t0;
    },
    { output, selector }
  );
}

async function main() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu']
  });
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const name = `bench-outputs-${Date.now()}.ipynb`;
  const nb = {
    type: 'notebook',
    content: {
      nbformat: 4,
      nbformat_minor: 5,
      metadata: {},
      cells: [
        {
          cell_type: 'code',
          id: 'c0',
          metadata: {},
          execution_count: null,
          outputs: [],
          source: ''
        }
      ]
    }
  };
  const put = await fetch(`${base}/api/contents/${name}`, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(nb)
  });
  if (!put.ok) {
    throw new Error(`PUT ${name}: ${put.status}`);
  }
  await page.goto(`${base}/lab/tree/${name}`);
  await page.waitForFunction(
    () => window.jupyterapp?.shell.currentWidget?.content?.widgets?.length > 0,
    null,
    { timeout: 180000 }
  );
  const { ours, plain } = feed(opts.engines, opts.lines);
  const results = { ours: [], plain: [] };
  // one of each first, not counted: code and fonts loaded, JIT warm
  await time(page, ours, '.jp-AsyncResultOutputs-block');
  await time(page, plain, '.jp-RenderedText');
  for (let i = 0; i < opts.runs; i++) {
    const order = i % 2 ? ['plain', 'ours'] : ['ours', 'plain'];
    for (const which of order) {
      const ms =
        which === 'ours'
          ? await time(page, ours, '.jp-AsyncResultOutputs-block')
          : await time(page, plain, '.jp-RenderedText');
      results[which].push(ms);
    }
  }
  const median = xs => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const report = {
    date: new Date().toISOString(),
    engines: opts.engines,
    lines: opts.lines,
    runs: opts.runs,
    ours_ms: results.ours.map(x => Math.round(x)),
    plain_ms: results.plain.map(x => Math.round(x)),
    ours_median_ms: Math.round(median(results.ours)),
    plain_median_ms: Math.round(median(results.plain)),
    ratio: +(median(results.ours) / median(results.plain)).toFixed(2)
  };
  console.log(JSON.stringify(report, null, 2));
  await fetch(`${base}/api/contents/${name}`, { method: 'DELETE' });
  await browser.close();
}

main().catch(error => {
  console.error(error);
  process.exit(1);
});
