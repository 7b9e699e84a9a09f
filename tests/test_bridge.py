"""The kernel bridge against a real kernel and a real ipyparallel cluster."""

import time

import pytest
from kernel_driver import Replica

TIME_KEYS = ("submitted", "started", "completed", "received")


def settle(kernel, comm, predicate, timeout=30):
    """Wait until the replica of the comm stream satisfies `predicate`."""

    def check():
        replica = Replica.from_stream(kernel.comm_messages(comm))
        return replica if predicate(replica) else None

    return kernel.wait_for(check, timeout=timeout)


def all_finished(replica):
    return replica.tasks and all(
        t["status"] in ("done", "error", "aborted") for t in replica.tasks.values()
    )


def ipp_metadata(kernel, ar_name):
    """ipyparallel's own metadata of every task of an AsyncResult, as JSON."""
    kernel.execute(
        "def _jar_md(ar):\n"
        "    def s(v):\n"
        "        return None if v is None else v.timestamp()\n"
        "    return {md['msg_id']: {'engine_id': md['engine_id'], 'engine_uuid': md['engine_uuid'],\n"
        "             'status': md['status'], **{k: s(md[k]) for k in ('submitted', 'started', 'completed', 'received')}}\n"
        "            for md in ar.metadata}\n"
    )
    return kernel.evaluate(f"_jar_md({ar_name})")


def test_map_async_deltas_agree_with_ipyparallel_metadata_field_by_field(kernel):
    comm = kernel.open_comm()
    reply = kernel.execute(
        "import time\n"
        "amr = lview.map_async(lambda x: (__import__('time').sleep(0.02), x * 2)[1], range(20))\n"
        "values = amr.get(timeout=60)\n",
        cell_id="cell-map",
    )
    replica = settle(kernel, comm, lambda r: len(r.tasks) == 20 and all_finished(r))
    md = ipp_metadata(kernel, "amr")
    msg_ids = kernel.evaluate("amr.msg_ids")

    # one record for the map, not one per chunk
    assert len(replica.results) == 1
    (record,) = replica.results.values()
    assert record["kind"] == "AsyncMapResult"
    assert record["fname"] == "<lambda>"
    assert record["msg_ids"] == msg_ids
    assert record["cell_id"] == "cell-map"
    # the cell's In [n], as its execute_reply says it
    assert record["execution_count"] == reply["execution_count"] > 0

    assert set(replica.tasks) == set(md)
    for msg_id, theirs in md.items():
        ours = replica.tasks[msg_id]
        assert theirs["status"] == "ok"
        assert ours["status"] == "done"
        assert ours["engine_id"] == theirs["engine_id"]
        assert ours["engine_uuid"] == theirs["engine_uuid"]
        for key in TIME_KEYS:
            assert ours[key] == pytest.approx(theirs[key], abs=1e-6), (msg_id, key)
    # sequence numbers are contiguous and there was an intermediate state
    seqs = [d["seq"] for _, d in kernel.comm_messages(comm) if d["type"] == "delta"]
    assert seqs == list(range(1, len(seqs) + 1))
    seen = Replica()
    statuses = set()
    for _, d in kernel.comm_messages(comm):
        seen.apply(d)
        if d["type"] == "delta":
            statuses |= {t["status"] for t in Replica.task_records(d, seen.results)}
    assert {"pending", "done"} <= statuses


def test_nothing_is_sent_until_a_frontend_opens_the_comm(kernel):
    start = time.monotonic()
    kernel.execute(
        "ar0 = lview.map_async(lambda x: x, range(10)); ar0.get(timeout=60)", cell_id="early"
    )
    time.sleep(0.5)
    assert kernel.raw_comm_msgs(since=start) == []

    comm = kernel.open_comm()
    replica = settle(kernel, comm, lambda r: r.seq >= 0)
    # the snapshot still has the work done before the comm opened
    (record,) = replica.results.values()
    assert record["cell_id"] == "early"
    assert len(replica.tasks) == 10
    assert all(t["status"] == "done" for t in replica.tasks.values())


