"""The bridge's cost in the kernel, its traffic and its latency (issue 12).

A plain jupyter_client plays the frontend. Two kernels share one 2-engine
cluster of the bench's own (random cluster id): one with the bridge, one
with JUPYTERLAB_ASYNCRESULT=0 (plain ipyparallel). Each case runs in
interleaved pairs, the order alternating, and reports ratios within a pair:

- `loop N`: N `view.apply_async(noop)` in a loop, then wait for all;
  wall seconds and kernel CPU (getrusage: every thread, the flusher's too);
- `map N`: `lview.map_async(noop, range(N))`, then wait;
- `paced N at R/s`: the loop, submitting R tasks a second (case
  `paced:N:pairs:R`): the latency where the machine has room to spare;
- a case given with `:control` (`loop:5000:9:control`) also runs in a third
  kernel, a second one without the bridge, in the same rounds (the three
  taking turns to go first): its CPU and wall over the first's are what two
  identical kernels differ by here, the noise floor of the on/off ratio;
- with the bridge only: latency from a task's reply reaching the kernel's
  Client (ipyparallel's `received`) to its `done` row reaching the frontend
  (and its two parts, split where the flusher took the row's delta),
  comm messages and bytes per second, bytes per task change, the largest
  message, and for maps how long after submission the map was announced;
- in both kernels: the CPU each run spent in garbage collection, and its
  longest full collection, which stops every thread of the kernel (what
  bounds the latency's tail); with the bridge, the latency's p99 over the
  rows whose way out overlapped no full collection;
- in both kernels: how late a thread that sleeps 20 ms at a time wakes
  (p50, p99): how long any thread there waits for a core and the GIL; and
  how long a message it sends on waking takes to reach the frontend
  through ipykernel's IOPub thread, from when it meant to wake: in plain
  ipyparallel's kernel, what a thread flushing on a timer cannot beat.

Prints JSON (and writes it to --out). Run through bench/run.py, which also
rewrites BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))

from kernel_driver import KernelDriver, Replica  # noqa: E402

from jupyterlab_asyncresult.wire import whole_message  # noqa: E402

SETUP = """
import ipyparallel as ipp, resource, time, json
rc = ipp.Client(profile_dir={profile_dir!r}, cluster_id={cluster_id!r})
rc.wait_for_engines(2, timeout=120)
lview = rc.load_balanced_view()
def noop(*a):
    return None
def _jar_cpu():
    u = resource.getrusage(resource.RUSAGE_SELF)
    return u.ru_utime + u.ru_stime
# the CPU a run spends in garbage collection (every generation), and its
# longest full collection in wall time: every thread of the kernel stops
# for a collection (it holds the GIL), the Client's and the bridge's alike
import gc
_jar_gc = [0.0, 0.0, 0.0, 0.0, 0.0]  # wall and CPU at this collection's start, longest, CPU sum, epoch start
_jar_full = []  # (start, end) in epoch seconds of each full collection of a run
def _jar_gc_cb(phase, info):
    if phase == "start":
        _jar_gc[0], _jar_gc[1], _jar_gc[4] = time.perf_counter(), time.thread_time(), time.time()
    else:
        _jar_gc[3] += time.thread_time() - _jar_gc[1]
        if info["generation"] == 2:
            _jar_gc[2] = max(_jar_gc[2], time.perf_counter() - _jar_gc[0])
            _jar_full.append((_jar_gc[4], time.time()))
gc.callbacks.append(_jar_gc_cb)
# how late a thread of this kernel runs after it asked to: one that sleeps
# 20 ms at a time notes by how much more it slept each time. Any thread
# (the bridge's flusher, ipykernel's IOPub thread) waits as long for the
# machine's cores and the GIL, so in the kernel without the bridge this is
# a bound the latency cannot beat on this machine at that moment.
import threading
_jar_late = []
_jar_probing = [False]
# Every other wake it also sends a message of its own to the frontend the
# way a comm message goes (ipykernel's IOPub thread sends it on the iopub
# socket), stamped with when it meant to wake, when it woke and when the
# IOPub thread ran it. In the kernel without the bridge, meant-to-wake ->
# frontend is what a thread that flushes on a timer cannot beat on this
# machine at that moment (our flusher's rows add the wait for the next flush).
_jar_kernel = get_ipython().kernel
def _jar_deliver(at, woke):
    body = {{"at": at, "woke": woke, "io": time.time()}}
    _jar_kernel.session.send(_jar_kernel.iopub_thread.socket, "jar_probe", body)
