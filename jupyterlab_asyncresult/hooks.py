"""Seeing every AsyncResult that ipyparallel creates in this process.

ipyparallel has no registry or signal for new AsyncResults, so we wrap
`AsyncResult.__init__` (which every path goes through, `%px` included) and
hand each new result to a listener. Calls that build one result out of
others (map, scatter, gather) are "compound": the inner results they make are
replaced by the outer one, so a map shows up once, not once per chunk.

Nothing here may raise into user code.
"""

from __future__ import annotations

import functools
import importlib.abc
import logging
import sys
import threading

log = logging.getLogger(__name__)

_PATCHED = "_jupyterlab_asyncresult_patched"
_state = threading.local()
_listeners = []


def add_listener(listener):
    """Call `listener(ar, delivered)` for each new AsyncResult.

    `delivered` is None outside compound calls, else a dict shared by the
    results delivered from the same outermost compound call on this thread,
    for the listener to map msg_ids to its own ids (so a later result that
    covers an earlier one can replace it).
    """
    if listener not in _listeners:
        _listeners.append(listener)


def remove_listener(listener):
    if listener in _listeners:
        _listeners.remove(listener)


def add_scope_listener(on_held, on_end):
    """Follow the results a compound call holds back, as they are made.

    `on_held(ar, delivered, call)` runs for each inner result held (a map's
    chunk, as it is submitted: ipyparallel makes the map's own result only
    after its last chunk), `on_end(delivered)` when the outermost call
    returns or raises. `call` is (the object called, the method's name).
    """
    pair = (on_held, on_end)
    if pair not in _scope_listeners:
        _scope_listeners.append(pair)


def remove_scope_listener(on_held, on_end):
    if (on_held, on_end) in _scope_listeners:
        _scope_listeners.remove((on_held, on_end))


_scope_listeners = []


def set_progress_factory(factory):
    """Let `factory(ar, **kwargs)` make the progress bar of `ar.wait_interactive()`.

    It gets the keyword arguments ipyparallel passes to its own `progress`
    (total, unit, desc, widget) and returns an object with `n`, `update(k)`
    and `close()`, or None to keep ipyparallel's own bar (tqdm).
    """
    global _progress_factory
    _progress_factory = factory


_progress_factory = None


def set_outputs_handler(handler):
    """Let `handler(ar, groupby, result_only, run)` stand in for
    `ar.display_outputs(groupby, result_only)`: it returns False to leave it
    to ipyparallel, else shows the outputs itself (calling `run()` runs
    ipyparallel's own, e.g. to record its text)."""
    global _outputs_handler
    _outputs_handler = handler


_outputs_handler = None


def _outputs(method):
    """Wrap `AsyncResult.display_outputs` so the handler can replace it."""

    @functools.wraps(method)
    def display_outputs(self, groupby="type", result_only=False):
        handler = _outputs_handler
        if handler is not None:
            try:
                done = handler(
                    self, groupby, result_only, lambda: method(self, groupby, result_only)
                )
            except Exception as e:
                if type(e).__module__.startswith("ipyparallel"):
                    raise  # ipyparallel's own refusal (e.g. not ready), as without us
                log.exception("jupyterlab_asyncresult: outputs handler failed")
                done = True  # its run() may have shown part: do not show twice
            if done:
                return None
        return method(self, groupby, result_only)

    setattr(display_outputs, _PATCHED, method)
    return display_outputs


def set_stream_handler(handler):
    """Let `handler(ar, original)` stand in for `ar.stream_output()`: it
    returns a context manager to use instead (`original()` makes
    ipyparallel's own), or None to leave it to ipyparallel."""
    global _stream_handler
    _stream_handler = handler


_stream_handler = None


def _streaming(method):
    """Wrap `AsyncResult.stream_output` (what `%px` streams through)."""

    @functools.wraps(method)
    def stream_output(self):
        handler = _stream_handler
        if handler is not None:
            try:
                cm = handler(self, lambda: method(self))
            except Exception:
                log.exception("jupyterlab_asyncresult: stream handler failed")
                cm = None
            if cm is not None:
                return cm
        return method(self)

    setattr(stream_output, _PATCHED, method)
    return stream_output