def test_a_reloaded_page_closes_the_comms_its_earlier_page_left_open(kernel):
    """A page's close on pagehide may not leave before its socket does; the
    next page of the same tab names the comms it left, and they close."""
    count = (
        "sorted(c.comm_id for c in get_ipython().kernel.comm_manager.comms.values()"
        " if c.target_name == 'jupyterlab-asyncresult')"
    )
    first = kernel.open_comm()
    second = kernel.open_comm()
    kernel.wait_for(lambda: kernel.evaluate(count) == sorted([first, second]) or None)
    third = kernel.open_comm({**kernel.snapshot_request(), "replaces": [first, "gone", 7]})
    assert kernel.wait_for(lambda: kernel.evaluate(count) == sorted([second, third]) or None)
    # and quietly: a comm_close on iopub reaches every page of the kernel,
    # and a page that never knew the comm logs "Comm not found"
    with kernel._lock:
        closes = [m for _t, m in kernel.iopub if m["header"]["msg_type"] == "comm_close"]
    assert closes == []
    # the new page is live: its snapshot came
    assert kernel.wait_for(
        lambda: any(d["type"] == "snapshot" for _t, d in kernel.comm_messages(third)) or None
    )


def test_2000_tasks_finishing_together_cost_messages_bounded_by_time(kernel):
    comm = kernel.open_comm()
    settle(kernel, comm, lambda r: r.seq >= 0)
    since = time.monotonic()
    kernel.execute(
        "import time\n"
        "_t0 = time.time()\n"
        "big = lview.map_async(lambda x: None, range(2000))\n"
        "big.wait(timeout=300)\n"
        "_elapsed = time.time() - _t0\n",
        timeout=400,
    )
    replica = settle(kernel, comm, lambda r: len(r.tasks) == 2000 and all_finished(r), timeout=60)
    elapsed = kernel.evaluate("_elapsed")
    deltas = [(t, d) for t, d in kernel.comm_messages(comm, since=since) if d["type"] == "delta"]
    raw = [m for t, m in kernel.raw_comm_msgs(since=since) if m["header"]["msg_type"] == "comm_msg"]
    total_bytes = sum(len(str(m["content"])) for m in raw)

    assert len(replica.results) == 1
    # by time, not by task count: at most one delta per 50 ms (plus slack)
    assert len(deltas) <= elapsed / 0.05 + 10, (len(deltas), elapsed)
    # (the map streams from its first chunk now, so a slow submission on a
    # busy machine has many deltas: only the time bound holds)
    # a row per task change (submitted, running, finished: about 50 bytes
    # each), the map's msg_ids once (about 50 bytes each), and a fixed cost
    # per message (the comm's envelope, seq, clock): whole task records
    # (about 300 bytes a change) would not fit
    assert total_bytes <= 2000 * (3 * 60 + 60) + len(raw) * 250, (total_bytes, len(raw))
    # and far below Jupyter Server's iopub limit of 1,000 msgs/s
    if len(deltas) > 1:
        span = deltas[-1][0] - deltas[0][0]
        assert len(deltas) / max(span, 0.1) < 25


def test_an_apply_async_loop_streams_brief_results_that_read_back_as_ipyparallels(kernel):
    comm = kernel.open_comm()
    settle(kernel, comm, lambda r: r.seq >= 0)
    since = time.monotonic()
    kernel.execute(
        "loop = [lview.apply_async(lambda i: i, i) for i in range(60)]\n"
        "rc.wait(loop, timeout=120)\n",
        cell_id="loop-cell",
    )
    ids = kernel.evaluate("[a.msg_ids for a in loop]")
    replica = settle(
        kernel,
        comm,
        lambda r: sum(m in r.tasks for (m,) in ids) == 60 and all_finished(r),
        timeout=60,
    )
    raw = [d for t, d in kernel.comm_messages(comm, since=since, whole=False)]
    results = [r for d in raw if d.get("type") == "delta" for r in d["results"]]
    # most of the loop's results went as brief rows, numbers in place of ids
    brief = [r for r in results if isinstance(r, list)]
    assert len(brief) >= 60 - len(raw), (len(brief), len(raw))
    assert all(isinstance(r[0], int) and isinstance(r[1], int) for r in brief), brief[:3]
    # and read back as whole records that agree with ipyparallel's results
    loop = [r for r in replica.results.values() if r["cell_id"] == "loop-cell"]
    assert [r["msg_ids"] for r in loop] == ids
    assert {r["fname"] for r in loop} == {"<lambda>"}
    assert all(r["single"] and r["kind"] == "AsyncResult" for r in loop)
    created = [r["created"] for r in loop]
    assert created == sorted(created)
    assert all(replica.tasks[m]["status"] == "done" for (m,) in ids)


