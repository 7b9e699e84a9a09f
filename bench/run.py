"""Run the benchmarks and rewrite their section of BENCHMARKS.md.

    python bench/run.py            # kernel bridge (5 pairs) + frontend store memory
    python bench/run.py --quick    # 1 pair of 1,000: checks the bench itself, ~3 min
    python bench/run.py --render   # rewrite BENCHMARKS.md from the last results
    python bench/run.py --all      # also the Chromium and Node client benchmarks
    python bench/run.py --kernel-json FILE   # a kernel_bridge.py run made before
    python bench/run.py --retention-json FILE   # a kernel_retention.py run made before
    python bench/run.py --case loop:100000:1 ...  # the kernel cases to run
                                                  # (default: kernel_bridge.py's)

Every figure is a ratio against plain ipyparallel measured in the same run
(the kernel with JUPYTERLAB_ASYNCRESULT=0), or a physical bound. The
section between the `bench/run.py` markers in BENCHMARKS.md is generated;
the rest of the file is prose kept by hand. Benchmarks, not tests: nothing
here fails on a slow figure.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
RESULTS = os.path.join(HERE, "results.json")
DOC = os.path.join(ROOT, "BENCHMARKS.md")
START = "<!-- bench/run.py: generated from bench/results.json, do not edit by hand -->"
END = "<!-- bench/run.py: end -->"


def machine():
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
        with open("/proc/meminfo") as f:
            mem_gib = int(f.readline().split()[1]) / 2**20
    except OSError:
        mem_gib = 0
    versions = {}
    for name in ("ipyparallel", "ipykernel", "jupyter_client", "pyzmq"):
        try:
            from importlib.metadata import version

            versions[name] = version(name)
        except Exception:
            versions[name] = None
    return {
        "cpus": os.cpu_count(),
        "cpu": model,
        "memory_gib": round(mem_gib, 1),
        "python": platform.python_version(),
        "versions": versions,
    }


def run(args):
    results = {"machine": machine(), "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    cases = ["loop:1000:1", "map:1000:1"] if args.quick else args.case
    kernel_args = [a for case in cases or [] for a in ("--case", case)]
    results["kernel"] = measured("kernel_bridge.py", kernel_args, args.kernel_json)
    # what a released map leaves in the kernel, with and without the bridge
    tasks = "1000" if args.quick else "20000"
    results["retention"] = measured("kernel_retention.py", ["--tasks", tasks], args.retention_json)
    subprocess.run(["npm", "run", "build:node"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    out = subprocess.run(
        ["node", "--expose-gc", os.path.join(HERE, "store_memory.js"), "100000"],
        check=True,
        capture_output=True,
        text=True,
    )
    results["store_memory"] = json.loads(out.stdout)
    results["panel_scale"] = panel_scale()
    if args.all:
        # these keep their own hand-written sections (issues 5 and 6)
        subprocess.run(["bash", os.path.join(HERE, "progress_widget.sh"), "5", "10000", "display"])
        subprocess.run([sys.executable, os.path.join(HERE, "node_client.py")])
    with open(RESULTS, "w") as f:
        json.dump(results, f, indent=1)
    return results


def measured(script, argv, given=None):
    """The JSON a bench script of bench/ writes to its --out: read from
    `given` (a run made before) when there is one, else from a run now."""
    if given:
        with open(given) as f:
            return json.load(f)
    out = f"{RESULTS}.{script}"
    cmd = [sys.executable, os.path.join(HERE, script), "--out", out, *argv]
    subprocess.run(cmd, check=True)
    with open(out) as f:
        data = json.load(f)
    os.remove(out)
    return data


def panel_scale():
    """The panel's and the timeline's work per frame at 100,000 tasks (issue 15.4)."""
    out = subprocess.run(
        ["node", "--expose-gc", os.path.join(HERE, "panel_scale.js"), "100000", "1000"],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    scale = json.loads(out.stdout)
    scale["date"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    return scale


def when(epoch, default):
    """A run's start as the document dates it (`default` when unknown)."""
    if epoch is None:
        return default
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(epoch))


def ms(seconds):
    return "-" if seconds is None else f"{seconds * 1000:.0f} ms"


def seconds(value):
    return "-" if value is None else f"{value:.1f}"


def ratio(case, key):
    lo, hi = case[f"{key}_range"]
    return f"**{case[key]:.3f}** ({lo:.3f}-{hi:.3f})"


