"""Grouped outputs: `display_outputs`, `%px` and `%ar outputs` show our
bundle while JupyterLab listens, its text/plain equal to what ipyparallel
itself shows without us (read from the same kernel's iopub)."""

import pytest

OUTPUTS_MIME = "application/vnd.jupyterlab-asyncresult.outputs+json"

# each engine prints to stdout and stderr and displays HTML, so the
# display between engines fixes the order of the two streams on iopub
WORK = (
    "import sys\n"
    "from IPython.display import HTML, display\n"
    "print('out', rank)\n"
    "print('err', rank, file=sys.stderr)\n"
    "display(HTML(f'<b>engine {rank}</b>'))\n"
    "print('after', rank)\n"
    "rank * 10\n"
)


def outputs_of(kernel, cell):
    """The cell's outputs on iopub, in order."""
    with kernel._lock:
        msgs = [m for _, m in kernel.iopub if m["parent_header"].get("msg_id") == cell]
    return [
        m
        for m in msgs
        if m["header"]["msg_type"]
        in ("stream", "display_data", "update_display_data", "execute_result", "error")
    ]


def as_text(msgs):
    """What a plain-text reader of these outputs sees: streams as written,
    each display's text/plain on its own line, displays updated in place."""
    shown, at = [], {}
    for m in msgs:
        display_id = m["content"].get("transient", {}).get("display_id")
        if m["header"]["msg_type"] == "update_display_data":
            if display_id in at:
                shown[at[display_id]] = m
            continue
        if display_id:
            at[display_id] = len(shown)
        shown.append(m)
    out = []
    for m in shown:
        content = m["content"]
        if m["header"]["msg_type"] == "stream":
            out.append(content["text"])
            continue
        plain = content.get("data", {}).get("text/plain")
        if plain is None:
            continue
        if out and not out[-1].endswith("\n"):
            out.append("\n")
        out.append(plain + "\n")
    return "".join(out)


def run(kernel, code):
    cell = kernel.start(code)
    reply = kernel.wait_reply(cell, timeout=120)
    assert reply["status"] == "ok", reply
    kernel.wait_for(
        lambda: any(
            m["header"]["msg_type"] == "status" and m["content"].get("execution_state") == "idle"
            for m in (x for _, x in list(kernel.iopub))
            if m["parent_header"].get("msg_id") == cell
        ),
        timeout=30,
    )
    return cell


def listen(kernel):
    kernel.open_comm()
    kernel.wait_for(lambda: kernel.comm_messages(), timeout=30)


@pytest.fixture()
def finished(kernel):
    """A finished execute on both engines, all its output in."""
    kernel.execute(
        "dview.scatter('rank', [0, 1], flatten=True, block=True)\n"
        f"ar = dview.execute({WORK!r}, silent=False, block=False)\n"
        "ar.get(timeout=60); ar.wait_for_output(10)\n"
    )
    return kernel


def test_display_outputs_shows_our_bundle_with_ipyparallels_text(finished):
    kernel = finished
    truth = {
        g: as_text(outputs_of(kernel, run(kernel, f"ar.display_outputs({g!r})")))
        for g in ("type", "engine", "order")
    }
    # ipyparallel's own outputs, as a sanity check of what we compare with
    assert "[stdout:0] \nout 0\nafter 0\n" in truth["type"]
    assert "[output:1]\n" in truth["engine"]
    listen(kernel)
    session = next(d for _, d in kernel.comm_messages() if d["type"] == "snapshot")["bridge"][
        "session"
    ]
    for g in ("type", "engine", "order"):
        msgs = outputs_of(kernel, run(kernel, f"ar.display_outputs({g!r})"))
        assert [m["header"]["msg_type"] for m in msgs] == ["display_data"], g
        data = msgs[0]["content"]["data"]
        assert data["text/plain"] == truth[g], g
        ours = data[OUTPUTS_MIME]
        assert ours["groupby"] == g and ours["done"] is True and ours["session"] == session
        assert ours["result_id"].startswith("r")
        assert [t["engine_id"] for t in ours["tasks"]] == [0, 1]
        t0 = ours["tasks"][0]
        assert t0["stdout"] == "out 0\nafter 0\n" and t0["stderr"] == "err 0\n"
        assert t0["outputs"][0]["data"]["text/html"] == "<b>engine 0</b>"
        assert t0["execute_result"]["data"]["text/plain"] == "0"
        assert t0["error"] is None
        # engine HTML travels only inside our data, never as a display of its own
        assert "text/html" not in data


