"""The static summary that replaces a progress widget when its work ends.

It is plain `text/html` + `text/plain`, so a saved notebook shows the outcome
with no kernel and no widget manager: in JupyterLab, nbconvert and GitHub.
"""

from __future__ import annotations

import html

from .sanitize import sanitize


def _duration(seconds):
    if seconds is None:
        return None
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, seconds = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def summary_parts(label, tally):
    """The sentences of a summary, shared by its HTML and plain text."""
    counts = tally["counts"]
    total = tally["total"]
    done = counts.get("done", 0)
    failed = counts.get("error", 0)
    aborted = counts.get("aborted", 0)
    unfinished = total - done - failed - aborted
    parts = [f"{done}/{total} tasks done"]
    if failed:
        parts.append(f"{failed} failed")
    if aborted:
        parts.append(f"{aborted} aborted")
    if unfinished > 0:
        parts.append(f"{unfinished} unfinished")
    elapsed = tally.get("elapsed")
    if elapsed is not None:
        parts.append(_duration(elapsed))
        if elapsed > 0 and done + failed:
            parts.append(f"{(done + failed) / elapsed:.1f} tasks/s")
    if tally.get("engines"):
        n = len(tally["engines"])
        parts.append(f"{n} engine{'s' if n != 1 else ''}")
    if failed:
        status = "error"
    elif aborted:
        status = "aborted"
    elif unfinished > 0:
        status = "unfinished"
    else:
        status = "done"
    return status, parts


def summary_bundle(label, tally):
    """A mime bundle (text/html and text/plain) describing finished work."""
    status, parts = summary_parts(label, tally)
    error = tally.get("first_error")
    plain = f"{label}: " + ", ".join(parts)
    rows = [
        f'<div class="jp-AsyncResultSummary" data-status="{status}">',
        f'<span class="jp-AsyncResultSummary-label"><strong>{html.escape(label)}</strong></span>: ',
        html.escape(", ".join(parts)),
    ]
    if error:
        where = f" (engine {error['engine_id']})" if error.get("engine_id") is not None else ""
        first = f"first error{where}: {error['ename']}: {error['evalue']}"
        plain += "\n" + first
        rows.append(f'<div class="jp-AsyncResultSummary-error">{html.escape(first)}</div>')
    rows.append("</div>")
    # names and error texts come from user code: keep them encodable
    return sanitize({"text/html": "".join(rows), "text/plain": plain})