def render(results):
    m = results["machine"]
    k = results["kernel"]
    load = ", ".join(f"{x:.1f}" for x in k["load_before"])
    load_after = ", ".join(f"{x:.1f}" for x in k["load_after"])
    lines = [
        START,
        "",
        "## The kernel bridge's cost, traffic and latency (issue 12)",
        "",
        f"**Run** {when(k.get('started'), results['date'])} on {m['cpus']} cores ({m['cpu']}), "
        f"{m['memory_gib']} GiB, Python {m['python']}, "
        + ", ".join(f"{n} {v}" for n, v in m["versions"].items() if v)
        + ".",
        f"Load average {load} before and {load_after} after (1, 5, 15 min).",
        "",
        "**Method** (`bench/kernel_bridge.py`). A plain jupyter_client is the frontend. Two "
        "kernels share one 2-engine cluster of the bench's own: *on* has the bridge with a "
        "comm open, *off* has `JUPYTERLAB_ASYNCRESULT=0` (plain ipyparallel). Each case runs "
        "in interleaved pairs (the order alternating); a ratio is on/off within a pair, "
        "the median over pairs with the range in brackets. Kernel CPU is `getrusage` of "
        "the whole kernel process (every thread: the flusher's too); each run starts with "
        "a `gc.collect()` in both kernels, outside the measured window, so the previous "
        "run's garbage is never collected inside the next. Latency runs from a "
        "task's reply reaching the kernel's Client (ipyparallel's `received`) to its "
        "`done` row reaching the frontend (one machine, one clock). *GC* is the CPU a run spent in "
        "garbage collection (every generation, median over pairs). The longest GC pause "
        "is the longest full collection of a run, median over pairs: every thread of "
        "that kernel stops for it, ipyparallel's Client as much as the bridge, so a row "
        "due then waits for it (a physical bound on the tail, set by the heap plain "
        "ipyparallel keeps). Bytes are the JSON "
        "of the comm data; *per change* divides by the task changes carried (result "
        "records included: an `apply_async` loop makes one result per task).",
        "",
        "| case | pairs | wall on/off | kernel CPU on/off | wall on / off (s) "
        "| GC on / off (s) | latency p50 / p99 | longest GC pause on / off | bytes per change | comm msgs/s | comm KB/s | largest msg "
        "| announced after |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, c in k["cases"].items():
        lines.append(
            f"| `{name}` | {c['pairs']} | {ratio(c, 'wall_ratio')} | {ratio(c, 'cpu_ratio')} "
            f"| {c['wall_on']:.1f} / {c['wall_off']:.1f} "
            f"| {seconds(c.get('gc_on'))} / {seconds(c.get('gc_off'))} "
            f"| {ms(c['latency_p50'])} / {ms(c['latency_p99'])} "
            f"| {ms(c.get('gc_pause_on'))} / {ms(c.get('gc_pause_off'))} "
            f"| {c['bytes_per_change']:.0f} | {c['messages_per_s']:.1f} "
            f"| {c['bytes_per_s'] / 1000:.1f} | {c['max_message_bytes'] / 1000:.1f} KB "
            f"| {ms(c['announced_after'])} |"
        )
    cases = k["cases"].items()

    def per_case(intro, figures, outro="."):
        """One line of a figure for each case, when the results have it."""
        if figures:
            lines.extend(["", intro + ", ".join(f"`{n}` {text}" for n, text in figures) + outro])

    per_case(
        "**The noise floor.** A second kernel without the bridge, run in the same rounds "
        "as the two above (the three taking turns to go first), against the first "
        "(kernel CPU, then wall): ",
        [
            (n, f"{ratio(c, 'control_cpu_ratio')}, {ratio(c, 'control_wall_ratio')}")
            for n, c in cases
            if c.get("control_cpu_ratio") is not None
        ],
        ". Two kernels that differ in nothing differ by this much here: an on/off "
        "ratio inside that range is not told apart from plain ipyparallel by this run.",
    )

    per_case(
        "Bridge CPU per task (median CPU on minus off, over tasks): ",
        [(n, f"{(c['cpu_on'] - c['cpu_off']) / c['n'] * 1e6:.0f} µs") for n, c in cases],
        ". Flat in the number of tasks means the same figure for 5,000 and 20,000.",
    )
    per_case(
        "Latency p99 over the rows whose way out (reply received to row at the frontend) "
        "overlapped no full collection of the kernel, with the share of rows that did: ",
        [
            (n, f"{ms(c['latency_p99_clear'])} ({c['latency_stopped'] * 100:.1f}% of rows)")
            for n, c in cases
            if c.get("latency_p99_clear") is not None and c.get("latency_stopped") is not None
        ],
    )
    per_case(
        "The same way out split at the flusher's take of the row's delta (its `clock`), "
        "p99 of each part: reply to take (the bridge's wait for its flusher) / take to "
        "frontend (sanitizing and sending the delta, ipykernel's IOPub thread, the "
        "frontend): ",
        [
            (n, f"{ms(c['to_take_p99'])} / {ms(c['from_take_p99'])}")
            for n, c in cases
            if c.get("to_take_p99") is not None and c.get("from_take_p99") is not None
        ],
    )
    per_case(
        "How late a thread of the kernel wakes (one that sleeps 20 ms at a time, in both "
        "kernels: a bound no thread there, the flusher or ipykernel's IOPub thread, can "
        "beat at that moment), p50 / p99 on against off: ",
        [
            (
                n,
                f"{c['wake_late_p50_on'] * 1000:.1f} / {ms(c['wake_late_p99_on'])} against "
                f"{c['wake_late_p50_off'] * 1000:.1f} / {ms(c['wake_late_p99_off'])}",
            )
            for n, c in cases
            if c.get("wake_late_p99_on") is not None and c.get("wake_late_p99_off") is not None
        ],
    )
    per_case(
        "A message sent through ipykernel's IOPub thread by that thread every other time "
        "it wakes, from when it meant to wake to the frontend, p50 / p99 on against off "
        "(in the kernel without the bridge: what a thread flushing on a timer cannot beat "
        "here; a row also waits up to one flush interval, 50 ms, for its flush), and the "
        "p99 of its parts off: the wake, the hop to the IOPub thread, IOPub thread to "
        "frontend: ",
        [
            (
                n,
                f"{ms(c['probe_p50_on'])} / {ms(c['probe_p99_on'])} against "
                f"{ms(c['probe_p50_off'])} / {ms(c['probe_p99_off'])} "
                f"({ms(c['probe_wake_p99_off'])}, {ms(c['probe_hop_p99_off'])}, "
                f"{ms(c['probe_out_p99_off'])})",
            )
            for n, c in cases
            if c.get("probe_p99_on") is not None and c.get("probe_p99_off") is not None
        ],
    )
    per_case(
        "Collections a run set off, by generation (0 / 1 / 2, median over pairs), on against off: ",
        [
            (
                n,
                " / ".join(f"{x:.0f}" for x in c["collections_on"])
                + " against "
                + " / ".join(f"{x:.0f}" for x in c["collections_off"]),
            )
            for n, c in cases
            if c.get("collections_on") and c.get("collections_off")
        ],
    )
    per_case(
        "The same outside garbage collection (median CPU minus median GC time, on "
        "minus off, over tasks): ",
        [
            (
                n,
                f"{((c['cpu_on'] - c['gc_on']) - (c['cpu_off'] - c['gc_off'])) / c['n'] * 1e6:.0f} µs",
            )
            for n, c in cases
            if c.get("gc_on") is not None and c.get("gc_off") is not None
        ],
    )
    roles = (
        ("user", "the user's thread"),
        ("client_io", "the Client's IO thread"),
        ("flusher", "the flusher"),
        ("iopub", "ipykernel's IOPub thread"),
        ("other", "the rest"),
    )
    per_case(
        "CPU by thread of the kernel (from /proc, median over pairs, seconds on against off): ",
        [
            (
                n,
                "; ".join(
                    f"{label} {c['threads_on'].get(role, 0.0):.2f} against "
                    f"{c['threads_off'].get(role, 0.0):.2f}"
                    for role, label in roles
                    if role in c["threads_on"] or role in c["threads_off"]
                ),
            )
            for n, c in cases
            if c.get("threads_on") and c.get("threads_off")
        ],
    )
    per_case(
        "The bridge's own work, timed inside its entry points (thread CPU of the hooks' "
        "listeners, the Client IO thread's callbacks and the flusher, less the collections "
        "that ran in them; median over pairs): ",
        [
            (
                n,
                f"{c['own'] / c['n'] * 1e6:.0f} µs a task, {c['own_share'] * 100:.1f}% of the kernel's CPU",
            )
            for n, c in cases
            if c.get("own") is not None and c.get("own_share") is not None
        ],
        ". Its share of the kernel's CPU moves far less from run to run than the "
        "on/off ratio, which compares two noisy kernels.",
    )
    lines += [
        "",
    ]
    kept = results.get("retention")
    if kept:
        on, off = kept["on"], kept["off"]
        lines += [
            "**What a released map leaves in the kernel** (`bench/kernel_retention.py`, "
            f"measured {when(kept['started'], '')}: tracemalloc from before a "
            f"{kept['tasks']:,}-task `map_async` until it was released, `del` and "
            "`purge_local_results`, and the bridge idle): "
            f"{on['bytes'] / 1e6:.1f} MB with the bridge against {off['bytes'] / 1e6:.1f} MB "
            f"without, **{kept['bridge_bytes_per_task']:.0f} bytes a task** kept by the "
            f"bridge ({on.get('settled', 0):,} of its {on.get('tasks', 0):,} kept tasks "
            "settled), so that the panel can still list them; it keeps at most `MAX_TASKS` "
            "(100,000) tasks of finished results.",
            "",
        ]
    s = results.get("store_memory")
    if s:
        lines += [
            "**Frontend memory per tracked task** (`bench/store_memory.js`, Node's heap after "
            f"GC, a TaskStore fed {s['tasks']:,} tasks as the bridge sends them): "
            f"**{s['bytes_per_task']:.0f} bytes** a task (target under 1 KB).",
            "",
        ]
    p = results.get("panel_scale")
    if p:
        lines += [
            f"**The task panel and the timeline at {p['tasks']:,} tasks** "
            f"(`bench/panel_scale.js`, {p['results']:,} results over {p['engines']:,} engines, "
            f"a synthetic feed, measured {p['date']}; the work a redraw does before the DOM, "
            "median of runs). Target: a frame under 16 ms.",
            "",
            "| | first draw | a frame after 100 tasks changed | a frame, nothing changed |",
            "|---|---|---|---|",
            f"| panel rows (grouped, counted; only a screenful reaches the DOM) "
            f"| {p['panel_cold_ms']:.0f} ms | **{p['panel_after_delta_ms']:.1f} ms** "
            f"| {p['panel_warm_ms']:.1f} ms |",
            f"| timeline (lanes kept delta by delta; the 40 lanes in view drawn per pixel column) "
            f"| {p['timeline_cold_ms']:.0f} ms | **{p['timeline_after_delta_ms']:.1f} ms** "
            f"| {p['timeline_columns_40_lanes_ms']:.1f} ms |",
            f"| busy-engines chart (running tasks per pixel column, 1,200 columns) "
            f"| {p.get('chart_cold_ms', float('nan')):.0f} ms "
            f"| **{p.get('chart_after_delta_ms', float('nan')):.1f} ms** "
            f"| {p.get('chart_warm_ms', float('nan')):.1f} ms |",
            "",
            f"Memory with the panel's data: {p['bytes_per_task']:.0f} bytes a task.",
            "",
        ]
    # the command that runs these kernel cases again
    cases = " ".join(
        f"--case {c.get('kind', n.split()[0])}:{c['n']}:{c['pairs']}"
        + (f":{c['rate']}" if c.get("rate") else "")
        + (":control" if c.get("control") else "")
        for n, c in k["cases"].items()
    )
    lines += [
        f"Reproduce: `python bench/run.py {cases}` (the default cases, "
        "`python bench/run.py`, take about 40 minutes on this machine; "
        "`--quick` checks the bench in 3). These figures come from a shared, busy "
        "machine: rerun them quiet before quoting them.",
        "",
        END,
    ]
    section = "\n".join(lines)
    with open(DOC) as f:
        text = f.read()
    if START in text and END in text:
        head, rest = text.split(START, 1)
        _, tail = rest.split(END, 1)
        text = head + section + tail
    else:
        marker = "\n## "
        at = text.find(marker)
        text = (text[:at] + "\n" + section + "\n" + text[at:]) if at >= 0 else text + section
    with open(DOC, "w") as f:
        f.write(text)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--render", action="store_true")
    parser.add_argument("--all", action="store_true")
    parser.add_argument(
        "--kernel-json", help="use this bench/kernel_bridge.py output instead of running it"
    )
    parser.add_argument(
        "--retention-json",
        help="use this bench/kernel_retention.py output instead of running it",
    )
    parser.add_argument(
        "--case",
        action="append",
        help="a kernel case as bench/kernel_bridge.py takes it (loop:N or map:N, "
        "pairs after a second colon, ':control' for a noise floor); repeat for more",
    )
    args = parser.parse_args()
    if args.render:
        with open(RESULTS) as f:
            results = json.load(f)
    else:
        results = run(args)
    render(results)


if __name__ == "__main__":
    main()
