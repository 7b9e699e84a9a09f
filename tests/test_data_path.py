"""The registry's data path with fake results: work per flush, bytes per change,
chunked snapshots, growing maps, and what finished tasks still hold.

These count calls and bytes, not seconds (BENCHMARKS.md has the timings).
"""

from __future__ import annotations

import gc
import json
import uuid
import weakref
from datetime import datetime, timedelta, timezone

import pytest
from kernel_driver import Replica

from jupyterlab_asyncresult import book, entries, records, wire
from jupyterlab_asyncresult.registry import Registry

T0 = datetime(2026, 11, 29, 21, 0, 0, 123456, tzinfo=timezone.utc)
ENGINE_UUIDS = [str(uuid.uuid4()) for _ in range(2)]


class FakeFuture:
    """A task's message future: done or not, with an `output` future."""

    def __init__(self, msg_id):
        self.msg_id = msg_id
        self.output = None
        self._done = False

    def done(self):
        return self._done

    def result(self, timeout=None):
        return 42


class FakeResult:
    """Just enough of an AsyncResult for the registry, with live metadata."""

    _fname = "f"
    _targets = None

    def __init__(self, n, prefix="m", msg_ids=None):
        self.msg_ids = msg_ids or [f"{prefix}-{uuid.uuid4()}" for _ in range(n)]
        self._children = [FakeFuture(m) for m in self.msg_ids]
        self._metadata = [
            {"msg_id": m, "submitted": T0, "engine_id": None, "status": None} for m in self.msg_ids
        ]

    def run(self, i):
        md = self._metadata[i]
        md.update(engine_id=i % 2, engine_uuid=ENGINE_UUIDS[i % 2], started=T0)

    def finish(self, i):
        md = self._metadata[i]
        later = T0 + timedelta(seconds=1.5 + i / 1000)
        md.update(
            engine_id=i % 2,
            engine_uuid=ENGINE_UUIDS[i % 2],
            started=T0 + timedelta(seconds=1),
            completed=later,
            received=later + timedelta(microseconds=700),
            status="ok",
            # as ipyparallel's _extract_metadata fills them from the reply
            follow=[],
            after=[],
        )
        self._children[i]._done = True


def follow(registry, ar):
    rid, _ = registry.add_result(ar, ar._children)
    return rid


@pytest.fixture
def counted(monkeypatch):
    """Counts of task records and result records built."""
    counts = {"task_record": 0, "build_record": 0, "refresh": 0}
    task_record = entries.task_record
    build_record = entries.ResultEntry.build_record
    refresh = entries.TaskEntry.refresh

    def counting_refresh(self, *args):
        counts["refresh"] += 1
        return refresh(self, *args)

    def counting_task_record(*args):
        counts["task_record"] += 1
        return task_record(*args)

    def counting_build_record(self):
        counts["build_record"] += 1
        return build_record(self)

    monkeypatch.setattr(entries, "task_record", counting_task_record)
    monkeypatch.setattr(entries.ResultEntry, "build_record", counting_build_record)
    monkeypatch.setattr(entries.TaskEntry, "refresh", counting_refresh)
    return counts


@pytest.mark.parametrize("finished_before", [100, 3000])
def test_a_flush_does_work_for_what_changed_not_for_every_result(counted, finished_before):
    registry = Registry()
    held = []
    for _ in range(finished_before):
        ar = FakeResult(1)
        ar.finish(0)
        held.append(ar)
        follow(registry, ar)
        registry.take_delta()
    live = FakeResult(1)
    follow(registry, live)
    registry.take_delta()

    counted.update(task_record=0, build_record=0, refresh=0)
    live.finish(0)
    registry.mark_task(live.msg_ids[0])
    delta = registry.take_delta()
    # one task changed: one task record and no result record, however many
    # results the kernel saw before (the cap keeps 500 of them)
    assert counted == {"task_record": 1, "build_record": 0, "refresh": 1}
    assert len(delta["changes"]) == 1
    assert not registry.has_unfinished()


