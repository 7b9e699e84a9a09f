"""Results as they cross the bridge: a text repr, plus the value itself when
it is JSON, both capped so a huge result cannot flood the comm."""

import json
import math

from .records import error_info, task_record

MAX_REPR = 100_000
MAX_JSON = 1_000_000


def _json_safe(value):
    """Whether json.dumps would keep the value as it is (no NaN, no tuples
    silently becoming lists, no non-string keys)."""
    if value is None or isinstance(value, (bool, str)):
        return True
    if isinstance(value, int):
        return True
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, list):
        return all(_json_safe(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _json_safe(v) for k, v in value.items())
    return False


# what a frontend may ask for when it wants a value "in full"
MAX_FULL = 50_000_000


def _rich_bundle(value, max_size):
    """IPython's rich reprs of the value (text/html, image/png, ...) other
    than text/plain, each dropped when larger than `max_size`."""
    try:
        from IPython import get_ipython

        ip = get_ipython()
        if ip is None:
            return {}
        data, _ = ip.display_formatter.format(value)
    except Exception:  # a broken _repr_*_ must not break the bridge
        return {}
    bundle = {}
    for mime, content in data.items():
        if mime == "text/plain":
            continue
        if isinstance(content, (str, dict, list)) and len(json.dumps(content)) <= max_size:
            bundle[mime] = content
    return bundle


def encode_value(value, max_repr=MAX_REPR, max_json=MAX_JSON):
    """{"repr": text, "repr_truncated": bool, "json": value?, "json_truncated": bool,
    "bundle": {mime: data}} where bundle holds IPython's rich reprs, if any."""
    try:
        text = repr(value)
    except Exception as e:  # a broken __repr__ must not break the bridge
        text = f"<repr failed: {type(e).__name__}: {e}>"
    encoded = {
        "repr": text[:max_repr],
        "repr_truncated": len(text) > max_repr,
        "json_truncated": False,
        "bundle": _rich_bundle(value, max_repr),
    }
    try:
        safe = _json_safe(value)
    except RecursionError:
        safe = False
    if safe:
        dumped = json.dumps(value)
        if len(dumped) <= max_json:
            encoded["json"] = value
        else:
            encoded["json_truncated"] = True
    return encoded


MAX_STREAM = 100_000
MAX_OUTPUTS = 50
MAX_OUTPUT_BYTES = 2_000_000


def _cut(text, start):
    """The stream from `start` (at most MAX_STREAM characters, and whether
    more follows), or with no start its last MAX_STREAM characters."""
    text = text or ""
    if start is None:
        if len(text) <= MAX_STREAM:
            return text, False
        return text[-MAX_STREAM:], True
    part = text[start : start + MAX_STREAM]
    return part, len(text) - start > MAX_STREAM


def _bundle(content):
    if not content:
        return None
    return {
        "data": dict(content.get("data") or {}),
        "metadata": dict(content.get("metadata") or {}),
    }


def engine_hints(ar):
    """Each task's engine as the result was sent (`ar._targets` of a
    DirectView), for tasks whose metadata does not name it yet: a running
    task's metadata only learns its engine from the reply."""
    targets = getattr(ar, "_targets", None)
    n = len(getattr(ar, "msg_ids", None) or [])
    if isinstance(targets, list) and len(targets) == n and all(isinstance(t, int) for t in targets):
        return targets
    return [None] * n


def task_outputs(msg_id, md, offsets=None, engine_hint=None):
    """One task's stdout, stderr, displays and execute_result from its
    Client metadata, each capped: streams keep their tail (or, given
    `offsets` {"stdout": n, "stderr": n}, what follows those offsets),
    displays stop at MAX_OUTPUTS or MAX_OUTPUT_BYTES, with markers."""
    offsets = offsets or {}
    stdout, stdout_cut = _cut(md.get("stdout"), offsets.get("stdout"))
    stderr, stderr_cut = _cut(md.get("stderr"), offsets.get("stderr"))
    outputs, size, outputs_cut = [], 0, False
    for content in md.get("outputs") or []:
        bundle = _bundle(content)
        size += len(json.dumps(bundle, default=str))
        if len(outputs) >= MAX_OUTPUTS or size > MAX_OUTPUT_BYTES:
            outputs_cut = True
            break
        outputs.append(bundle)
    engine_id = md.get("engine_id")
    return {
        # the Client fills md["msg_id"] only when the reply comes
        "msg_id": msg_id,
        "engine_id": engine_id if isinstance(engine_id, int) else engine_hint,
        "stdout": stdout,
        "stdout_truncated": stdout_cut,
        "stdout_total": len(md.get("stdout") or ""),
        "stderr": stderr,
        "stderr_truncated": stderr_cut,
        "stderr_total": len(md.get("stderr") or ""),
        "outputs": outputs,
        "outputs_truncated": outputs_cut,
        "execute_result": _result_bundle(md.get("execute_result")),
    }


def _result_bundle(content):
    """An execute_result with its execution_count, which display_outputs
    shows as the `Out[engine:count]:` prompt."""
    bundle = _bundle(content)
    if bundle is not None:
        count = content.get("execution_count")
        bundle["execution_count"] = count if isinstance(count, int) else None
    return bundle


_TIMES = ("submitted", "started", "completed", "received")


def _plain(value):
    """A JSON-safe copy of a message content (dates and odd types as text)."""
    try:
        return json.loads(json.dumps(value, default=str))
    except (TypeError, ValueError, RecursionError):
        return repr(value)


def full_metadata(msg_id, md):
    """All of one task's ipyparallel metadata as the protocol carries it."""
    small = task_record(msg_id, md, None)
    outputs = task_outputs(msg_id, md)
    error = md.get("error")
    out = {
        "msg_id": msg_id,
        "engine_id": md.get("engine_id"),
        "engine_uuid": md.get("engine_uuid"),
        "status": md.get("status"),
        "error": error_info(error) if error is not None else None,
        "stdout": outputs["stdout"],
        "stderr": outputs["stderr"],
        "outputs": outputs["outputs"],
        "execute_input": md.get("execute_input"),
        "execute_result": _plain(md.get("execute_result")),
        "data": {str(k): encode_value(v) for k, v in (md.get("data") or {}).items()},
    }
    for key in _TIMES + ("label", "follow", "after", "is_broadcast", "is_coalescing"):
        out[key] = small[key]
    return out
