"""What the `%ar` magics show: tables, statistics and timelines.

Each report is a mime bundle: `text/html` for JupyterLab and `text/plain`,
aligned for a terminal, for everything else (and for saved notebooks read
without HTML). Every name and label is escaped and cut to a bounded width,
since they come from user code and may be anything.
"""

from __future__ import annotations

import html
import time

from .book import STATUSES
from .records import epoch_seconds, peek

MAX_NAME = 40
TIMELINE_WIDTH = 60


def clip(text, width=MAX_NAME):
    """One printable line of at most `width` characters."""
    text = "".join(c if c.isprintable() else "\ufffd" for c in str(text))
    return text if len(text) <= width else text[: width - 1] + "\u2026"


def duration(seconds):
    """`0.4 s`, `12 s`, `3 min 05 s`, `2 h 04 min`; `-` when unknown."""
    if seconds is None:
        return "-"
    if seconds < 10:
        return f"{seconds:.1f} s"
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def table(headers, rows, numeric=()):
    """A bundle of a table: an HTML table and the same, aligned, as text."""
    cells = [[clip(c, 200) for c in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]

    def line(values):
        parts = []
        for i, v in enumerate(values):
            parts.append(v.rjust(widths[i]) if i in numeric else v.ljust(widths[i]))
        return "  ".join(parts).rstrip()

    text = "\n".join([line(headers), line(["-" * w for w in widths])] + [line(r) for r in cells])
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td style="text-align: {"right" if i in numeric else "left"}">{html.escape(v)}</td>'
            for i, v in enumerate(r)
        )
        + "</tr>"
        for r in cells
    )
    markup = (
        '<table class="jp-AsyncResultMagic-table">'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )
    return {"text/plain": text, "text/html": markup}


def results_table(entries):
    """`%ar list`: one row per result."""
    headers = ["id", "name", "cell", "done", "failed", "aborted", "total", "status", "elapsed"]
    rows = []
    for entry in entries:
        s = entry.summary()
        c = s["counts"]
        rows.append(
            [
                f"#{entry.id}",
                clip(entry.title),
                f"In [{entry.cell}]" if entry.cell is not None else "-",
                str(c["done"]),
                str(c["failed"]),
                str(c["aborted"]),
                str(s["total"]),
                s["status"],
                duration(s["elapsed"]),
            ]
        )
    return table(headers, rows, numeric={3, 4, 5, 6, 8})


def _tasks(ar):
    """(engine id, started, completed, status) of each task, in seconds."""
    from .records import task_status

    metadata = peek(ar, "_metadata") or []
    children = peek(ar, "_children") or []
    out = []
    for i, md in enumerate(metadata):
        future = children[i] if i < len(children) else None
        engine = md.get("engine_id")
        if isinstance(engine, list):
            engine = engine[0] if engine else None
        out.append(
            (
                engine,
                epoch_seconds(md.get("submitted")),
                epoch_seconds(md.get("started")),
                epoch_seconds(md.get("completed")),
                task_status(md, future),
            )
        )
    return out


def stats(entry):
    """`%ar stats`: times, speed-up and what each engine did."""
    ar = entry.result
    tasks = _tasks(ar)
    ready = ar.ready()
    submitted = [t[1] for t in tasks if t[1] is not None]
    serial = sum(t[3] - t[2] for t in tasks if t[2] is not None and t[3] is not None)
    wall = None
    if ready:
        try:
            wall = ar.wall_time
            serial = ar.serial_time
        except Exception:
            pass
    elapsed = ar.elapsed if not ready else wall
    if elapsed is None and submitted:
        elapsed = time.time() - min(submitted)
    per_engine = {}
    for engine, _sub, start, end, status in tasks:
        if engine is None:
            continue
        row = per_engine.setdefault(engine, {"tasks": 0, "failed": 0, "busy": 0.0})
        row["tasks"] += 1
        row["failed"] += status == "error"
        if start is not None:
            row["busy"] += (end if end is not None else time.time()) - start
    speedup = serial / wall if wall else None
    facts = [
        ("result", f"#{entry.id} {clip(entry.title)}"),
        ("status", entry.summary()["status"]),
        ("elapsed", duration(elapsed)),
        ("wall time", duration(wall) if ready else "- (still running)"),
        ("serial time", duration(serial) + ("" if ready else " so far")),
        ("speed-up", f"{speedup:.2f}x" if speedup else "-"),
    ]
    text_facts = "\n".join(f"{k:>12}: {v}" for k, v in facts)
    engines = table(
        ["engine", "tasks", "failed", "busy"],
        [
            [str(e), str(r["tasks"]), str(r["failed"]), duration(r["busy"])]
            for e, r in sorted(per_engine.items())
        ],
        numeric={0, 1, 2, 3},
    )
    html_facts = "".join(
        f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in facts
    )
    return {
        "text/plain": text_facts + "\n\n" + engines["text/plain"],
        "text/html": f"<table>{html_facts}</table>" + engines["text/html"],
    }


