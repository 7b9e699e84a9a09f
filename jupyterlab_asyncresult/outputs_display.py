"""Grouped outputs as one display: `display_outputs`, `%px`, `%ar outputs`.

While a JupyterLab frontend with this extension listens, ipyparallel's
`AsyncResult.display_outputs` (which `%px` / `%%px` call after their work)
does not print its text dump and republish engine displays one by one:
it runs under a recorder, and one display takes its place, holding

- `text/plain`: exactly the text ipyparallel would have shown (its streams
  and the text/plain of each display, in order), so a saved notebook
  opened elsewhere reads as before;
- our mime type: the grouping and every task's outputs (capped as
  `get_outputs` caps them), so the extension draws the grouped view, and a
  saved notebook shows it with no kernel.

Engine displays travel inside our mime data only: the extension renders
them untrusted unless the user trusts engine outputs. With no frontend
listening, ipyparallel behaves exactly as it always did.
"""

from __future__ import annotations

import contextlib
import io
import logging
import sys
import threading
import uuid

from .records import error_info, peek
from .values import engine_hints, task_outputs
from .wire import PROTOCOL_VERSION

log = logging.getLogger(__name__)

OUTPUTS_MIME = "application/vnd.jupyterlab-asyncresult.outputs+json"

_state = threading.local()


class Recorder:
    """What ipyparallel prints and displays, in order, instead of showing it."""

    def __init__(self):
        self.items = []  # ("stream", name, text) | ("display", data, metadata)
        self._by_display_id = {}  # display_id -> index in items
        self.lock = threading.Lock()

    def stream(self, name, text):
        with self.lock:
            self.items.append(("stream", name, text))

    def display(self, data, metadata, transient=None, update=False):
        """A display, or (update) the new data of an earlier one with the same id."""
        item = ("display", dict(data or {}), dict(metadata or {}))
        display_id = (transient or {}).get("display_id")
        with self.lock:
            at = self._by_display_id.get(display_id) if display_id else None
            if at is not None:
                self.items[at] = item  # what a notebook shows after the update
            elif not update:
                if display_id:
                    self._by_display_id[display_id] = len(self.items)
                self.items.append(item)

    def text(self):
        """The text a plain-text frontend shows for the recorded outputs:
        streams as written, each display's text/plain on its own line."""
        out = []
        with self.lock:
            items = list(self.items)
        for item in items:
            if item[0] == "stream":
                out.append(item[2])
                continue
            plain = (item[1] or {}).get("text/plain")
            if plain is None:
                continue
            if out and not out[-1].endswith("\n"):
                out.append("\n")
            out.append(f"{plain}\n")
        return "".join(out)


class _Stream(io.TextIOBase):
    def __init__(self, recorder, name):
        self._recorder = recorder
        self._name = name

    def writable(self):
        return True

    def write(self, s):
        if s:
            self._recorder.stream(self._name, str(s))
        return len(s)


class _Publisher:
    """Stands in for the shell's display publisher while recording."""

    def __init__(self, recorder, real):
        self._recorder = recorder
        self._real = real

    def publish(self, data, metadata=None, source=None, *, transient=None, update=False, **_kw):
        self._recorder.display(data, metadata, transient, update)

    def __getattr__(self, name):
        return getattr(self._real, name)


def recording(run, shell):
    """Run `run()` with its prints and displays recorded; returns the Recorder."""
    recorder = Recorder()
    saved = sys.stdout, sys.stderr, shell.display_pub
    sys.stdout = _Stream(recorder, "stdout")
    sys.stderr = _Stream(recorder, "stderr")
    shell.display_pub = _Publisher(recorder, saved[2])
    _state.recording = getattr(_state, "recording", 0) + 1
    try:
        run()
    finally:
        _state.recording -= 1
        sys.stdout, sys.stderr, shell.display_pub = saved
    return recorder


def is_recording():
    """Whether this thread is already recording (nested calls print into it)."""
    return getattr(_state, "recording", 0) > 0


