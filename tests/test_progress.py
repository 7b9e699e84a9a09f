"""Progress widgets: which cells get one, and the summary that replaces it."""

import re
import time
import uuid

import pytest
from holding import HOLD, release

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
PROGRESS_MIME = "application/vnd.jupyterlab-asyncresult.progress+json"


def bridge_session(kernel):
    """The bridge session its snapshot names."""
    (snapshot, *_) = [d for _, d in kernel.comm_messages() if d["type"] == "snapshot"]
    return snapshot["bridge"]["session"]


def iopub_of(kernel, msg_type):
    with kernel._lock:
        return [m for _, m in kernel.iopub if m["header"]["msg_type"] == msg_type]


def widget_opens(kernel, model_name):
    """States of the ipywidgets models the kernel created, by model name."""
    return [
        m["content"]["data"]["state"]
        for m in iopub_of(kernel, "comm_open")
        if m["content"].get("target_name") == "jupyter.widget"
        and m["content"]["data"]["state"].get("_model_name") == model_name
    ]


def displays_in(kernel, parent_msg_id):
    return [
        m
        for m in iopub_of(kernel, "display_data")
        if m["parent_header"].get("msg_id") == parent_msg_id
    ]


def run(kernel, code):
    """Execute a cell and wait for all its outputs; return its msg_id."""
    cell = kernel.start(code)
    ended(kernel, cell)
    return cell


def ended(kernel, cell):
    """Wait for the reply of a cell that succeeds, then for all its outputs."""
    reply = kernel.wait_reply(cell, timeout=120)
    assert reply["status"] == "ok", reply
    # the reply comes on shell, the outputs on iopub: wait for the cell's idle
    kernel.wait_for(
        lambda: any(
            m["parent_header"].get("msg_id") == cell
            and m["content"].get("execution_state") == "idle"
            for m in iopub_of(kernel, "status")
        ),
        timeout=20,
    )


def listening(kernel):
    """JupyterLab's comm open, and `hold` defined for barriers."""
    kernel.open_comm()
    kernel.wait_for(lambda: kernel.comm_messages(), timeout=20)
    kernel.execute(HOLD)


def run_held(kernel, code, barrier):
    """Run a cell whose work waits on `barrier` and that blocks on it (as
    `wait_interactive()` does): release the barrier once the cell showed
    its bar, so the bar is made while the work is certainly unfinished,
    however busy the machine. Returns the cell's msg_id."""
    cell = kernel.start(code)
    kernel.wait_for(lambda: displays_in(kernel, cell), timeout=60)
    release(barrier)
    ended(kernel, cell)
    return cell


def configure(kernel, comm, mode):
    request_id = uuid.uuid4().hex
    kernel.send_comm(
        comm,
        {"v": 1, "type": "request", "request_id": request_id, "op": "configure", "progress": mode},
    )
    return kernel.wait_for(
        lambda: next(
            (d for _, d in kernel.comm_messages(comm) if d.get("reply_to") == request_id), None
        ),
        timeout=20,
    )


def summary_update(kernel, display_id, timeout=60):
    def find():
        for m in iopub_of(kernel, "update_display_data"):
            data = m["content"]["data"]
            # the summary, not an update of the live bar itself
            if (
                m["content"].get("transient", {}).get("display_id") == display_id
                and WIDGET_MIME not in data
            ):
                return data
        return None

    return kernel.wait_for(find, timeout=timeout)


def test_wait_interactive_shows_our_widget_and_ends_in_a_summary_under_the_same_display_id(
    kernel, barrier
):
    listening(kernel)
    cell = run_held(
        kernel, f"ar = lview.map_async(hold, [{barrier!r}] * 20)\nar.wait_interactive()\n", barrier
    )
    (state,) = widget_opens(kernel, "ProgressModel")
    assert state["_model_module"] == "jupyterlab-asyncresult"
    assert state["label"] == "hold"
    rid = state["result_ids"][0]
    assert rid.startswith("r")
    # ipyparallel's own tqdm bar did not appear
    assert widget_opens(kernel, "FloatProgressModel") == []
    (shown,) = displays_in(kernel, cell)
    assert WIDGET_MIME in shown["content"]["data"]
    # and the bar's own data, which the extension draws from its store
    assert shown["content"]["data"][PROGRESS_MIME] == {
        "v": 1,
        "session": bridge_session(kernel),
        "result_ids": [rid],
        "label": "hold",
    }
    assert re.fullmatch(r"[0-9a-f]{32}", bridge_session(kernel))
    display_id = shown["content"]["transient"]["display_id"]
    summary = summary_update(kernel, display_id)
    assert set(summary) == {"text/html", "text/plain"}
    assert "20/20 tasks done" in summary["text/plain"]
    assert "jp-AsyncResultSummary" in summary["text/html"]


