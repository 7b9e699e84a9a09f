"""Which controller a kernel's Client talks to (issue 15: whose work is ahead
in the queue). `queue_status` with `identify` adds `controller_id`: the same
in two kernels on one cluster, another for another cluster, opaque, and
without the session key. Without `identify` the reply stays as it was, so a
frontend that does not ask reads what it always read.
"""

import json

from conftest import local_cluster
from kernel_driver import KernelDriver
from test_bridge import request


def connect(driver, cluster, name="rc"):
    driver.execute(
        "import ipyparallel as ipp\n"
        f"{name} = ipp.Client(profile_dir={cluster.profile_dir!r}, cluster_id={cluster.cluster_id!r})\n"
        f"{name}.wait_for_engines(1, timeout=60)\n"
        # the bridge asks the Client of the newest result
        f"{name}[:].apply_async(abs, -1).get(timeout=60)\n"
    )


def controller_of(driver):
    comm = driver.open_comm()
    reply = request(driver, comm, "queue_status", identify=True)
    assert reply["type"] == "reply", reply
    return reply["value"]


def test_two_kernels_on_one_controller_name_it_alike(cluster, kernel):
    c, _ = cluster
    kernel.execute("lview.map_async(abs, range(4)).get(timeout=60)")
    ours = controller_of(kernel)
    other = KernelDriver()
    try:
        connect(other, c)
        theirs = controller_of(other)
    finally:
        other.shutdown()
    assert ours["controller_id"] == theirs["controller_id"]
    assert len(ours["controller_id"]) == 16 and int(ours["controller_id"], 16) >= 0
    # the rest is ipyparallel's own queue_status, as without `identify`
    plain = request(kernel, kernel.open_comm(), "queue_status")["value"]
    assert "controller_id" not in plain
    assert set(plain) == set(ours) - {"controller_id"}
    # the session key never leaves the kernel
    key = kernel.evaluate("rc.session.key.decode()")
    assert key and key not in json.dumps(ours)


def test_another_controller_has_another_name(cluster, kernel):
    kernel.execute("lview.map_async(abs, range(4)).get(timeout=60)")
    first = controller_of(kernel)["controller_id"]
    with local_cluster(1) as (second, _):
        connect(kernel, second, name="rc2")
        assert controller_of(kernel)["controller_id"] != first
        kernel.execute("rc2.close()")
