"""One bad string in user data never stops the bridge's stream (issue 10.15)."""

import json

from kernel_driver import Replica

from jupyterlab_asyncresult.sanitize import clean_text, sanitize


def encodable(value):
    json.dumps(value, ensure_ascii=False).encode("utf-8")
    return True


def test_a_lone_surrogate_becomes_one_replacement_character():
    assert clean_text("bad\ud800name") == "bad\ufffdname"
    assert clean_text("ok é ü 漢") == "ok é ü 漢"


def test_a_clean_message_is_returned_as_is_and_a_bad_one_is_copied():
    clean = {"tasks": [{"msg_id": "m", "engine_id": 1, "x": None, "t": 1.5}], "s": "é"}
    assert sanitize(clean) is clean
    bad = {"results": [{"fname": "bad\ud800name"}, {"fname": "fine"}], 3: object()}
    out = sanitize(bad)
    assert encodable(out)
    assert out["results"][0]["fname"] == "bad\ufffdname"
    assert out["results"][1] is bad["results"][1]  # only what was bad changed
    assert out["3"].startswith("<object object")
    assert bad["results"][0]["fname"] == "bad\ud800name"  # the input is untouched


def test_values_json_cannot_carry_degrade_alone():
    class Weird:
        def __repr__(self):
            raise RuntimeError("no repr")

    out = sanitize({"a": (1, "\udfff"), "b": {2, 3}, "c": Weird(), "d": True})
    assert encodable(out)
    assert out["a"] == [1, "\ufffd"]
    assert sorted(out["b"]) == [2, 3]
    assert out["c"] == "<unrepresentable Weird>"
    assert out["d"] is True


def test_a_function_named_with_a_lone_surrogate_does_not_stop_the_stream(kernel):
    comm = kernel.open_comm()
    reply = kernel.execute(
        "def f(x):\n    return x\n"
        "f.__name__ = 'bad\\ud800name'\n"
        "bad = lview.map_async(f, range(4))\n"
        "bad.wait(30)\n"
        "good = lview.map_async(abs, range(-3, 3))\n"
        "good.wait(30)\n"
    )
    assert reply["status"] == "ok"

    def both_done():
        r = Replica.from_stream(kernel.comm_messages(comm))
        names = {rec["fname"]: rec for rec in r.results.values()}
        if "abs" not in names or "bad\ufffdname" not in names:
            return None
        statuses = [r.tasks.get(m, {}).get("status") for m in r.tasks]
        return r if statuses and all(s == "done" for s in statuses) else None

    replica = kernel.wait_for(both_done, timeout=60)
    # no gap: every delta arrived, in sequence
    seqs = [d["seq"] for _, d in kernel.comm_messages(comm) if d.get("type") == "delta"]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))
    assert len(replica.results) >= 2

    # a snapshot holding the bad name is sent whole
    kernel.send_comm(comm, kernel.snapshot_request("again"))
    kernel.wait_for(
        lambda: any(d.get("reply_to") == "again" for _, d in kernel.comm_messages(comm)),
        timeout=30,
    )
    # and nothing was printed into the user's cells
    streams = [
        m["content"]["text"]
        for _, m in list(kernel.iopub)
        if m["header"]["msg_type"] == "stream" and m["content"].get("name") == "stderr"
    ]
    assert not any("Traceback" in s or "UnicodeEncodeError" in s for s in streams), streams