def test_percent_px_execute_and_get_result_are_seen_once_each(kernel):
    comm = kernel.open_comm()
    kernel.execute("%load_ext ipyparallel")
    kernel.execute("rc.activate()")
    kernel.execute("%px x = 1", cell_id="px-cell")
    kernel.execute("ex = dview.execute('y = 2'); ex.get(timeout=30)", cell_id="exec-cell")
    kernel.execute("ap = lview.apply_async(lambda: 5); ap.get(timeout=30)")
    kernel.execute("hub = rc.get_result(ap.msg_ids); hub.get(timeout=30)", cell_id="hub-cell")
    replica = settle(kernel, comm, lambda r: len(r.results) >= 4 and all_finished(r))
    by_cell = {}
    for r in replica.results.values():
        by_cell.setdefault(r["cell_id"], []).append(r)
    assert [r["fname"] for r in by_cell["px-cell"]] == ["%px"]
    assert [r["fname"] for r in by_cell["exec-cell"]] == ["execute"]
    assert len(by_cell["hub-cell"]) == 1
    ap_ids = kernel.evaluate("ap.msg_ids")
    assert by_cell["hub-cell"][0]["msg_ids"] == ap_ids
    # the same task, seen through two results, is one task record
    assert sum(1 for m in replica.tasks if m in ap_ids) == 1


def test_a_failed_task_is_an_error_and_its_engine_is_known(kernel):
    comm = kernel.open_comm()
    kernel.execute(
        "bad = lview.apply_async(lambda: 1 / 0)\n"
        "try:\n    bad.get(timeout=30)\nexcept Exception:\n    pass\n"
    )
    replica = settle(kernel, comm, lambda r: all_finished(r))
    (task,) = replica.tasks.values()
    assert task["status"] == "error"
    assert task["engine_id"] in (0, 1)


def test_bad_messages_get_an_error_reply_and_change_nothing(kernel):
    comm = kernel.open_comm()
    replica = settle(kernel, comm, lambda r: r.seq >= 0)
    before = (replica.seq, replica.results)
    kernel.send_comm(comm, {"v": 99, "type": "snapshot_request", "request_id": "r1"})
    kernel.send_comm(comm, {"v": 1, "type": "launch_missiles", "request_id": "r2"})
    kernel.send_comm(comm, ["not", "an", "object"])
    errors = kernel.wait_for(
        lambda: (
            [d for _, d in kernel.comm_messages(comm) if d["type"] == "error"]
            if len([d for _, d in kernel.comm_messages(comm) if d["type"] == "error"]) >= 3
            else None
        )
    )
    assert errors[0] == {
        "v": 1,
        "type": "error",
        "reply_to": "r1",
        "error": "unsupported protocol version 99 (this kernel speaks 1)",
    }
    assert (
        errors[1]["reply_to"] == "r2"
        and "unknown message type 'launch_missiles'" in errors[1]["error"]
    )
    assert errors[2]["error"] == "message data is not an object"
    after = Replica.from_stream(kernel.comm_messages(comm))
    assert (after.seq, after.results) == before


def test_a_snapshot_request_answers_with_the_current_state_and_seq(kernel):
    comm = kernel.open_comm()
    kernel.execute("s = lview.map_async(lambda x: x, range(4)); s.get(timeout=30)")
    settle(kernel, comm, lambda r: len(r.tasks) == 4 and all_finished(r))
    kernel.send_comm(comm, kernel.snapshot_request("again"))
    snap = kernel.wait_for(
        lambda: next(
            (d for _, d in kernel.comm_messages(comm) if d.get("reply_to") == "again"), None
        )
    )
    last_delta = max(d["seq"] for _, d in kernel.comm_messages(comm) if d["type"] == "delta")
    assert snap["type"] == "snapshot"
    assert snap["seq"] >= last_delta
    assert len(Replica.from_stream([(0, snap)]).tasks) == 4


