"""A dead engine fails its tasks with an EngineError, and the bridge says so."""

import os
import signal

import pytest
from conftest import local_cluster
from kernel_driver import KernelDriver, Replica


@pytest.fixture()
def doomed_cluster():
    """A cluster of its own: this test kills one of its engines."""
    with local_cluster(2) as both:
        yield both


def test_a_killed_engine_fails_its_running_task_with_an_engine_error(doomed_cluster):
    cluster, client = doomed_cluster
    victim = client[1].apply_sync(os.getpid)
    kernel = KernelDriver()
    try:
        kernel.execute(
            "import ipyparallel as ipp\n"
            f"rc = ipp.Client(profile_dir={cluster.profile_dir!r}, cluster_id={cluster.cluster_id!r})\n"
            "rc.wait_for_engines(2, timeout=60)\n"
        )
        comm = kernel.open_comm()
        kernel.execute("import time\nlong = rc[1].apply_async(time.sleep, 60)")

        def running(r):
            return any(t["status"] == "running" for t in r.tasks.values())

        kernel.wait_for(
            lambda: running(Replica.from_stream(kernel.comm_messages(comm))), timeout=30
        )
        os.kill(victim, signal.SIGKILL)

        def failed():
            r = Replica.from_stream(kernel.comm_messages(comm))
            tasks = [t for t in r.tasks.values() if t["status"] == "error"]
            return tasks[0] if tasks else None

        task = kernel.wait_for(failed, timeout=90)
        assert task["error"]["ename"] == "EngineError"
        assert "died" in task["error"]["evalue"]
        # ipyparallel's made-up reply loses the engine id; the record keeps it
        assert task["engine_id"] == 1
        assert task["error"]["engine_id"] == 1
        assert kernel.evaluate("type(long.exception(timeout=10)).__name__") in (
            "RemoteError",
            "EngineError",
        )
    finally:
        kernel.shutdown()
