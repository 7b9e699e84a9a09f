"""`%%ar --label L`: send a label with every task a cell submits.

ipyparallel carries a task's label in the request's metadata and echoes it
in the reply, so a label given at submission is seen by ipyparallel itself
(`ar.label`, `ar.metadata`), by the hub, and by the bridge alike. A label
set only on our side would be overwritten by the reply.
"""

from __future__ import annotations

import contextlib
import functools
import threading

_PATCHED = "_jupyterlab_asyncresult_label"
_lock = threading.Lock()
_current = None  # the label of the %%ar cell running now (process-wide: pool threads too)


def _with_label(method):
    @functools.wraps(method)
    def send(self, *args, **kwargs):
        label = _current
        if label is not None:
            metadata = kwargs.get("metadata")
            if metadata is None or (isinstance(metadata, dict) and metadata.get("label") is None):
                kwargs["metadata"] = {**(metadata or {}), "label": label}
        return method(self, *args, **kwargs)

    setattr(send, _PATCHED, method)
    return send


def _patch():
    from ipyparallel.client.client import Client

    for name in ("send_apply_request", "send_execute_request"):
        method = Client.__dict__.get(name)
        if method is not None and getattr(method, _PATCHED, None) is None:
            setattr(Client, name, _with_label(method))


def unpatch():
    """Undo the wrapping (for `%unload_ext`)."""
    import sys

    module = sys.modules.get("ipyparallel.client.client")
    if module is None:
        return
    for name, value in list(module.Client.__dict__.items()):
        original = getattr(value, _PATCHED, None)
        if original is not None:
            setattr(module.Client, name, original)


@contextlib.contextmanager
def labelling(label):
    """Label every task submitted inside the block (unless it has a label)."""
    global _current
    if label is None:
        yield
        return
    _patch()
    with _lock:
        previous, _current = _current, label
    try:
        yield
    finally:
        with _lock:
            _current = previous