def test_engines_are_left_untouched(cluster):
    _, client = cluster
    view = client[:]
    view.execute(
        "import ipyparallel, jupyterlab_asyncresult\n"
        "probe = (\n"
        "    jupyterlab_asyncresult.get_bridge() is None,\n"
        "    'jupyterlab-asyncresult' not in get_ipython().kernel.comm_manager.targets,\n"
        "    not hasattr(ipyparallel.AsyncResult.__init__, '_jupyterlab_asyncresult_patched'),\n"
        ")\n",
        block=True,
    )
    probe = view.pull("probe", block=True)
    assert probe == [(True, True, True)] * 2


def test_the_environment_switch_keeps_the_bridge_out(cluster):
    from kernel_driver import KernelDriver

    driver = KernelDriver(env={"JUPYTERLAB_ASYNCRESULT": "0"})
    try:
        assert driver.evaluate("__import__('jupyterlab_asyncresult').get_bridge() is None") is True
        assert (
            driver.evaluate("'jupyterlab_asyncresult' in get_ipython().extension_manager.loaded")
            is False
        )
        driver.execute("%load_ext jupyterlab_asyncresult")
        assert (
            driver.evaluate("__import__('jupyterlab_asyncresult').get_bridge() is not None") is True
        )
    finally:
        driver.shutdown()


def test_a_restarted_kernel_answers_a_new_comm_with_an_empty_snapshot(kernel):
    comm = kernel.open_comm()
    kernel.execute("r = lview.map_async(lambda x: x, range(3)); r.get(timeout=30)")
    settle(kernel, comm, lambda r: len(r.tasks) == 3 and all_finished(r))
    kernel.restart()
    fresh = kernel.open_comm()
    replica = settle(kernel, fresh, lambda r: r.seq >= 0)
    assert replica.results == {} and replica.tasks == {}


def request(kernel, comm, op, timeout=60, subshell_id=None, **args):
    """Send one control request (on a subshell, as the frontend sends
    Abort while a cell blocks); return the reply or error message."""
    import uuid

    rid = uuid.uuid4().hex
    kernel.send_comm(
        comm,
        {"v": 1, "type": "request", "request_id": rid, "op": op, **args},
        subshell_id=subshell_id,
    )
    return kernel.wait_for(
        lambda: next((d for _, d in kernel.comm_messages(comm) if d.get("reply_to") == rid), None),
        timeout=timeout,
    )


def result_id_of(replica, fname):
    return next(r["id"] for r in replica.results.values() if r["fname"] == fname)


def test_a_failed_task_record_carries_the_remote_error(kernel):
    comm = kernel.open_comm()
    kernel.execute(
        "def boom():\n    raise ValueError('bad input 42')\n"
        "bad2 = lview.apply_async(boom)\n"
        "try:\n    bad2.get(timeout=30)\nexcept Exception:\n    pass\n"
    )
    replica = settle(kernel, comm, lambda r: all_finished(r))
    (task,) = replica.tasks.values()
    assert task["error"]["ename"] == "ValueError"
    assert task["error"]["evalue"] == "bad input 42"
    assert "bad input 42" in task["error"]["traceback"]
    assert task["error"]["engine_id"] == task["engine_id"]


def test_get_value_returns_json_and_repr_or_the_remote_error(kernel):
    comm = kernel.open_comm()
    kernel.execute(
        "good = lview.map_async(lambda x: x * 10, range(3)); good.get(timeout=30)\n"
        "def twice(x):\n    return [x, float('nan')] if x else 1 / x\n"
        "mixed = lview.apply_async(twice, 1); mixed.get(timeout=30)\n"
        "def fail(x):\n    raise KeyError(x)\n"
        "broken = lview.apply_async(fail, 'k')\n"
        "try:\n    broken.get(timeout=30)\nexcept Exception:\n    pass\n"
    )
    replica = settle(kernel, comm, lambda r: len(r.results) == 3 and all_finished(r))

    ok = request(kernel, comm, "get_value", result_id=result_id_of(replica, "<lambda>"))
    assert ok["type"] == "reply"
    assert ok["value"] == {
        "status": "ok",
        "value": {
            "repr": "[0, 10, 20]",
            "repr_truncated": False,
            "json": [0, 10, 20],
            "json_truncated": False,
            "bundle": {},
        },
    }
    # NaN is not JSON: only the repr crosses
    nan = request(kernel, comm, "get_value", result_id=result_id_of(replica, "twice"))["value"][
        "value"
    ]
    assert "json" not in nan and nan["repr"] == "[1, nan]"

    err = request(kernel, comm, "get_value", result_id=result_id_of(replica, "fail"))["value"]
    assert err["status"] == "error"
    assert err["error"]["ename"] == "KeyError"
    assert err["error"]["evalue"] == "'k'"

    unknown = request(kernel, comm, "get_value", result_id="r999999")
    assert unknown["type"] == "error" and "unknown result id 'r999999'" in unknown["error"]


