"""The kernel side of jupyterlab-asyncresult: a comm target that streams what
the registry knows to every open frontend, and answers its requests.

Threads: results are created on whatever thread the user's code runs; task
events arrive on each Client's IO thread; comm messages arrive on the shell or
a subshell thread; one daemon flusher thread sends coalesced deltas. All
shared state lives in the Registry behind its lock.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict

from . import hooks
from .progress import ProgressDisplays
from .registry import Registry, error_info, peek
from .values import MAX_FULL, MAX_JSON, MAX_REPR, encode_value, task_outputs

log = logging.getLogger(__name__)

COMM_TARGET = "jupyterlab-asyncresult"
PROTOCOL_VERSION = 1
# Deltas leave at most this often (seconds); the first change after a quiet
# spell goes out at once.
FLUSH_INTERVAL = 0.1
# A page reload leaves its old comm open in the kernel; past this many comms
# the oldest is closed so traffic does not grow with every reload.
MAX_COMMS = 4
# While tasks are pending and a frontend listens, the controller is asked
# for its queue status this often; no answer within PROBE_TIMEOUT means it
# is gone (ipyparallel's Client itself would wait forever).
WATCH_INTERVAL = 5.0
PROBE_TIMEOUT = 5.0
# Results made by frontend requests (split, join, resubmit) that the bridge
# keeps alive, newest first, since no user variable holds them.
MAX_HELD = 256


def _bridge_version():
    from ._version import __version__

    return __version__


def _ipyparallel_version():
    import sys

    mod = sys.modules.get("ipyparallel")
    return getattr(mod, "__version__", None) if mod else None


class Bridge:
    """Follows the AsyncResults of this kernel and relays them over a comm."""

    def __init__(self, kernel, flush_interval=FLUSH_INTERVAL, watch_interval=WATCH_INTERVAL, probe_timeout=PROBE_TIMEOUT):
        self.kernel = kernel
        self.registry = Registry()
        self.flush_interval = flush_interval
        self.watch_interval = watch_interval
        self.probe_timeout = probe_timeout
        self._comms = []  # open comms, oldest first
        self._held = OrderedDict()  # results made by requests, newest last
        self._comms_lock = threading.Lock()
        self._stop = threading.Event()
        self._flusher = None
        self._watchdog = None
        self.progress = ProgressDisplays(self)

    # -- life cycle --------------------------------------------------------------

    def start(self):
        hooks.add_listener(self._on_result)
        hooks.install()
        self.progress.install(getattr(self.kernel, "shell", None))
        self.kernel.comm_manager.register_target(COMM_TARGET, self._on_comm_open)
        self._flusher = threading.Thread(target=self._run, name="jupyterlab-asyncresult-flusher", daemon=True)
        self._flusher.start()
        self._watchdog = threading.Thread(target=self._watch, name="jupyterlab-asyncresult-watchdog", daemon=True)
        self._watchdog.start()

    def stop(self):
        hooks.remove_listener(self._on_result)
        self.progress.uninstall()
        self._stop.set()
        self.registry.changed.set()
        try:
            self.kernel.comm_manager.unregister_target(COMM_TARGET, self._on_comm_open)
        except Exception:
            pass
        with self._comms_lock:
            comms, self._comms = self._comms, []
        for comm in comms:
            try:
                comm.close()
            except Exception:
                pass
        if self._flusher is not None:
            self._flusher.join(timeout=2)
        if self._watchdog is not None:
            self._watchdog.join(timeout=2)

    # -- AsyncResults ------------------------------------------------------------

    def _parent(self):
        try:
            parent = self.kernel.get_parent("shell") or {}
        except Exception:
            return None, None
        cell_id = (parent.get("metadata") or {}).get("cellId")
        msg_id = (parent.get("header") or {}).get("msg_id")
        return cell_id, msg_id

    def parent_msg_id(self):
        """The msg_id of the request the kernel's shell is handling now."""
        return self._parent()[1]

    def listening(self):
        """Whether a frontend has the comm open."""
        with self._comms_lock:
            return bool(self._comms)

    def _on_result(self, ar, scope):
        futures = list(peek(ar, "_children") or [])
        cell_id, parent_msg_id = self._parent()
        rid, new_tasks = self.registry.add_result(ar, futures, cell_id, parent_msg_id, replaces=scope)
        if scope is not None:
            # msg_id -> the newest result of this compound call holding it
            for msg_id in peek(ar, "msg_ids") or []:
                scope[msg_id] = rid
        mark = self.registry.mark_task
        for future in futures:
            if future.msg_id not in new_tasks:
                continue
            msg_id = future.msg_id

            def changed(_f, msg_id=msg_id):
                mark(msg_id)

            future.add_done_callback(changed)
            output = getattr(future, "output", None)
            if output is not None:
                output.add_done_callback(changed)
            callbacks = getattr(future, "iopub_callbacks", None)
            if callbacks is not None:
                callbacks.append(lambda _msg, msg_id=msg_id: mark(msg_id))
        if not futures:
            # an AsyncHubResult resolves only through its own wait()
            ar.add_done_callback(lambda _f: self.registry.mark_result(rid))
        sent = peek(ar, "_sent_future")
        if sent is not None:
            sent.add_done_callback(lambda _f: self.registry.mark_result(rid))

    # -- comms ---------------------------------------------------------------------

    def _on_comm_open(self, comm, msg):
        with self._comms_lock:
            self._comms.append(comm)
            stale = self._comms[:-MAX_COMMS]
            del self._comms[:-MAX_COMMS]
        for old in stale:
            try:
                old.close()
            except Exception:
                pass
        if hasattr(comm, "_reply_subshell_for"):
            # ipykernel 7.4 sends a comm's incoming messages to the subshell
            # of the parent of its last outgoing one. Ours leave from the
            # flusher thread, whose parent is the running cell (the main
            # shell), so the frontend's requests would wait behind that cell.
            # Keep the subshell the frontend chose.
            comm._reply_subshell_for = lambda data, default: default
        comm.on_msg(lambda m: self._on_comm_msg(comm, m))
        comm.on_close(lambda m: self._forget(comm))
        data = msg["content"].get("data") or {}
        settings = data.get("settings") if isinstance(data, dict) else None
        if isinstance(settings, dict):
            try:
                self._op_configure(settings)
            except ValueError as e:
                self._error(comm, None, f"settings: {e}")
        self._handle(comm, data)

    def _forget(self, comm):
        with self._comms_lock:
            if comm in self._comms:
                self._comms.remove(comm)

    def _on_comm_msg(self, comm, msg):
        self._handle(comm, msg["content"].get("data"))

    def _handle(self, comm, data):
        """Answer one frontend message; a bad one gets an error reply only."""
        request_id = data.get("request_id") if isinstance(data, dict) else None
        if not isinstance(request_id, str):
            request_id = None
        if not isinstance(data, dict):
            return self._error(comm, request_id, "message data is not an object")
        if data.get("v") != PROTOCOL_VERSION:
            return self._error(
                comm,
                request_id,
                f"unsupported protocol version {data.get('v')!r} (this kernel speaks {PROTOCOL_VERSION})",
            )
        kind = data.get("type")
        if kind == "snapshot_request":
            return self._send_snapshot(comm, request_id)
        if kind == "request":
            return self._answer(comm, request_id, data)
        return self._error(comm, request_id, f"unknown message type {kind!r}")

    # -- control requests (on the comm's thread: a subshell with ipykernel 7) ---

    def _answer(self, comm, request_id, data):
        op = data.get("op")
        handler = {
            "get_value": self._op_get_value,
            "get_dict": self._op_get_dict,
            "get_chunks": self._op_get_chunks,
            "get_outputs": self._op_get_outputs,
            "split": self._op_split,
            "join": self._op_join,
            "resubmit": self._op_resubmit,
            "spin": self._op_spin,
            "abort": self._op_abort,
            "queue_status": self._op_queue_status,
            "result_status": self._op_result_status,
            "configure": self._op_configure,
        }.get(op)
        if handler is None:
            return self._error(comm, request_id, f"unknown request op {op!r}")
        try:
            value = handler(data)
        except (LookupError, ValueError, RuntimeError) as e:
            return self._error(comm, request_id, f"{op}: {e}")
        except Exception as e:  # the controller went away, a bad argument, ...
            return self._error(comm, request_id, f"{op} failed: {type(e).__name__}: {e}")
        comm.send({"v": PROTOCOL_VERSION, "type": "reply", "reply_to": request_id, "value": value})

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
            ar.wait(min(timeout, 60))
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
        self.flush()
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
        children = dict(zip(ar.msg_ids, peek(ar, "_children") or []))
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
        for msg_id, md in zip(ar.msg_ids, peek(ar, "_metadata") or []):
            offset = offsets.get(msg_id)
            if offset is not None and not (
                isinstance(offset, dict) and all(isinstance(v, int) and v >= 0 for v in offset.values())
            ):
                raise ValueError(f"bad offsets for {msg_id!r}")
            tasks.append(task_outputs(msg_id, md, offset))
        return {"tasks": tasks}

    def _ids_of(self, results):
        """Registry ids of results made for a frontend (the hook saw them
        created). Nothing in the user's namespace refers to them, and the
        registry holds results weakly, so the bridge keeps the newest alive."""
        ids = [self.registry.rid_of(ar) for ar in results]
        if None in ids:
            raise RuntimeError("a new AsyncResult was not seen by the bridge")
        with self._comms_lock:
            for rid, ar in zip(ids, results):
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
        """client.resubmit(ar.msg_ids): new tasks, as an AsyncHubResult."""
        ar = self._result_arg(data)
        again = peek(ar, "_client").resubmit(ar.msg_ids, block=False)
        return {"result_id": self._ids_of([again])[0]}

    def _op_abort(self, data):
        ar = self._result_arg(data)
        msg_ids = data.get("msg_ids")
        if msg_ids is None:
            ar.abort()  # raises RuntimeError when already done
            return {"status": "ok"}
        # some tasks only: those must belong to the result
        if not isinstance(msg_ids, list) or not set(msg_ids) <= set(ar.msg_ids):
            raise ValueError("msg_ids must be a list of this result's msg_ids")
        peek(ar, "_client").abort(msg_ids, block=True)
        return {"status": "ok"}

    def _op_queue_status(self, data):
        targets = data.get("targets")
        status = self._client_arg().queue_status(targets=targets, verbose=False)
        return {str(k): v for k, v in status.items()}

    def _op_result_status(self, data):
        msg_ids = data.get("msg_ids")
        if not isinstance(msg_ids, list) or not all(isinstance(m, str) for m in msg_ids):
            raise ValueError("msg_ids must be a list of strings")
        status = self._client_arg().result_status(msg_ids, status_only=True)
        return {"pending": list(status.get("pending", [])), "completed": list(status.get("completed", []))}

    def _op_configure(self, data):
        """Frontend settings the kernel acts on (the newest frontend wins)."""
        progress = data.get("progress")
        if progress is not None:
            self.progress.configure(progress)
        return {"progress": self.progress.mode}

    def _error(self, comm, request_id, text):
        comm.send({"v": PROTOCOL_VERSION, "type": "error", "reply_to": request_id, "error": text})

    def _send_snapshot(self, comm, request_id):
        with self.registry.lock:
            snapshot = self.registry.snapshot()
            snapshot["reply_to"] = request_id
            snapshot["bridge"] = {"version": _bridge_version(), "ipyparallel": _ipyparallel_version()}
            comm.send(snapshot)

    # -- the controller watchdog (its own thread: never the Client's) ------------

    def _watch(self):
        while not self._stop.wait(self.watch_interval):
            with self._comms_lock:
                listening = bool(self._comms)
            if not listening or not self.registry.has_unfinished():
                continue
            client = self.registry.latest_client()
            if client is None or getattr(client, "_closed", False):
                continue
            self.registry.set_controller(*self.probe(client))

    def probe(self, client):
        """(ok, detail): whether the controller answers a queue_request."""
        started = time.monotonic()
        try:
            # Client._send_recv would wait forever on a dead controller
            future = client._send(client._query_stream, "queue_request", content={"targets": None, "verbose": False})
            answered = future.wait(self.probe_timeout)
        except Exception as e:
            return False, f"the controller cannot be reached: {type(e).__name__}: {e}"
        if not answered:
            waited = time.monotonic() - started
            return False, f"the controller has not answered for {waited:.0f} s; pending tasks may never finish"
        return True, ""

    # -- the flusher -------------------------------------------------------------

    def _run(self):
        last = 0.0
        changed = self.registry.changed
        while not self._stop.is_set():
            changed.wait()
            if self._stop.is_set():
                break
            pause = last + self.flush_interval - time.monotonic()
            if pause > 0 and self._stop.wait(pause):
                break
            changed.clear()
            try:
                self.flush()
            except Exception:
                log.exception("jupyterlab_asyncresult: flush failed")
            last = time.monotonic()

    def flush(self):
        """Send one delta of everything that changed to every open comm.

        With no frontend listening the delta is still taken (so finished
        tasks drop their references and old results are pruned) but sent
        nowhere; a frontend that opens later starts from a snapshot.
        """
        with self.registry.lock:
            delta = self.registry.take_delta()
            if delta is None:
                return
            with self._comms_lock:
                comms = list(self._comms)
            for comm in comms:
                try:
                    comm.send(delta)
                except Exception:
                    log.exception("jupyterlab_asyncresult: send failed")
