"""Where the latency tail of an `apply_async` loop is spent (issue 12).

One kernel with the bridge and a comm open, on a 2-engine cluster of its
own. For the first `done` row of each task it splits the way out into:
the reply reaching the kernel's Client -> the flusher sending the delta
(stamped in the kernel), and that send -> the row reaching the frontend
(this process). It also reports how long the flusher, the user's thread
and the Client's IO thread waited for the registry's lock, and which of
the worst rows overlapped a full collection of the kernel. For the flush
that carried each worst row: how long its pause slept against the pause
asked for, and its phases (called, delta taken, sent) with the thread
that flushed; over the run, how late the flusher's pauses came back.

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
# each flush's phases: woken (flush called), delta taken (start, end), sent;
# its seq, and the thread that flushed
_jar_flushes = []
_jar_plain_flush = _jar_b.flush
_jar_plain_take = _jar_b.registry.take_delta
def _jar_take():
    t = time.time()
    delta = _jar_plain_take()
    if delta is not None:
        _jar_flushes[-1][1:3] = [t, time.time()]
        _jar_flushes[-1][4] = delta["seq"]
    return delta
def _jar_flush():
    _jar_flushes.append([time.time(), None, None, None, None, _jar_th.current_thread().name])
    _jar_plain_flush()
    _jar_flushes[-1][3] = time.time()
# the flusher's pause before a flush: (asked for, began, ended)
_jar_pauses = []
class _JarStop:
    def __init__(self, event):
        self._event = event
    def is_set(self):
        return self._event.is_set()
    def set(self):
        self._event.set()
    def wait(self, timeout=None):
        began = time.time()
        got = self._event.wait(timeout)
        if _jar_th.current_thread().name.endswith("flusher"):
            _jar_pauses.append((timeout, began, time.time()))
        return got
_jar_b._stop = _JarStop(_jar_b._stop)
_jar_b.registry.take_delta = _jar_take
_jar_b.flush = _jar_flush
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
                rows.append((received, arrival - received, sent - received, data["seq"]))
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
            flushes = kernel.evaluate("_jar_flushes")
            pauses = kernel.evaluate("_jar_pauses")
            kernel.execute("_jar_flushes.clear(); _jar_pauses.clear()", timeout=30)
            by_seq = {f[4]: (i, f) for i, f in enumerate(flushes) if f[4] is not None}
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
            for received, latency, in_kernel, seq in sorted(rows, key=lambda r: -r[1])[:5]:
                overlapped = [
                    f"{(s - t0):.2f} s for {(e - s) * 1000:.0f} ms"
                    for s, e in full
                    if s < received + latency and e > received
                ]
                print(
                    f"  worst: received at {received - t0:.2f} s, {latency * 1000:.0f} ms"
                    f" ({in_kernel * 1000:.0f} in the kernel), full collections: {overlapped or 'none'}"
                )
                if seq in by_seq:
                    i, (called, took, taken, ended, _seq, who) = by_seq[seq]
                    for asked, began, woke in pauses:
                        if began <= called <= woke + 0.01:
                            print(
                                f"    its pause: asked {asked * 1000:.0f} ms, slept {(woke - began) * 1000:.0f} ms,"
                                f" began {(began - received) * 1000:.0f} ms after the reply"
                            )
                    before = flushes[i - 1][3] if i else None
                    gap = f"{(called - before) * 1000:.0f}" if before else "-"
                    print(
                        f"    its flush: previous ended -> called {gap} ms; received -> called"
                        f" {(called - received) * 1000:.0f} ms; called -> take {(took - called) * 1000:.0f} ms;"
                        f" take {(taken - took) * 1000:.0f} ms; taken -> ended {(ended - taken) * 1000:.0f} ms"
                        f" (on {who})"
                    )
            late = [w - b - a for a, b, w in pauses]
            print(
                f"  pauses: {len(pauses)}; overslept p50 {ms(late, 0.5)} ms, p99 {ms(late, 0.99)} ms, max {ms(late, 1.0)} ms"
            )
            gaps = [
                b[0] - a[3] for a, b in zip(flushes, flushes[1:], strict=False) if a[3] and b[0]
            ]
            lengths = [f[3] - f[0] for f in flushes if f[3]]
            threads = {}
            for f in flushes:
                threads[f[5]] = threads.get(f[5], 0) + 1
            print(f"  flushes by thread: {threads}")
            print(
                f"  flushes: {len(flushes)}; between two: p50 {ms(gaps, 0.5)} ms, p99 {ms(gaps, 0.99)} ms,"
                f" max {ms(gaps, 1.0)} ms; a flush: p50 {ms(lengths, 0.5)} ms, p99 {ms(lengths, 0.99)} ms,"
                f" max {ms(lengths, 1.0)} ms"
            )
    finally:
        kb.stop([kernel], client, cluster)


if __name__ == "__main__":
    main(sys.argv[1:])