def test_a_task_state_change_costs_under_100_bytes_on_the_wire():
    registry = Registry()
    ar = FakeResult(20_000)
    follow(registry, ar)
    registry.take_delta()  # the announcement: the map's msg_ids, once

    sizes = []
    for step in (ar.run, ar.finish):
        for i in range(20_000):
            step(i)
            registry.mark_task(ar.msg_ids[i])
        delta = registry.take_delta()
        assert delta["results"] == [] and "result_changes" not in delta
        sizes.append(len(json.dumps(delta)) / 20_000)
    assert max(sizes) < 100, sizes


def test_an_apply_async_loop_costs_under_100_bytes_a_task_change_on_the_wire():
    # a loop of one-task results, as ipyparallel spells their msg_ids (the
    # Client's session, its pid, a count), flushed every 25 submissions
    # while the 25 before run and the 25 before those finish
    registry = Registry()
    session = f"{uuid.uuid4()}_4242_"
    batches = [
        [FakeResult(1, msg_ids=[f"{session}{n}"]) for n in range(k, k + 25)]
        for k in range(1, 2001, 25)
    ]
    whole, brief = Replica(), Replica()
    whole.seq = brief.seq = 0
    sent = changes = 0
    for k in range(len(batches) + 2):
        if k < len(batches):
            for ar in batches[k]:
                follow(registry, ar)
        for back, step in ((1, FakeResult.run), (2, FakeResult.finish)):
            for ar in batches[k - back] if 0 <= k - back < len(batches) else ():
                step(ar, 0)
                registry.mark_task(ar.msg_ids[0])
        delta = registry.take_delta()
        message = wire.brief_message(delta)
        sent += len(json.dumps(message))
        changes += sum(len(rows) for rows in delta["changes"].values())
        whole.apply(delta)
        brief.apply(message)
    assert changes == 3 * 2000
    assert sent / changes < 100, sent / changes
    # and the brief form reads back as the records themselves
    assert brief.tasks == whole.tasks
    assert brief.results.keys() == whole.results.keys()
    for rid, record in whole.results.items():
        read = brief.results[rid]
        assert read["created"] == pytest.approx(record["created"], abs=1e-6)
        assert dict(read, created=None) == dict(record, created=None)


def _result(rid, msg_ids, fname="f", created=1796090763.25):
    return {
        "id": rid,
        "kind": "AsyncResult",
        "fname": fname,
        "msg_ids": msg_ids,
        "created": created,
        "cell_id": None,
    }


def test_only_one_task_results_like_the_last_whole_one_are_brief():
    results = [
        _result("r7", ["s_1_9"]),
        _result("r8", ["s_1_10"], created=1796090762.5),  # brief, before t0
        _result("r9", ["other"]),  # brief, its msg_id spelled out
        _result("r10", ["s_1_11"], fname="g"),  # another function: whole
        _result("r11", ["s_1_012"], fname="g"),  # a leading zero: spelled out
        _result("r12", ["a", "b"], fname="g"),  # two tasks: whole
        _result("r13", ["s_1_13"], fname="g"),  # no one-task result before: whole
        _result("x14", ["s_1_\u0661"], fname="g"),  # not ASCII digits: spelled out
    ]
    t0 = 1796090763
    brief = wire.brief_results(results, t0)
    assert brief == [
        results[0],
        [8, 10, -500000],
        [9, "other", 250000],
        results[3],
        [11, "s_1_012", 250000],
        results[5],
        results[6],
        ["x14", "s_1_\u0661", 250000],
    ]
    assert wire.expand_results(brief, t0) == results
    # nothing to make brief: the same list, not a copy
    alone = results[3:4]
    assert wire.brief_results(alone, t0) is alone


