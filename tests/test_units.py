"""Small pieces of the bridge that need no kernel or cluster."""

import pytest

from jupyterlab_asyncresult import hooks
from jupyterlab_asyncresult.bridge import Bridge


class TaskAborted(Exception):
    """Named like ipyparallel's, which is all the fix looks at."""


class FakeMapResult:
    """Just enough of an AsyncResult for `_resolve_result`."""

    def __init__(self):
        self._raw_results = None
        self.exception = None
        self._success = None

    def done(self):
        return self.exception is not None

    def set_exception(self, e):
        self.exception = e

    def _resolve_result(self, f=None):
        # what ipyparallel 9 does with a map that has an aborted task
        self._raw_results = [[1], TaskAborted("aborted"), [3]]
        list(item for chunk in self._raw_results for item in chunk)


def test_a_map_whose_join_fails_on_an_aborted_task_ends_with_that_task_aborted():
    ar = FakeMapResult()
    hooks._settling(FakeMapResult._resolve_result)(ar)
    assert isinstance(ar.exception, TaskAborted)
    assert ar._success is False


def test_other_failures_to_resolve_end_the_result_with_their_own_error():
    class Broken(FakeMapResult):
        def _resolve_result(self, f=None):
            raise KeyError("lost")

    ar = Broken()
    hooks._settling(Broken._resolve_result)(ar)
    assert isinstance(ar.exception, KeyError)


class FakeComm:
    def __init__(self):
        self.sent = []
        self.comm_id = f"fake-{id(self)}"

    def _reply_subshell_for(self, data, default):
        return None  # ipykernel 7.4: the subshell of the last outgoing parent

    def on_msg(self, callback):
        pass

    def on_close(self, callback):
        pass

    def send(self, data):
        self.sent.append(data)

    def close(self):
        pass


class FakeKernel:
    comm_manager = None
    shell = None


@pytest.fixture()
def bridge():
    b = Bridge(FakeKernel())
    yield b
    b.progress.uninstall()


def test_frontend_requests_stay_on_the_subshell_the_frontend_chose(bridge):
    comm = FakeComm()
    bridge._on_comm_open(
        comm, {"content": {"data": {"v": 1, "type": "snapshot_request", "request_id": "s"}}}
    )
    assert comm._reply_subshell_for({"v": 1}, "subshell-1") == "subshell-1"
    assert comm.sent[0]["type"] == "snapshot"


def test_settings_in_the_comm_open_set_the_progress_mode(bridge):
    comm = FakeComm()
    data = {"v": 1, "type": "snapshot_request", "request_id": "s", "settings": {"progress": "cell"}}
    bridge._on_comm_open(comm, {"content": {"data": data}})
    assert bridge.progress.mode == "cell"
    data["settings"] = {"progress": "nonsense"}
    bridge._on_comm_open(FakeComm(), {"content": {"data": data}})
    assert bridge.progress.mode == "cell"


def test_the_bridge_sends_each_request_answer_on_the_comm_it_came_from(bridge):
    comm, other = FakeComm(), FakeComm()
    for c in (comm, other):
        bridge._on_comm_open(c, {"content": {"data": {}}})
        c.sent.clear()
    bridge._on_comm_msg(
        comm,
        {"content": {"data": {"v": 1, "type": "request", "request_id": "q", "op": "configure"}}},
    )
    assert comm.sent == [
        {"v": 1, "type": "reply", "reply_to": "q", "value": {"progress": "result"}}
    ]
    assert other.sent == []
    bridge._on_comm_msg(comm, {"content": {"data": {"v": 2, "type": "request"}}})
    assert comm.sent[-1]["type"] == "error"
    assert "unsupported protocol version 2 (this kernel speaks 1)" in comm.sent[-1]["error"]


class RecordingLock:
    """A lock that notes when it is taken, and which locks were held then."""

    def __init__(self, name, lock, held, taken):
        self.name, self.lock, self.held, self.taken = name, lock, held, taken

    def __enter__(self):
        self.lock.__enter__()
        self.taken.append((self.name, tuple(self.held)))
        self.held.append(self.name)
        return self

    def __exit__(self, *exc):
        self.held.remove(self.name)
        return self.lock.__exit__(*exc)


def test_flush_takes_the_registry_lock_then_the_comms_lock_as_bridge_py_says(bridge):
    import threading

    held, taken = [], []
    bridge.registry.lock = RecordingLock("registry", threading.RLock(), held, taken)
    bridge._comms_lock = RecordingLock("comms", threading.Lock(), held, taken)
    comm = FakeComm()
    bridge._on_comm_open(comm, {"content": {"data": {}}})
    bridge.registry.add_result(FinishedResult(["m1"]), [])
    taken.clear()
    bridge.flush()
    assert comm.sent[-1]["type"] == "delta"
    # the comms (and the send) come after the registry's lock is let go
    assert ("registry", ()) in taken
    assert ("comms", ()) in taken
    assert all("comms" not in before for name, before in taken if name == "registry")


class BlockingComm(FakeComm):
    """A comm whose sends wait until `go` is set (a slow send, as seen by us)."""

    def __init__(self):
        super().__init__()
        import threading

        self.go = threading.Event()
        self.sending = threading.Event()

    def send(self, data):
        self.sending.set()
        assert self.go.wait(10)
        super().send(data)


