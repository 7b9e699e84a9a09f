"""A soak: many tasks through one kernel with JupyterLab listening leave no
growth in the kernel or in the frontend's store once the results are
released (`del` and `purge_local_results`), as plain ipyparallel leaves none.

The README's test command runs it with a few thousand tasks; the issue's
100,000 take about ten minutes here and run with
`ASYNCRESULT_SOAK_TASKS=100000 python -m pytest tests/test_soak.py -s`.
"""

import os

import pytest
from kernel_driver import Replica

TASKS = int(os.environ.get("ASYNCRESULT_SOAK_TASKS", "3000"))
BATCH = 1000
# rounds before measuring: the bridge's and the `%ar` book's caps of
# finished results (500 each) fill in the first, their summaries in the next
WARM_UP = 2

# a batch of apply_async and a map, waited for, then released as a user
# releases results: no reference kept, ipyparallel's caches purged
ROUND = (
    "import gc, os, sys\n"
    "def soak_round(n):\n"
    "    ars = [lview.apply_async(abs, -i) for i in range(n // 2)]\n"
    "    ars.append(lview.map_async(abs, range(n - n // 2), chunksize=10))\n"
    "    rc.wait(ars, timeout=600)\n"
    "    for ar in ars:\n"
    "        ar.wait_for_output(60)\n"
    "    del ars, ar\n"
    "    rc.purge_local_results('all')\n"
    "    rc.history.clear(); lview.history.clear()\n"
    "    gc.collect()\n"
    "def footprint():\n"
    "    gc.collect()\n"
    "    # memory freed but kept by malloc's arenas is not a leak: hand it back\n"
    "    import ctypes\n"
    "    ctypes.CDLL('libc.so.6').malloc_trim(0)\n"
    "    rss = int(open('/proc/self/statm').read().split()[1]) * os.sysconf('SC_PAGE_SIZE')\n"
    "    return [rss, sys.getallocatedblocks()]\n"
)

# what the bridge holds: results, tasks, and tasks still holding a future
# or metadata (none should, once finished and flushed)
BRIDGE = (
    "def bridge_state():\n"
    "    import jupyterlab_asyncresult as jar\n"
    "    reg = jar._bridge.registry\n"
    "    jar._bridge.flush()\n"
    "    with reg.lock:\n"
    "        tasks = list(reg._tasks.values())\n"
    "        results = len(reg._results)\n"
    "    held = sum(t.future is not None or t.metadata is not None for t in tasks)\n"
    "    return dict(results=results, tasks=len(tasks), held=held)\n"
)


def soak(kernel):
    """Warm up (caches reach their working size), then TASKS more tasks;
    returns the growth of the kernel's RSS (bytes) and of Python's
    allocated memory blocks (every object, tracked by the GC or not), and
    the tasks run after warm-up."""
    kernel.execute(ROUND)
    for _ in range(WARM_UP):
        kernel.execute(f"soak_round({BATCH})", timeout=900)
    rss, objects = kernel.evaluate("footprint()")
    done = 0
    while done < TASKS - WARM_UP * BATCH:
        kernel.execute(f"soak_round({BATCH})", timeout=900)
        done += BATCH
    rss_after, objects_after = kernel.evaluate("footprint()")
    return rss_after - rss, objects_after - objects, done


# the suite's 300 s per test would stop the long soak (two kernels run it)
@pytest.mark.timeout(300 + TASKS // 20)
def test_released_results_leave_no_growth_in_the_kernel_or_the_frontend(kernel, cluster):
    from kernel_driver import KernelDriver

    c, _ = cluster
    # plain ipyparallel, the same work: the growth it shows is not ours
    plain = KernelDriver(env={"JUPYTERLAB_ASYNCRESULT": "0"})
    try:
        plain.execute(
            "import ipyparallel as ipp\n"
            f"rc = ipp.Client(profile_dir={c.profile_dir!r}, cluster_id={c.cluster_id!r})\n"
            "rc.wait_for_engines(2, timeout=60)\n"
            "lview = rc.load_balanced_view()\n"
        )
        plain_rss, plain_objects, _ = soak(plain)
    finally:
        plain.shutdown()
    comm = kernel.open_comm()
    kernel.wait_for(lambda: kernel.comm_messages(comm), timeout=30)
    rss, objects, done = soak(kernel)
    kernel.execute(BRIDGE)
    state = kernel.evaluate("bridge_state()")
    print(
        f"soak: {done} tasks after warm-up; kernel growth with the bridge "
        f"{rss / 2**20:.1f} MiB and {objects} blocks, without "
        f"{plain_rss / 2**20:.1f} MiB and {plain_objects} blocks; bridge holds {state}"
    )
    # the bridge keeps at most its cap of finished results, and no task
    # keeps a future or metadata once finished
    assert state["held"] == 0, state
    assert state["results"] <= 500, state
    # no growth with the tasks beyond plain ipyparallel's: allocated blocks
    # count exactly (a leak of one object a task shows as one per task);
    # RSS is noisy (buffers of messages in flight come and go), so its
    # allowance is loose, yet a leak of 1 KB a task passes it at 100,000
    assert objects - plain_objects < 1000 + done // 100, (objects, plain_objects, done)
    assert rss - plain_rss < 24 * 2**20 + done * 200, (rss, plain_rss, done)

    # the frontend's store, fed the same stream, holds what the kernel holds
    def store():
        return Replica.from_stream(kernel.comm_messages(comm))

    kernel.wait_for(lambda: len(store().results) == state["results"], timeout=60)
    replica = store()
    assert not replica.errors
    live = {m for r in replica.results.values() for m in r["msg_ids"]}
    assert len(live) <= state["tasks"], (len(live), state)