def test_a_huge_result_is_truncated_with_a_marker(kernel):
    comm = kernel.open_comm()
    kernel.execute("huge = lview.apply_async(lambda: 'x' * 300_000); huge.get(timeout=30)")
    replica = settle(kernel, comm, lambda r: all_finished(r))
    value = request(kernel, comm, "get_value", result_id=result_id_of(replica, "<lambda>"))[
        "value"
    ]["value"]
    assert value["repr_truncated"] is True and len(value["repr"]) == 100_000
    assert value["json_truncated"] is False and len(value["json"]) == 300_000
    kernel.execute("huger = lview.apply_async(lambda: 'y' * 1_200_000); huger.get(timeout=30)")
    replica = settle(kernel, comm, lambda r: len(r.results) == 2 and all_finished(r))
    rid = max(replica.results, key=lambda k: int(k[1:]))
    value = request(kernel, comm, "get_value", result_id=rid)["value"]["value"]
    assert value["json_truncated"] is True and "json" not in value


def test_abort_of_queued_tasks_through_the_bridge(kernel):
    comm = kernel.open_comm()
    kernel.execute(
        "import time\n"
        "blockers = dview.apply_async(time.sleep, 3)\n"
        "queued = rc[0].apply_async(lambda: 'never')\n"
    )
    replica = settle(kernel, comm, lambda r: len(r.results) >= 2)
    rid = next(
        r["id"]
        for r in replica.results.values()
        if r["msg_ids"] == kernel.evaluate("queued.msg_ids")
    )
    reply = request(kernel, comm, "abort", result_id=rid)
    assert reply == {
        "v": 1,
        "type": "reply",
        "reply_to": reply["reply_to"],
        "value": {"status": "ok"},
    }
    replica = settle(
        kernel, comm, lambda r: r.tasks[r.results[rid]["msg_ids"][0]]["status"] == "aborted"
    )
    assert kernel.evaluate("type(queued.exception(timeout=30)).__name__") == "TaskAborted"
    kernel.execute("blockers.get(timeout=30)")
    again = request(kernel, comm, "abort", result_id=rid)
    assert again["type"] == "error" and "already done" in again["error"]


def test_queue_status_and_result_status_agree_with_the_client(kernel):
    comm = kernel.open_comm()
    kernel.execute("q = lview.map_async(lambda x: x, range(4)); q.get(timeout=30)")
    settle(kernel, comm, lambda r: all_finished(r))
    status = request(kernel, comm, "queue_status")["value"]
    theirs = kernel.evaluate("{str(k): v for k, v in rc.queue_status().items()}")
    assert set(status) == set(theirs)
    assert status["unassigned"] == theirs["unassigned"]
    msg_ids = kernel.evaluate("q.msg_ids")
    rs = request(kernel, comm, "result_status", msg_ids=msg_ids)["value"]
    assert sorted(rs["completed"]) == sorted(msg_ids) and rs["pending"] == []
    bad = request(kernel, comm, "result_status", msg_ids="nope")
    assert bad["type"] == "error" and "msg_ids must be a list of strings" in bad["error"]
    unknown = request(kernel, comm, "reboot_cluster")
    assert unknown["type"] == "error" and "unknown request op 'reboot_cluster'" in unknown["error"]