def test_a_slow_send_holds_up_no_submission_and_messages_keep_their_seq_order(bridge):
    import threading

    comm = BlockingComm()
    comm.go.set()
    bridge._on_comm_open(comm, {"content": {"data": {}}})
    comm.go.clear()
    comm.sending.clear()
    bridge.registry.add_result(FinishedResult(["m1"]), [])
    flusher = threading.Thread(target=bridge.flush)
    flusher.start()
    assert comm.sending.wait(10)
    # the flusher is inside its send: the registry is free for a submission
    # (the user's thread) and a mark (the Client's IO thread)
    assert bridge.registry.lock.acquire(timeout=2)
    bridge.registry.lock.release()
    bridge.registry.add_result(FinishedResult(["m2"]), [])
    # a snapshot asked for now waits for that delta, and a second flush for it
    asker = threading.Thread(
        target=bridge._on_comm_msg,
        args=(comm, {"content": {"data": {"v": 1, "type": "snapshot_request", "request_id": "s"}}}),
    )
    asker.start()
    second = threading.Thread(target=bridge.flush)
    second.start()
    comm.go.set()
    for t in (flusher, asker, second):
        t.join(10)
        assert not t.is_alive()
    seqs = [(m["type"], m["seq"]) for m in comm.sent[1:]]
    assert [t for t, _ in seqs].count("delta") == 2
    assert [s for _, s in seqs] == sorted(s for _, s in seqs)


class FinishedResult:
    """Just enough of a finished AsyncResult for the registry."""

    _fname = "f"
    _targets = None

    def __init__(self, msg_ids):
        self.msg_ids = list(msg_ids)
        self._metadata = [{"status": "ok", "msg_id": m} for m in msg_ids]


def test_the_registry_forgets_the_oldest_finished_results_beyond_the_result_cap():
    from jupyterlab_asyncresult.registry import Registry

    registry = Registry(max_finished=3)
    held = [FinishedResult([f"m{i}"]) for i in range(5)]
    rids = [registry.add_result(ar, [])[0] for ar in held]
    assert registry.take_delta()["removed"] == rids[:2]
    assert [registry.rid_of(ar) for ar in held] == [None, None, *rids[2:]]
    assert registry.tally(["m0", "m4"])["counts"]["unknown"] == 1


def test_the_registry_forgets_old_results_when_their_tasks_pass_the_task_cap():
    from jupyterlab_asyncresult.registry import Registry

    registry = Registry(max_finished=500, max_tasks=25)
    held = [FinishedResult([f"r{j}-m{i}" for i in range(10)]) for j in range(4)]
    rids = [registry.add_result(ar, [])[0] for ar in held]
    delta = registry.take_delta()
    # 40 tasks, at most 25 kept: the two oldest maps go
    assert delta["removed"] == rids[:2]
    assert [registry.rid_of(ar) for ar in held] == [None, None, *rids[2:]]


def test_the_summary_escapes_names_and_errors_it_did_not_write():
    from jupyterlab_asyncresult.summary import summary_bundle

    tally = {
        "counts": {"done": 1, "error": 1},
        "total": 2,
        "engines": [0],
        "elapsed": 2.0,
        "first_error": {
            "ename": "ValueError",
            "evalue": "<script>alert(1)</script>",
            "engine_id": 0,
        },
    }
    bundle = summary_bundle("<img src=x onerror=alert(1)>", tally)
    assert "<img" not in bundle["text/html"] and "<script>" not in bundle["text/html"]
    assert "&lt;img src=x onerror=alert(1)&gt;" in bundle["text/html"]
    assert bundle["text/plain"].startswith(
        "<img src=x onerror=alert(1)>: 1/2 tasks done, 1 failed, 2.0 s, 1.0 tasks/s, 1 engine"
    )
    assert "first error (engine 0): ValueError: <script>alert(1)</script>" in bundle["text/plain"]


def test_every_kind_of_timestamp_ipyparallel_gives_reads_as_epoch_seconds():
    from datetime import datetime, timedelta, timezone

    from jupyterlab_asyncresult.records import epoch_seconds

    class Stamp(str):
        pass

    class When(datetime):
        pass

    at = datetime(2026, 12, 2, 17, 23, 24, 123456, tzinfo=timezone.utc)
    seconds = at.timestamp()
    # a reply header's date as jupyter_client 8 leaves it, and its variants
    assert epoch_seconds("2026-12-02T17:23:24.123456Z") == seconds
    assert epoch_seconds("2026-12-02T17:23:24.123456+00:00") == seconds
    assert epoch_seconds("2026-12-02T18:23:24.123456+01:00") == seconds
    assert epoch_seconds(Stamp("2026-12-02T17:23:24.123456Z")) == seconds
    # a datetime ipyparallel stamped (`received`), and one of a subclass
    assert epoch_seconds(at) == seconds
    assert (
        epoch_seconds(When(2026, 12, 2, 18, 23, 24, 123456, tzinfo=timezone(timedelta(hours=1))))
        == seconds
    )
    assert epoch_seconds(17) == 17.0 and epoch_seconds(1.5) == 1.5
    # what is no timestamp reads as none, never as an error
    for nothing in (None, "", "yesterday", "2026-13-40T00:00:00Z", b"2026-12-02", [seconds]):
        assert epoch_seconds(nothing) is None
