"""Records of tasks as the protocol carries them, read from ipyparallel's
Client metadata and message futures, and safe reads of AsyncResults.

Nothing here calls back into the Client: these run on the flusher thread
and on the Client's own IO thread.
"""

from __future__ import annotations

from datetime import datetime

FINISHED = frozenset({"done", "error", "aborted"})


def _seconds(value):
    """A timestamp as float seconds since the epoch, or None."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
        except ValueError:
            return None
    return None


def task_status(metadata, future):
    """The protocol status of one task from its Client metadata and future."""
    reply = metadata.get("status")
    if reply == "ok":
        return "done"
    if reply in ("error", "aborted"):
        return reply
    if future is not None and future.done():
        # the Client sets an error reply as the future's *result*
        try:
            value = future.result(timeout=0)
        except Exception:
            return "error"
        if type(value).__name__ == "TaskAborted":
            return "aborted"
        return "error" if isinstance(value, BaseException) else "done"
    if metadata.get("engine_id") is not None or metadata.get("started"):
        return "running"
    return "pending" if future is not None else "unknown"


# Tracebacks can be huge (a recursion error, a long remote stack): the
# record carries the tail, and says how much was cut.
MAX_TRACEBACK = 20_000


def _error_of(metadata, future):
    """The exception a finished task raised, or None."""
    if future is not None and future.done():
        try:
            value = future.result(timeout=0)
        except BaseException as e:  # noqa: BLE001 - we report, not handle
            value = e
        if isinstance(value, BaseException):
            return value
    return metadata.get("error")


def error_info(err, engine_id=None):
    """A RemoteError (or any exception) as the protocol's error object."""
    traceback = getattr(err, "traceback", None) or ""
    if not isinstance(traceback, str):
        traceback = "\n".join(map(str, traceback))
    if len(traceback) > MAX_TRACEBACK:
        cut = len(traceback) - MAX_TRACEBACK
        traceback = f"[{cut} characters cut]\n" + traceback[-MAX_TRACEBACK:]
    info = getattr(err, "engine_info", None) or {}
    return {
        "ename": str(getattr(err, "ename", None) or type(err).__name__),
        "evalue": str(getattr(err, "evalue", err)),
        "traceback": traceback,
        "engine_id": info.get("engine_id", engine_id),
    }


def task_record(msg_id, metadata, future):
    """The protocol record of one task."""
    engine_id = metadata.get("engine_id")
    if isinstance(engine_id, list):  # coalescing broadcast: many engines
        engine_id = engine_id[0] if engine_id else None
    engine_uuid = metadata.get("engine_uuid")
    if isinstance(engine_uuid, list):
        engine_uuid = engine_uuid[0] if engine_uuid else None
    status = task_status(metadata, future)
    output = getattr(future, "output", None) if future is not None else None
    output_done = output is None or output.done()
    stream_size = len(metadata.get("stdout") or "") + len(metadata.get("stderr") or "")
    error = None
    if status == "error":
        err = _error_of(metadata, future)
        error = error_info(err, engine_id) if err is not None else None
    return {
        "msg_id": msg_id,
        "status": status,
        "error": error,
        "output_done": output_done,
        "stream_size": stream_size,
        "engine_id": engine_id,
        "engine_uuid": engine_uuid,
        "submitted": _seconds(metadata.get("submitted")),
        "started": _seconds(metadata.get("started")),
        "completed": _seconds(metadata.get("completed")),
        "received": _seconds(metadata.get("received")),
    }


def peek(ar, name, default=None):
    """An attribute of an AsyncResult without its __getattr__, which treats
    unknown names as metadata keys and waits (an AsyncHubResult even polls
    the hub, racing the user's own calls)."""
    try:
        return object.__getattribute__(ar, name)
    except AttributeError:
        return default


def _safe(read, default):
    try:
        return read()
    except Exception:
        return default


def _targets(value):
    if value is None or isinstance(value, (int, str)):
        return value
    try:
        return [int(t) for t in value]
    except (TypeError, ValueError):
        return str(value)
