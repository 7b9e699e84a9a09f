"""Records of tasks as the protocol carries them, read from ipyparallel's
Client metadata and message futures, and safe reads of AsyncResults.

Nothing here calls back into the Client: these run on the flusher thread
and on the Client's own IO thread.
"""

from __future__ import annotations

import re
from datetime import datetime

# Every task status of the protocol, in the order of packages/asyncresult-node/src/core/protocol.ts
# TASK_STATUSES (a task row carries the index), and those that never change.
STATUSES = ("pending", "running", "done", "error", "aborted", "unknown")
FINISHED = frozenset({"done", "error", "aborted"})


def epoch_seconds(value):
    """A timestamp as float seconds since the epoch, or None.

    The flusher and the book convert two to four a task: the kinds
    ipyparallel 9 gives (a header's ISO string, a datetime it stamped)
    are told by their exact class, before the general tests.
    """
    kind = value.__class__
    if kind is str:
        return _iso_seconds(value)
    if kind is datetime:
        return value.timestamp()
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        return _iso_seconds(value)
    return None


def _iso_seconds(text):
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


# The states of a concurrent.futures.Future in which `done()` is true. The
# flusher asks every changed task's futures, and `done()` takes the future's
# lock for a read the GIL already makes safe: `future_done` reads the state.
_DONE_STATES = frozenset(("CANCELLED", "CANCELLED_AND_NOTIFIED", "FINISHED"))


def future_done(future):
    """`future.done()`, without its lock when it is a concurrent.futures.Future."""
    try:
        return future._state in _DONE_STATES
    except AttributeError:  # another kind of future
        return future.done()


def task_status(metadata, future):
    """The protocol status of one task from its Client metadata and future."""
    reply = metadata.get("status")
    if reply == "ok":
        return "done"
    if reply in ("error", "aborted"):
        return reply
    if future is not None and future_done(future):
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
    if future is not None and future_done(future):
        try:
            value = future.result(timeout=0)
        except BaseException as e:  # noqa: BLE001 - we report, not handle
            value = e
        if isinstance(value, BaseException):
            return value
    return metadata.get("error")


# A CompositeError of a huge failed map would carry every member's
# traceback: past these caps members are dropped (elist_total says how many
# there were) and their tracebacks shortened.
MAX_ELIST = 1000
MAX_ELIST_TRACEBACKS = 1_000_000


def _cap_traceback(traceback, limit=MAX_TRACEBACK):
    if traceback is None:
        return ""
    if not isinstance(traceback, str):
        traceback = "\n".join(map(str, traceback))
    if limit <= 0 and traceback:
        return f"[{len(traceback)} characters cut]"
    if len(traceback) > limit:
        cut = len(traceback) - limit
        traceback = f"[{cut} characters cut]\n" + traceback[-limit:]
    return traceback


def _member_info(ename, evalue, traceback, engine_info, limit):
    engine_info = engine_info if isinstance(engine_info, dict) else {}
    return {
        "ename": str(ename),
        "evalue": str(evalue),
        "traceback": _cap_traceback(traceback, limit),
        "engine_id": engine_info.get("engine_id"),
        "method": engine_info.get("method"),
        "remote": True,
    }


def _composite_info(err):
    """ipyparallel's CompositeError: its str() (message and first members),
    and every member (ename, evalue, traceback, engine) in task order."""
    elist = list(getattr(err, "elist", None) or [])
    members, budget = [], MAX_ELIST_TRACEBACKS
    for member in elist[:MAX_ELIST]:
        ename, evalue, traceback, engine_info = (list(member) + [None] * 4)[:4]
        info = _member_info(ename, evalue, traceback, engine_info, min(MAX_TRACEBACK, budget))
        budget = max(0, budget - len(info["traceback"]))
        members.append(info)
    try:
        text = str(err)
    except Exception:  # a member that cannot be printed must not hide the rest
        text = str(getattr(err, "msg", "CompositeError"))
    return {
        "ename": "CompositeError",
        "evalue": text,
        "traceback": _cap_traceback("\n".join(err.render_traceback())),
        "engine_id": None,
        "method": None,
        "remote": True,
        "elist": members,
        "elist_total": len(elist),
    }


def error_info(err, engine_id=None):
    """A RemoteError, CompositeError, TaskAborted, EngineError (or any
    exception, or the hub's error dict of a task fetched with get_result)
    as the protocol's error object."""
    if isinstance(err, dict):
        # the hub's record of a failed task: the error reply's content
        info = _member_info(
            err.get("ename") or "Exception",
            err.get("evalue", ""),
            err.get("traceback"),
            err.get("engine_info"),
            MAX_TRACEBACK,
        )
        if info["engine_id"] is None:
            info["engine_id"] = engine_id
        return info
    if type(err).__name__ == "CompositeError" and hasattr(err, "elist"):
        return _composite_info(err)
    info = getattr(err, "engine_info", None) or {}
    remote = any(c.__name__ == "RemoteError" for c in type(err).__mro__)
    ename = str(getattr(err, "ename", None) or type(err).__name__)
    evalue = str(getattr(err, "evalue", None) if remote else err)
    engine = info.get("engine_id")
    if engine is None and ename == "EngineError":
        # ipyparallel forgets a dead engine's id before it fails its tasks;
        # only its message still names it
        engine = _dead_engine(evalue)
    return {
        "ename": ename,
        "evalue": evalue,
        "traceback": _cap_traceback(getattr(err, "traceback", None)),
        "engine_id": engine if engine is not None else engine_id,
        "method": info.get("method"),
        "remote": remote,
    }