def test_get_dict_and_chunks_match_ipyparallel(kernel):
    comm = kernel.open_comm()
    kernel.execute(
        "def where(x):\n    import os\n    return x + 100\n"
        "pe = dview.apply_async(where, 1); pe.get(timeout=30)\n"
        "def sq(x):\n    return x * x\n"
        "m = lview.map_async(sq, range(5), chunksize=2); m.get(timeout=30)\n"
    )
    replica = settle(kernel, comm, lambda r: len(r.results) == 2 and all_finished(r))
    per_engine = request(kernel, comm, "get_dict", result_id=result_id_of(replica, "where"))[
        "value"
    ]
    theirs = kernel.evaluate("{str(k): v for k, v in pe.get_dict().items()}")
    assert per_engine["status"] == "ok"
    assert {k: v["json"] for k, v in per_engine["value"].items()} == theirs

    record = replica.results[result_id_of(replica, "sq")]
    assert record["single"] is False and record["ordered"] is True and record["sent"] is True
    chunks = request(kernel, comm, "get_chunks", result_id=record["id"], msg_ids=record["msg_ids"])[
        "value"
    ]
    assert [chunks[m]["value"]["json"] for m in record["msg_ids"]] == [[0, 1], [4, 9], [16]]
    # a map's tasks ran on more than one engine: get_dict refuses, as ipyparallel does
    refused = request(kernel, comm, "get_dict", result_id=record["id"])["value"]
    assert refused["status"] == "error" and refused["error"]["ename"] == "ValueError"


def test_an_async_hub_result_is_fetched_from_the_hub_through_the_bridge(kernel, cluster):
    _, outside = cluster
    # work submitted by another client: this kernel only knows it from the hub
    import operator

    theirs = outside.load_balanced_view().apply_async(operator.add, 40, 2)
    theirs.get(timeout=30)
    comm = kernel.open_comm()
    kernel.execute(f"hub = rc.get_result({theirs.msg_ids!r}, block=False)")
    replica = settle(
        kernel, comm, lambda r: any(x["kind"] == "AsyncHubResult" for x in r.results.values())
    )
    record = next(x for x in replica.results.values() if x["kind"] == "AsyncHubResult")
    assert record["msg_ids"] == theirs.msg_ids
    reply = request(kernel, comm, "get_value", result_id=record["id"], timeout=30)
    assert reply["value"] == {
        "status": "ok",
        # a list of msg_ids gives a list, as ipyparallel's get_result does
        "value": {
            "repr": "[42]",
            "repr_truncated": False,
            "json": [42],
            "json_truncated": False,
            "bundle": {},
        },
    }


def test_get_outputs_gives_streams_displays_and_results_with_caps(kernel):
    comm = kernel.open_comm()
    kernel.execute(
        "def noisy():\n"
        "    from IPython.display import display\n"
        "    print('x' * 150_000)\n"
        "    for i in range(60):\n"
        "        display(i)\n"
        "    return 3\n"
        "nz = rc[0].apply_async(noisy); nz.get(timeout=30); nz.wait_for_output(30)\n"
    )
    replica = settle(kernel, comm, lambda r: all_finished(r))
    (task,) = request(kernel, comm, "get_outputs", result_id=result_id_of(replica, "noisy"))[
        "value"
    ]["tasks"]
    assert task["engine_id"] == 0
    assert task["stdout_truncated"] is True and len(task["stdout"]) == 100_000
    assert task["stderr"] == "" and task["stderr_truncated"] is False
    assert len(task["outputs"]) == 50 and task["outputs_truncated"] is True
    assert task["outputs"][0]["data"]["text/plain"] == "0"


def test_split_join_and_resubmit_make_results_the_frontend_can_follow(kernel):
    comm = kernel.open_comm()
    kernel.execute("three = dview.apply_async(lambda: 1); three.get(timeout=30)")
    replica = settle(kernel, comm, lambda r: all_finished(r))
    rid = result_id_of(replica, "<lambda>")

    parts = request(kernel, comm, "split", result_id=rid)["value"]["result_ids"]
    assert len(parts) == kernel.evaluate("len(three)") == 2
    replica = settle(kernel, comm, lambda r: all(p in r.results for p in parts))
    assert [replica.results[p]["msg_ids"] for p in parts] == [
        [m] for m in replica.results[rid]["msg_ids"]
    ]

    joined = request(kernel, comm, "join", result_ids=parts)["value"]["result_id"]
    replica = settle(kernel, comm, lambda r: joined in r.results)
    assert replica.results[joined]["msg_ids"] == replica.results[rid]["msg_ids"]

    again = request(kernel, comm, "resubmit", result_id=rid)["value"]["result_id"]
    replica = settle(kernel, comm, lambda r: again in r.results)
    assert replica.results[again]["kind"] == "AsyncHubResult"
    assert set(replica.results[again]["msg_ids"]).isdisjoint(replica.results[rid]["msg_ids"])
    value = request(kernel, comm, "get_value", result_id=again, timeout=30)["value"]
    assert value["status"] == "ok" and value["value"]["json"] == [1, 1]

    bad = request(kernel, comm, "join", result_ids=[])
    assert bad["type"] == "error" and "non-empty list" in bad["error"]


