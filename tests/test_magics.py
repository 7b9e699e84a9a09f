"""`%ar` and `%%ar` against a real cluster: in a kernel with JupyterLab
listening (the comm open), and in terminal IPython. Every count they show is
compared with what ipyparallel itself says about the same result."""

import json
import re
import subprocess
import sys

import pytest
from holding import HOLD, release

OUTPUTS_MIME = "application/vnd.jupyterlab-asyncresult.outputs+json"


def cell(kernel, code, timeout=120):
    """Run a cell; its stdout, stderr, display bundles and error (ename, evalue)."""
    msg_id = kernel.start(code)
    reply = kernel.wait_reply(msg_id, timeout=timeout)

    def mine():
        with kernel._lock:
            return [m for _, m in kernel.iopub if m["parent_header"].get("msg_id") == msg_id]

    kernel.wait_for(
        lambda: any(m["content"].get("execution_state") == "idle" for m in mine()), timeout=30
    )
    out = {"stdout": "", "stderr": "", "displays": [], "error": None, "tracebacks": 0}
    for m in mine():
        kind = m["header"]["msg_type"]
        if kind == "stream":
            out[m["content"]["name"]] += m["content"]["text"]
        elif kind in ("display_data", "execute_result"):
            out["displays"].append(m["content"]["data"])
        elif kind == "error":
            out["tracebacks"] += 1
    if reply["status"] == "error":
        out["error"] = (reply["ename"], reply["evalue"])
    return out


