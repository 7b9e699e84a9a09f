"""`%ar outputs`: a result's outputs as text, grouped.

`type`, `engine` and `order` on a finished result with no engine filter are
ipyparallel's own `display_outputs`, word for word. Everything else (an
engine filter, a result still running, and the groupings ipyparallel lacks:
`merge` shows identical outputs of several engines once, `first` shows one
engine's) is drawn here in the same `[stdout:3]` style.
"""

from __future__ import annotations

import sys

from IPython.core.error import UsageError

from .records import peek

GROUPINGS = ("type", "engine", "order", "merge", "first")


def engine_ranges(ids):
    """`0-3,5` for [0, 1, 2, 3, 5]."""
    ids = sorted(set(ids))
    parts = []
    start = prev = None
    for i in ids:
        if start is None:
            start = prev = i
        elif i == prev + 1:
            prev = i
        else:
            parts.append(f"{start}" if start == prev else f"{start}-{prev}")
            start = prev = i
    if start is not None:
        parts.append(f"{start}" if start == prev else f"{start}-{prev}")
    return ",".join(parts)


def _tasks(ar):
    """Each task's engine and outputs, in submission order."""
    out = []
    for md in peek(ar, "_metadata") or []:
        engine = md.get("engine_id")
        if isinstance(engine, list):
            engine = engine[0] if engine else None
        result = md.get("execute_result")
        error = md.get("error")
        out.append(
            {
                "engine": engine,
                "stdout": md.get("stdout") or "",
                "stderr": md.get("stderr") or "",
                "outputs": list(md.get("outputs") or []),
                "result": result,
                "error": f"{getattr(error, 'ename', type(error).__name__)}: "
                f"{getattr(error, 'evalue', error)}"
                if error is not None
                else None,
            }
        )
    return out


def _text_of(result):
    data = (result or {}).get("data") or {}
    return str(data.get("text/plain", ""))


class _Printer:
    """Prints streams with a `[stdout:N]` prefix, once per change of prefix."""

    def __init__(self):
        self.last = None

    def stream(self, text, prefix, file=None):
        if not text:
            return
        file = file or sys.stdout
        if prefix != self.last:
            print(prefix, file=file)
            self.last = prefix
        print(text, end="" if text.endswith("\n") else "\n", file=file)

    def display(self, content, label):
        self.last = None
        print(f"[output:{label}]")
        try:
            from IPython import get_ipython

            ip = get_ipython()
        except ImportError:
            ip = None
        data = content.get("data") or {}
        if ip is not None:
            ip.display_pub.publish(data=data, metadata=content.get("metadata") or {})
        else:
            print(data.get("text/plain", ""))

    def result(self, result, label):
        self.last = None
        count = (result or {}).get("execution_count")
        prefix = f"Out[{label}:{count}]: " if count is not None else f"Out[{label}]: "
        print(prefix + _text_of(result))

    def error(self, text, label):
        self.last = None
        print(f"[{label}:error] {text}", file=sys.stderr)


def _draw(groups, groupby):
    """Print groups: (label, stdout, stderr, outputs, result, error)."""
    p = _Printer()
    if groupby in ("engine", "first"):
        for label, stdout, stderr, outputs, result, error in groups:
            p.stream(stdout, f"[stdout:{label}]")
            p.stream(stderr, f"[stderr:{label}]", sys.stderr)
            for o in outputs:
                p.display(o, label)
            if result is not None:
                p.result(result, label)
            if error:
                p.error(error, label)
        return
    for label, stdout, *_ in groups:
        p.stream(stdout, f"[stdout:{label}]")
    for label, _o, stderr, *_ in groups:
        p.stream(stderr, f"[stderr:{label}]", sys.stderr)
    if groupby == "order":
        n = max((len(g[3]) for g in groups), default=0)
        for i in range(n):
            for label, _o, _e, outputs, *_ in groups:
                if i < len(outputs):
                    p.display(outputs[i], label)
    else:
        for label, _o, _e, outputs, *_ in groups:
            for o in outputs:
                p.display(o, label)
    for label, *_rest, result, error in groups:
        if result is not None:
            p.result(result, label)
        if error:
            p.error(error, label)


def _merged(tasks):
    """Tasks with identical outputs folded into one group labelled `0-3`."""
    groups = {}
    for t in tasks:
        key = (
            t["stdout"],
            t["stderr"],
            tuple(repr(sorted((o.get("data") or {}).items())) for o in t["outputs"]),
            _text_of(t["result"]) if t["result"] is not None else None,
            t["error"],
        )
        groups.setdefault(key, []).append(t)
    out = []
    for members in groups.values():
        t = members[0]
        label = engine_ranges(m["engine"] for m in members if m["engine"] is not None) or "?"
        out.append((label, t["stdout"], t["stderr"], t["outputs"], t["result"], t["error"]))
    return out


def show_outputs(ar, groupby="type", engines=None, stream=False):
    """Print the outputs of `ar` grouped by `groupby`, optionally live."""
    if groupby not in GROUPINGS:
        raise UsageError(f"--group-outputs takes one of {', '.join(GROUPINGS)}")
    if stream and not ar.ready():
        try:
            with ar.stream_output():
                ar.wait()
        except KeyboardInterrupt:
            print("stopped streaming; the work goes on", file=sys.stderr)
            return
        ar.wait_for_output()
        if not engines and groupby in ("type", "engine", "order"):
            ar.display_outputs(groupby, result_only=True)
            return
    if ar.ready() and not engines and groupby in ("type", "engine", "order"):
        ar.wait_for_output()
        ar.display_outputs(groupby)
        return
    tasks = _tasks(ar)
    if engines:
        tasks = [t for t in tasks if t["engine"] in engines]
        if not tasks:
            raise UsageError(f"no task of this result ran on engine(s) {engine_ranges(engines)}")
    if groupby == "merge":
        groups = _merged(tasks)
        _draw(groups, "type")
    elif groupby == "first":
        ran = [t for t in tasks if t["engine"] is not None] or tasks
        first = min(ran, key=lambda t: t["engine"] if t["engine"] is not None else 1 << 30)
        hidden = len({t["engine"] for t in ran} - {first["engine"]})
        t = first
        _draw(
            [(t["engine"], t["stdout"], t["stderr"], t["outputs"], t["result"], t["error"])],
            "first",
        )
        if hidden:
            print(f"(outputs of {hidden} more engine(s) hidden: --group-outputs merge shows all)")
    else:
        groups = [
            (t["engine"], t["stdout"], t["stderr"], t["outputs"], t["result"], t["error"])
            for t in tasks
        ]
        _draw(groups, groupby)
    if not ar.ready():
        left = sum(1 for md in peek(ar, "_metadata") or [] if md.get("status") is None)
        print(f"(still running: {left} task(s) not finished; --stream follows them)")
