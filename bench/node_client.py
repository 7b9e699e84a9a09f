"""Benchmark: the TypeScript controller client against ipyparallel's Python
client (issue 6).

Starts a private cluster (one engine; cluster.py with its own IPYTHONDIR
and cluster id), then runs interleaved A/B pairs: in each pair both clients
do N `execute('pass')` round trips to engine 0, sequential and pipelined,
each client in its own fresh process, the order alternating between pairs.
Reports per mode the median throughput ratio (Python seconds / TypeScript
seconds) and client CPU per message, with their spread over the pairs.

    npm run build:node
    python bench/node_client.py [--n 10000] [--pairs 5] [--out results.json]
"""

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
# the headless package (packages/asyncresult-node): its test cluster and its build
PACKAGE = os.path.join(ROOT, "packages", "asyncresult-node")
CLUSTER = os.path.join(PACKAGE, "src", "node", "__tests__", "cluster.py")
NODE_WORKER = os.path.join(HERE, "node_client_worker.js")
PY_WORKER = os.path.join(HERE, "python_client_worker.py")


def run(client, path, mode, n):
    cmd = (
        ["node", NODE_WORKER, path, mode, str(n)]
        if client == "typescript"
        else [sys.executable, PY_WORKER, path, mode, str(n)]
    )
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=3600)
    if out.returncode:
        sys.exit(f"{client} {mode} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def spread(values):
    return f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=10000)
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--out", default=os.path.join(HERE, "node_client_results.json"))
    args = parser.parse_args()
    if not os.path.exists(os.path.join(PACKAGE, "lib", "node", "index.js")):
        sys.exit("build the Node client first: npm run build:node")

    # a frozen copy of the build: rebuilding while the bench runs changes nothing
    # (inside the project, so that node_modules still resolves from it)
    frozen = tempfile.mkdtemp(prefix=".frozen-", dir=HERE)
    shutil.copytree(os.path.join(PACKAGE, "lib"), os.path.join(frozen, "lib"))
    os.environ["BENCH_LIB_NODE"] = os.path.join(frozen, "lib", "node")
    cluster = subprocess.Popen(
        [sys.executable, CLUSTER, "1"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    runs = []
    try:
        info = json.loads(cluster.stdout.readline())
        path = info["connection_file"]
        for pair in range(args.pairs):
            order = ["typescript", "python"] if pair % 2 == 0 else ["python", "typescript"]
            for mode in ("sequential", "pipelined"):
                for client in order:
                    r = run(client, path, mode, args.n)
                    r["pair"] = pair
                    runs.append(r)
                    print(json.dumps(r), flush=True)
    finally:
        cluster.stdin.write("stop\n")
        cluster.stdin.close()
        cluster.wait(60)
        shutil.rmtree(frozen, ignore_errors=True)

    summary = {}
    for mode in ("sequential", "pipelined"):
        pairs = []
        for pair in range(args.pairs):
            ts = next(
                r
                for r in runs
                if r["pair"] == pair and r["mode"] == mode and r["client"] == "typescript"
            )
            py = next(
                r
                for r in runs
                if r["pair"] == pair and r["mode"] == mode and r["client"] == "python"
            )
            pairs.append((ts, py))
        summary[mode] = {
            "throughput_ratio": [py["seconds"] / ts["seconds"] for ts, py in pairs],
            "cpu_ratio": [ts["cpu_seconds"] / py["cpu_seconds"] for ts, py in pairs],
            "ts_ms_per_msg": [1000 * ts["seconds"] / args.n for ts, py in pairs],
            "py_ms_per_msg": [1000 * py["seconds"] / args.n for ts, py in pairs],
            "ts_cpu_ms_per_msg": [1000 * ts["cpu_seconds"] / args.n for ts, py in pairs],
            "py_cpu_ms_per_msg": [1000 * py["cpu_seconds"] / args.n for ts, py in pairs],
        }
    with open(args.out, "w") as f:
        json.dump(
            {
                "n": args.n,
                "pairs": args.pairs,
                "date": time.strftime("%Y-%m-%d"),
                "python": platform.python_version(),
                "runs": runs,
                "summary": summary,
            },
            f,
            indent=1,
        )

    print()
    print(
        "| mode | TS ms/msg | Python ms/msg | throughput TS/Python | TS CPU ms/msg | Python CPU ms/msg | CPU TS/Python |"
    )
    print("|---|---|---|---|---|---|---|")
    for mode, s in summary.items():
        print(
            f"| {mode} | {spread(s['ts_ms_per_msg'])} | {spread(s['py_ms_per_msg'])} | "
            f"{spread(s['throughput_ratio'])}x | {spread(s['ts_cpu_ms_per_msg'])} | "
            f"{spread(s['py_cpu_ms_per_msg'])} | {spread(s['cpu_ratio'])}x |"
        )


if __name__ == "__main__":
    main()