def test_deltas_and_chunked_snapshots_decode_to_the_records_of_ipyparallel():
    registry = Registry()
    ar = FakeResult(20_000)
    follow(registry, ar)
    stream = [registry.take_delta()]
    for i in range(0, 20_000, 3):
        ar.finish(i)
        registry.mark_task(ar.msg_ids[i])
    stream.append(registry.take_delta())

    parts = registry.snapshot()
    assert len(parts) > 1
    assert all(len(json.dumps(p)) < 1_000_000 for p in parts)
    assert [p["part"] for p in parts] == list(range(len(parts)))

    from_snapshot = Replica.from_stream((0, p) for p in parts)
    live = Replica()
    live.seq = 0
    for delta in stream:
        live.apply(delta)
    for replica in (from_snapshot, live):
        (record,) = replica.results.values()
        assert record["msg_ids"] == ar.msg_ids
        assert len(replica.tasks) == 20_000
        for i in (0, 1, 3, 19_998):
            task, md = replica.tasks[ar.msg_ids[i]], ar._metadata[i]
            assert task["status"] == ("done" if md["status"] == "ok" else "pending")
            assert task["submitted"] == pytest.approx(T0.timestamp(), abs=1e-6)
            if md["status"] == "ok":
                assert task["engine_uuid"] == md["engine_uuid"]
                assert task["received"] == pytest.approx(md["received"].timestamp(), abs=1e-6)


def test_a_growing_map_is_announced_with_its_first_task_and_keeps_its_id():
    registry = Registry()
    chunks = [FakeResult(1) for _ in range(5)]
    rid = registry.add_growing("square")
    registry.extend(rid, chunks[0]._children, chunks[0]._metadata)
    first = registry.take_delta()
    (record,) = first["results"]
    assert (record["id"], record["fname"], record["msg_ids"]) == (rid, "square", chunks[0].msg_ids)
    assert record["submitting"] is True and record["ordered"] is True
    assert first["changes"][rid][0][:2] == [0, 0]  # task 0, pending

    for chunk in chunks[1:]:
        registry.extend(rid, chunk._children, chunk._metadata)
    second = registry.take_delta()
    (patch,) = second["result_changes"]
    assert patch["msg_ids_at"] == 1 and len(patch["add_msg_ids"]) == 4

    whole = FakeResult(0)
    whole.msg_ids = [m for c in chunks for m in c.msg_ids]
    whole._children = [f for c in chunks for f in c._children]
    whole._metadata = [md for c in chunks for md in c._metadata]
    assert registry.adopt(rid, whole, whole._children) == (rid, set())
    replica = Replica()
    replica.seq = 0
    for delta in (first, second, registry.take_delta()):
        replica.apply(delta)
    assert replica.results[rid]["msg_ids"] == whole.msg_ids
    assert replica.results[rid]["fname"] == "f"
    assert replica.results[rid]["submitting"] is False
    assert len(replica.tasks) == 5


def test_a_growing_unordered_map_says_so_before_ipyparallel_makes_its_result():
    registry = Registry()
    rid = registry.add_growing("square", ordered=False)
    chunk = FakeResult(1)
    registry.extend(rid, chunk._children, chunk._metadata)
    (record,) = registry.take_delta()["results"]
    assert (record["id"], record["ordered"], record["submitting"]) == (rid, False, True)


def test_finished_tasks_hold_no_futures_and_old_results_go_in_finish_order():
    registry = Registry(max_finished=3)
    held = [FakeResult(2) for _ in range(6)]
    rids = [follow(registry, ar) for ar in held]
    registry.take_delta()
    for ar in reversed(held):  # the newest finishes first
        ar.finish(0)
        ar.finish(1)
        for m in ar.msg_ids:
            registry.mark_task(m)
    delta = registry.take_delta()
    assert delta["removed"] == list(reversed(rids))[:3]
    assert all(t.future is None and t.metadata is None for t in registry._tasks.values())
    assert len(registry._tasks) == 6