def test_px_shows_our_bundle_with_and_without_streaming(kernel):
    kernel.execute("dview.scatter('rank', [0, 1], flatten=True, block=True)")
    cell = "%%px --no-stream\nprint('hi', rank)\n"
    truth = as_text(outputs_of(kernel, run(kernel, cell)))
    streamed = "%%px --stream\nprint('hi', rank)\n"
    streamed_truth = as_text(outputs_of(kernel, run(kernel, streamed)))
    assert truth == "[stdout:0] \nhi 0\n[stdout:1] \nhi 1\n"
    listen(kernel)
    msgs = outputs_of(kernel, run(kernel, cell))
    (shown,) = [m for m in msgs if OUTPUTS_MIME in m["content"].get("data", {})]
    assert shown["content"]["data"]["text/plain"] == truth
    assert [m for m in msgs if m["header"]["msg_type"] == "stream"] == []
    # streaming (the default of %px in a kernel): the live view at once,
    # updated at the end with the text ipyparallel's stream leaves
    listening = outputs_of(kernel, run(kernel, streamed))
    first, *rest = [m for m in listening if OUTPUTS_MIME in m["content"].get("data", {})]
    assert first["header"]["msg_type"] == "display_data"
    assert first["content"]["data"][OUTPUTS_MIME]["done"] is False
    # the live view may come before the delta announcing its result: the
    # bundle names a seq by which a frontend's store holds it
    live = first["content"]["data"][OUTPUTS_MIME]

    def announced():
        return [
            d["seq"]
            for _, d in kernel.comm_messages()
            if d.get("type") in ("delta", "snapshot")
            and any(r["id"] == live["result_id"] for r in d.get("results") or [])
        ]

    kernel.wait_for(announced, timeout=30)
    (seq,) = announced()
    assert 1 <= seq <= live["seq"]
    (last,) = [m for m in rest if m["header"]["msg_type"] == "update_display_data"]
    final = last["content"]["data"]
    assert final[OUTPUTS_MIME]["done"] is True
    assert [t["stdout"] for t in final[OUTPUTS_MIME]["tasks"]] == ["hi 0\n", "hi 1\n"]
    assert [m for m in listening if OUTPUTS_MIME not in m["content"].get("data", {})] == []
    # the engines' streams in the order they arrived, each as ipyparallel
    # shows it (its own run may lose one: see the replay test below)
    blocks = sorted(final["text/plain"].split("\n\n"))
    assert blocks == ["", "[stdout:0] hi 0", "[stdout:1] hi 1"]
    assert set(blocks) >= set(streamed_truth.split("\n\n"))


def test_streaming_output_that_came_before_the_stream_keeps_every_engine(kernel):
    """ipyparallel replays output captured before `stream_output()` began
    under one display id for all engines, so in its own run the last
    engine's text replaces the others'; ours names each engine's task."""
    kernel.execute("dview.scatter('rank', [0, 1], flatten=True, block=True)")
    early = (
        "ar = dview.execute(\"print('early', rank)\", block=False)\n"
        "ar.wait_for_output(timeout=60)\n"
        "with ar.stream_output():\n"
        "    ar.get()\n"
    )
    plain = outputs_of(kernel, run(kernel, early))
    assert as_text(plain) == "[stdout:1] early 1\n\n"  # ipyparallel's own loss
    listen(kernel)
    listening = outputs_of(kernel, run(kernel, early))
    (last,) = [m for m in listening if m["header"]["msg_type"] == "update_display_data"]
    final = last["content"]["data"]
    assert [t["stdout"] for t in final[OUTPUTS_MIME]["tasks"]] == ["early 0\n", "early 1\n"]
    blocks = sorted(final["text/plain"].split("\n\n"))
    assert blocks == ["", "[stdout:0] early 0", "[stdout:1] early 1"]


