/*
 * Drives JupyterLab in Debian's Chromium for bench/progress_widget.sh: two
 * notebooks, one on the normal kernel (bridge and progress widget on), one
 * on a kernel with the bridge off (ipyparallel's own tqdm widget). Each run
 * times, inside the kernel, a load-balanced map of N one-millisecond tasks
 * waited with `ar.wait_interactive()`. Pairs alternate their order (AB, BA,
 * ...) so drift does not favour either side. Prints a JSON report.
 */
'use strict';
const path = require('path');
const { chromium } = require(path.join(__dirname, '../ui-tests/node_modules/@playwright/test'));

function args() {
  const out = { port: 8888, pairs: 5, tasks: 10000, clusterId: 'bench', mode: 'display' };
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '').replace(/-(\w)/g, (_, c) => c.toUpperCase());
    out[key] = /^\d+$/.test(argv[i + 1]) ? Number(argv[i + 1]) : argv[i + 1];
  }
  return out;
}

const opts = args();
const base = `http://127.0.0.1:${opts.port}`;

function notebook(kernel, display) {
  const cells = [
    [
      'import time',
      'import ipyparallel as ipp',
      `rc = ipp.Client(cluster_id=${JSON.stringify(opts.clusterId)})`,
      'rc.wait_for_engines(2, timeout=60)',
      'lview = rc.load_balanced_view()',
      'def sleep_1ms(x):',
      '    import time',
      '    time.sleep(0.001)',
      '    return x',
      'lview.map_sync(sleep_1ms, range(200))',
      'print("READY")'
    ],
    [
      'import os, resource',
      'def cpu():',
      '    r = resource.getrusage(resource.RUSAGE_SELF)',
      '    return r.ru_utime + r.ru_stime',
      'c0, t0 = cpu(), time.perf_counter()',
      `ar = lview.map_async(sleep_1ms, range(${opts.tasks}))`,
      // display: the same code both sides; our widget against the plain repr.
      // wait: wait_interactive(); our widget against ipyparallel's tqdm bar.
      opts.mode === 'wait' ? 'ar.wait_interactive()' : 'display(ar)',
      'assert len(ar.get()) == ' + opts.tasks + ' and ar.successful()',
      'print(f"BENCH {time.perf_counter() - t0:.4f} {cpu() - c0:.4f}")'
    ]
  ];
  return {
    type: 'notebook',
    content: {
      nbformat: 4,
      nbformat_minor: 5,
      metadata: { kernelspec: { name: kernel, display_name: display, language: 'python' } },
      cells: cells.map((lines, i) => ({
        cell_type: 'code',
        id: `cell-${i}`,
        metadata: {},
        execution_count: null,
        outputs: [],
        source: lines.join('\n')
      }))
    }
  };
}

async function put(name, body) {
  const response = await fetch(`${base}/api/contents/${name}`, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body)
  });
  if (!response.ok) {
    throw new Error(`PUT ${name}: ${response.status} ${await response.text()}`);
  }
}

/** Run cell `index` of the notebook at `file`; resolve with its text output. */
async function runCell(page, file, index, expect, timeoutMs) {
  await page.evaluate(
    async ({ file, index }) => {
      const app = window.jupyterapp;
      const panel =
        app.shell.widgets('main').find(w => w.context?.path === file) ??
        Array.from(app.shell.widgets('main')).find(w => w.context?.path === file);
      app.shell.activateById(panel.id);
      await panel.sessionContext.ready;
      panel.content.activeCellIndex = index;
      panel.content.widgets[index].model.outputs.clear();
      void app.commands.execute('notebook:run-cell');
    },
    { file, index }
  );
  const started = Date.now();
  for (;;) {
    const text = await page.evaluate(
      ({ file, index }) => {
        const app = window.jupyterapp;
        const panel = Array.from(app.shell.widgets('main')).find(w => w.context?.path === file);
        return panel.content.widgets[index].outputArea.node.innerText;
      },
      { file, index }
    );
    const match = text.match(expect);
    if (match) {
      return { text, match };
    }
    if (/Error|Traceback/.test(text)) {
      throw new Error(`${file} cell ${index} failed:\n${text}`);
    }
    if (Date.now() - started > timeoutMs) {
      throw new Error(`${file} cell ${index}: no ${expect} in ${timeoutMs} ms:\n${text}`);
    }
    await page.waitForTimeout(100);
  }
}

/** CPU seconds (user + system) of process `root` and all its descendants. */
function treeCpu(root) {
  const fs = require('fs');
  const parent = new Map();
  const ticks = new Map();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) {
      continue;
    }
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf-8');
      // fields after the ")" that ends the command name
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parent.set(Number(name), Number(fields[1]));
      ticks.set(Number(name), Number(fields[11]) + Number(fields[12]));
    } catch {
      // the process ended while we looked
    }
  }
  let total = 0;
  for (const [pid, t] of ticks) {
    for (let p = pid; p > 1; p = parent.get(p) ?? 0) {
      if (p === root) {
        total += t;
        break;
      }
    }
  }
  return total / 100; // USER_HZ
}