def test_a_result_released_before_the_first_flush_is_announced_and_then_let_go(counted):
    # a loop of `view.apply_async(f)` that keeps no result: the record is
    # built by the flush (not on the user's thread as well), so the registry
    # holds the result until then, and only weakly after it
    registry = Registry()
    ar = FakeResult(1)
    ar._fname = "released"
    gone = weakref.ref(ar)
    rid = follow(registry, ar)
    assert counted["build_record"] == 0
    del ar
    gc.collect()
    assert gone() is not None
    delta = registry.take_delta()
    assert counted["build_record"] == 1
    [record] = delta["results"]
    assert (record["id"], record["fname"]) == (rid, "released")
    gc.collect()
    assert gone() is None


def test_a_finished_task_holds_its_output_future_weakly_until_its_outputs_end():
    # ipyparallel resolves a task's output future on the engine's idle
    # message, which may come after the reply; `purge_local_results` right
    # after a wait drops the output futures still waiting, and then ignores
    # their idle message. The future's callbacks hold the whole run (a
    # Client.wait's closure over every future of it): the bridge must not.
    registry = Registry()
    ars = [FakeResult(1) for _ in range(3)]
    for ar in ars:
        ar._children[0].output = FakeFuture(ar.msg_ids[0])
        follow(registry, ar)
    replica = Replica()
    replica.seq = 0
    replica.apply(registry.take_delta())
    for ar in ars:
        ar.finish(0)
        registry.mark_task(ar.msg_ids[0])
    replica.apply(registry.take_delta())
    tasks = [registry._tasks[ar.msg_ids[0]] for ar in ars]
    assert [replica.tasks[t.msg_id]["status"] for t in tasks] == ["done"] * 3
    assert [replica.tasks[t.msg_id]["output_done"] for t in tasks] == [False] * 3
    # finished: no future any more, only a weak reference to the output
    assert all(t.future is None and t.output() is not None for t in tasks)
    assert registry.awaits_outputs()

    # the first one's outputs end as usual: its idle message came
    first = ars[0]._children[0]
    first.output._done = True
    registry.mark_task(first.msg_id)
    # the second one's was purged and nothing holds it any more
    ars[1]._children[0].output = None
    gc.collect()
    delta = registry.take_delta()
    replica.apply(delta)
    assert sorted(delta["changes"]) == sorted(
        registry._tasks[a.msg_ids[0]].owners[0] for a in ars[:2]
    )
    assert [replica.tasks[t.msg_id]["output_done"] for t in tasks] == [True, True, False]
    assert [replica.tasks[t.msg_id]["status"] for t in tasks] == ["done"] * 3
    assert (tasks[0].output, tasks[1].output) == (None, None)
    assert (tasks[0].metadata, tasks[1].metadata) == (None, None)
    assert registry.awaits_outputs()  # the third one's still may end

    # when its result goes, nothing is awaited
    ars[2]._children[0].output._done = True
    registry.mark_task(ars[2].msg_ids[0])
    registry.take_delta()
    assert not registry.awaits_outputs()
    assert all(t.future is None and t.metadata is None and t.output is None for t in tasks)


def test_a_task_without_a_future_is_read_from_its_metadata_alone():
    # an AsyncHubResult (another client's task, from rc.get_result) has no
    # futures: its metadata fills when its wait() asks the hub
    registry = Registry()
    hub = FakeResult(1)
    registry.add_result(hub, [])
    replica = Replica()
    replica.seq = 0
    replica.apply(registry.take_delta())
    (msg_id,) = hub.msg_ids
    assert replica.tasks[msg_id]["status"] == "unknown"
    hub.finish(0)
    registry.mark_task(msg_id)
    replica.apply(registry.take_delta())
    task = replica.tasks[msg_id]
    assert task["status"] == "done" and task["output_done"] is True
    assert task["completed"] == pytest.approx(hub._metadata[0]["completed"].timestamp())
    assert registry._tasks[msg_id].metadata is None