def test_a_failed_task_keeps_what_it_printed_before_the_error(kernel):
    listen(kernel)
    cell = kernel.start("%%px --no-stream\nprint('before', 1); 1/0")
    reply = kernel.wait_reply(cell, timeout=120)
    assert reply["status"] == "error"
    kernel.wait_for(
        lambda: any(OUTPUTS_MIME in m["content"].get("data", {}) for m in outputs_of(kernel, cell)),
        timeout=30,
    )
    (shown,) = [m for m in outputs_of(kernel, cell) if OUTPUTS_MIME in m["content"].get("data", {})]
    tasks = shown["content"]["data"][OUTPUTS_MIME]["tasks"]
    assert [t["stdout"] for t in tasks] == ["before 1\n", "before 1\n"]
    assert [t["error"]["ename"] for t in tasks] == ["ZeroDivisionError"] * 2


def test_ar_outputs_merge_shows_our_bundle_with_its_text(finished):
    kernel = finished
    listen(kernel)
    msgs = outputs_of(kernel, run(kernel, "%ar outputs -1 --group-outputs merge"))
    (shown,) = msgs
    data = shown["content"]["data"]
    assert data[OUTPUTS_MIME]["groupby"] == "merge"
    assert "[stdout:0]" in data["text/plain"] and "[stdout:1]" in data["text/plain"]


def test_without_jupyterlab_display_outputs_is_ipyparallels_own(finished):
    kernel = finished
    msgs = outputs_of(kernel, run(kernel, "ar.display_outputs('engine')"))
    assert all(OUTPUTS_MIME not in m["content"].get("data", {}) for m in msgs)
    assert {m["header"]["msg_type"] for m in msgs} >= {"stream", "display_data"}


def test_a_streamed_failure_keeps_what_it_printed_before_the_error(kernel):
    listen(kernel)
    cell = kernel.start("%%px --stream\nprint('before', 2); 1/0")
    reply = kernel.wait_reply(cell, timeout=120)
    assert reply["status"] == "error"

    def final():
        for m in outputs_of(kernel, cell):
            if m["header"]["msg_type"] == "update_display_data":
                return m["content"]["data"]
        return None

    data = kernel.wait_for(final, timeout=30)
    tasks = data[OUTPUTS_MIME]["tasks"]
    assert [t["stdout"] for t in tasks] == ["before 2\n", "before 2\n"]
    assert [t["error"]["ename"] for t in tasks] == ["ZeroDivisionError"] * 2
    # ipyparallel's streamed tracebacks are in the text other frontends read
    assert "ZeroDivisionError" in data["text/plain"]


def test_result_only_with_no_results_shows_nothing(finished):
    kernel = finished
    listen(kernel)
    kernel.execute("quiet = dview.execute('print(1)', block=True); quiet.wait_for_output(10)")
    msgs = outputs_of(kernel, run(kernel, "quiet.display_outputs(result_only=True)"))
    assert msgs == []


def test_under_capture_output_display_outputs_keeps_ipyparallels_text(finished):
    """`capture_output()` / `%%capture` want ipyparallel's text, not our view."""
    kernel = finished
    listen(kernel)
    kernel.execute(
        "from IPython.utils.capture import capture_output\n"
        "with capture_output() as cap:\n"
        "    ar.display_outputs('type')\n"
    )
    captured = kernel.evaluate("[cap.stdout, cap.stderr, [o.data for o in cap.outputs]]")
    stdout, stderr, outputs = captured
    assert "[stdout:0] \nout 0\nafter 0\n" in stdout
    assert "[stderr:1] \nerr 1\n" in stderr
    assert all(OUTPUTS_MIME not in o for o in outputs)