def test_resubmit_of_some_tasks_submits_only_those(kernel):
    comm = kernel.open_comm()
    kernel.execute(
        "def odd_fails(x):\n    if x % 2:\n        raise ValueError(x)\n    return x\n"
        "some = lview.map_async(odd_fails, range(4), chunksize=1)\n"
        "some.wait(timeout=30)\n"
    )
    replica = settle(kernel, comm, lambda r: all_finished(r) and len(r.tasks) == 4)
    rid = result_id_of(replica, "odd_fails")
    failed = [m for m in replica.results[rid]["msg_ids"] if replica.tasks[m]["status"] == "error"]
    # ipyparallel's own metadata agrees on which failed
    assert failed == kernel.evaluate(
        "[m for m, md in zip(some.msg_ids, some._metadata) if md['status'] == 'error']"
    )
    again = request(kernel, comm, "resubmit", result_id=rid, msg_ids=failed)["value"]
    replica = settle(kernel, comm, lambda r: again["result_id"] in r.results)
    assert len(replica.results[again["result_id"]]["msg_ids"]) == len(failed) == 2

    stranger = request(kernel, comm, "resubmit", result_id=rid, msg_ids=["not-a-task"])
    assert stranger["type"] == "error" and "this result's msg_ids" in stranger["error"]
    empty = request(kernel, comm, "resubmit", result_id=rid, msg_ids=[])
    assert empty["type"] == "error" and "non-empty" in empty["error"]


def test_a_finished_result_nobody_keeps_is_still_reported(kernel):
    comm = kernel.open_comm()
    kernel.execute("both = dview.apply_async(lambda: 1); both.get(timeout=30)")
    settle(kernel, comm, lambda r: len(r.results) == 1 and all_finished(r))
    # born finished, and dropped at once: no pending callback keeps it alive
    kernel.execute("type(both).join(*both.split()); import gc; gc.collect()")
    ids = kernel.evaluate("both.msg_ids")
    replica = settle(
        kernel,
        comm,
        lambda r: [x for x in r.results.values() if x["msg_ids"] == ids and x["id"] != "r1"],
    )
    assert len(replica.results) == 4  # both, its two parts, and the join


def test_chunk_sizes_full_values_spin_and_abort_of_some_tasks(kernel):
    comm = kernel.open_comm()
    kernel.execute(
        "chunked = lview.map_async(lambda x: x, range(7), chunksize=3); chunked.get(timeout=30)"
    )
    replica = settle(kernel, comm, lambda r: all_finished(r))
    record = replica.results[result_id_of(replica, "<lambda>")]
    assert (
        sum(record["chunk_sizes"].get(m, 1) for m in record["msg_ids"])
        == kernel.evaluate("len(chunked)")
        == 7
    )

    kernel.execute("big = rc[0].apply_async(lambda: 'z' * 150_000); big.get(timeout=30)")
    replica = settle(kernel, comm, lambda r: len(r.results) == 2 and all_finished(r))
    rid = max(replica.results, key=lambda k: int(k[1:]))
    capped = request(kernel, comm, "get_value", result_id=rid)["value"]["value"]
    full = request(kernel, comm, "get_value", result_id=rid, full=True)["value"]["value"]
    assert capped["repr_truncated"] is True and full["repr_truncated"] is False
    assert len(full["repr"]) == 150_002  # the quotes of the str's repr

    spun = request(kernel, comm, "spin", result_id=rid)["value"]
    assert spun["seq"] >= max(
        d["seq"] for _, d in kernel.comm_messages(comm) if d["type"] == "delta"
    )

    kernel.execute(
        "import time\nhold = rc[0].apply_async(time.sleep, 2)\n"
        "pair = rc[0].apply_async(lambda: 1), rc[0].apply_async(lambda: 2)\n"
        "both2 = type(pair[0]).join(*pair)"
    )
    ids = kernel.evaluate("both2.msg_ids")
    replica = settle(kernel, comm, lambda r: any(x["msg_ids"] == ids for x in r.results.values()))
    both_id = next(x["id"] for x in replica.results.values() if x["msg_ids"] == ids)
    assert request(kernel, comm, "abort", result_id=both_id, msg_ids=[ids[1]])["type"] == "reply"
    replica = settle(
        kernel,
        comm,
        lambda r: all(r.tasks[m]["status"] in ("done", "aborted") for m in ids),
        timeout=30,
    )
    assert [replica.tasks[m]["status"] for m in ids] == ["done", "aborted"]
    bad = request(kernel, comm, "abort", result_id=both_id, msg_ids=["not-mine"])
    assert (
        bad["type"] == "error"
        and "msg_ids must be a non-empty list of this result's msg_ids" in bad["error"]
    )