class BookResult(FakeResult):
    """A FakeResult the `%ar` book can follow: it says when it is ready and
    calls back when it finishes, as an AsyncResult does."""

    def __init__(self, n):
        super().__init__(n)
        self._callbacks = []

    def ready(self):
        return all(f.done() for f in self._children)

    def add_done_callback(self, callback):
        self._callbacks.append(callback)

    def finish_all(self):
        for i in range(len(self.msg_ids)):
            self.finish(i)
        for callback in self._callbacks:
            callback(self)


@pytest.fixture
def entry_reads(monkeypatch):
    """How many times the book looks an entry's result up."""
    calls = [0]
    result = book.Entry.result.fget

    def counting(self):
        calls[0] += 1
        return result(self)

    monkeypatch.setattr(book.Entry, "result", property(counting))
    return calls


@pytest.mark.parametrize("entries_before", [10, 2000])
def test_the_book_does_the_same_work_per_finished_result_however_many_it_holds(
    entry_reads, entries_before
):
    shelf = book.ResultBook(shell=None)
    held = [BookResult(1) for _ in range(entries_before)]
    for ar in held:
        shelf.add(ar)
    last = BookResult(1)
    shelf.add(last)
    entry_reads[0] = 0
    last.finish_all()
    # the entry's own reads (summary, name, label), not one per entry
    assert entry_reads[0] <= 4, entry_reads[0]
    assert shelf.entry_of(last).final["status"] == "done"


def test_the_book_forgets_released_results_beyond_its_cap_oldest_first(monkeypatch):
    monkeypatch.setattr(book, "MAX_RELEASED", 3)
    shelf = book.ResultBook(shell=None)
    results = [BookResult(1) for _ in range(8)]
    ids = [shelf.add(ar).id for ar in results]
    kept = results[6:]
    for ar in results[:6]:
        ar.finish_all()
    del ar
    # released one by one, in order of creation
    for i in range(6):
        results[i] = None
        gc.collect()
    shelf._forget_released()
    # six released, the three released last remembered, the two held untouched
    assert [e.id for e in shelf.entries()] == ids[3:]
    assert [e.final["status"] for e in shelf.entries()[:3]] == ["done"] * 3
    assert all(e.result is not None for e in shelf.entries()[3:])
    assert len(kept) == 2


def test_the_books_index_lets_a_released_result_go_and_keeps_its_entry():
    shelf = book.ResultBook(shell=None)
    ar = BookResult(1)
    entry = shelf.add(ar)
    assert shelf.entry_of(ar) is entry
    assert shelf.add(ar) is entry  # once per result
    ar.finish_all()
    key = id(ar)
    del ar
    gc.collect()
    # the index is emptied by the entry's weak reference, the entry stays
    assert key not in shelf._by_id
    assert entry.result is None and entry.summary()["status"] == "done"
    assert [e.id for e in shelf.entries()] == [entry.id]
    # a new result is a new entry, even at the address of the old one
    fresh = [BookResult(1) for _ in range(50)]
    assert len({shelf.add(r).id for r in fresh} | {entry.id}) == 51
    assert all(shelf.entry_of(r).result is r for r in fresh)


def test_the_books_final_counts_read_from_reply_statuses_agree_with_its_live_counts():
    ar = BookResult(5)
    ar.finish_all()
    ar._metadata[1]["status"] = "error"
    ar._metadata[2]["status"] = "aborted"
    ar._chunk_sizes = {ar.msg_ids[0]: 3, ar.msg_ids[2]: 2}
    expected = {"done": 5, "failed": 1, "aborted": 2, "running": 0, "queued": 0}
    assert book.count_tasks(ar) == expected
    assert book.final_counts(ar) == expected
    # a task the Client failed without a reply (its engine died) has no
    # reply status: the counts are then read as the live ones are
    ar._metadata[3]["status"] = None
    ar._children[3].result = lambda timeout=None: RuntimeError("engine died")
    assert book.final_counts(ar) == book.count_tasks(ar)
    assert book.final_counts(ar)["failed"] == 2