class _Tap:
    """Thread-aware stand-ins for sys.stdout, sys.stderr and the display
    publisher: a thread that set a recorder (ipyparallel's streaming
    callbacks, on the Client's IO thread) writes into it; every other
    thread reaches the real ones."""

    def __init__(self):
        self._lock = threading.Lock()
        self._users = 0
        self._saved = None
        self._local = threading.local()

    def recorder(self):
        return getattr(self._local, "recorder", None)

    @contextlib.contextmanager
    def recording(self, recorder):
        previous = self.recorder()
        self._local.recorder = recorder
        try:
            yield
        finally:
            self._local.recorder = previous

    def install(self, shell):
        with self._lock:
            self._users += 1
            if self._users > 1:
                return
            self._saved = (sys.stdout, sys.stderr, shell.display_pub, shell)
            sys.stdout = _TapStream(self, "stdout", sys.stdout)
            sys.stderr = _TapStream(self, "stderr", sys.stderr)
            shell.display_pub = _TapPublisher(self, shell.display_pub)

    def uninstall(self):
        with self._lock:
            self._users -= 1
            if self._users > 0 or self._saved is None:
                return
            stdout, stderr, pub, shell = self._saved
            self._saved = None
            # put back only what is still ours (someone may have swapped since)
            if isinstance(sys.stdout, _TapStream):
                sys.stdout = stdout
            if isinstance(sys.stderr, _TapStream):
                sys.stderr = stderr
            if isinstance(shell.display_pub, _TapPublisher):
                shell.display_pub = pub


class _TapStream:
    def __init__(self, tap, name, real):
        self._tap = tap
        self._name = name
        self._real = real

    def write(self, s):
        recorder = self._tap.recorder()
        if recorder is None:
            return self._real.write(s)
        if s:
            recorder.stream(self._name, str(s))
        return len(s)

    def __getattr__(self, name):
        return getattr(self._real, name)


class _TapPublisher:
    def __init__(self, tap, real):
        self._tap = tap
        self._real = real

    def publish(self, data, metadata=None, *args, **kwargs):
        recorder = self._tap.recorder()
        if recorder is None:
            return self._real.publish(data, metadata, *args, **kwargs)
        recorder.display(data, metadata, kwargs.get("transient"), kwargs.get("update", False))
        return None

    def __getattr__(self, name):
        return getattr(self._real, name)


def payload(bridge, ar, groupby, result_only=False, engines=None, done=None):
    """Our mime data for `ar`: its final outputs, grouped by `groupby`."""
    tasks = []
    hints = engine_hints(ar)
    for msg_id, md, hint in zip(ar.msg_ids, peek(ar, "_metadata") or [], hints, strict=False):
        task = task_outputs(msg_id, md, engine_hint=hint)
        if engines and task["engine_id"] not in engines:
            continue
        error = md.get("error")
        task["error"] = error_info(error) if error is not None else None
        tasks.append(task)
    rid = bridge.registry.rid_of(ar) if bridge is not None else None
    return {
        "v": PROTOCOL_VERSION,
        "session": getattr(bridge, "session", ""),
        "result_id": rid or "",
        # the display can reach the frontend before the delta announcing
        # the result: its store holds the result once it is at this seq
        "seq": bridge.registry.seq_holding(rid) if rid else 0,
        "groupby": groupby,
        "single": bool(peek(ar, "_single_result")),
        "result_only": bool(result_only),
        "done": bool(ar.ready()) if done is None else done,
        "tasks": tasks,
    }


