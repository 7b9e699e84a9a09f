"""Start a private ipyparallel cluster for the Node client's tests and bench.

`cluster.py N [--curve]`: N engines, CURVE-encrypted with --curve.
Prints one JSON line {connection_file, profile_dir, ipython_dir, cluster_id,
engines: {id: pid}} once the engines are up, then waits: a line "stop" on
stdin (or stdin closing) stops the cluster; "kill <id>" kills one engine
with SIGKILL and answers "killed <id>"; "add" starts one more engine and
answers "added"; "pause" / "resume" stop and continue the controller's whole
process tree (hub and schedulers), answering "paused" / "resumed"; "killcontroller"
SIGKILLs that tree and answers "killed controller".

The cluster lives in its own IPYTHONDIR under a temp dir, with its own
cluster id, so it never touches anyone else's cluster.
"""

import json
import os
import shutil
import signal
import sys
import tempfile
import uuid


def controller_tree(pid):
    """The controller's process and its children (the schedulers), ours only."""
    import psutil

    try:
        root = psutil.Process(pid)
        return [pid] + [p.pid for p in root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def main():
    # a SIGTERM (jest or the bench giving up) must still stop the cluster
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    if "--curve" in sys.argv[2:]:
        # ipyparallel's switch for CURVE encryption of every connection
        os.environ["IPP_ENABLE_CURVE"] = "1"
    root = tempfile.mkdtemp(prefix="ipp-node-")
    os.environ["IPYTHONDIR"] = root
    import ipyparallel as ipp

    cluster_id = "node-" + uuid.uuid4().hex[:8]
    cluster = ipp.Cluster(
        n=n,
        cluster_id=cluster_id,
        profile_dir=os.path.join(root, "profile_default"),
        log_level=40,
        # engine death shows within ~2 s rather than the default 30 s
        controller_args=[
            "--HeartMonitor.period=500",
            "--HeartMonitor.max_heartmonitor_misses=3",
        ],
    )
    client = cluster.start_and_connect_sync(activate=False)
    client.wait_for_engines(n, timeout=60)
    pids = dict(zip(map(str, client.ids), client[:].apply_sync(os.getpid), strict=False))
    client.close()
    print(
        json.dumps(
            {
                "connection_file": os.path.join(
                    cluster.profile_dir, "security", f"ipcontroller-{cluster_id}-client.json"
                ),
                "profile_dir": cluster.profile_dir,
                "ipython_dir": root,
                "cluster_id": cluster_id,
                "engines": pids,
            }
        ),
        flush=True,
    )
    try:
        for line in sys.stdin:
            words = line.split()
            if words[:1] == ["stop"]:
                break
            if words[:1] == ["kill"]:
                os.kill(pids[words[1]], signal.SIGKILL)
                print(f"killed {words[1]}", flush=True)
            if words[:1] in (["pause"], ["resume"]):
                # SIGSTOP / SIGCONT the controller's whole tree: hub and schedulers stop
                sig = signal.SIGSTOP if words[0] == "pause" else signal.SIGCONT
                for pid in controller_tree(cluster.controller.pid):
                    os.kill(pid, sig)
                print(f"{words[0]}d", flush=True)
            if words[:1] == ["killcontroller"]:
                for pid in controller_tree(cluster.controller.pid):
                    os.kill(pid, signal.SIGKILL)
                print("killed controller", flush=True)
            if words[:1] == ["add"]:
                cluster.start_engines_sync(1)
                print("added", flush=True)
    finally:
        cluster.stop_cluster_sync()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