def test_the_books_elapsed_for_a_finished_result_is_ipyparallels_wall_time():
    from ipyparallel.client.asyncresult import AsyncResult

    ar = BookResult(3)
    ar.finish_all()
    # as the Client stores them: ISO strings, parsed only when read
    for md in ar._metadata:
        for key in ("submitted", "started", "completed", "received"):
            md[key] = md[key].isoformat().replace("+00:00", "Z")
    expected = 1.5 + 2 / 1000 + 700e-6  # last received - first submitted
    assert book.wall_time(ar) == pytest.approx(expected, abs=1e-6)
    # and ipyparallel's own formula on the same metadata agrees
    stub = object.__new__(AsyncResult)
    stub._metadata = [dict(md) for md in ar._metadata]
    stub._parse_metadata_dates()
    first = min(md["submitted"] for md in stub._metadata)
    last = max(md["received"] for md in stub._metadata)
    assert book.wall_time(ar) == pytest.approx((last - first).total_seconds(), abs=1e-6)
    ar._metadata[1]["received"] = None
    assert book.wall_time(ar) is None


@pytest.mark.parametrize(
    "change",
    [
        {},
        {"status": "error"},
        {"status": "aborted"},
        {"status": None},  # failed without a reply: the live counts decide
        {"received": None},
        {"submitted": "not a date"},
        {"label": "fit"},
        {"label": ["unhashable"]},
        {"chunk": 4},
    ],
    ids=repr,
)
def test_a_one_task_results_final_reading_is_the_one_its_tasks_loop_gives(change):
    # one-task results (an apply_async loop makes thousands) must read as
    # the same task does among others: a result of that task and a finished
    # twin in the same state reads as it, twice
    def made(n):
        ar = BookResult(n)
        ar.finish_all()
        for md in ar._metadata:
            for key in ("submitted", "received"):
                md[key] = md[key].isoformat().replace("+00:00", "Z")
            md.update({k: v for k, v in change.items() if k != "chunk"})
        if "chunk" in change:
            ar._chunk_sizes = {m: change["chunk"] for m in ar.msg_ids}
        return ar

    one, two = made(1), made(2)
    two._metadata[1] = dict(one._metadata[0])
    counts, elapsed, label = book.final_reading(one)
    twin_counts, twin_elapsed, twin_label = book.final_reading(two)
    if twin_counts is None:
        assert counts is None
    else:
        assert {k: 2 * v for k, v in counts.items()} == twin_counts
    assert elapsed == twin_elapsed and label == twin_label
    if not change:
        assert counts["done"] == 1 and elapsed > 0 and label is None


def test_a_replied_tasks_record_is_left_alone_by_the_collector():
    # the flusher keeps every changed task's record until the next change;
    # a record of atomic values and tuples is untracked at the next
    # collection, so those records never fill the collector's oldest
    # generation (with lists for follow / after every one stayed tracked)
    from jupyterlab_asyncresult.records import task_record

    now = datetime.now(timezone.utc)
    md = {"status": "ok", "engine_id": 0, "engine_uuid": "u", "submitted": now, "received": now}
    records = [task_record("m", dict(md, follow=f, after=[]), None) for f in ([], ["a", "b"])]
    gc.collect()
    assert [gc.is_tracked(r) for r in records] == [False, False]
    assert records[1]["follow"] == ("a", "b")
    row = wire.task_row(records[1], 0, 0, True)
    assert row[-1] == {"follow": ["a", "b"]}
    assert len(wire.task_row(records[0], 0, 0, True)) == 9  # no extras: the row ends early


def _retained_per_task(n=5000):
    """Bytes the registry's own code keeps per task of a finished, sent and
    released result, as tracemalloc counts them; and the registry."""
    import tracemalloc

    tracemalloc.start()
    try:
        registry = Registry()
        ar = FakeResult(n)
        follow(registry, ar)
        registry.take_delta()
        for i in range(n):
            ar.finish(i)
            registry.mark_task(ar.msg_ids[i])
        registry.take_delta()
        del ar
        gc.collect()
        ours = tracemalloc.take_snapshot().filter_traces(
            [tracemalloc.Filter(True, entries.__file__), tracemalloc.Filter(True, records.__file__)]
        )
        return sum(t.size for t in ours.traces) / n, registry
    finally:
        tracemalloc.stop()


