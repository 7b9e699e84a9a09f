"""The control requests a frontend sends to the kernel bridge.

They run on the comm's thread (a subshell with ipykernel 7, so they are
answered while a cell blocks), never on the Client's IO thread, whose own
waits would deadlock. docs/protocol.md lists every op.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict

from .records import error_info, peek
from .values import (
    MAX_FULL,
    MAX_JSON,
    MAX_REPR,
    encode_value,
    engine_hints,
    full_metadata,
    task_outputs,
)
from .wire import PROTOCOL_VERSION

# Seconds a request waits for the controller before it says it did not
# answer (ipyparallel's own queries wait with no limit).
QUERY_TIMEOUT = 10

# Results made by frontend requests (split, join, resubmit) that are kept
# alive, oldest dropped first, since no user variable holds them.
MAX_HELD = 256


class RequestOps:
    """The `request` ops of the protocol, answered from what they are given.

    `registry` finds results and the Client (registry.py); `progress` takes
    the frontend's settings (progress.py); `flush` sends the pending delta
    now (for `spin`). Replies are returned as messages for the caller to
    send, so this object knows nothing of comms or of the bridge.
    """

    def __init__(self, registry, progress, flush):
        self.registry = registry
        self.progress = progress
        self._flush = flush
        # results made for a frontend, newest last; their own lock, taken
        # alone (never while the registry's is held)
        self._held = OrderedDict()
        self._held_lock = threading.Lock()

    def answer(self, request_id, data):
        """The reply or error message for one `request` message."""
        op = data.get("op")
        handler = {
            "get_value": self._op_get_value,
            "get_dict": self._op_get_dict,
            "get_chunks": self._op_get_chunks,
            "get_outputs": self._op_get_outputs,
            "get_metadata": self._op_get_metadata,
            "split": self._op_split,
            "join": self._op_join,
            "resubmit": self._op_resubmit,
            "spin": self._op_spin,
            "abort": self._op_abort,
            "interrupt": self._op_interrupt,
            "queue_status": self._op_queue_status,
            "result_status": self._op_result_status,
            "configure": self.configure,
        }.get(op)
        if handler is None:
            return error_message(request_id, f"unknown request op {op!r}")
        try:
            value = handler(data)
        except (LookupError, ValueError, RuntimeError) as e:
            return error_message(request_id, f"{op}: {e}")
        except Exception as e:  # the controller went away, a bad argument, ...
            return error_message(request_id, f"{op} failed: {type(e).__name__}: {e}")
        return {"v": PROTOCOL_VERSION, "type": "reply", "reply_to": request_id, "value": value}

    def held_count(self):
        """How many results made by requests are kept alive now."""
        with self._held_lock:
            return len(self._held)

    def _result_arg(self, data):
        rid = data.get("result_id")
        if not isinstance(rid, str):
            raise ValueError("result_id must be a string")
        return self.registry.live_result(rid)

    def _client_arg(self):
        client = self.registry.latest_client()
        if client is None:
            raise LookupError("no ipyparallel Client is known to this kernel yet")
        return client

    def _ready_result(self, data):
        """The result named in `data`, which must be ready.

        An AsyncHubResult only learns that it is ready by asking the hub
        (its wait() polls result_status), so it gets up to `timeout` seconds
        (default 0) to find out, here on the comm's thread.
        """
        ar = self._result_arg(data)
        if type(ar).__name__ == "AsyncHubResult" and not ar.ready():
            timeout = data.get("timeout", 0)
            if not isinstance(timeout, (int, float)) or timeout < 0:
                raise ValueError("timeout must be a number of seconds >= 0")
            try:
                ar.wait(min(timeout, 60))
            except Exception:
                # ipyparallel 9.2: the hub's result_status raises a failed
                # task's error out of wait() instead of making the result
                # ready; it cached the results first, so one more wait settles
                ar.wait(0)
            self.registry.mark_result(data["result_id"])
        if not ar.ready():
            raise RuntimeError("the result is not ready")
        return ar

    def _op_get_value(self, data):
        ar = self._ready_result(data)
        try:
            value = ar.get(timeout=0)
        except Exception as e:
            return {"status": "error", "error": error_info(e)}
        if data.get("full"):
            # the user asked for the whole value: caps go up to MAX_FULL
            return {"status": "ok", "value": encode_value(value, MAX_FULL, MAX_FULL)}
        return {"status": "ok", "value": encode_value(value, MAX_REPR, MAX_JSON)}

    def _op_spin(self, data):
        """Send what changed now, and say from which seq the store is current
        (the role of ipyparallel's spin(): sync with the kernel's Client)."""
        ar = self._result_arg(data)
        self.registry.mark_result(data["result_id"])
        del ar
        self._flush()
        return {"seq": self.registry.seq}

    def _op_get_dict(self, data):
        ar = self._ready_result(data)
        try:
            values = ar.get_dict(timeout=0)
        except Exception as e:
            return {"status": "error", "error": error_info(e)}
        return {"status": "ok", "value": {str(k): encode_value(v) for k, v in values.items()}}

    def _op_get_chunks(self, data):
        """The results of some finished tasks of a result, by msg_id: for a
        map, each task's chunk (a list); what a task raised as an error."""
        ar = self._result_arg(data)
        msg_ids = data.get("msg_ids")
        if not isinstance(msg_ids, list) or not all(isinstance(m, str) for m in msg_ids):
            raise ValueError("msg_ids must be a list of strings")
        children = dict(zip(ar.msg_ids, peek(ar, "_children") or [], strict=False))
        chunks = {}
        for msg_id in msg_ids:
            child = children.get(msg_id)
            if child is None:
                raise LookupError(f"{msg_id!r} is not a finished task of this result")
            if not child.done():
                raise RuntimeError(f"task {msg_id!r} is not finished")
            value = child.result()
            if isinstance(value, BaseException):
                chunks[msg_id] = {"status": "error", "error": error_info(value)}
            else:
                chunks[msg_id] = {"status": "ok", "value": encode_value(value)}
        return chunks

    def _op_get_outputs(self, data):
        """What each task printed and displayed, in msg_id order (capped)."""
        ar = self._result_arg(data)
        offsets = data.get("offsets") or {}
        if not isinstance(offsets, dict):
            raise ValueError("offsets must map msg_ids to {stdout, stderr} offsets")
        tasks = []
        hints = engine_hints(ar)
        for msg_id, md, hint in zip(ar.msg_ids, peek(ar, "_metadata") or [], hints, strict=False):
            offset = offsets.get(msg_id)
            if offset is not None and not (
                isinstance(offset, dict)
                and all(isinstance(v, int) and v >= 0 for v in offset.values())
            ):
                raise ValueError(f"bad offsets for {msg_id!r}")
            tasks.append(task_outputs(msg_id, md, offset, hint))
        return {"tasks": tasks}

    def _op_get_metadata(self, data):
        """Every key of each task's ipyparallel metadata, in msg_id order,
        as JSON: times in seconds, errors as error objects, values encoded;
        streams and displays capped like get_outputs."""
        ar = self._result_arg(data)
        return {
            "metadata": [
                full_metadata(msg_id, md)
                for msg_id, md in zip(ar.msg_ids, peek(ar, "_metadata") or [], strict=False)
            ]
        }

    def _ids_of(self, results):
        """Registry ids of results made for a frontend (the hook saw them
        created). Nothing in the user's namespace refers to them, and the
        registry holds results weakly, so the bridge keeps the newest alive."""
        ids = [self.registry.rid_of(ar) for ar in results]
        if None in ids:
            raise RuntimeError("a new AsyncResult was not seen by the bridge")
        with self._held_lock:
            for rid, ar in zip(ids, results, strict=False):
                self._held[rid] = ar
                self._held.move_to_end(rid)
            while len(self._held) > MAX_HELD:
                self._held.popitem(last=False)
        return ids

    def _op_split(self, data):
        """ar.split(): one result per task, followed like any other."""
        return {"result_ids": self._ids_of(self._result_arg(data).split())}

    def _op_join(self, data):
        rids = data.get("result_ids")
        if not isinstance(rids, list) or not rids or not all(isinstance(r, str) for r in rids):
            raise ValueError("result_ids must be a non-empty list of strings")
        parts = [self.registry.live_result(rid) for rid in rids]
        joined = type(parts[0]).join(*parts)
        return {"result_id": self._ids_of([joined])[0]}

    def _op_resubmit(self, data):
        """client.resubmit(msg_ids): new tasks, as an AsyncHubResult.

        All of the result's tasks, or those `msg_ids` name (its failed ones,
        say)."""
        ar = self._result_arg(data)
        msg_ids = _some_tasks(ar, data)
        again = peek(ar, "_client").resubmit(msg_ids or ar.msg_ids, block=False)
        return {"result_id": self._ids_of([again])[0]}

    def _op_abort(self, data):
        ar = self._result_arg(data)
        msg_ids = _some_tasks(ar, data)
        if msg_ids is None:
            ar.abort()  # raises RuntimeError when already done
            return {"status": "ok"}
        peek(ar, "_client").abort(msg_ids, block=True)
        return {"status": "ok"}

    def _op_interrupt(self, data):
        """SIGINT to the engines running some of a result's tasks.

        ipyparallel's only way to stop a task that runs (abort stops queued
        ones): the whole engine is interrupted, whatever it runs and for
        whichever client. Only engines that run a task of this result now
        may be named, so a stale click cannot hit another user's work.
        """
        ar = self._result_arg(data)
        engines = data.get("engines")
        if (
            not isinstance(engines, list)
            or not engines
            or not all(isinstance(e, int) and not isinstance(e, bool) for e in engines)
        ):
            raise ValueError("engines must be a non-empty list of engine ids")
        running = self.registry.running_engines(peek(ar, "msg_ids") or [])
        strangers = sorted(set(engines) - running)
        if strangers:
            raise ValueError(
                f"engine(s) {strangers} run no task of this result now: nothing interrupted"
            )
        peek(ar, "_client").send_signal("SIGINT", targets=sorted(set(engines)), block=True)
        return {"status": "ok", "engines": sorted(set(engines))}

    def _op_queue_status(self, data):
        """client.queue_status(), but never waiting on the controller for
        ever: ipyparallel's waits with no limit, and a dead controller would
        hold this request's thread (the comm's subshell) and every request
        after it. The query is ipyparallel's own; only the wait is bounded."""
        client = self._client_arg()
        targets = data.get("targets")
        engine_ids = None if targets in (None, "all") else client._build_targets(targets)[1]
        future = client._send(
            client._query_stream, "queue_request", content={"targets": engine_ids, "verbose": False}
        )
        if not future.wait(QUERY_TIMEOUT):
            raise TimeoutError(f"the controller did not answer queue_status in {QUERY_TIMEOUT} s")
        content = dict(future.result()["content"])
        if content.pop("status", None) != "ok":
            raise client._unwrap_exception(content)
        value = {str(k): v for k, v in content.items()}
        if data.get("identify") is True:
            value["controller_id"] = controller_id(client)
        return value

    def _op_result_status(self, data):
        msg_ids = data.get("msg_ids")
        if not isinstance(msg_ids, list) or not all(isinstance(m, str) for m in msg_ids):
            raise ValueError("msg_ids must be a list of strings")
        status = self._client_arg().result_status(msg_ids, status_only=True)
        return {
            "pending": list(status.get("pending", [])),
            "completed": list(status.get("completed", [])),
        }

    def configure(self, data):
        """Frontend settings the kernel acts on (the newest frontend wins)."""
        progress = data.get("progress")
        if progress is not None:
            self.progress.configure(progress)
        return {"progress": self.progress.mode}


def error_message(request_id, text):
    """The protocol's error message answering `request_id` (None if unknown)."""
    return {"v": PROTOCOL_VERSION, "type": "error", "reply_to": request_id, "error": text}


def _some_tasks(ar, data):
    """The `msg_ids` a request names, which must be some of `ar`'s; None if absent."""
    msg_ids = data.get("msg_ids")
    if msg_ids is None:
        return None
    if (
        not isinstance(msg_ids, list)
        or not msg_ids
        or not all(isinstance(m, str) for m in msg_ids)
        or not set(msg_ids) <= set(ar.msg_ids)
    ):
        raise ValueError("msg_ids must be a non-empty list of this result's msg_ids")
    return msg_ids


def controller_id(client):
    """An opaque name of the controller a Client talks to, the same in every
    kernel connected to it: a hash of its host and registration address (the
    connection file's session key is secret and stays out)."""
    config = getattr(client, "_config", None) or {}
    where = f"{config.get('location')}|{config.get('registration')}"
    return hashlib.sha256(where.encode("utf-8")).hexdigest()[:16]
