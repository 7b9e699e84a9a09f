"""error_info against ipyparallel's own exception classes: what the bridge
tells a frontend about a failure must carry everything ipyparallel has."""

from ipyparallel import error

from jupyterlab_asyncresult import records
from jupyterlab_asyncresult.records import error_info


def _remote(engine_id, method="apply", evalue="bad item 3"):
    return error.RemoteError(
        "ValueError",
        evalue,
        f"Traceback on {engine_id}",
        {"engine_id": engine_id, "engine_uuid": "u", "method": method},
    )


def _composite(*members):
    try:
        error.collect_exceptions(list(members), "f")
    except error.CompositeError as e:
        return e
    raise AssertionError("no CompositeError")


def test_a_composite_error_carries_its_message_and_every_member():
    err = _composite(_remote(2), _remote(0, evalue="other"))
    info = error_info(err)
    assert info["ename"] == "CompositeError"
    assert info["evalue"] == str(err)
    assert info["evalue"].startswith("one or more exceptions raised in: f\n[2:apply]ValueError")
    assert [(m["ename"], m["evalue"], m["engine_id"], m["method"]) for m in info["elist"]] == [
        ("ValueError", "bad item 3", 2, "apply"),
        ("ValueError", "other", 0, "apply"),
    ]
    assert info["elist"][0]["traceback"] == "Traceback on 2"
    assert info["elist_total"] == 2


def test_a_remote_error_says_how_it_ran():
    info = error_info(_remote(1, method="execute"))
    assert (info["ename"], info["evalue"], info["engine_id"], info["method"]) == (
        "ValueError",
        "bad item 3",
        1,
        "execute",
    )
    assert info["remote"] is True


def test_the_hubs_error_dict_reads_as_the_task_error():
    hub = {
        "ename": "ZeroDivisionError",
        "evalue": "division by zero",
        "traceback": ["line 1", "line 2"],
        "engine_info": {"engine_id": 1, "method": "apply"},
    }
    info = error_info(hub)
    assert (info["ename"], info["evalue"], info["engine_id"]) == (
        "ZeroDivisionError",
        "division by zero",
        1,
    )
    assert info["traceback"] == "line 1\nline 2"


def test_task_aborted_and_engine_error_are_not_remote_errors():
    aborted = error_info(error.TaskAborted("msg-1"))
    assert (aborted["ename"], aborted["evalue"], aborted["remote"]) == (
        "TaskAborted",
        "msg-1",
        False,
    )
    dead = error_info(error.EngineError("engine 1 died"), engine_id=1)
    assert (dead["ename"], dead["evalue"], dead["engine_id"]) == ("EngineError", "engine 1 died", 1)


def test_a_huge_composite_is_capped_and_says_so(monkeypatch):
    monkeypatch.setattr(records, "MAX_ELIST", 3)
    monkeypatch.setattr(records, "MAX_ELIST_TRACEBACKS", 30)
    err = _composite(*[_remote(i % 2, evalue="x" * 5) for i in range(5)])
    info = error_info(err)
    assert len(info["elist"]) == 3
    assert info["elist_total"] == 5
    assert sum(len(m["traceback"]) for m in info["elist"][:2]) <= 60


def test_a_dead_engines_error_names_the_engine_ipyparallel_forgot():
    # what the Client makes for a task stranded on a dead engine
    err = error.RemoteError("EngineError", "Engine 1 died while running task 'm-1'", "tb", {})
    assert error_info(err)["engine_id"] == 1
    record = records.task_record("m-1", {"status": "error", "engine_id": None}, _Done(err))
    assert (record["engine_id"], record["error"]["engine_id"]) == (1, 1)


class _Done:
    """A finished message future whose result is `value`."""

    def __init__(self, value):
        self.value = value
        self.output = None

    def done(self):
        return True

    def result(self, timeout=None):
        return self.value
