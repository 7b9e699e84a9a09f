"""What a finished, released map leaves in the kernel, with and without the bridge.

The bridge keeps finished tasks after their results were released (up to
`MAX_TASKS`), so the frontend's panel can still list them. This measures
what that costs: in a kernel with the bridge (a comm open) and one without
(`JUPYTERLAB_ASYNCRESULT=0`), both on the bench's own 2-engine cluster,
tracemalloc traces one `map_async` of N tasks from before it is submitted
until after it is released (`del`, `purge_local_results`); the memory
still traced then is what the run left behind. With the bridge, the count
is taken only once the bridge is idle (no task waiting to be sent, no
output awaited): a flush still running would hold its delta's rows.

Prints JSON (and writes it to --out); bench/run.py renders it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "tests"))

from kernel_bridge import start_cluster, start_kernels, stop  # noqa: E402

RUN = """
import gc, time, tracemalloc
gc.collect()
tracemalloc.start()
_amr = lview.map_async(noop, range({n}))
_amr.wait(timeout=3600)
del _amr
rc.purge_local_results("all")
try:
    import jupyterlab_asyncresult as _jar_pkg
    _jar_reg = _jar_pkg._bridge.registry
except Exception:  # the kernel without the bridge
    _jar_reg = None
_jar_deadline = time.monotonic() + 300
while True:
    # output futures dropped by the purge are noticed once collected
    gc.collect()
    time.sleep(1.0)
    if _jar_reg is None or time.monotonic() > _jar_deadline:
        break
    with _jar_reg.lock:
        idle = not (_jar_reg._dirty_tasks or _jar_reg._lost_outputs or _jar_reg.awaits_outputs())
    if idle:
        time.sleep(0.5)  # the flush that emptied them has returned
        break
gc.collect()
_jar_left = {{"bytes": tracemalloc.get_traced_memory()[0]}}
tracemalloc.stop()
if _jar_reg is not None:
    with _jar_reg.lock:
        _jar_left["tasks"] = len(_jar_reg._tasks)
        _jar_left["settled"] = sum(t.settled() for t in _jar_reg._tasks.values())
        _jar_left["idle"] = time.monotonic() <= _jar_deadline
"""


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tasks", type=int, default=20_000)
    parser.add_argument("--out", default=os.path.join(HERE, "kernel_retention_results.json"))
    args = parser.parse_args(argv)
    cluster, client = start_cluster()
    kernels = {}
    results = {"tasks": args.tasks, "started": time.time()}
    try:
        start_kernels(cluster, kernels)
        kernels["on"].open_comm()
        for side, kernel in kernels.items():
            kernel.execute(RUN.format(n=args.tasks), timeout=7200)
            results[side] = kernel.evaluate("_jar_left")
        results["finished"] = time.time()
    finally:
        stop(kernels.values(), client, cluster)
    on, off = results["on"]["bytes"], results["off"]["bytes"]
    results["bridge_bytes_per_task"] = (on - off) / args.tasks
    with open(args.out, "w") as f:
        json.dump(results, f, indent=1)
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
