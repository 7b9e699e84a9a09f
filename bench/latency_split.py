"""Where the latency tail of an `apply_async` loop is spent (issue 12).

One kernel with the bridge and a comm open, on a 2-engine cluster of its
own. For the first `done` row of each task it splits the way out into:
the reply reaching the kernel's Client -> the flusher sending the delta
(stamped in the kernel), and that send -> the row reaching the frontend
(this process). It also reports how long the flusher, the user's thread
and the Client's IO thread waited for the registry's lock, and which of
the worst rows overlapped a full collection of the kernel.

    python bench/latency_split.py [tasks=5000] [runs=2]

A diagnosis, not a figure of BENCHMARKS.md's table: its findings are in
the prose there.
"""

from __future__ import annotations

import sys
import time

import kernel_bridge as kb  # (puts tests/ on the path, for kernel_driver)
from kernel_driver import KernelDriver, Replica

# In the kernel: stamp each delta as the bridge sends it, and time every
# wait for the registry's lock by thread name.
STAMPS = """
import threading as _jar_th
import jupyterlab_asyncresult as _jar_pkg
_jar_b = _jar_pkg._bridge
_jar_sent_at = {}
_jar_plain_send = _jar_b.send
def _jar_send(comm, message, clean=False):
    if isinstance(message, dict) and message.get("type") == "delta":
        _jar_sent_at[message["seq"]] = time.time()
    return _jar_plain_send(comm, message, clean)
_jar_b.send = _jar_send
class _JarTimedLock:
    def __init__(self, lock):
        self._lock = lock
        self.waits = {}  # thread name -> [total s, longest s, count]
    def acquire(self, *a, **k):
        t0 = time.perf_counter()
        got = self._lock.acquire(*a, **k)
        d = time.perf_counter() - t0
        w = self.waits.setdefault(_jar_th.current_thread().name, [0.0, 0.0, 0])
        w[0] += d
        w[1] = max(w[1], d)
        w[2] += 1
        return got
    def release(self):
        self._lock.release()
    def __enter__(self):
        self.acquire()
        return self
    def __exit__(self, *exc):
        self._lock.release()
_jar_b.registry.lock = _JarTimedLock(_jar_b.registry.lock)
"""

# the bench's loop, noting when the submissions ended
LOOP = kb.LOOP.replace("rc.wait(_ars", "_jar_sub = time.time()\nrc.wait(_ars").replace(
    "_jar_run = _jar_end()", "_jar_run = _jar_end()\n_jar_run['submitted'] = _jar_sub"
)


def ms(values, q):
    values = sorted(values)
    return round(values[min(len(values) - 1, int(q * len(values)))] * 1000) if values else None


def first_done_rows(kernel, comm, since, run, sent_at):
    """(received, whole latency, in-kernel part) of each task's first done row."""
    offset = time.time() - time.monotonic()
    seen = Replica.from_stream([(0, d) for t, d in kernel.comm_messages(comm) if t < since])
    rows, done = [], set()
    for t, data in kernel.comm_messages(comm, since=since):
        arrival = t + offset
        seen.apply(data)
        if data.get("type") != "delta":
            continue
        for task in Replica.task_records(data, seen.results):
            received = task["received"]
            if task["status"] != "done" or task["msg_id"] in done or received is None:
                continue
            done.add(task["msg_id"])
            if received >= run["t0"]:
                sent = sent_at.get(data["seq"], arrival)
                rows.append((received, arrival - received, sent - received))
    return rows


def main(argv):
    tasks = int(argv[0]) if argv else 5000
    runs = int(argv[1]) if len(argv) > 1 else 2
    cluster, client = kb.start_cluster()
    kernel = KernelDriver()
    try:
        setup = kb.SETUP.format(profile_dir=cluster.profile_dir, cluster_id=cluster.cluster_id)
        kernel.execute(setup, timeout=300)
        comm = kernel.open_comm()
        kernel.execute(STAMPS, timeout=60)
        for i in range(runs):
            since = time.monotonic()
            kernel.execute(LOOP.format(n=tasks), timeout=3600)
            run = kernel.evaluate("_jar_run")
            time.sleep(1.0)  # the last rows leave within a flush interval
            sent_at = {int(k): v for k, v in kernel.evaluate("_jar_sent_at").items()}
            waits = kernel.evaluate("_jar_b.registry.lock.waits")
            kernel.execute("_jar_b.registry.lock.waits.clear()", timeout=30)
            rows = first_done_rows(kernel, comm, since, run, sent_at)
            submitted = run["submitted"]
            t0 = run["t0"]
            full = run["full_gcs"]
            print(
                f"run {i + 1}: {tasks} tasks in {run['wall']:.1f} s, submitting for {submitted - t0:.1f} s"
            )
            print(
                f"  reply -> flusher's send: p50 {ms([r[2] for r in rows], 0.5)} ms,"
                f" p99 {ms([r[2] for r in rows], 0.99)} ms;"
                f" send -> frontend: p99 {ms([r[1] - r[2] for r in rows], 0.99)} ms"
            )
            during = [r[1] for r in rows if r[0] < submitted]
            after = [r[1] for r in rows if r[0] >= submitted]
            print(
                f"  rows received while submitting: {len(during)}, p99 {ms(during, 0.99)} ms;"
                f" after: {len(after)}, p99 {ms(after, 0.99)} ms"
            )
            print(
                "  waits for the registry's lock (total s, longest s, count):",
                {name: [round(w[0], 3), round(w[1], 3), w[2]] for name, w in waits.items()},
            )
            for received, latency, in_kernel in sorted(rows, key=lambda r: -r[1])[:5]:
                overlapped = [
                    f"{(s - t0):.2f} s for {(e - s) * 1000:.0f} ms"
                    for s, e in full
                    if s < received + latency and e > received
                ]
                print(
                    f"  worst: received at {received - t0:.2f} s, {latency * 1000:.0f} ms"
                    f" ({in_kernel * 1000:.0f} in the kernel), full collections: {overlapped or 'none'}"
                )
    finally:
        kb.stop([kernel], client, cluster)


if __name__ == "__main__":
    main(sys.argv[1:])
