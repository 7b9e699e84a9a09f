"""The request ops with fakes for what they are given (no kernel, no cluster),
and the constants the kernel shares with the TypeScript side."""

import pathlib
import re

import pytest

from jupyterlab_asyncresult import requests, wire
from jupyterlab_asyncresult.records import FINISHED, STATUSES
from jupyterlab_asyncresult.registry import Registry
from jupyterlab_asyncresult.requests import RequestOps

ROOT = pathlib.Path(__file__).resolve().parent.parent


class FakeProgress:
    def __init__(self):
        self.mode = "result"

    def configure(self, mode):
        if mode not in ("result", "cell", "off"):
            raise ValueError("progress mode must be one of result, cell, off")
        self.mode = mode


class SplittableResult:
    """Just enough of an AsyncResult for `split`: one new result per task."""

    _fname = "f"
    _targets = None

    def __init__(self, msg_ids, registry):
        self.msg_ids = list(msg_ids)
        self._metadata = [{"msg_id": m} for m in msg_ids]
        self._registry = registry

    def split(self):
        parts = [SplittableResult([m], self._registry) for m in self.msg_ids]
        for part in parts:
            self._registry.add_result(part, [])  # what the creation hook does
        return parts


@pytest.fixture()
def ops():
    registry = Registry()
    flushed = []
    ops = RequestOps(registry, FakeProgress(), lambda: flushed.append(registry.seq))
    ops.flushed = flushed
    return ops


def request(ops, **data):
    return ops.answer("q1", {"v": 1, "type": "request", **data})


def test_an_unknown_op_is_answered_with_an_error_naming_it(ops):
    assert request(ops, op="nonsense") == {
        "v": wire.PROTOCOL_VERSION,
        "type": "error",
        "reply_to": "q1",
        "error": "unknown request op 'nonsense'",
    }


def test_an_unknown_result_id_is_an_error_reply_not_an_exception(ops):
    reply = request(ops, op="get_value", result_id="r404")
    assert reply["type"] == "error"
    assert reply["error"] == "get_value: unknown result id 'r404'"


def test_configure_sets_the_progress_mode_and_replies_with_the_mode_now(ops):
    assert request(ops, op="configure", progress="cell")["value"] == {"progress": "cell"}
    reply = request(ops, op="configure", progress="sideways")
    assert reply["type"] == "error" and "progress mode" in reply["error"]
    assert ops.progress.mode == "cell"


def test_spin_flushes_through_the_callable_it_was_given_and_says_the_seq(ops):
    ar = SplittableResult(["m1"], ops.registry)
    rid, _ = ops.registry.add_result(ar, [])
    ops.registry.take_delta()
    reply = request(ops, op="spin", result_id=rid)
    assert ops.flushed == [1]
    assert reply == {
        "v": wire.PROTOCOL_VERSION,
        "type": "reply",
        "reply_to": "q1",
        "value": {"seq": ops.registry.seq},
    }


def test_results_made_by_requests_are_kept_alive_newest_first_up_to_the_cap(ops, monkeypatch):
    monkeypatch.setattr(requests, "MAX_HELD", 3)
    ar = SplittableResult([f"m{i}" for i in range(5)], ops.registry)
    rid, _ = ops.registry.add_result(ar, [])
    reply = request(ops, op="split", result_id=rid)
    split_ids = reply["value"]["result_ids"]
    assert len(split_ids) == 5
    assert ops.held_count() == 3
    # the registry holds results weakly once the flusher took them (it holds
    # a new result until its first record): only the newest three are left
    ops.registry.take_delta()
    alive = []
    for split_id in split_ids:
        try:
            ops.registry.live_result(split_id)
            alive.append(split_id)
        except LookupError:
            pass
    assert alive == split_ids[-3:]


def test_the_python_and_typescript_sides_speak_the_same_protocol_version():
    protocol_ts = (ROOT / "packages/asyncresult-node/src/core/protocol.ts").read_text()
    ts_version = re.search(r"export const PROTOCOL_VERSION = (\d+);", protocol_ts)
    assert int(ts_version.group(1)) == wire.PROTOCOL_VERSION
    assert requests.PROTOCOL_VERSION is wire.PROTOCOL_VERSION


def test_task_status_codes_follow_the_order_of_typescript_task_statuses():
    protocol_ts = (ROOT / "packages/asyncresult-node/src/core/protocol.ts").read_text()
    block = re.search(r"TASK_STATUSES[^=]*= \[([^\]]*)\]", protocol_ts).group(1)
    assert tuple(re.findall(r"'(\w+)'", block)) == STATUSES
    assert [wire.STATUS_CODES[s] for s in STATUSES] == list(range(len(STATUSES)))
    assert FINISHED < set(STATUSES)


def test_deltas_and_snapshots_carry_the_protocol_version():
    registry = Registry()
    registry.add_result(SplittableResult(["m1"], registry), [])
    assert registry.take_delta()["v"] == wire.PROTOCOL_VERSION
    assert all(part["v"] == wire.PROTOCOL_VERSION for part in registry.snapshot())
