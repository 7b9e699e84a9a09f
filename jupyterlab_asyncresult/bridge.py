"""The kernel side of jupyterlab-asyncresult: a comm target that streams what
the registry knows to every open frontend, and answers its requests.

Threads, where they enter, the locks they take and what they may call. The
locks are the registry's (`Registry.lock`, an RLock), the bridge's comms lock
(`Bridge._comms_lock`), the progress displays' (`ProgressDisplays._lock`, an
RLock) and the held results' (`RequestOps._held_lock`).

===============  ==========================  ===========================  =====================
thread           entry points                locks, in the order taken    may call
===============  ==========================  ===========================  =====================
user's code      hooks -> `_on_result`,      registry alone;              the Registry,
(the shell, or   `_on_held`,                 progress, then registry      IPython's display,
a pool thread    `_on_scope_end`;            (`show` -> `tally`);         the kernel's parent
for `imap`)      progress `_for_wait` ->     comms alone (`listening`)    header
                 `show`, `_print`, `shown`
Client IO        future and iopub            registry alone;              marks, tallies, a
thread (one      callbacks ->                progress, released before    finished widget's
per Client)      `Registry.mark_task`,       registry (`_maybe_finish`    summary and
                 `mark_result`; progress     -> `_finish` -> `tally`)     update_display; never
                 `_maybe_finish`                                          the Client, whose
                                                                          `_send_recv` waits
                                                                          on this thread
comm thread      `_on_comm_open`,            comms alone; registry, then  the Client
(the shell, or   `_on_comm_msg` ->           send while a snapshot is     (queue_status, abort,
a subshell with  `_handle` ->                sent; held alone; `spin`     result_status,
ipykernel 7)     `RequestOps.answer`;        flushes: registry, then      AsyncHubResult.wait),
                 `_forget` (comm closed)     send, then comms             comm.send
flusher (ours)   `_run` -> `flush`           registry, then send, then    sanitize, comm.send
                                             comms (the registry's let
                                             go before comms)
watchdog (ours)  `_watch` -> `probe`         comms alone; registry alone  `Client._send` with a
                                                                          bounded wait, never
                                                                          `_send_recv`
===============  ==========================  ===========================  =====================

Lock order: progress -> registry -> send -> comms. No thread takes the
progress lock while holding the registry's, the send or the comms lock, nor
the registry's while holding the send or the comms lock; the held-results
lock is never held with another. A delta or a snapshot is taken under the
registry's lock, and the send lock (`Bridge._send_lock`) is taken before
that one is let go and kept until the message is sent: messages leave in
seq order, while sanitizing and sending hold up nobody who needs only the
registry. `comm.send` only queues onto ipykernel's IOPub thread, so it never
waits on a frontend.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid

from . import hooks
from .entries import NO_ORIGIN, Origin, prompt_number
from .outputs_display import OutputDisplays
from .progress import ProgressDisplays
from .records import future_done, peek
from .registry import Registry
from .requests import RequestOps, error_message
from .sanitize import sanitize
from .wire import PROTOCOL_VERSION, brief_message

log = logging.getLogger(__name__)

COMM_TARGET = "jupyterlab-asyncresult"

# Deltas leave at most this often (seconds); the first change after a quiet
# spell goes out at once. A task waits half of it on average: 50 ms keeps
# the median latency from "task done" to the frontend near 25 ms, at 20
# small messages a second at most.
FLUSH_INTERVAL = 0.05
# A page reload leaves its old comm open in the kernel; past this many comms
# the oldest is closed so traffic does not grow with every reload.
MAX_COMMS = 4
# While tasks are pending and a frontend listens, the controller is asked
# for its queue status this often; no answer within PROBE_TIMEOUT means it
# is gone (ipyparallel's Client itself would wait forever).
WATCH_INTERVAL = 5.0
PROBE_TIMEOUT = 5.0
# While a finished task's outputs may still end, the flusher looks this often
# (seconds) whether its output future was dropped unresolved: nothing else
# says so (see TaskEntry.refresh).
OUTPUT_POLL = 1.0


# The key under which a compound call's growing result id is kept in the
# hooks' `delivered` dict (msg_ids are its other keys).
_GROWING = "\0growing"


def _call_name(call):
    """The name ipyparallel will give the result of a compound call."""
    owner, method = call if call else (None, None)
    func = getattr(owner, "func", None)
    if func is not None:
        return str(getattr(func, "__name__", None) or type(func).__name__)
    return str(method or "unknown")


def _call_ordered(call):
    """Whether a compound call's results come in order: a map's
    ParallelFunction carries `ordered` (its AsyncMapResult does too, but
    only once every chunk left)."""
    owner = call[0] if call else None
    ordered = getattr(owner, "ordered", True)
    return ordered if isinstance(ordered, bool) else True


def _bridge_version():
    from ._version import __version__

    return __version__


def _ipyparallel_version():
    import sys

    mod = sys.modules.get("ipyparallel")
    return getattr(mod, "__version__", None) if mod else None


class Bridge:
    """Follows the AsyncResults of this kernel and relays them over a comm."""

    def __init__(
        self,
        kernel,
        flush_interval=FLUSH_INTERVAL,
        watch_interval=WATCH_INTERVAL,
        probe_timeout=PROBE_TIMEOUT,
    ):
        self.kernel = kernel
        self.registry = Registry()
        self.flush_interval = flush_interval
        self.watch_interval = watch_interval
        self.probe_timeout = probe_timeout
        self._comms = []  # open comms, oldest first
        self._comms_lock = threading.Lock()
        # held from taking a delta or snapshot to its last send (see flush)
        self._send_lock = threading.Lock()
        self._stop = threading.Event()
        self._flusher = None
        self._watchdog = None
        self.send_failures = 0  # sends that raised (for tests and debugging)
        # bound once: every followed task's futures share them (see _follow)
        self._on_future = self._future_moved
        self._on_iopub = self._iopub_moved
        self._last_origin = (None, NO_ORIGIN)  # (the parent message, its Origin)
        # names this bridge (this kernel process): a progress bar saved with
        # a notebook shows only the work of the session that made it
        self.session = uuid.uuid4().hex
        self.progress = ProgressDisplays(self)
        self.outputs = OutputDisplays(self)
        self.requests = RequestOps(self.registry, self.progress, self.flush)

    # -- life cycle --------------------------------------------------------------

    def start(self):
        hooks.add_listener(self._on_result)
        hooks.add_scope_listener(self._on_held, self._on_scope_end)
        hooks.install()
        self.progress.install(getattr(self.kernel, "shell", None))
        self.outputs.install(getattr(self.kernel, "shell", None))
        self.kernel.comm_manager.register_target(COMM_TARGET, self._on_comm_open)
        self._flusher = threading.Thread(
            target=self._run, name="jupyterlab-asyncresult-flusher", daemon=True
        )
        self._flusher.start()
        self._watchdog = threading.Thread(
            target=self._watch, name="jupyterlab-asyncresult-watchdog", daemon=True
        )
        self._watchdog.start()

    def stop(self):
        hooks.remove_listener(self._on_result)
        hooks.remove_scope_listener(self._on_held, self._on_scope_end)
        self.progress.uninstall()
        self.outputs.uninstall()
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

    def _origin(self):
        """The cell running now: its id, its request's msg_id, its `In [n]`.

        Every result a cell makes shares one Origin (this runs for each
        submission, and a loop of 100,000 would otherwise hold as many).
        """
        try:
            parent = self.kernel.get_parent("shell") or {}
        except Exception:
            return NO_ORIGIN
        count = None
        if (parent.get("content") or {}).get("store_history", True):
            count = prompt_number(getattr(self.kernel, "shell", None))
        last_parent, last = self._last_origin
        if parent is last_parent and last.execution_count == count:
            return last
        cell_id = (parent.get("metadata") or {}).get("cellId")
        msg_id = (parent.get("header") or {}).get("msg_id")
        origin = Origin(cell_id, msg_id, count)
        self._last_origin = (parent, origin)
        return origin

    def parent_msg_id(self):
        """The msg_id of the request the kernel's shell is handling now."""
        return self._origin().parent_msg_id

    def listening(self):
        """Whether a frontend has the comm open."""
        with self._comms_lock:
            return bool(self._comms)

    def _on_result(self, ar, scope):
        futures = list(peek(ar, "_children") or [])
        # read before the result is added: its first record is built after
        # (see Registry.add_result), so a send finished by now is in it
        sent = peek(ar, "_sent_future")
        try:
            if sent is not None and future_done(sent):
                sent = None
        except Exception:  # an odd future: follow it as any other
            pass
        rid = None
        growing = scope.get(_GROWING) if scope is not None else None
        if growing is not None:
            # the map whose chunks we followed as they left: same id
            rid, new_tasks = self.registry.adopt(growing, ar, futures)
            if rid is not None:
                del scope[_GROWING]
        if rid is None:
            rid, new_tasks = self.registry.add_result(ar, futures, self._origin(), replaces=scope)
        if scope is not None:
            # msg_id -> the newest result of this compound call holding it
            for msg_id in peek(ar, "msg_ids") or []:
                scope[msg_id] = rid
        self._follow(futures, new_tasks)
        if not futures:
            # an AsyncHubResult resolves only through its own wait()
            ar.add_done_callback(lambda _f: self.registry.mark_result(rid))
        if sent is not None:
            # only the record's `sent` changes, not its tasks
            sent.add_done_callback(lambda _f: self.registry.mark_result(rid, tasks=False))

    def _on_held(self, ar, scope, call):
        """A chunk of a map (or other compound call) left: follow its tasks now."""
        rid = scope.get(_GROWING)
        if rid is None:
            rid = self.registry.add_growing(
                _call_name(call), self._origin(), ordered=_call_ordered(call)
            )
            scope[_GROWING] = rid
        futures = list(peek(ar, "_children") or [])
        new_tasks = self.registry.extend(rid, futures, peek(ar, "_metadata") or [])
        self._follow(futures, new_tasks)

    def _on_scope_end(self, scope):
        rid = scope.pop(_GROWING, None)
        if rid is not None:
            self.registry.end_growing(rid)

    def _follow(self, futures, new_tasks):
        """Mark a task dirty whenever its future, output or iopub moves.

        The same two bound methods serve every task (each reads the msg_id
        from what it is given): a closure per task would be a few more
        objects per task for the collector to walk for as long as the
        user's results live.
        """
        on_future, on_iopub = self._on_future, self._on_iopub
        for future in futures:
            if future.msg_id not in new_tasks:
                continue
            future.add_done_callback(on_future)
            output = getattr(future, "output", None)
            if output is not None:
                output.add_done_callback(on_future)
            callbacks = getattr(future, "iopub_callbacks", None)
            if callbacks is not None:
                callbacks.append(on_iopub)

    def _future_moved(self, future):
        self.registry.mark_task(future.msg_id)

    def _iopub_moved(self, msg):
        try:
            msg_id = msg["parent_header"]["msg_id"]
        except (KeyError, TypeError):
            return
        self.registry.mark_task(msg_id)

    # -- comms ---------------------------------------------------------------------

    def _on_comm_open(self, comm, msg):
        data = msg["content"].get("data") or {}
        replaces = data.get("replaces") if isinstance(data, dict) else None
        replaced = (
            set(r for r in replaces if isinstance(r, str)) if isinstance(replaces, list) else set()
        )
        replaced.discard(comm.comm_id)
        with self._comms_lock:
            # a reloaded tab names the comms its previous page opened: their
            # pagehide close may never have reached us
            gone = [c for c in self._comms if c.comm_id in replaced]
            self._comms = [c for c in self._comms if c.comm_id not in replaced]
            self._comms.append(comm)
            stale = self._comms[:-MAX_COMMS]
            del self._comms[:-MAX_COMMS]
        for old in gone:
            self._drop_silently(old)
        self.progress.listening(True)
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
        settings = data.get("settings") if isinstance(data, dict) else None
        if isinstance(settings, dict):
            try:
                self.requests.configure(settings)
            except ValueError as e:
                self._error(comm, None, f"settings: {e}")
        self._handle(comm, data)

    def _drop_silently(self, comm):
        """Forget the comm of a page that is gone, telling no frontend: a
        comm_close goes out on iopub to every page of this kernel, and each
        page that never knew the comm logs "Comm not found" for it."""
        comm._closed = True  # no comm_close now, nor when it is collected
        try:
            self.kernel.comm_manager.unregister_comm(comm)
        except Exception:
            pass

    def _forget(self, comm):
        with self._comms_lock:
            if comm in self._comms:
                self._comms.remove(comm)
            left = bool(self._comms)
        if not left:
            self.progress.listening(False)

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
            return self.send(comm, self.requests.answer(request_id, data))
        return self._error(comm, request_id, f"unknown message type {kind!r}")

    def send(self, comm, message, clean=False):
        """Send one message on one comm: its results made brief (wire.py), and
        sanitized (sanitize.py), so one bad value in user data never stops the
        stream; never raises, and logs only at debug level, since the
        kernel's stderr is the user's cell. `clean`: both are done already."""
        try:
            comm.send(message if clean else sanitize(brief_message(message)))
            return True
        except Exception:
            # a closed comm or a dying kernel; the next snapshot repairs it
            self.send_failures += 1
            log.debug("jupyterlab_asyncresult: send failed", exc_info=True)
            return False

    def _error(self, comm, request_id, text):
        self.send(comm, error_message(request_id, text))

    def _send_snapshot(self, comm, request_id):
        # all parts under the send lock, taken before the registry's goes, so
        # no delta comes between them or out of seq order
        with self.registry.lock:
            parts = self.registry.snapshot()
            self._send_lock.acquire()
        try:
            bridge = {
                "version": _bridge_version(),
                "ipyparallel": _ipyparallel_version(),
                "session": self.session,
            }
            for part in parts:
                part["reply_to"] = request_id
                part["bridge"] = bridge
                self.send(comm, part)
        finally:
            self._send_lock.release()

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
            try:
                # so that a task failed on an engine that dies before running
                # any of ours can still be told by its id (see _name_engine)
                self.registry.learn_engines(dict(client._engines))
            except Exception:  # changed while copied, on the client's thread
                pass
            self.registry.set_controller(*self.probe(client))

    def probe(self, client):
        """(ok, detail): whether the controller answers a queue_request."""
        started = time.monotonic()
        try:
            # Client._send_recv would wait forever on a dead controller
            future = client._send(
                client._query_stream, "queue_request", content={"targets": None, "verbose": False}
            )
            answered = future.wait(self.probe_timeout)
        except Exception as e:
            return False, f"the controller cannot be reached: {type(e).__name__}: {e}"
        if not answered:
            waited = time.monotonic() - started
            return (
                False,
                f"the controller has not answered for {waited:.0f} s; pending tasks may never finish",
            )
        return True, ""

    # -- the flusher -------------------------------------------------------------

    def _run(self):
        last = 0.0
        changed = self.registry.changed
        while not self._stop.is_set():
            # nothing marks a finished task whose output future was dropped
            # unresolved (see TaskEntry.refresh): look again now and then
            changed.wait(OUTPUT_POLL if self.registry.awaits_outputs() else None)
            if self._stop.is_set():
                break
            pause = last + self.flush_interval - time.monotonic()
            if pause > 0 and self._stop.wait(pause):
                break
            changed.clear()
            try:
                self.flush()
            except Exception:
                # never into the user's cell (stderr): the stream goes on
                log.debug("jupyterlab_asyncresult: flush failed", exc_info=True)
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
            # taken before the registry's lock goes, so messages leave in seq
            # order; sanitizing and sending then hold up nobody who needs only
            # the registry (the user's submissions, the Client's IO thread)
            self._send_lock.acquire()
        try:
            with self._comms_lock:
                comms = list(self._comms)
            if comms:
                delta = sanitize(brief_message(delta))  # once for every comm
            for comm in comms:
                self.send(comm, delta, clean=True)
        finally:
            self._send_lock.release()