_MARKS = {"done": "#", "error": "x", "aborted": "a", "running": ">"}
_COLOURS = {
    "done": "var(--jp-success-color1, #388e3c)",
    "error": "var(--jp-error-color1, #d32f2f)",
    "aborted": "var(--jp-warn-color1, #f57c00)",
    "running": "var(--jp-brand-color1, #1976d2)",
}


def timeline(entries):
    """`%ar timeline`: which engine ran which task, when."""
    spans = []
    for entry in entries:
        ar = entry.result
        if ar is None:
            continue
        now = time.time()
        for engine, _submitted, start, end, status in _tasks(ar):
            if engine is None or start is None:
                continue
            spans.append((engine, start, end if end is not None else now, status, entry.id))
    if not spans:
        text = "no task has started yet"
        return {"text/plain": text, "text/html": f"<p>{html.escape(text)}</p>"}
    t0 = min(s[1] for s in spans)
    t1 = max(max(s[2] for s in spans), t0 + 1e-3)
    scale = TIMELINE_WIDTH / (t1 - t0)
    engines = sorted({s[0] for s in spans})
    lines = []
    for engine in engines:
        row = [" "] * TIMELINE_WIDTH
        for e, start, end, status, _rid in spans:
            if e != engine:
                continue
            a = min(int((start - t0) * scale), TIMELINE_WIDTH - 1)
            b = max(a + 1, min(int((end - t0) * scale + 0.999), TIMELINE_WIDTH))
            for i in range(a, b):
                # a failure stays visible where tasks share a column
                if row[i] in (" ", "#", ">") or status == "error":
                    row[i] = _MARKS.get(status, "?")
        lines.append(f"engine {engine:>3} |{''.join(row)}|")
    axis = f"{'':>10} 0{duration(t1 - t0):>{TIMELINE_WIDTH}}"
    legend = "# done  x failed  a aborted  > running"
    text = "\n".join(lines + [axis, legend])
    return {"text/plain": text, "text/html": _timeline_svg(spans, engines, t0, t1)}


def _timeline_svg(spans, engines, t0, t1):
    row_h, left, width = 18, 70, 600
    height = row_h * len(engines) + 24
    index = {e: i for i, e in enumerate(engines)}
    scale = width / (t1 - t0)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 10}" height="{height}" '
        'class="jp-AsyncResultMagic-timeline" role="img" aria-label="per-engine timeline">'
    ]
    for engine, i in index.items():
        y = i * row_h
        parts.append(
            f'<text x="0" y="{y + 13}" style="fill: var(--jp-ui-font-color1); '
            f'font-size: var(--jp-ui-font-size1)">engine {int(engine)}</text>'
        )
    for engine, start, end, status, rid in spans:
        x = left + (start - t0) * scale
        w = max((end - start) * scale, 1.0)
        y = index[engine] * row_h + 2
        parts.append(
            f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{row_h - 4}" '
            f'style="fill: {_COLOURS.get(status, "var(--jp-layout-color3)")}">'
            f"<title>#{rid} {html.escape(status)} {duration(end - start)}</title></rect>"
        )
    y = len(engines) * row_h + 16
    parts.append(
        f'<text x="{left}" y="{y}" style="fill: var(--jp-ui-font-color2); '
        f'font-size: var(--jp-ui-font-size0)">0 s</text>'
        f'<text x="{left + width}" y="{y}" text-anchor="end" style="fill: '
        f'var(--jp-ui-font-color2); font-size: var(--jp-ui-font-size0)">'
        f"{html.escape(duration(t1 - t0))}</text></svg>"
    )
    return "".join(parts)


def queue_table(status):
    """`%ar queue`: each engine's queue as `Client.queue_status()` gives it."""
    rows = []
    for engine in sorted(k for k in status if isinstance(k, int)):
        s = status[engine]
        rows.append(
            [
                str(engine),
                str(s.get("queue", 0)),
                str(s.get("tasks", 0)),
                str(s.get("completed", 0)),
            ]
        )
    # the hub counts a task as queued on its engine until it completes,
    # running or not: "queue" for direct views, "tasks" for load-balanced ones
    bundle = table(
        ["engine", "direct (queued or running)", "balanced (queued or running)", "completed"],
        rows,
        numeric={0, 1, 2, 3},
    )
    unassigned = status.get("unassigned", 0)
    note = f"load-balanced tasks waiting for an engine: {unassigned}"
    bundle["text/plain"] += "\n" + note
    bundle["text/html"] += f"<p>{html.escape(note)}</p>"
    return bundle


def counts_line(entry):
    """One line: `#3 f: 12/40 done, 1 failed, 27 queued (running)`."""
    s = entry.summary()
    c = s["counts"]
    parts = [f"{c['done']}/{s['total']} done"]
    parts += [f"{c[k]} {k}" for k in STATUSES[1:] if c[k]]
    return f"#{entry.id} {clip(entry.title)}: {', '.join(parts)} ({s['status']})"