def _jar_probe():
    n = 0
    while True:
        t = time.perf_counter()
        at = time.time() + 0.02
        time.sleep(0.02)
        late = time.perf_counter() - t - 0.02
        if _jar_probing[0]:
            _jar_late.append(late)
            n += 1
            if n % 2 == 0:
                woke = time.time()
                _jar_kernel.iopub_thread.schedule(lambda at=at, woke=woke: _jar_deliver(at, woke))
threading.Thread(target=_jar_probe, name="jar-probe", daemon=True).start()
# the CPU of each thread of the kernel, by its role: where an on/off
# difference lands (the user's loop, the Client's IO thread, the bridge's
# flusher, ipykernel's IOPub thread), read from /proc in clock ticks
import os
_jar_io = rc._io_thread.native_id
def _jar_role(tid, name):
    if tid == _jar_io:
        return "client_io"
    return {{"MainThread": "user", "IOPub": "iopub", "jupyterlab-asyncresult-flusher": "flusher"}}.get(
        name, "other"
    )
def _jar_threads():
    names = {{t.native_id: t.name for t in threading.enumerate()}}
    tick = os.sysconf("SC_CLK_TCK")
    out = {{}}
    for tid in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{{tid}}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:  # the thread ended
            continue
        role = _jar_role(int(tid), names.get(int(tid)))
        out[role] = out.get(role, 0.0) + (int(fields[11]) + int(fields[12])) / tick
    return out
# the bridge's own CPU by entry point (OWN fills it in the kernel with the bridge)
_jar_own = {{}}
_jar_threads0 = {{}}
def _jar_start():
    global _jar_c0, _jar_t0, _jar_counts
    _jar_gc[2] = _jar_gc[3] = 0.0
    _jar_own.clear()
    _jar_full.clear()
    _jar_counts = [g["collections"] for g in gc.get_stats()]
    _jar_late.clear()
    _jar_probing[0] = True
    _jar_threads0.clear()
    _jar_threads0.update(_jar_threads())
    _jar_c0, _jar_t0 = _jar_cpu(), time.time()