/** The functions that took the most self time in a CDP CPU profile. */
function topFunctions(profile, count) {
  const self = new Map();
  const byId = new Map(profile.nodes.map(n => [n.id, n]));
  const dt = profile.timeDeltas;
  profile.samples.forEach((id, i) => {
    const node = byId.get(id);
    const f = node.callFrame;
    const key = `${f.functionName || '(anonymous)'} ${f.url.split('/').pop()}:${f.lineNumber}`;
    self.set(key, (self.get(key) ?? 0) + (dt[i] ?? 0) / 1000);
  });
  return Array.from(self.entries())
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, ms]) => `${ms.toFixed(0).padStart(7)} ms  ${name}`);
}

function median(values) {
  const s = values.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

async function main() {
  await put('with.ipynb', notebook('python3', 'Python 3 (ipykernel)'));
  await put('without.ipynb', notebook('python3-plain', 'Python 3 (no jupyterlab-asyncresult)'));
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync'
    ]
  });
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const errors = [];
  page.on('pageerror', e => errors.push(e.message));
  await page.goto(`${base}/lab`);
  if (opts.hideWidget) {
    // diagnosis only: is the widget's cost its drawing or its bookkeeping?
    await page.addStyleTag({ content: '.jp-AsyncResultProgress { display: none !important; }' });
  }
  await page.waitForFunction(() => window.jupyterapp?.started !== undefined);
  await page.evaluate(async () => {
    const app = window.jupyterapp;
    await app.started;
    await app.restored;
    await app.commands.execute('docmanager:open', { path: 'with.ipynb' });
    await app.commands.execute('docmanager:open', { path: 'without.ipynb' });
  });
  const sides = { with: 'with.ipynb', without: 'without.ipynb' };
  for (const file of Object.values(sides)) {
    await runCell(page, file, 0, /READY/, 120000);
  }
  // one warm-up run each, not counted
  const timeout = Math.max(120000, opts.tasks * 60);
  for (const file of Object.values(sides)) {
    await runCell(page, file, 1, /BENCH ([\d.]+) ([\d.]+)/, timeout);
  }
  const pairs = [];
  for (let i = 0; i < opts.pairs; i++) {
    const order = i % 2 === 0 ? ['with', 'without'] : ['without', 'with'];
    const pair = {};
    for (const side of order) {
      let sawWidget = false;
      const watcher = setInterval(async () => {
        try {
          sawWidget ||= (await page.locator('.jp-AsyncResultProgress').count()) > 0;
        } catch {
          // the page is busy; the next tick will look again
        }
      }, 250);
      const profiling = opts.cpuProfile && side === 'with' && i === 0;
      let cdp = null;
      if (profiling) {
        cdp = await page.context().newCDPSession(page);
        await cdp.send('Profiler.enable');
        await cdp.send('Profiler.start');
      }
      const cpu0 = treeCpu(process.pid);
      const { match } = await runCell(page, sides[side], 1, /BENCH ([\d.]+) ([\d.]+)/, timeout);
      const browserCpu = treeCpu(process.pid) - cpu0;
      if (cdp) {
        const { profile } = await cdp.send('Profiler.stop');
        require('fs').writeFileSync(opts.cpuProfile, JSON.stringify(profile));
        console.error(`page main thread, top self time (${opts.cpuProfile}):`);
        console.error(topFunctions(profile, 25).join('\n'));
      }
      clearInterval(watcher);
      pair[side] = {
        seconds: Number(match[1]),
        kernelCpu: Number(match[2]),
        browserCpu,
        sawWidget
      };
    }
    if (!pair.with.sawWidget) {
      throw new Error('the progress widget never showed in the "with" run');
    }
    pair.ratio = pair.with.seconds / pair.without.seconds;
    pairs.push(pair);
    console.error(
      `pair ${i + 1}: with ${pair.with.seconds.toFixed(2)} s, without ${pair.without.seconds.toFixed(2)} s, ratio ${pair.ratio.toFixed(3)}; ` +
        `browser CPU ${pair.with.browserCpu.toFixed(2)} vs ${pair.without.browserCpu.toFixed(2)} s, kernel CPU ${pair.with.kernelCpu.toFixed(2)} vs ${pair.without.kernelCpu.toFixed(2)} s`
    );
  }
  await browser.close();
  const ratios = pairs.map(p => p.ratio);
  const cpuRatios = pairs.map(p => p.with.kernelCpu / p.without.kernelCpu);
  const report = {
    tasks: opts.tasks,
    mode: opts.mode,
    pairs,
    medianRatio: median(ratios),
    minRatio: Math.min(...ratios),
    maxRatio: Math.max(...ratios),
    medianKernelCpuRatio: median(cpuRatios),
    medianBrowserCpuWith: median(pairs.map(p => p.with.browserCpu)),
    medianBrowserCpuWithout: median(pairs.map(p => p.without.browserCpu)),
    medianSecondsWith: median(pairs.map(p => p.with.seconds)),
    medianSecondsWithout: median(pairs.map(p => p.without.seconds)),
    pageErrors: errors
  };
  console.log(JSON.stringify(report, null, 2));
}

main().catch(error => {
  console.error(error);
  process.exit(1);
});
