// The task panel's and the timeline's work per frame at 100,000 tasks
// (issue 15.4): a TaskStore fed 100,000 tasks in 1,000 results over 1,000
// engines (a synthetic feed, as the bridge sends them), then the time of
// what each redraw computes before it touches the DOM: the panel's rows
// (grouped, filtered, counted), the timeline's lanes and pixel columns, and
// the busy-engines chart's pixel columns.
// The DOM part is bounded by the virtual window (a screenful of rows) and
// by the canvas (one rectangle per pixel column per lane).
// Run with `node --expose-gc bench/panel_scale.js [tasks] [engines]` after
// `npm run build:node`; prints JSON. Target: a frame under 16 ms.
'use strict';
const { TaskStore } = require('../packages/asyncresult-node/lib/core/taskStore');
const {
  arrangeRows,
  defaultQuery,
  ProgressCache
} = require('../packages/asyncresult-node/lib/core/taskPanel');
const {
  laneColumns,
  TimelineModel,
  timelineLanes,
  timelineSpan
} = require('../packages/asyncresult-node/lib/core/timeline');
const { UtilisationModel } = require('../packages/asyncresult-node/lib/core/utilisation');

const total = Number(process.argv[2] || 100000);
const engines = Number(process.argv[3] || 1000);
const perResult = 100;
const t0 = 1795000000;

function heap() {
  global.gc();
  global.gc();
  return process.memoryUsage().heapUsed;
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Milliseconds of `fn`, median of `n` runs. */
function time(fn, n = 9) {
  const runs = [];
  for (let i = 0; i < n; i++) {
    const start = process.hrtime.bigint();
    fn(i);
    runs.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return median(runs);
}

const before = heap();
const store = new TaskStore();
store.apply({ v: 1, type: 'snapshot', seq: 0, clock: t0, reply_to: null, results: [], tasks: [] });
let seq = 0;
const engineUuids = Object.fromEntries(Array.from({ length: engines }, (_, e) => [e, `uuid-${e}`]));
const results = [];
for (let r = 0; r * perResult < total; r++) {
  const n = Math.min(perResult, total - r * perResult);
  const ids = Array.from({ length: n }, (_, i) => `6349cd1e-ccaafa9b6c2668903f90${r}_21939_${i}`);
  // most done, the last results still running: a live panel's usual state
  const running = r * perResult >= total - 2000;
  const rows = ids.map((_, i) => {
    const k = r * perResult + i;
    const start = k * 1000; // microseconds after t0: one task a millisecond
    return running
      ? [i, 1, k % engines, start, start + 100, null, null, 0, 0]
      : [i, 2, k % engines, start, start + 100, start + 900, start + 950, 1, 0];
  });
  const record = {
    id: `r${r}`,
    kind: 'AsyncMapResult',
    fname: `work_${r % 7}`,
    label: null,
    msg_ids: ids,
    targets: null,
    cell_id: `cell-${r}`,
    parent_msg_id: 'p',
    execution_count: r + 1,
    created: t0 + r,
    single: false,
    ordered: true,
    sent: true,
    chunk_sizes: {}
  };
  results.push(record);
  store.apply({
    v: 1,
    type: 'delta',
    seq: ++seq,
    clock: t0 + total / 1000,
    t0,
    results: [record],
    changes: { [record.id]: rows },
    engines: engineUuids,
    tasks: [],
    removed: []
  });
}
const heapBytes = heap() - before;

const source = { id: 'k1', store };
const entry = { source, names: ['analysis.ipynb'], paths: ['runs/analysis.ipynb'] };
const cache = new ProgressCache();
const now = t0 + total / 1000;
const panelCold = time(() => arrangeRows([entry], defaultQuery(), new ProgressCache(), now), 5);
arrangeRows([entry], defaultQuery(), cache, now);
const panelWarm = time(() => arrangeRows([entry], defaultQuery(), cache, now));
// a frame after 100 tasks changed: what the panel recomputes then
let k = 0;
/** A delta of `n` tasks finishing, in the next result each time, spread over the engines. */
function applyChanges(n) {
  const rows = Array.from({ length: n }, (_, i) => [
    (k * n + i) % perResult,
    2,
    (k + i) % engines,
    0,
    1,
    2,
    3,
    1,
    0
  ]);
  k += 1;
  store.apply({
    v: 1,
    type: 'delta',
    seq: ++seq,
    clock: now,
    t0,
    results: [],
    changes: { [`r${k % results.length}`]: rows },
    tasks: [],
    removed: []
  });
}
const panelAfterDelta = time(() => {
  applyChanges(100);
  arrangeRows([entry], defaultQuery(), cache, now);
});
const filtered = time(() =>
  arrangeRows([entry], { ...defaultQuery(), text: 'work_3', status: 'done' }, cache, now)
);

let lanes;
const timelineCold = time(() => {
  lanes = timelineLanes(store);
}, 3);
const span = timelineSpan(lanes, now);
const width = 1200;
// a canvas shows about 40 lanes at once
const visibleColumns = () => {
  for (const lane of lanes.slice(0, 40)) {
    laneColumns(lane, span[0], span[1], width, now);
  }
};
const timelineColumnsVisible = time(visibleColumns);
// a live frame: 100 tasks changed, the model follows them, the lanes in view are drawn
const model = new TimelineModel(store);
model.lanes();
const timelineAfterDelta = time(() => {
  applyChanges(100);
  lanes = model.lanes();
  visibleColumns();
});

// the busy-engines chart over the same axis: one value per pixel column
const columns = chart => chart.busyColumns(span[0], span[1], width, now);
const chartCold = time(() => {
  const chart = new UtilisationModel(store);
  columns(chart);
  chart.dispose();
}, 3);
const chart = new UtilisationModel(store);
columns(chart);
const chartWarm = time(() => columns(chart));
const chartAfterDelta = time(() => {
  applyChanges(100);
  columns(chart);
});

console.log(
  JSON.stringify({
    tasks: store.taskCount,
    results: results.length,
    engines: lanes.length,
    bytes_per_task: heapBytes / store.taskCount,
    panel_cold_ms: panelCold,
    panel_warm_ms: panelWarm,
    panel_after_delta_ms: panelAfterDelta,
    panel_filtered_ms: filtered,
    timeline_cold_ms: timelineCold,
    timeline_columns_40_lanes_ms: timelineColumnsVisible,
    timeline_after_delta_ms: timelineAfterDelta,
    chart_cold_ms: chartCold,
    chart_warm_ms: chartWarm,
    chart_after_delta_ms: chartAfterDelta
  })
);