def _jar_end():
    _jar_probing[0] = False
    late = sorted(_jar_late)
    return {{
        "wake_late_p50": late[len(late) // 2] if late else None,
        "wake_late_p99": late[min(len(late) - 1, int(0.99 * len(late)))] if late else None,
        "wall": time.time() - _jar_t0,
        "cpu": _jar_cpu() - _jar_c0,
        "t0": _jar_t0,
        "gc_pause": _jar_gc[2],
        "gc": _jar_gc[3],
        "own": sum(list(_jar_own.values())),
        "own_by": dict(_jar_own),  # entry point -> CPU
        # (a thread that ended during the run drops its ticks from "other")
        "threads": {{r: c - _jar_threads0.get(r, 0.0) for r, c in _jar_threads().items()}},
        "full_gcs": list(_jar_full),
        # collections of each generation during the run
        "collections": [g["collections"] - c for g, c in zip(gc.get_stats(), _jar_counts)],
    }}
lview.apply_async(noop).get(timeout=60)
"""

# In the kernel with the bridge: time every entry point of ours that runs
# per task or per result (the hooks' listeners on the user's thread, the
# Client IO thread's callbacks, the flusher) in thread CPU, less the
# collections that ran inside them. Its share of the kernel's CPU moves far
# less with the machine's noise than the on/off ratio of two kernels does;
# the timing itself adds about a microsecond a call, to this side only.
OWN = """
import threading as _jar_threading
import jupyterlab_asyncresult as _jar_pkg
from jupyterlab_asyncresult import hooks as _jar_hooks
_jar_gc_in = {}
_jar_gc_at = {}
def _jar_gc_thread(phase, info):
    t = _jar_threading.get_ident()
    if phase == "start":
        _jar_gc_at[t] = time.thread_time()
    else:
        _jar_gc_in[t] = _jar_gc_in.get(t, 0.0) + time.thread_time() - _jar_gc_at.pop(t, time.thread_time())
gc.callbacks.append(_jar_gc_thread)
def _jar_timed(f):
    name = getattr(f, "__qualname__", repr(f))
    def timed(*a, **k):
        t = _jar_threading.get_ident()
        c, g = time.thread_time(), _jar_gc_in.get(t, 0.0)
        try:
            return f(*a, **k)
        finally:
            d = time.thread_time() - c - (_jar_gc_in.get(t, 0.0) - g)
            _jar_own[name] = _jar_own.get(name, 0.0) + d
    return timed
_jar_hooks._deliver = _jar_timed(_jar_hooks._deliver)
_jar_hooks._scope_listeners[:] = [(_jar_timed(h), _jar_timed(e)) for h, e in _jar_hooks._scope_listeners]
_jar_bridge, _jar_book = _jar_pkg._bridge, _jar_pkg._book
_jar_book._on_done = _jar_timed(_jar_book._result_done)
_jar_bridge._on_future = _jar_timed(_jar_bridge._future_moved)
_jar_bridge._on_iopub = _jar_timed(_jar_bridge._iopub_moved)
_jar_bridge.flush = _jar_timed(_jar_bridge.flush)
"""

# Each run starts by collecting what the kernel's previous run left (a
# finished run is a cycle of about 190 objects a task, through the closures
# `Client.wait` leaves on its futures): otherwise collecting the last run
# (about 1.4 s after a 20,000 loop, whose run takes 40 s of CPU) falls, or
# not, inside the next one. Collected outside the measured window, in both
# kernels alike.
LOOP = """
gc.collect()
_jar_start()
_ars = [lview.apply_async(noop) for _ in range({n})]
rc.wait(_ars, timeout=3600)
_jar_run = _jar_end()
del _ars
rc.purge_local_results("all")
"""

# The same loop at a set rate (tasks a second), below the highest one plain
# ipyparallel sustains here: the latency where the machine has room to spare.
PACED = """
gc.collect()
_jar_start()
_ars = []
_t = time.perf_counter()
for _i in range({n}):
    _ars.append(lview.apply_async(noop))
    _d = _t + (_i + 1) / {rate} - time.perf_counter()
    if _d > 0:
        time.sleep(_d)
rc.wait(_ars, timeout=3600)
_jar_run = _jar_end()
del _ars
rc.purge_local_results("all")
"""

MAP = """
gc.collect()
_jar_start()
_amr = lview.map_async(noop, range({n}))
_amr.wait(timeout=3600)
_jar_run = _jar_end()
del _amr
rc.purge_local_results("all")
"""


def percentile(values, q):
    if not values:
        return None
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def traffic(kernel, comm, since, run):
    """Latency, bytes and announcement of one run with the bridge on."""
    # wall clock of each message's arrival, from the driver's monotonic stamps
    offset = time.time() - time.monotonic()
    raw = [(t + offset, d) for t, d in kernel.comm_messages(comm, since=since, whole=False)]
    sizes = [len(json.dumps(d)) for _, d in raw]
    latencies, changes, announced = [], 0, None
    # each row's way out split at the flusher's take of its delta (the
    # delta's `clock`, on the kernel's clock: the same machine's): reply ->
    # take is the bridge's wait for its flusher; take -> frontend is the
    # delta's sanitizing and send, ipykernel's IOPub thread and the frontend
    to_take, from_take = [], []
    # rows whose way out overlapped a full collection of the kernel: every
    # thread stood still for it, plain ipyparallel's Client as much as ours
    clear = []
    full = run.get("full_gcs") or []

    def stopped(start, end):
        return any(s < end and e > start for s, e in full)

    seen = Replica.from_stream([(0, d) for t, d in kernel.comm_messages(comm) if t < since])
    done_at = {}
    for arrival, sent in raw:
        data = whole_message(sent)
        seen.apply(data)
        if data.get("type") != "delta":
            continue
        if announced is None and any(r["created"] >= run["t0"] for r in data["results"]):
            announced = arrival - run["t0"]
        for task in Replica.task_records(data, seen.results):
            changes += 1
            if task["status"] == "done" and task["msg_id"] not in done_at:
                done_at[task["msg_id"]] = arrival
                # an earlier run's task can come again: its output future,
                # dropped by that run's purge, was only now collected and
                # its row says its outputs are over (TaskEntry.refresh)
                if task["received"] is not None and task["received"] >= run["t0"]:
                    latencies.append(arrival - task["received"])
                    to_take.append(data["clock"] - task["received"])
                    from_take.append(arrival - data["clock"])
                    if not stopped(task["received"], arrival):
                        clear.append(arrival - task["received"])
    span = (raw[-1][0] - raw[0][0]) if len(raw) > 1 else 0.0
    return {
        "messages": len(raw),
        "bytes": sum(sizes),
        "max_message_bytes": max(sizes, default=0),
        "bytes_per_change": sum(sizes) / changes if changes else None,
        "messages_per_s": len(raw) / span if span else None,
        "bytes_per_s": sum(sizes) / span if span else None,
        "latency_p50": percentile(latencies, 0.5),
        "latency_p99": percentile(latencies, 0.99),
        "latency_n": len(latencies),
        "latency_p99_clear": percentile(clear, 0.99),
        "to_take_p99": percentile(to_take, 0.99),
        "from_take_p99": percentile(from_take, 0.99),
        "latency_stopped": (len(latencies) - len(clear)) / len(latencies) if latencies else None,
        "announced_after": announced,
    }


def delivery(kernel, since):
    """The probe's messages of one run: meant-to-wake -> frontend, and its
    parts: the wake's lateness, the hop to ipykernel's IOPub thread, and
    IOPub thread -> frontend (the zmq send and the frontend's process)."""
    offset = time.time() - time.monotonic()
    probes = [
        (t + offset, m["content"])
        for t, m in list(kernel.iopub)
        if t >= since and m["header"]["msg_type"] == "jar_probe"
    ]
    if not probes:
        return {}
    whole = [t - c["at"] for t, c in probes]
    return {
        "probe_n": len(probes),
        "probe_p50": percentile(whole, 0.5),
        "probe_p99": percentile(whole, 0.99),
        "probe_wake_p99": percentile([c["woke"] - c["at"] for _, c in probes], 0.99),
        "probe_hop_p99": percentile([c["io"] - c["woke"] for _, c in probes], 0.99),
        "probe_out_p99": percentile([t - c["io"] for t, c in probes], 0.99),
    }


def run_case(kernels, comm, code, pairs, control=False):
    rows = []
    for i in range(pairs):
        if control:
            sides = ("on", "off", "control")
            order = sides[i % 3 :] + sides[: i % 3]
        else:
            order = ("on", "off") if i % 2 == 0 else ("off", "on")
        pair = {}
        for side in order:
            kernel = kernels[side]
            since = time.monotonic()
            kernel.execute(code, timeout=7200)
            run = kernel.evaluate("_jar_run")
            run.update(delivery(kernel, since))
            if side == "on":
                # the last rows leave within a flush interval: wait for them
                time.sleep(1.0)
                run.update(traffic(kernel, comm, since, run))
            pair[side] = run
        pair["wall_ratio"] = pair["on"]["wall"] / pair["off"]["wall"]
        pair["cpu_ratio"] = pair["on"]["cpu"] / pair["off"]["cpu"]
        pair["own_share"] = pair["on"]["own"] / pair["on"]["cpu"]
        if control:
            pair["control_wall_ratio"] = pair["control"]["wall"] / pair["off"]["wall"]
            pair["control_cpu_ratio"] = pair["control"]["cpu"] / pair["off"]["cpu"]
        rows.append(pair)
        print(
            f"  pair {i + 1}: wall {pair['wall_ratio']:.3f} cpu {pair['cpu_ratio']:.3f}"
            f" p50 {pair['on']['latency_p50']}",
            file=sys.stderr,
            flush=True,
        )
    return rows


def summary(rows):
    def med(key, side=None):
        values = [r[side][key] if side else r[key] for r in rows]
        values = [v for v in values if v is not None]
        return statistics.median(values) if values else None

    def span(key):
        values = [r[key] for r in rows]
        return [min(values), max(values)]

    control = {}
    if all("control" in r for r in rows):
        for key in ("control_wall_ratio", "control_cpu_ratio"):
            control[key], control[f"{key}_range"] = med(key), span(key)

    def generations(side):
        counts = [r[side].get("collections") for r in rows]
        if any(c is None for c in counts):
            return None
        return [statistics.median(c[g] for c in counts) for g in range(len(counts[0]))]

    def threads(side):
        """Median CPU of each thread role over the pairs."""
        runs = [r[side].get("threads") for r in rows]
        if any(t is None for t in runs):
            return None
        roles = sorted({role for t in runs for role in t})
        return {role: statistics.median(t.get(role, 0.0) for t in runs) for role in roles}

    return {
        "pairs": len(rows),
        "collections_on": generations("on"),
        "collections_off": generations("off"),
        "wall_ratio": med("wall_ratio"),
        "wall_ratio_range": span("wall_ratio"),
        "cpu_ratio": med("cpu_ratio"),
        "cpu_ratio_range": span("cpu_ratio"),
        "wall_on": med("wall", "on"),
        "wall_off": med("wall", "off"),
        "cpu_on": med("cpu", "on"),
        "cpu_off": med("cpu", "off"),
        "gc_pause_on": med("gc_pause", "on"),
        "gc_pause_off": med("gc_pause", "off"),
        "gc_on": med("gc", "on"),
        "own": med("own", "on"),
        "own_share": med("own_share"),
        "gc_off": med("gc", "off"),
        "threads_on": threads("on"),
        "threads_off": threads("off"),
        **{
            f"{k}_{side}": med(k, side)
            for k in (
                "wake_late_p50",
                "wake_late_p99",
                "probe_p50",
                "probe_p99",
                "probe_wake_p99",
                "probe_hop_p99",
                "probe_out_p99",
            )
            for side in ("on", "off")
        },
        **{
            k: med(k, "on")
            for k in (
                "latency_p50",
                "latency_p99",
                "latency_p99_clear",
                "latency_stopped",
                "to_take_p99",
                "from_take_p99",
                "bytes_per_change",
                "bytes_per_s",
                "messages_per_s",
                "max_message_bytes",
                "bytes",
                "announced_after",
            )
        },
        **control,
        "rows": rows,
    }


def parse_case(case):
    """(kind, n, pairs or None, rate or None, control) of a --case."""
    fields = case.split(":")
    control = "control" in fields[1:]
    kind, *numbers = [f for f in fields if f != "control"]
    if kind not in ("loop", "map", "paced") or not numbers:
        raise ValueError(case)
    n, *rest = (int(x) for x in numbers)
    pairs = rest[0] if rest else None
    rate = (rest[1] if len(rest) > 1 else 100) if kind == "paced" else None
    return kind, n, pairs, rate, control


def start_cluster():
    """The bench's own cluster of 2 engines (a random cluster id), and a Client."""
    import ipyparallel as ipp

    cluster = ipp.Cluster(n=2, log_level=40)
    client = cluster.start_and_connect_sync()
    client.wait_for_engines(2, timeout=180)
    return cluster, client


def start_kernels(cluster, kernels, control=False):
    """Fill `kernels` with the kernel with the bridge ("on") and the one
    without ("off"), and with `control` a second one without ("control"),
    each with a Client of `cluster`; filled as they start, so that a
    caller's `stop` also stops those started before a failure."""
    kernels["on"] = KernelDriver()
    kernels["off"] = KernelDriver(env={"JUPYTERLAB_ASYNCRESULT": "0"})
    if control:
        kernels["control"] = KernelDriver(env={"JUPYTERLAB_ASYNCRESULT": "0"})
    setup = SETUP.format(profile_dir=cluster.profile_dir, cluster_id=cluster.cluster_id)
    for kernel in kernels.values():
        kernel.execute(setup, timeout=300)


def stop(kernels, client, cluster):
    """Close each kernel's Client and the kernel, then the bench's cluster."""
    for kernel in kernels:
        try:
            kernel.execute("rc.close()", timeout=30)
        except Exception:
            pass
        kernel.shutdown()
    client.close()
    cluster.stop_cluster_sync()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument(
        "--case",
        action="append",
        help="loop:N, map:N or paced:N:pairs:rate, pairs after the second colon, and "
        "':control' for a second kernel without the bridge in the same rounds (default: "
        "loop:5000:control, loop:20000:1, map:20000:1)",
    )
    parser.add_argument("--out", default=os.path.join(HERE, "kernel_bridge_results.json"))
    args = parser.parse_args(argv)
    cases = args.case or ["loop:5000:control", "loop:20000:1", "map:20000:1"]
    parsed = []
    for case in cases:
        try:
            parsed.append(parse_case(case))
        except ValueError:
            parser.error(
                f"unknown case {case!r}: loop:N, map:N or paced:N:pairs:rate, "
                "and ':control' after any"
            )

    cluster, client = start_cluster()
    kernels = {}
    try:
        start_kernels(cluster, kernels, control=any(p[4] for p in parsed))
        kernels["on"].execute(OWN, timeout=60)
        comm = kernels["on"].open_comm()
        results = {"load_before": os.getloadavg(), "started": time.time(), "cases": {}}
        for case, (kind, n, pairs, rate, control) in zip(cases, parsed, strict=True):
            pairs = pairs or args.pairs
            name, extra = f"{kind} {n}", {"control": control} if control else {}
            if kind == "paced":
                code = PACED.format(n=n, rate=rate)
                name = f"{kind} {n} at {rate}/s"
                extra["rate"] = rate
            else:
                code = (LOOP if kind == "loop" else MAP).format(n=n)
            print(f"{case}: {pairs} pairs", file=sys.stderr, flush=True)
            rows = run_case(kernels, comm, code, pairs, control)
            results["cases"][name] = dict(summary(rows), n=n, kind=kind, **extra)
        results["load_after"] = os.getloadavg()
        results["finished"] = time.time()
    finally:
        stop(kernels.values(), client, cluster)
    with open(args.out, "w") as f:
        json.dump(results, f, indent=1)
    print(
        json.dumps(
            {
                k: {kk: vv for kk, vv in v.items() if kk != "rows"}
                for k, v in results["cases"].items()
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
