#!/usr/bin/env node
// One timed run of the TypeScript client: N `execute('pass')` round trips to
// engine 0, sequential (one at a time) or pipelined (all sent, then all
// awaited). Prints {mode, n, seconds, cpu_seconds} as JSON; CPU is this
// process's user+system time (every thread, libzmq's included) during the loop.
// BENCH_LIB_NODE: a frozen copy of the build, so rebuilding during a long bench changes nothing
const { Client } = require(process.env.BENCH_LIB_NODE || '../packages/asyncresult-node/lib/node');

async function main() {
  const [file, mode, n] = [process.argv[2], process.argv[3], Number(process.argv[4])];
  const client = await Client.connect({ path: file, timeout: 30 });
  const view = client.directView(0);
  // warm up: connections settled, engine namespace ready
  for (let i = 0; i < 50; i++) {
    await view.execute('pass').get(30);
  }
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  if (mode === 'sequential') {
    for (let i = 0; i < n; i++) {
      const ar = view.execute('pass');
      await ar.get(60);
      ar.dispose();
    }
  } else {
    const ars = [];
    for (let i = 0; i < n; i++) {
      ars.push(view.execute('pass'));
    }
    for (const ar of ars) {
      await ar.get(600);
      ar.dispose();
    }
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  client.close();
  process.stdout.write(
    JSON.stringify({
      client: 'typescript',
      mode,
      n,
      seconds,
      cpu_seconds: (cpu.user + cpu.system) / 1e6
    }) + '\n'
  );
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});
