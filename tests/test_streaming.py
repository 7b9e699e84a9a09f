"""A map streams from its first chunk, against a real kernel and cluster
(issue 12): ipyparallel itself makes the AsyncMapResult only after the
last chunk left."""

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
        "amr = lview.map_async(noop, range(1500), ordered=False)\n"
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
    assert record["kind"] == "AsyncMapResult" and record["fname"] == "noop" and record["submitting"]
    # an unordered map says so from its first message (its call carries it)
    assert record["ordered"] is False
    assert 0 < len(record["msg_ids"]) < 1500
    assert record["msg_ids"] == msg_ids[: len(record["msg_ids"])]

    # ipyparallel's own result took over the same id: one result, its tasks
    (final,) = replica.results.values()
    assert final["id"] == rid
    assert final["msg_ids"] == msg_ids and final["sent"] is True and final["submitting"] is False
    assert final["ordered"] is False
    statuses = kernel.evaluate("[md['status'] for md in amr.metadata]")
    assert statuses == ["ok"] * 1500
    assert all(replica.tasks[m]["status"] == "done" for m in msg_ids)
    # and the map's msg_ids went out once each: in its first record and in
    # the patches that added the rest, never the whole list again (a
    # message's size says less: a busy machine may flush 1,500 task rows
    # at once, and rows alone are 40-50 bytes a task)
    carried = []
    for _, data in kernel.comm_messages(comm):
        for result in data.get("results") or []:
            if result["id"] == rid:
                carried += result["msg_ids"]
        for change in data.get("result_changes") or []:
            if change["id"] == rid:
                carried += change.get("add_msg_ids") or []
    assert sorted(carried) == sorted(msg_ids)


def test_released_results_leave_no_futures_metadata_or_values_in_the_bridge(kernel):
    comm = kernel.open_comm()
    settle(kernel, comm, lambda r: r.seq >= 0)
    kernel.execute(
        "import gc, weakref\n"
        "def big():\n"
        "    from collections import OrderedDict  # weakly referable, unlike dict\n"
        "    return OrderedDict(payload=bytearray(10_000))\n"
        "_ars = [lview.apply_async(big) for _ in range(600)]\n"
        "rc.wait(_ars, timeout=600)\n"
        "_values = [weakref.ref(ar.get()) for ar in _ars[:5]]\n"
        "for ar in _ars:\n"
        "    ar.wait_for_output(60)\n",
        timeout=700,
    )
    settle(kernel, comm, lambda r: len(r.tasks) >= 500 and all_finished(r), timeout=120)
    kernel.execute(
        "import time\n"
        "del _ars, ar\n"
        "rc.purge_local_results('all')\n"
        "gc.collect()\n"
        "_reg = __import__('jupyterlab_asyncresult').get_bridge().registry\n"
        "_deadline = time.time() + 60\n"
        "while time.time() < _deadline and any(\n"
        "    t.future is not None for t in list(_reg._tasks.values())\n"
        "):\n"
        "    time.sleep(0.1)\n"
        "# the flusher drops the last futures meanwhile: what they kept alive\n"
        "# in a cycle with its result is garbage only now\n"
        "gc.collect()\n"
        "with _reg.lock:\n"
        "    _held = {\n"
        "        'results': len(_reg._results),\n"
        "        'tasks': len(_reg._tasks),\n"
        "        'futures': sum(t.future is not None for t in _reg._tasks.values()),\n"
        "        'metadata': sum(t.metadata is not None for t in _reg._tasks.values()),\n"
        "        'alive': sum(e.ref is not None and e.ref() is not None\n"
        "                     for e in _reg._results.values()),\n"
        "        'unfinished': _reg._unfinished_tasks,\n"
        "    }\n"
        "_held['values'] = sum(r() is not None for r in _values)\n"
    )
    held = kernel.evaluate("_held")
    # the 500 newest finished records stay for the panel, and nothing live
    assert held == {
        "results": 500,
        "tasks": 500,
        "futures": 0,
        "metadata": 0,
        "alive": 0,
        "unfinished": 0,
        "values": 0,
    }


def test_outputs_a_purge_dropped_keep_nothing_alive_and_end_in_the_views(kernel):
    # ipyparallel ends a task's outputs on the engine's idle message, which
    # comes on iopub, apart from the reply. Here iopub is held back until
    # after `rc.wait` and `purge_local_results`: the idle messages then reach
    # a Client that forgot those tasks, and their output futures never
    # resolve (plain ipyparallel does so, watched or not). The bridge must
    # not keep the run alive for them (a future's callbacks hold every
    # future of a `Client.wait`, and through them every AsyncResult), nor
    # leave the views waiting for those outputs.
    comm = kernel.open_comm()
    settle(kernel, comm, lambda r: r.seq >= 0)
    kernel.execute(
        "import gc, threading\n"
        "def _on_io(f):\n"
        "    ran = threading.Event()\n"
        "    rc._io_loop.add_callback(lambda: (f(), ran.set()))\n"
        "    assert ran.wait(30)\n"
        "def _iopub_on():\n"
        "    rc._iopub_stream.on_recv(rc._dispatch_iopub, copy=False)\n"
        "def noop(i):\n"
        "    return i\n"
        "_on_io(rc._iopub_stream.stop_on_recv)\n"
        "_ars = [lview.apply_async(noop, i) for i in range(50)]\n"
        "rc.wait(_ars, timeout=120)\n"
        "_ids = [a.msg_ids[0] for a in _ars]\n"
        "_outputs_ended = sum(a._output_future.done() for a in _ars)\n"
        "del _ars\n"
        "rc.purge_local_results('all')\n"
        "_on_io(_iopub_on)\n"
        "# its idle message comes after the held ones: they were all handled\n"
        "_last = lview.apply_async(noop, -1)\n"
        "_last.wait_for_output(60)\n"
        "del _last\n"
        "_reg = __import__('jupyterlab_asyncresult').get_bridge().registry\n",
        timeout=200,
    )
    ids = kernel.evaluate("_ids")
    # the scene: no output of the 50 had ended when they were purged
    assert kernel.evaluate("_outputs_ended") == 0
    kernel.wait_for(
        lambda: kernel.evaluate("all(_reg._tasks[m].future is None for m in _ids)"), timeout=30
    )
    # (the run's results only: the bridge holds `_last` until its first
    # record is built, one flush after it was made, and a starved flusher
    # may not have built it yet)
    kernel.execute(
        "gc.collect()\n"
        "_run = set(_ids)\n"
        "_alive = {\n"
        "    'results': sum(type(o).__name__ == 'AsyncResult' and bool(_run & set(o.msg_ids))\n"
        "                   for o in gc.get_objects()),\n"
        "    'futures': sum(getattr(o, 'msg_id', None) in _run\n"
        "                   for o in gc.get_objects() if type(o).__name__ == 'MessageFuture'),\n"
        "}\n"
    )
    # nothing of the run is alive: the collector freed it, as without us
    assert kernel.evaluate("_alive") == {"results": 0, "futures": 0}
    # and every view hears that no more output will come
    replica = settle(
        kernel,
        comm,
        lambda r: all(m in r.tasks and r.tasks[m]["output_done"] for m in ids),
        timeout=30,
    )
    assert [replica.tasks[m]["status"] for m in ids] == ["done"] * 50
    assert kernel.evaluate("_reg.awaits_outputs()") is False
    assert (
        kernel.evaluate(
            "sum(t.output is not None or t.metadata is not None for t in _reg._tasks.values())"
        )
        == 0
    )