class OutputDisplays:
    """Replaces `display_outputs` with one grouped display while a frontend listens."""

    def __init__(self, bridge):
        self.bridge = bridge
        self._shell = None
        self._tap = _Tap()

    def install(self, shell):
        from . import hooks

        self._shell = shell
        # the kernel's own publisher and streams: under `capture_output()` or
        # `%%capture` they are swapped, and ipyparallel's text is what is wanted
        self._pub = getattr(shell, "display_pub", None)
        self._stdout_type = type(sys.stdout)
        hooks.set_outputs_handler(self._display_outputs)
        hooks.set_stream_handler(self._stream_output)

    def uninstall(self):
        from . import hooks

        hooks.set_outputs_handler(None)
        hooks.set_stream_handler(None)

    def active(self):
        """Whether to show our view: JupyterLab listens and nothing captures the output."""
        if self._shell is None or not self.bridge.listening() or is_recording():
            return False
        pub = self._shell.display_pub
        if isinstance(pub, _TapPublisher):
            pub = pub._real
        stdout = sys.stdout
        if isinstance(stdout, _TapStream):
            stdout = stdout._real
        return pub is self._pub and type(stdout) is self._stdout_type

    def _display_outputs(self, ar, groupby, result_only, run):
        """The handler for `ar.display_outputs`: False leaves it to ipyparallel."""
        if not self.active():
            return False
        self.show(ar, groupby, run, result_only=result_only)
        return True

    def show(self, ar, groupby, run, result_only=False, engines=None):
        """Record what `run()` shows of `ar`, then display our bundle in its place."""
        recorder = recording(run, self._shell)
        text = recorder.text()
        try:
            data = {OUTPUTS_MIME: payload(self.bridge, ar, groupby, result_only, engines)}
        except Exception:
            log.exception("jupyterlab_asyncresult: could not gather outputs")
            data = {}
        data["text/plain"] = text
        if not text and not any(t["outputs"] or t["execute_result"] for t in _tasks_of(data)):
            return  # ipyparallel showed nothing: neither do we
        self._shell.display_pub.publish(data=data, metadata={})

    def _stream_output(self, ar, original):
        """The handler for `ar.stream_output()` (`%px`, which streams by
        default in a kernel): our live view in place of the streamed text."""
        if not self.active() or self._shell is None:
            return None
        return self._streaming(ar, original)

    @contextlib.contextmanager
    def _streaming(self, ar, original):
        """Show the live view at once; let ipyparallel stream into a
        recorder (on the IO thread) rather than into the cell; when the
        stream ends, update the view with the final outputs and, as its
        text/plain, what ipyparallel's stream would have left in the cell."""
        recorder = Recorder()
        display_id = f"asyncresult-outputs-{uuid.uuid4().hex[:16]}"
        pub = self._shell.display_pub
        transient = {"display_id": display_id}
        pub.publish(
            data={
                "text/plain": "",
                OUTPUTS_MIME: payload(self.bridge, ar, "engine", done=False),
            },
            metadata={},
            transient=transient,
        )
        callback = type(ar)._iopub_streaming_output_callback

        def recorded(eid, msg_future, msg):
            if not msg.get("parent_header"):
                # ipyparallel replays output captured before the stream began
                # with no parent, so every engine's replay shares the display
                # id "-stdout" and the last engine's text replaces the others';
                # name the task it came from, as its live messages do
                msg = {**msg, "parent_header": {"msg_id": msg_future.msg_id}}
            with self._tap.recording(recorder):
                callback(ar, eid, msg_future, msg)

        # stream_output binds self._iopub_streaming_output_callback on entry
        ar._iopub_streaming_output_callback = recorded
        self._tap.install(self._shell)
        try:
            with original():
                try:
                    yield
                finally:
                    # output produced before an error or the end can come
                    # after the reply: wait for it while ipyparallel's
                    # stream callbacks are still attached (they go when
                    # `original()` exits), so the recorded text holds it too,
                    # and give a busy machine more than ipyparallel's 1 s
                    _wait_for_output(ar, timeout=5)
        finally:
            self._tap.uninstall()
            try:
                del ar._iopub_streaming_output_callback
            except AttributeError:
                pass
            try:
                data = {OUTPUTS_MIME: payload(self.bridge, ar, "engine")}
            except Exception:
                log.exception("jupyterlab_asyncresult: could not gather outputs")
                data = {}
            data["text/plain"] = recorder.text()
            self._shell.display_pub.publish(
                data=data, metadata={}, transient=transient, update=True
            )


def _wait_for_output(ar, timeout):
    try:
        if ar.ready():
            ar.wait_for_output(timeout=timeout)
    except Exception:
        pass


def _tasks_of(data):
    return (data.get(OUTPUTS_MIME) or {}).get("tasks") or []