def test_a_finished_tasks_record_takes_about_half_the_memory_once_settled(monkeypatch):
    # the registry keeps up to MAX_TASKS finished tasks after their results
    # went; each kept its record as a dict of 16 keys (464 bytes). Settled, a
    # record is a tuple of its values, and the engine's uuid is shared
    with monkeypatch.context() as unsettled:
        unsettled.setattr(entries.TaskEntry, "settle", lambda self: None)
        as_dicts, _ = _retained_per_task()
    settled, registry = _retained_per_task()
    print(f"retained a task: {as_dicts:.0f} bytes as dicts, {settled:.0f} settled")
    assert all(t.settled() for t in registry._tasks.values())
    assert settled < 0.6 * as_dicts, (settled, as_dicts)
    uuids = {id(t.current()["engine_uuid"]) for t in registry._tasks.values()}
    assert len(uuids) == 2
    # and of what a kept task holds, only its entry is left for the
    # collector to walk at each full collection: its record and its owners
    # are tuples of atomic values, which it stops tracking
    gc.collect()
    kept = list(registry._tasks.values())
    assert not any(gc.is_tracked(t.record) or gc.is_tracked(t.owners) for t in kept)


def test_a_settled_record_keeps_the_values_of_task_records_keys_in_order():
    md = {"status": "ok", "engine_id": 0, "engine_uuid": "u", "submitted": T0, "received": T0}
    record = records.task_record("m", md, None)
    assert tuple(record) == records.RECORD_KEYS
    task = entries.TaskEntry("m", None, None, "r1", 0)
    task.record = record
    assert task.settle() == tuple(record.values())
    assert task.current() == record and task.finished


def test_a_settled_task_reads_and_streams_as_it_did():
    registry = Registry()
    ar = FakeResult(40)
    rid = follow(registry, ar)
    live = Replica()
    live.seq = 0
    live.apply(registry.take_delta())
    for i in range(0, 40, 2):
        ar.finish(i)
        registry.mark_task(ar.msg_ids[i])
    live.apply(registry.take_delta())
    tasks = [registry._tasks[m] for m in ar.msg_ids]
    assert [t.settled() for t in tasks[:4]] == [True, False, True, False]
    # nothing moves a settled task: marking every task of its result sends
    # no row for it (only the unfinished ones are read again)
    registry.mark_result(rid)
    delta = registry.take_delta()
    live.apply(delta)
    assert not delta.get("changes")
    # every reader sees the record it had
    from_snapshot = Replica.from_stream((0, p) for p in registry.snapshot())
    assert from_snapshot.tasks == live.tasks
    assert live.tasks[ar.msg_ids[0]]["status"] == "done"
    tally = registry.tally(ar.msg_ids)
    assert (tally["counts"]["done"], tally["counts"]["pending"]) == (20, 20)
    assert tasks[0].current()["engine_uuid"] == ENGINE_UUIDS[0]
    assert registry.running_engines(ar.msg_ids[:2]) == set()

    # a second result holding the same tasks: once the first goes, a row
    # of theirs is sent whole under the second, settled or not
    again = FakeResult(0, msg_ids=list(ar.msg_ids))
    again._metadata, again._children = ar._metadata, ar._children
    second = follow(registry, again)
    live.apply(registry.take_delta())
    registry._drop(rid)
    ar.finish(1)
    registry.mark_result(second)
    delta = registry.take_delta()
    live.apply(delta)
    assert len(delta["changes"][second]) == 40
    assert rid not in live.results
    assert [live.tasks[m]["status"] for m in ar.msg_ids[:4]] == ["done"] * 3 + ["pending"]
    assert live.tasks == Replica.from_stream((0, p) for p in registry.snapshot()).tasks
    assert [t.settled() for t in tasks[:4]] == [True] * 3 + [False]
