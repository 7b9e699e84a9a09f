"""A dead controller: the bridge notices (ipyparallel itself would wait
forever) and tells the frontend, which settles its pending waits."""

import time

import pytest
from conftest import local_cluster
from kernel_driver import KernelDriver, Replica
from test_bridge import request


@pytest.fixture()
def doomed_controller():
    """A cluster of its own: this test stops its controller."""
    with local_cluster(1) as (cluster, _):
        yield cluster


def test_the_frontend_hears_when_the_controller_stops_answering(doomed_controller):
    cluster = doomed_controller
    # a fast watchdog for the test; the default asks every 5 s
    kernel = KernelDriver(env={"JUPYTERLAB_ASYNCRESULT": "0"})
    try:
        kernel.execute(
            "from jupyterlab_asyncresult.bridge import Bridge\n"
            "_b = Bridge(get_ipython().kernel, watch_interval=0.5, probe_timeout=1.0); _b.start()\n"
            "import ipyparallel as ipp, time\n"
            f"rc = ipp.Client(profile_dir={cluster.profile_dir!r}, cluster_id={cluster.cluster_id!r})\n"
            "rc.wait_for_engines(1, timeout=60)\n"
            "slow = rc[0].apply_async(time.sleep, 120)\n"
        )
        comm = kernel.open_comm()

        def controller_state():
            r = Replica.from_stream(kernel.comm_messages(comm))
            return r.controller if r.tasks else None

        kernel.wait_for(lambda: controller_state() == {"ok": True, "detail": ""}, timeout=30)
        cluster.stop_controller_sync()
        lost = kernel.wait_for(
            lambda: (controller_state() or {}).get("ok") is False and controller_state(), timeout=60
        )
        assert "the controller has not answered" in lost["detail"]

        # a question for the dead controller gets an error in bounded time
        # (ipyparallel's own queue_status would wait for ever, holding the
        # comm's thread), and the next request is still answered
        kernel.execute("import jupyterlab_asyncresult.requests as _r; _r.QUERY_TIMEOUT = 2")
        asked = time.monotonic()
        reply = request(kernel, comm, "queue_status", timeout=60)
        assert reply["type"] == "error" and "did not answer queue_status" in reply["error"]
        assert time.monotonic() - asked < 30
        assert request(kernel, comm, "spin", result_id="r1", timeout=30)["type"] == "reply"
    finally:
        kernel.shutdown()
