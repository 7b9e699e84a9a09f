// Frontend memory per tracked task: a TaskStore fed 100,000 tasks the way
// the kernel bridge sends them (a snapshot in parts, then deltas of rows).
// Run with `node --expose-gc bench/store_memory.js [tasks]` after
// `npm run build:node`; prints JSON. Target (issue 12): under 1 KB a task.
'use strict';
const { TaskStore } = require('../packages/asyncresult-node/lib/core/taskStore');

const total = Number(process.argv[2] || 100000);
const perResult = 10000;
const t0 = 1795000000;

function msgId(r, i) {
  // ipyparallel's msg_ids: a session uuid, a pid, a counter
  return `6349cd1e-ccaafa9b6c2668903f9018${String(r).padStart(2, '0')}_21939_${i}`;
}

function result(r, ids) {
  return {
    id: `r${r}`,
    kind: 'AsyncMapResult',
    fname: 'work',
    label: null,
    msg_ids: ids,
    targets: null,
    cell_id: 'cell',
    parent_msg_id: 'p',
    created: t0,
    single: false,
    ordered: true,
    sent: true,
    chunk_sizes: {}
  };
}

function heap() {
  global.gc();
  global.gc();
  return process.memoryUsage().heapUsed;
}

const before = heap();
const store = new TaskStore();
store.apply({ v: 1, type: 'snapshot', seq: 0, clock: t0, reply_to: null, results: [], tasks: [] });
let seq = 0;
for (let r = 0; r * perResult < total; r++) {
  const n = Math.min(perResult, total - r * perResult);
  const ids = Array.from({ length: n }, (_, i) => msgId(r, i));
  const rows = ids.map((_, i) => [i, 2, i % 2, i, i + 10, i + 1000, i + 1700, 1, 0]);
  store.apply({
    v: 1,
    type: 'delta',
    seq: ++seq,
    clock: t0,
    t0,
    results: [result(r, ids)],
    changes: { [`r${r}`]: rows },
    engines: { 0: 'uuid-0', 1: 'uuid-1' },
    tasks: [],
    removed: []
  });
}
const after = heap();
const out = {
  tasks: store.taskCount,
  heap_bytes: after - before,
  bytes_per_task: (after - before) / store.taskCount
};
console.log(JSON.stringify(out));