def test_a_value_with_a_rich_repr_crosses_as_a_mime_bundle(kernel):
    comm = kernel.open_comm()
    table = (
        "class Table:\n"
        "    def __repr__(self):\n        return 'Table()'\n"
        "    def _repr_html_(self):\n        return '<table><tr><td>1</td></tr></table>'\n"
    )
    # the class must exist on the engine (to make one) and here (to unpickle it)
    kernel.execute(table + f"rc[0].execute({table!r}, block=True)\n")
    kernel.execute(
        "def make():\n    return Table()\ntb = rc[0].apply_async(make); tb.get(timeout=30)"
    )
    replica = settle(
        kernel,
        comm,
        lambda r: any(x["fname"] == "make" for x in r.results.values()) and all_finished(r),
    )
    value = request(kernel, comm, "get_value", result_id=result_id_of(replica, "make"))["value"][
        "value"
    ]
    assert value["repr"] == "Table()" and "json" not in value
    assert value["bundle"] == {"text/html": "<table><tr><td>1</td></tr></table>"}


def test_interrupt_stops_a_running_task_on_the_engine_named_only(kernel, tmp_path):
    barrier = str(tmp_path / "release")
    comm = kernel.open_comm()
    kernel.execute(
        "def hold(path):\n"
        "    import os, time\n"
        "    while not os.path.exists(path):\n"
        "        time.sleep(0.05)\n"
        "    return 'released'\n"
        f"held = lview.map_async(hold, [{barrier!r}] * 2, chunksize=1)\n"
    )
    try:
        replica = settle(
            kernel,
            comm,
            lambda r: sum(t["status"] == "running" for t in r.tasks.values()) == 2,
        )
        rid = result_id_of(replica, "hold")
        engines = sorted(t["engine_id"] for t in replica.tasks.values())
        assert engines == [0, 1]

        stranger = request(kernel, comm, "interrupt", result_id=rid, engines=[99])
        assert stranger["type"] == "error" and "run no task of this result" in stranger["error"]
        empty = request(kernel, comm, "interrupt", result_id=rid, engines=[])
        assert empty["type"] == "error" and "non-empty list" in empty["error"]

        reply = request(kernel, comm, "interrupt", result_id=rid, engines=[engines[0]])
        assert reply["value"] == {"status": "ok", "engines": [engines[0]]}
        # ipyparallel's own futures: that engine's task ended in KeyboardInterrupt,
        # the other one still runs
        kernel.wait_for(
            lambda: kernel.evaluate("sum(f.done() for f in held._children)") == 1, timeout=60
        )
        assert kernel.evaluate(
            "[getattr(f.exception() or f.result(0), 'ename', None)"
            " for f in held._children if f.done()]"
        ) == ["KeyboardInterrupt"]
        replica = settle(
            kernel, comm, lambda r: any(t["status"] == "error" for t in r.tasks.values())
        )
        failed = [t for t in replica.tasks.values() if t["status"] == "error"]
        assert [t["engine_id"] for t in failed] == [engines[0]]
        assert failed[0]["error"]["ename"] == "KeyboardInterrupt"
    finally:
        open(barrier, "w").close()
    kernel.wait_for(lambda: kernel.evaluate("held.done()"), timeout=60)