def _progress(*args, **kwargs):
    """Stands in for `ipyparallel.client.asyncresult.progress`."""
    ar = getattr(_state, "waiting", None)
    factory = _progress_factory
    if factory is not None and ar is not None:
        try:
            bar = factory(ar, **kwargs)
        except Exception:
            log.exception("jupyterlab_asyncresult: progress factory failed")
            bar = None
        if bar is not None:
            return bar
    return getattr(_progress, _PATCHED)(*args, **kwargs)


def _waiting(method):
    """Wrap `AsyncResult.wait_interactive` so `_progress` knows for whom."""

    @functools.wraps(method)
    def wait_interactive(self, *args, **kwargs):
        previous = getattr(_state, "waiting", None)
        _state.waiting = self
        try:
            return method(self, *args, **kwargs)
        finally:
            _state.waiting = previous

    setattr(wait_interactive, _PATCHED, method)
    return wait_interactive


def _settling(method):
    """Wrap `AsyncResult._resolve_result` so a map with aborted tasks ends.

    ipyparallel 9 treats an aborted task's TaskAborted as a value, and a map
    then fails to join its chunks inside a future callback, where the
    TypeError is only logged: the result never becomes ready, and a cell in
    `get()` or `wait_interactive()` hangs forever. Here it fails with the
    TaskAborted instead, as a single aborted `apply` already does.
    """

    @functools.wraps(method)
    def _resolve_result(self, f=None):
        try:
            return method(self, f)
        except Exception as e:
            if self.done():
                raise
            raw = getattr(self, "_raw_results", None) or []
            aborted = [r for r in raw if type(r).__name__ == "TaskAborted"]
            self._success = False
            self.set_exception(aborted[0] if aborted else e)

    setattr(_resolve_result, _PATCHED, method)
    return _resolve_result


class _Scope:
    """The results of one outermost compound call (a map, scatter, gather).

    A map of n tasks makes n chunk results and then the outer one. Chunks
    are held here until a result that covers them arrives, and only that one
    is delivered: listeners see one result per map, not n + 1, and a map of
    10,000 tasks costs them one call, not 10,001. What nothing covers is
    delivered when the call returns.
    """

    __slots__ = ("held", "held_by_msg", "delivered", "call")

    def __init__(self, call=None):
        self.call = call  # (the object called, the method's name)
        self.held = {}  # id(ar) -> ar, in creation order
        self.held_by_msg = {}  # msg_id -> id(ar) of the held result
        self.delivered = {}  # for the listeners: msg_id -> their id

    def offer(self, ar):
        """Hold `ar`, or return True if it covers held results (dropped)."""
        msg_ids = list(getattr(ar, "msg_ids", None) or [])
        keys = {self.held_by_msg[m] for m in msg_ids if m in self.held_by_msg}
        if not keys:
            self.held[id(ar)] = ar
            for m in msg_ids:
                self.held_by_msg[m] = id(ar)
            return False
        mine = set(msg_ids)
        for key in keys:
            held = self.held.get(key)
            if held is not None and mine.issuperset(held.msg_ids):
                del self.held[key]
                for m in held.msg_ids:
                    if self.held_by_msg.get(m) == key:
                        del self.held_by_msg[m]
        return True

    def leftovers(self):
        held, self.held, self.held_by_msg = list(self.held.values()), {}, {}
        return held


def _scope():
    return getattr(_state, "scope", None)


def _deliver(ar, delivered):
    for listener in list(_listeners):
        try:
            listener(ar, delivered)
        except Exception:  # a hook must never break the user's code
            log.exception("jupyterlab_asyncresult: listener failed")


def _notify(ar):
    if getattr(_state, "skip", 0):
        return
    scope = _scope()
    if scope is None:
        _deliver(ar, None)
    elif scope.offer(ar):
        _deliver(ar, scope.delivered)
    else:
        for on_held, _ in list(_scope_listeners):
            try:
                on_held(ar, scope.delivered, scope.call)
            except Exception:
                log.exception("jupyterlab_asyncresult: listener failed")