def test_without_a_frontend_wait_interactive_keeps_the_tqdm_bar(kernel):
    kernel.execute(
        "import time\nar = lview.map_async(time.sleep, [0.01] * 4)\nar.wait_interactive()\n"
    )
    assert widget_opens(kernel, "ProgressModel") == []
    assert widget_opens(kernel, "FloatProgressModel")


def test_without_a_frontend_a_displayed_result_keeps_its_plain_repr(kernel):
    cell = run(kernel, "import time\nquiet = lview.map_async(time.sleep, [0.01] * 4)\nquiet\n")
    results = [
        m for m in iopub_of(kernel, "execute_result") if m["parent_header"].get("msg_id") == cell
    ]
    assert len(results) == 1
    assert results[0]["content"]["data"]["text/plain"].startswith("<AsyncMapResult(sleep)")
    assert displays_in(kernel, cell) == []


def test_widget_false_keeps_the_text_bar_even_with_a_frontend(kernel):
    kernel.open_comm()
    kernel.wait_for(lambda: kernel.comm_messages(), timeout=20)
    kernel.execute(
        "import time\nar = lview.map_async(time.sleep, [0.01] * 4)\nar.wait_interactive(widget=False)\n"
    )
    assert widget_opens(kernel, "ProgressModel") == []


def test_a_displayed_result_gets_a_widget_and_a_finished_one_its_summary(kernel, barrier):
    listening(kernel)
    cell = run(kernel, f"pending = lview.map_async(hold, [{barrier!r}] * 6)\npending\n")
    (shown,) = displays_in(kernel, cell)
    assert WIDGET_MIME in shown["content"]["data"]
    release(barrier)
    summary = summary_update(kernel, shown["content"]["transient"]["display_id"])
    assert "6/6 tasks done" in summary["text/plain"]

    cell = run(kernel, "pending\n")
    (again,) = displays_in(kernel, cell)
    assert WIDGET_MIME not in again["content"]["data"]
    assert "6/6 tasks done" in again["content"]["data"]["text/html"]


def test_failures_are_counted_and_the_first_error_is_named(kernel, barrier):
    listening(kernel)
    # held, so unfinished when the bar is made (a finished result gets its
    # summary at once, with no widget and no display id)
    kernel.execute(
        "def held_inverse(x, path):\n"
        "    import os, time\n"  # engines get the function, not the kernel's globals
        "    while not os.path.exists(path):\n"
        "        time.sleep(0.02)\n"
        "    return 1 / x\n"
    )
    cell = run_held(
        kernel,
        f"bad = lview.map_async(held_inverse, [1, 0, 2], [{barrier!r}] * 3)\n"
        "bad.wait_interactive()\n",
        barrier,
    )
    (shown,) = displays_in(kernel, cell)
    summary = summary_update(kernel, shown["content"]["transient"]["display_id"])
    assert "2/3 tasks done, 1 failed" in summary["text/plain"]
    assert "ZeroDivisionError" in summary["text/plain"]
    assert 'data-status="error"' in summary["text/html"]


def test_result_mode_gives_each_result_of_a_cell_its_own_bar(kernel, barrier):
    listening(kernel)
    cell = run(
        kernel,
        f"a = lview.map_async(hold, [{barrier!r}] * 4)\n"
        f"b = lview.apply_async(hold, {barrier!r})\n"
        "display(a)\ndisplay(b)\n",
    )
    shown = [m for m in displays_in(kernel, cell) if WIDGET_MIME in m["content"]["data"]]
    assert len(shown) == 2
    release(barrier)
    ids = {m["content"]["transient"]["display_id"] for m in shown}
    assert len(ids) == 2
    summaries = [summary_update(kernel, i)["text/plain"] for i in ids]
    assert sorted(s.split(": ")[1].split(",")[0] for s in summaries) == [
        "1/1 tasks done",
        "4/4 tasks done",
    ]


