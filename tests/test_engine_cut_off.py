"""An engine on another host whose network goes away mid-run.

The test makes the other host: a network namespace with its own address,
joined to this one by a veth pair, and an engine started inside it. The
controller listens on the host side of the pair, so the engine reaches it
only through that link. With both engines held mid-task by a barrier, the
host side of the link is taken down: the controller stops hearing the
engine's heartbeat and unregisters it, ipyparallel fails the engine's
tasks with an EngineError, and the other engine's work finishes. The
bridge's records must say the same as ipyparallel, task by task, and name
the engine that was lost.
"""

import contextlib
import os
import random
import shutil
import signal
import subprocess
import sys
import uuid

import pytest
from holding import HOLD, release
from kernel_driver import KernelDriver, Replica


def ip(*args, netns=None):
    cmd = ["ip", *(["netns", "exec", netns, "ip"] if netns else []), *args]
    subprocess.run(cmd, check=True, capture_output=True, text=True)


@contextlib.contextmanager
def other_host():
    """A network namespace joined by a veth pair: (namespace, host-side
    link, host address, namespace address); removed on exit."""
    if shutil.which("ip") is None:
        pytest.fail("iproute2's `ip` is missing: scripts/env.sh installs it")
    tag = uuid.uuid4().hex[:6]
    netns, host_link, ns_link = f"ar{tag}", f"arh{tag}", f"arn{tag}"
    net = f"10.{random.randint(100, 250)}.{random.randint(0, 250)}"
    try:
        ip("netns", "add", netns)
    except subprocess.CalledProcessError as e:
        # only a machine that forbids namespaces (no CAP_NET_ADMIN) may skip
        if "Operation not permitted" in e.stderr:
            pytest.skip(f"network namespaces not permitted here: {e.stderr.strip()}")
        raise
    try:
        ip("link", "add", host_link, "type", "veth", "peer", "name", ns_link)
        ip("link", "set", ns_link, "netns", netns)
        ip("addr", "add", f"{net}.1/24", "dev", host_link)
        ip("link", "set", host_link, "up")
        ip("addr", "add", f"{net}.2/24", "dev", ns_link, netns=netns)
        ip("link", "set", ns_link, "up", netns=netns)
        ip("link", "set", "lo", "up", netns=netns)
        yield netns, host_link, f"{net}.1"
    finally:
        # deleting the namespace deletes its end of the pair, and so the pair
        subprocess.run(["ip", "netns", "del", netns], capture_output=True)
        subprocess.run(["ip", "link", "del", host_link], capture_output=True)


@pytest.fixture()
def split_cluster():
    """A controller on the host side of the link, one engine on this host
    and one in the namespace; the controller gives up on a silent engine
    after about 2 s (its defaults wait 30 s)."""
    import ipyparallel as ipp

    with other_host() as (netns, host_link, address):
        cluster = ipp.Cluster(
            n=1,
            controller_ip=address,
            controller_args=[
                "--HeartMonitor.period=500",
                "--HeartMonitor.max_heartmonitor_misses=4",
            ],
            log_level=40,
        )
        client = cluster.start_and_connect_sync()
        remote = None
        try:
            client.wait_for_engines(1, timeout=120)
            remote = subprocess.Popen(
                [
                    "ip",
                    "netns",
                    "exec",
                    netns,
                    sys.executable,
                    "-m",
                    "ipyparallel.engine",
                    f"--profile-dir={cluster.profile_dir}",
                    f"--cluster-id={cluster.cluster_id}",
                    "--log-level=40",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            client.wait_for_engines(2, timeout=120)
            yield cluster, client, host_link, remote.pid
        finally:
            if remote is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(remote.pid, signal.SIGKILL)
                remote.wait(timeout=30)
            client.close()
            cluster.stop_cluster_sync()


def test_an_engine_cut_off_mid_run_fails_its_tasks_and_the_rest_finish(split_cluster, barrier):
    cluster, client, host_link, remote_pid = split_cluster
    # which engine id the namespace's engine registered as
    pids = client[:].apply_sync(os.getpid)
    lost = client.ids[pids.index(remote_pid)]
    kept = next(e for e in client.ids if e != lost)
    kernel = KernelDriver()
    try:
        kernel.execute(
            "import ipyparallel as ipp\n"
            f"rc = ipp.Client(profile_dir={cluster.profile_dir!r}, cluster_id={cluster.cluster_id!r})\n"
            "rc.wait_for_engines(2, timeout=60)\n"
            "dview = rc[:]\nlview = rc.load_balanced_view()\n"
        )
        comm = kernel.open_comm()
        kernel.wait_for(lambda: kernel.comm_messages(comm), timeout=30)
        kernel.execute(HOLD)
        kernel.execute(
            f"held = dview.apply_async(hold, {barrier!r}); started({barrier!r}, 2)\n"
            "rest = lview.map_async(abs, range(-6, 0))\n"
        )

        def records():
            return Replica.from_stream(kernel.comm_messages(comm))

        def running_on_both():
            engines = {t["engine_id"] for t in records().tasks.values() if t["status"] == "running"}
            return engines == {lost, kept}

        kernel.wait_for(running_on_both, timeout=60)
        ip("link", "set", host_link, "down")
        # ipyparallel fails the lost engine's task once the controller gives up on it
        kernel.wait_for(
            lambda: kernel.evaluate("[md['status'] for md in held._metadata].count('error')") == 1,
            timeout=90,
            interval=0.5,
        )
        release(barrier)
        kernel.execute("held.wait(60); rest.wait(60)")
        truth = kernel.evaluate(
            "[(m, md['status'], md['engine_id'], md['error'] and type(md['error']).__name__)"
            " for ar in (held, rest) for m, md in zip(ar.msg_ids, ar._metadata)]"
        )
        by_engine = {}
        for _, status, engine, _ in truth:
            by_engine.setdefault(engine, set()).add(status)
        # the kept engine finished its work; the lost one's ended in errors
        assert by_engine[kept] == {"ok"}, truth
        assert by_engine.get(lost, {"error"}) == {"error"}, truth
        # the bridge says the same, task by task, and names the lost engine
        expected = {m: ("done" if s == "ok" else s) for m, s, _, _ in truth}

        def agree():
            tasks = records().tasks
            return all(m in tasks and tasks[m]["status"] == s for m, s in expected.items())

        kernel.wait_for(agree, timeout=30)
        tasks = records().tasks
        failed = [tasks[m] for m, s, _, _ in truth if s == "error"]
        assert failed, truth
        # ipyparallel's own metadata has no engine id for a task the task
        # scheduler had handed to the lost engine (its error names the engine
        # by uuid only): the records name the engine for every failed task
        for task in failed:
            assert task["error"]["ename"] == "EngineError", task
            assert "died" in task["error"]["evalue"], task
            assert (task["engine_id"], task["error"]["engine_id"]) == (lost, lost), task
    finally:
        kernel.shutdown()