def _compound(method, skip=False):
    """Wrap a method that builds AsyncResults out of other AsyncResults."""

    @functools.wraps(method)
    def wrapper(*args, **kwargs):
        outer = _scope() is None
        if outer:
            _state.scope = _Scope((args[0] if args else None, method.__name__))
        if skip:
            _state.skip = getattr(_state, "skip", 0) + 1
        try:
            return method(*args, **kwargs)
        finally:
            if skip:
                _state.skip -= 1
            if outer:
                scope, _state.scope = _state.scope, None
                for ar in scope.leftovers():
                    _deliver(ar, scope.delivered)
                for _, on_end in list(_scope_listeners):
                    try:
                        on_end(scope.delivered)
                    except Exception:
                        log.exception("jupyterlab_asyncresult: listener failed")

    setattr(wrapper, _PATCHED, method)
    return wrapper


def patch_ipyparallel():
    """Wrap the constructors and compound calls of an imported ipyparallel."""
    from ipyparallel.client import asyncresult, client, remotefunction, view

    AsyncResult = asyncresult.AsyncResult
    if getattr(AsyncResult.__init__, _PATCHED, None) is not None:
        return False
    original_init = AsyncResult.__init__

    @functools.wraps(original_init)
    def __init__(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        _notify(self)

    setattr(__init__, _PATCHED, original_init)
    AsyncResult.__init__ = __init__
    AsyncResult.wait_interactive = _waiting(AsyncResult.wait_interactive)
    AsyncResult._resolve_result = _settling(AsyncResult._resolve_result)
    AsyncResult.display_outputs = _outputs(AsyncResult.display_outputs)
    AsyncResult.stream_output = _streaming(AsyncResult.stream_output)
    setattr(_progress, _PATCHED, asyncresult.progress)
    asyncresult.progress = _progress

    targets = [
        (remotefunction.ParallelFunction, "__call__", False),
        (view.DirectView, "scatter", False),
        (view.DirectView, "gather", False),
        (view.BroadcastView, "map", False),
        # an aggregate over results that are already followed
        (client.Client, "wait_interactive", True),
    ]
    for cls, name, skip in targets:
        method = cls.__dict__.get(name)
        if method is not None and getattr(method, _PATCHED, None) is None:
            setattr(cls, name, _compound(method, skip=skip))
    return True


def unpatch_ipyparallel():
    """Undo patch_ipyparallel (for tests and `%unload_ext`)."""
    mod = sys.modules.get("ipyparallel.client.asyncresult")
    if mod is None:
        return
    from ipyparallel.client import client, remotefunction, view

    if mod.progress is _progress:
        mod.progress = getattr(_progress, _PATCHED)
    for cls in (
        mod.AsyncResult,
        remotefunction.ParallelFunction,
        view.DirectView,
        view.BroadcastView,
        client.Client,
    ):
        for name, value in list(cls.__dict__.items()):
            original = getattr(value, _PATCHED, None)
            if original is not None:
                setattr(cls, name, original)


class _PatchOnImport(importlib.abc.MetaPathFinder):
    """Patch ipyparallel right after its package finishes importing."""

    def find_spec(self, fullname, path, target=None):
        if fullname != "ipyparallel":
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                break
        else:
            return None
        loader = spec.loader
        if loader is None or not hasattr(loader, "exec_module"):
            return spec
        original_exec = loader.exec_module

        def exec_module(module):
            original_exec(module)
            try:
                patch_ipyparallel()
            except Exception:
                log.exception("jupyterlab_asyncresult: could not patch ipyparallel")

        loader.exec_module = exec_module
        return spec


_finder = _PatchOnImport()


def install():
    """Patch ipyparallel now if it is imported, else as soon as it is."""
    if "ipyparallel.client.asyncresult" in sys.modules:
        patch_ipyparallel()
    elif _finder not in sys.meta_path:
        sys.meta_path.insert(0, _finder)


def uninstall():
    if _finder in sys.meta_path:
        sys.meta_path.remove(_finder)
    unpatch_ipyparallel()