def one_line_error(out, *words):
    """The magic failed with a one-line UsageError naming `words`, no traceback."""
    assert out["tracebacks"] == 0, out
    lines = [line for line in out["stderr"].splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("UsageError: "), out
    for word in words:
        assert word in lines[0], (word, lines[0])


def table_rows(text):
    """The rows of an aligned `%ar list` table, by id."""
    rows = {}
    for line in text.splitlines()[2:]:
        cols = line.split()
        if cols and cols[0].startswith("#"):
            rows[cols[0]] = cols
    return rows


def list_row(kernel, ref_id):
    shown = cell(kernel, "%ar list")
    text = shown["displays"][-1]["text/plain"]
    row = table_rows(text)[ref_id]
    # id, name, "In", "[n]", done, failed, aborted, total, status, elapsed...
    return dict(zip(("done", "failed", "aborted", "total", "status"), row[4:9], strict=False))


@pytest.fixture()
def lab(kernel):
    """A kernel with JupyterLab listening (the bridge's comm open)."""
    kernel.open_comm()
    kernel.wait_for(lambda: kernel.comm_messages(), timeout=20)
    kernel.execute(HOLD)
    return kernel


def test_list_counts_a_failed_map_as_ipyparallel_does_and_renders_html(lab):
    assert "no AsyncResult yet" in cell(lab, "%ar list")["stdout"]
    reply = lab.execute(
        "def inv(x):\n    return 1 / (x - 3)\n"
        "amr = lview.map_async(inv, range(8))\n"
        "amr.wait()\n"
        "ok = lview.apply_async(abs, -2); ok.get()\n"
    )
    # ipyparallel's own per-task statuses (a map's get(return_exceptions=True)
    # raises instead of returning the exceptions: see issue 10)
    truth = lab.evaluate(
        "dict(failed=sum(md['status'] == 'error' for md in amr._metadata),"
        " total=len(amr), progress=amr.progress)"
    )
    shown = cell(lab, "%ar list")
    html = shown["displays"][-1]["text/html"]
    assert "<table" in html and "inv" in html
    rows = table_rows(shown["displays"][-1]["text/plain"])
    assert set(rows) == {"#1", "#2"}
    # the cell that made them, numbered as its own execute_reply numbers it
    assert rows["#1"][2:4] == ["In", f"[{reply['execution_count']}]"]
    first = list_row(lab, "#1")
    assert int(first["failed"]) == truth["failed"] == 1
    assert int(first["done"]) == truth["progress"] - truth["failed"]
    assert int(first["total"]) == truth["total"] == 8
    assert first["status"] == "failed"
    assert list_row(lab, "#2")["status"] == "done"


def test_pending_and_wait_follow_work_held_on_a_barrier(lab, barrier):
    lab.execute(f"held = lview.map_async(hold, [{barrier!r}] * 3)")
    lab.wait_for(lambda: lab.evaluate("held.progress") == 0, timeout=10)
    pending = cell(lab, "%ar pending")
    assert "#1" in table_rows(pending["displays"][-1]["text/plain"])
    row = list_row(lab, "#1")
    assert row["status"] in ("queued", "running") and int(row["done"]) == 0
    waited = cell(lab, "%ar wait held --timeout 0.3")
    assert "still running after 0.3 s" in waited["stdout"]
    assert lab.evaluate("held.ready()") is False
    release(barrier)
    done = cell(lab, "%ar wait -1")
    assert "3/3 done" in done["stdout"] and "(done)" in done["stdout"]
    assert lab.evaluate("held.ready() and held.successful()") is True
    assert "no pending AsyncResult" in cell(lab, "%ar pending")["stdout"]


def test_abort_of_queued_tasks_matches_what_ipyparallel_reports(lab, barrier):
    lab.execute(
        f"blockers = dview.apply_async(hold, {barrier!r}); started({barrier!r}, 2)\n"
        "queued = lview.map_async(abs, range(6))\n"
    )
    out = cell(lab, "%ar abort queued")
    assert "abort" in out["stdout"] and out["error"] is None, out
    release(barrier)
    lab.execute("blockers.get(timeout=60); queued.wait(60)")
    truth = lab.evaluate("sum(md['status'] == 'aborted' for md in queued._metadata)")
    assert truth > 0
    row = list_row(lab, "#2")
    assert int(row["aborted"]) == truth
    assert row["status"] == "aborted"
    # a finished result has nothing to abort: one line saying so
    one_line_error(cell(lab, "%ar abort queued"), "already finished", "nothing to abort")


def test_abort_all_aborts_every_queued_task_of_the_kernel(lab, barrier):
    lab.execute(
        f"blockers = dview.apply_async(hold, {barrier!r}); started({barrier!r}, 2)\n"
        "a = lview.map_async(abs, range(4))\nb = lview.apply_async(abs, 1)\n"
    )
    out = cell(lab, "%ar abort --all")
    assert "pending task(s)" in out["stdout"], out
    release(barrier)
    lab.execute("a.wait(60); b.wait(60)")
    statuses = lab.evaluate("[md['status'] for md in a._metadata + b._metadata]")
    assert set(statuses) == {"aborted"}, statuses
    assert "nothing pending" in cell(lab, "%ar abort --all")["stdout"]


def test_resubmit_failed_submits_only_the_failed_tasks(lab):
    lab.execute(
        "def picky(x):\n"
        "    if x == 2:\n"
        "        raise ValueError('bad item 2')\n"
        "    return x\n"
        "fl = lview.map_async(picky, range(4)); fl.wait(60)\n"
    )
    out = cell(lab, "%ar resubmit fl --failed")
    match = re.search(r"resubmitted (\d+) task\(s\) of #1 as #(\d+)", out["stdout"])
    assert match, out
    assert int(match.group(1)) == 1
    again = cell(lab, f"%ar wait #{match.group(2)} --timeout 60")
    assert "0/1 done, 1 failed (failed)" in again["stdout"], again
    one_line_error(cell(lab, "%ar resubmit ok --failed"), "names no AsyncResult")
    lab.execute("okr = lview.apply_async(abs, 1); okr.get()")
    one_line_error(cell(lab, "%ar resubmit okr --failed"), "no failed or aborted task")


def test_stats_agree_with_ipyparallel_times_and_engines(lab):
    lab.execute("import time\nst = lview.map_async(time.sleep, [0.05] * 6); st.wait(60)")
    truth = lab.evaluate(
        "dict(wall=st.wall_time, serial=st.serial_time, "
        "engines={str(e): st.engine_id.count(e) for e in set(st.engine_id)})"
    )
    out = cell(lab, "%ar stats st")
    text = out["displays"][-1]["text/plain"]
    assert "<table" in out["displays"][-1]["text/html"]
    wall = re.search(r"wall time: ([\d.]+) s", text)
    serial = re.search(r"serial time: ([\d.]+) s", text)
    assert abs(float(wall.group(1)) - truth["wall"]) < 0.051
    assert abs(float(serial.group(1)) - truth["serial"]) < 0.051
    speedup = float(re.search(r"speed-up: ([\d.]+)x", text).group(1))
    assert abs(speedup - truth["serial"] / truth["wall"]) < 0.01
    rows = {
        cols[0]: int(cols[1])
        for cols in (line.split() for line in text.split("engine  tasks")[1].splitlines()[2:])
        if cols
    }
    assert rows == truth["engines"]


def test_timeline_draws_one_row_per_engine_that_ran_work(lab):
    lab.execute("import time\ntl = lview.map_async(time.sleep, [0.05] * 6); tl.wait(60)")
    engines = lab.evaluate("sorted(set(tl.engine_id))")
    out = cell(lab, "%ar timeline tl")
    text = out["displays"][-1]["text/plain"]
    rows = re.findall(r"^engine +(\d+) \|", text, re.M)
    assert [int(r) for r in rows] == engines
    assert "<svg" in out["displays"][-1]["text/html"]
    assert text.count("#") >= len(engines)


def test_queue_shows_each_engine_as_queue_status_does(lab, barrier):
    lab.execute(f"qb = dview.apply_async(hold, {barrier!r})")
    truth = lab.evaluate("{str(k): v for k, v in rc.queue_status().items()}")
    out = cell(lab, "%ar queue")
    text = out["displays"][-1]["text/plain"]
    for engine in ("0", "1"):
        line = next(ln for ln in text.splitlines() if ln.split()[:1] == [engine])
        cols = [int(c) for c in line.split()]
        assert cols[1] == truth[engine]["queue"] and cols[1] >= 1
    release(barrier)
    lab.execute("qb.get(timeout=60)")


def test_outputs_merge_first_and_engine_filter(lab):
    """With JupyterLab listening, %ar outputs shows the grouped view: its
    text/plain (what other frontends read) is the text drawn here."""
    lab.execute(
        "ex = dview.execute('print(\"same everywhere\")'); ex.wait(60); ex.wait_for_output(10)"
    )

    def shown(out, groupby):
        (bundle,) = out["displays"]
        assert bundle[OUTPUTS_MIME]["groupby"] == groupby
        assert out["stdout"] == ""
        return bundle["text/plain"]

    merged = shown(cell(lab, "%ar outputs ex --group-outputs merge"), "merge")
    assert merged.count("same everywhere") == 1
    assert "[stdout:0-1]" in merged
    first = shown(cell(lab, "%ar outputs ex --group-outputs first"), "first")
    assert first.count("same everywhere") == 1
    assert "1 more engine(s) hidden" in first
    only = cell(lab, "%ar outputs ex --engines 1")
    assert [t["engine_id"] for t in only["displays"][0][OUTPUTS_MIME]["tasks"]] == [1]
    only = shown(only, "type")
    assert "[stdout:1]" in only and "[stdout:0]" not in only
    # plain type grouping is ipyparallel's own text
    theirs = shown(cell(lab, "ex.display_outputs('type')"), "type")
    ours = shown(cell(lab, "%ar outputs ex"), "type")
    assert ours == theirs != ""
    one_line_error(cell(lab, "%ar outputs ex --engines 7"), "engine(s) 7")
    one_line_error(cell(lab, "%ar outputs ex --engines x"), "engine ids")


def test_refs_by_id_label_variable_and_position_and_their_errors(lab):
    lab.execute(
        "r1 = lview.apply_async(abs, -1); r1.get()\nr2 = lview.apply_async(abs, -2); r2.get()\n"
    )
    for ref in ("#1", "1", "r1", "-2"):
        assert "#1 abs" in cell(lab, f"%ar wait {ref}")["stdout"], ref
    assert "#2 abs" in cell(lab, "%ar wait -1")["stdout"]
    one_line_error(cell(lab, "%ar wait #9"), "no result #9")
    one_line_error(cell(lab, "%ar wait -5"), "-1 to -2")
    one_line_error(cell(lab, "%ar stats nothing_here"), "names no AsyncResult", "%ar list")
    lab.execute(
        "%%ar --label twin --progress off\n"
        "t1 = lview.apply_async(abs, 1); t2 = lview.apply_async(abs, 2); t1.get(); t2.get()\n"
    )
    one_line_error(cell(lab, "%ar stats twin"), "names 2 results", "#3", "#4")
    one_line_error(cell(lab, "%ar frobnicate"), "invalid choice")


def test_cell_magic_label_reaches_ipyparallel_and_the_bridge(lab):
    lab.execute(
        "%%ar --label nightly --progress off\nlab1 = lview.map_async(abs, range(3)); lab1.wait(60)\n"
    )
    assert lab.evaluate(
        "sorted(set(lab1.label)) if isinstance(lab1.label, list) else [lab1.label]"
    ) == ["nightly"]
    assert "#1 nightly" in cell(lab, "%ar wait nightly")["stdout"]
    comm = lab.open_comm()
    snapshot = lab.wait_for(
        lambda: next((d for _, d in lab.comm_messages(comm) if d.get("type") == "snapshot"), None),
        timeout=20,
    )
    labels = [r.get("label") for r in snapshot["results"]]
    assert "nightly" in labels


def test_cell_magic_abort_on_error_aborts_the_queued_rest(lab, barrier):
    lab.execute("def fail_fast(x):\n    raise RuntimeError('first failure')\n")
    out = cell(
        lab,
        "%%ar --abort-on-error --progress off\n"
        f"busy = rc[0].apply_async(hold, {barrier!r}); started({barrier!r}, 1)\n"
        "rest = rc[0].map_async(abs, range(4))\n"
        "bad = rc[1].apply_async(fail_fast, 0)\n"
        "bad.wait(30)\n",
    )
    # said once the engines acknowledged the abort: nothing queued can start now
    assert "a task failed: asked the engines to abort" in out["stderr"], out
    release(barrier)
    lab.execute("busy.get(timeout=60); rest.wait(60)")
    statuses = lab.evaluate("[md['status'] for md in rest._metadata]")
    assert set(statuses) == {"aborted"}, statuses
    assert lab.evaluate("busy.successful()") is True


def test_progress_and_cell_magic_show_our_widget_in_jupyterlab(lab, barrier):
    lab.execute(f"pw = lview.map_async(hold, [{barrier!r}] * 2)")
    out = cell(lab, "%ar progress pw")
    widget = "application/vnd.jupyter.widget-view+json"
    assert any(widget in d for d in out["displays"]), out
    release(barrier)
    lab.execute("pw.wait(60)")
    out = cell(lab, "%%ar --label shown\nsh = lview.apply_async(abs, 3)\n")
    assert any(widget in d or "text/html" in d for d in out["displays"]), out


def test_help_completion_and_no_cluster(kernel):
    kernel.execute(HOLD)
    helped = cell(kernel, "%ar --help")
    assert "abort" in helped["stdout"] and helped["error"] is None
    sub = cell(kernel, "%ar abort --help")
    assert "--all" in sub["stdout"] and sub["error"] is None
    kernel.execute("cr = lview.apply_async(abs, 1); cr.get()")
    assert "abort" in kernel.evaluate("get_ipython().complete('', '%ar ab')[1]")
    refs = kernel.evaluate("get_ipython().complete('', '%ar stats ')[1]")
    assert "#1" in refs and "cr" in refs
    kernel.execute("rc.close()")
    one_line_error(cell(kernel, "%ar queue"), "no ipyparallel Client")


def test_a_closed_client_gets_one_line(lab, barrier):
    lab.execute(f"cl = lview.apply_async(hold, {barrier!r})")
    lab.execute("rc.close()")
    one_line_error(cell(lab, "%ar abort cl"), "is closed", "ipp.Client()")
    release(barrier)


TERMINAL_SCRIPT = """
import ipyparallel as ipp
rc = ipp.Client(profile_dir={profile_dir!r}, cluster_id={cluster_id!r})
rc.wait_for_engines(2, timeout=60)
lview = rc.load_balanced_view()
def inv(x):
    return 1 / (x - 3)
amr = lview.map_async(inv, range(6))
amr.wait(60)
ip = get_ipython()
for line in {commands!r}:
    print("=== " + line, flush=True)
    ip.run_cell(line)
    import sys; sys.stderr.flush(); sys.stdout.flush()
rc.close()
"""


def test_terminal_ipython_gets_aligned_text_and_one_line_errors(cluster, tmp_path):
    c, _ = cluster
    commands = [
        "%ar list",
        "%ar stats -1",
        "%ar timeline",
        "%ar queue",
        "%ar abort -1",
        "%ar nosuch_ref_here",
        "%ar progress -1",
        "%%ar --label term\nx = lview.apply_async(abs, -4)\nx.wait(30)",
        "%ar wait term",
    ]
    script = tmp_path / "magics.ipy"
    script.write_text(
        TERMINAL_SCRIPT.format(
            profile_dir=c.profile_dir, cluster_id=c.cluster_id, commands=commands
        )
    )
    proc = subprocess.run(
        [sys.executable, "-m", "IPython", "--no-banner", "--colors=NoColor", str(script)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=180,
        cwd=tmp_path,
    )
    out = proc.stdout
    sections = dict((part.split("\n", 1) + [""])[:2] for part in out.split("=== ")[1:])
    listing = sections["%ar list"]
    assert "<table" not in listing
    row = table_rows(listing)["#1"]
    assert row[1] == "inv" and row[4:9] == ["5", "1", "0", "6", "failed"], listing
    assert "wall time:" in sections["%ar stats -1"]
    assert re.search(r"^engine +\d+ \|", sections["%ar timeline"], re.M)
    assert "completed" in sections["%ar queue"]
    assert "UsageError: #1 already finished" in sections["%ar abort -1"]
    assert "UsageError:" in sections["%ar nosuch_ref_here"]
    assert "Traceback" not in out, out
    assert "#1 inv: 5/6 done, 1 failed (failed)" in sections["%ar progress -1"]
    assert "#2 term: 1/1 done (done)" in sections["%ar wait term"], sections
    assert proc.returncode == 0, out
    json.dumps(sections)  # every section is text