def test_cell_mode_aggregates_the_results_of_one_cell_into_one_bar(kernel, barrier):
    comm = kernel.open_comm()
    kernel.wait_for(lambda: kernel.comm_messages(), timeout=20)
    kernel.execute(HOLD)
    assert configure(kernel, comm, "cell")["value"] == {"progress": "cell"}
    cell = run(
        kernel,
        f"a = lview.map_async(hold, [{barrier!r}] * 4)\n"
        f"b = lview.apply_async(hold, {barrier!r})\n"
        "display(a)\ndisplay(b)\n",
    )
    shown = [m for m in displays_in(kernel, cell) if WIDGET_MIME in m["content"]["data"]]
    assert len(shown) == 1
    release(barrier)
    display_id = shown[0]["content"]["transient"]["display_id"]
    # the bar's own data follows the second result too
    (joined,) = [
        m["content"]["data"][PROGRESS_MIME]
        for m in iopub_of(kernel, "update_display_data")
        if m["content"]["transient"]["display_id"] == display_id
        and PROGRESS_MIME in m["content"]["data"]
    ]
    assert len(joined["result_ids"]) == 2
    assert joined["label"] == "hold"
    summary = summary_update(kernel, display_id)
    assert "5/5 tasks done" in summary["text/plain"]
    assert summary["text/plain"].startswith("hold")


def test_off_mode_and_a_bad_mode(kernel):
    comm = kernel.open_comm()
    kernel.wait_for(lambda: kernel.comm_messages(), timeout=20)
    assert configure(kernel, comm, "off")["value"] == {"progress": "off"}
    kernel.execute(
        "import time\nar = lview.map_async(time.sleep, [0.01] * 4)\nar.wait_interactive()\n"
    )
    assert widget_opens(kernel, "ProgressModel") == []
    reply = configure(kernel, comm, "sideways")
    assert reply["type"] == "error" and "progress mode" in reply["error"]


@pytest.mark.parametrize("magic", ["%%px --progress-after 0.2\nimport time; time.sleep(1.5)\n"])
def test_px_shows_the_widget_once_work_outlives_progress_after(kernel, magic):
    kernel.open_comm()
    kernel.wait_for(lambda: kernel.comm_messages(), timeout=20)
    kernel.execute("%px import time")
    cell = run(kernel, magic)
    (state,) = widget_opens(kernel, "ProgressModel")
    assert state["label"] == "%px"
    shown = [m for m in displays_in(kernel, cell) if WIDGET_MIME in m["content"]["data"]]
    summary = summary_update(kernel, shown[0]["content"]["transient"]["display_id"])
    assert "2/2 tasks done" in summary["text/plain"]


def test_abort_from_a_subshell_acts_while_the_cell_blocks_and_the_cell_then_ends(kernel):
    """The Abort button's path: a comm on its own subshell, as JupyterLab 4.6
    opens it, while the submitting cell blocks in wait_interactive()."""
    subshell = kernel.create_subshell()
    comm = kernel.open_comm(subshell_id=subshell)
    kernel.wait_for(lambda: kernel.comm_messages(comm), timeout=20)
    cell = kernel.start(
        "import time\nqueue = lview.map_async(time.sleep, [0.5] * 40)\nqueue.wait_interactive()\n"
    )
    (state,) = kernel.wait_for(lambda: widget_opens(kernel, "ProgressModel"), timeout=30)
    rid = state["result_ids"][0]
    time.sleep(1.0)
    request_id = uuid.uuid4().hex
    sent = time.monotonic()
    kernel.send_comm(
        comm,
        {"v": 1, "type": "request", "request_id": request_id, "op": "abort", "result_id": rid},
        subshell_id=subshell,
    )
    reply = kernel.wait_for(
        lambda: next(
            (d for _, d in kernel.comm_messages(comm) if d.get("reply_to") == request_id), None
        ),
        timeout=30,
    )
    answered = time.monotonic() - sent
    assert reply["type"] == "reply", reply
    # 40 tasks of 0.5 s on 2 engines take 10 s: an answer this soon came
    # while the cell still blocked, not after it
    assert answered < 5
    # and the map settles (ipyparallel alone would leave it pending forever)
    assert kernel.wait_reply(cell, timeout=30)["status"] == "ok"
    (shown,) = [m for m in iopub_of(kernel, "display_data") if WIDGET_MIME in m["content"]["data"]]
    summary = summary_update(kernel, shown["content"]["transient"]["display_id"])
    aborted = int(re.search(r"(\d+) aborted", summary["text/plain"]).group(1))
    assert aborted > 10


def test_get_of_an_aborted_map_raises_task_aborted_instead_of_hanging(kernel):
    kernel.execute(
        "import time\n"
        "from ipyparallel.error import TaskAborted\n"
        "m = lview.map_async(time.sleep, [0.3] * 20)\n"
        "time.sleep(0.5)\n"
        "m.abort()\n"
        "try:\n"
        "    m.get(timeout=30)\n"
        "    outcome = 'no error'\n"
        "except TaskAborted:\n"
        "    outcome = 'aborted'\n",
        timeout=60,
    )
    assert kernel.evaluate("outcome") == "aborted"
