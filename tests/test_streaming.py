"""A map streams from its first chunk, against a real kernel and cluster
(issue 12): ipyparallel itself makes the AsyncMapResult only after the
last chunk left."""

import json

from kernel_driver import Replica
from test_bridge import all_finished, settle


def test_a_map_is_announced_while_it_is_still_being_submitted(kernel):
    comm = kernel.open_comm()
    settle(kernel, comm, lambda r: r.seq >= 0)
    kernel.execute(
        "import time\n"
        "def noop(x):\n"
        "    return x\n"
        "_t_call = time.time()\n"
        "amr = lview.map_async(noop, range(1500))\n"
        "_t_returned = time.time()\n"
        "amr.wait(timeout=600)\n",
        timeout=700,
    )
    replica = settle(kernel, comm, lambda r: len(r.tasks) == 1500 and all_finished(r), timeout=120)
    t_call, t_returned = kernel.evaluate("[_t_call, _t_returned]")
    msg_ids = kernel.evaluate("amr.msg_ids")

    # the first message that names the map left before map_async returned,
    # when the map had only part of its tasks
    seen = Replica()
    first = None
    for _, data in kernel.comm_messages(comm):
        seen.apply(data)
        if data["type"] == "delta" and seen.results and first is None:
            (rid,) = seen.results
            first = (data["clock"], dict(seen.results[rid]), rid)
    clock, record, rid = first
    assert t_call <= clock < t_returned, (t_call, clock, t_returned)
    assert record["kind"] == "AsyncMapResult" and record["fname"] == "noop"
    assert 0 < len(record["msg_ids"]) < 1500
    assert record["msg_ids"] == msg_ids[: len(record["msg_ids"])]

    # ipyparallel's own result took over the same id: one result, its tasks
    (final,) = replica.results.values()
    assert final["id"] == rid
    assert final["msg_ids"] == msg_ids and final["sent"] is True
    statuses = kernel.evaluate("[md['status'] for md in amr.metadata]")
    assert statuses == ["ok"] * 1500
    assert all(replica.tasks[m]["status"] == "done" for m in msg_ids)
    # and no message carried the map whole more than once
    sizes = [len(json.dumps(d)) for _, d in kernel.comm_messages(comm)]
    assert sum(s > 1500 * 40 for s in sizes) <= 1, sorted(sizes)[-3:]