def stream_size_of(metadata):
    """How many characters a task printed so far (stdout and stderr)."""
    stdout, stderr = metadata.get("stdout"), metadata.get("stderr")
    return (len(stdout) if stdout else 0) + (len(stderr) if stderr else 0)


# The keys of a task record, in task_record's order. A task whose record
# can no longer change keeps only the values, in this order (see
# TaskEntry.settle): a tuple costs 184 bytes where the dict costs 464, and
# the registry keeps up to MAX_TASKS finished tasks after their results
# were released.
RECORD_KEYS = (
    "msg_id",
    "status",
    "error",
    "output_done",
    "stream_size",
    "engine_id",
    "engine_uuid",
    "submitted",
    "started",
    "completed",
    "received",
    "label",
    "follow",
    "after",
    "is_broadcast",
    "is_coalescing",
)


def task_record(msg_id, metadata, future):
    """The protocol record of one task.

    The flusher builds one for every task change (two or three a task), so
    this is written for speed: an inline test rather than a call where one
    will do, times converted only when set, the common "ok" reply first.
    """
    get = metadata.get
    engine_id = get("engine_id")
    if engine_id.__class__ is list:  # coalescing broadcast: many engines
        engine_id = engine_id[0] if engine_id else None
    engine_uuid = get("engine_uuid")
    if engine_uuid.__class__ is list:
        engine_uuid = engine_uuid[0] if engine_uuid else None
    reply = get("status")
    status = "done" if reply == "ok" else task_status(metadata, future)
    if future is None:
        output_done = True
    else:
        output = getattr(future, "output", None)
        output_done = output is None or future_done(output)
    stream_size = stream_size_of(metadata)
    error = None
    if status == "error":
        err = _error_of(metadata, future)
        error = error_info(err, engine_id) if err is not None else None
        if engine_id is None and error is not None and error["ename"] == "EngineError":
            engine_id = error["engine_id"]  # read from the message: see error_info
    submitted, started = get("submitted"), get("started")
    completed, received = get("completed"), get("received")
    label, follow, after = get("label"), get("follow"), get("after")
    return {
        "msg_id": msg_id,
        "status": status,
        "error": error,
        "output_done": output_done,
        "stream_size": stream_size,
        "engine_id": engine_id,
        "engine_uuid": engine_uuid,
        "submitted": None if submitted is None else epoch_seconds(submitted),
        "started": None if started is None else epoch_seconds(started),
        "completed": None if completed is None else epoch_seconds(completed),
        "received": None if received is None else epoch_seconds(received),
        # small metadata keys; the big ones come with the get_metadata request
        "label": None if label is None else str(label),
        "follow": None if follow is None else _msg_id_list(follow),
        "after": None if after is None else _msg_id_list(after),
        "is_broadcast": bool(get("is_broadcast", False)),
        "is_coalescing": bool(get("is_coalescing", False)),
    }


def _dead_engine(text):
    """The engine id in ipyparallel's "Engine 1 died while running task ..."."""
    match = re.match(r"Engine (\d+) died", text or "")
    return int(match.group(1)) if match else None


def dead_engine_uuid(text):
    """The engine uuid in the task scheduler's "Engine b'<uuid>' died while
    running task ...": it names the engine only by uuid, and its task's
    metadata has no engine id (the task never started there)."""
    match = re.match(r"Engine b?'([^']+)' died", text or "")
    return match.group(1) if match else None


def _msg_id_list(value):
    """A dependency list (follow / after) as a tuple of msg_ids, or None
    before the reply. A tuple, not a list: a record then holds only atomic
    values and tuples, which the collector stops tracking, so the records
    the flusher keeps between flushes never reach the oldest generation
    (JSON writes a tuple as a list)."""
    if value is None:
        return None
    if value == []:  # the common case after a reply
        return ()
    try:
        return tuple(str(m) for m in value)
    except TypeError:
        return (str(value),)


def peek(ar, name, default=None):
    """An attribute of an AsyncResult without its __getattr__, which treats
    unknown names as metadata keys and waits (an AsyncHubResult even polls
    the hub, racing the user's own calls)."""
    try:
        return object.__getattribute__(ar, name)
    except AttributeError:
        return default


def read_or(read, default):
    """read(), or `default` when it raises: a record must never fail on a
    user's odd AsyncResult."""
    try:
        return read()
    except Exception:
        return default


def plain_targets(value):
    """A view's targets as JSON: None, an id, a name or a list of ids."""
    if value is None or isinstance(value, (int, str)):
        return value
    try:
        return [int(t) for t in value]
    except (TypeError, ValueError):
        return str(value)
