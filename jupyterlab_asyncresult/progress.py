"""Live progress widgets in the cell that submitted parallel work.

A widget appears for `ar.wait_interactive()` (so `%px` / `%%px` too, once
their work runs longer than `--progress-after`) and when an AsyncResult is
displayed. The widget model here carries only which results it shows; the
frontend view reads their live state from its own task store, so progress
costs no extra kernel traffic. When the work ends, the output is replaced,
under the same display id, by a static summary.

All of this acts only while a JupyterLab frontend with this extension listens
(a comm is open) and ipywidgets is importable; otherwise ipyparallel keeps its
own behaviour (tqdm bars, the plain repr).
"""

from __future__ import annotations

import itertools
import logging
import threading
import uuid
from collections import deque

from .records import peek
from .sanitize import clean_text
from .summary import summary_bundle
from .wire import PROTOCOL_VERSION

log = logging.getLogger(__name__)

MODULE = "jupyterlab-asyncresult"
# Our own rendering of a bar, next to the widget's in the same bundle. The
# extension draws it straight from its task store, so a bar shows at once
# after a page reload even while a cell blocks the kernel (a widget model
# cannot be restored then); frontends without the extension use the widget.
PROGRESS_MIME = "application/vnd.jupyterlab-asyncresult.progress+json"
MODES = ("result", "cell", "off")
# Finished widgets stay open this long (newest first), so a page reloaded
# after the work ended can still resolve their models into summaries.
KEEP_FINISHED = 32

_widget_class = None


def widget_class():
    """The ipywidgets model class, made on first use (ipywidgets is optional)."""
    global _widget_class
    if _widget_class is None:
        from ipywidgets import DOMWidget
        from traitlets import Bool, Dict, List, Unicode

        from . import __version__

        class ProgressWidget(DOMWidget):
            """Live progress of some AsyncResults of this kernel's bridge."""

            _model_name = Unicode("ProgressModel").tag(sync=True)
            _model_module = Unicode(MODULE).tag(sync=True)
            _model_module_version = Unicode(f"^{__version__}").tag(sync=True)
            _view_name = Unicode("ProgressView").tag(sync=True)
            _view_module = Unicode(MODULE).tag(sync=True)
            _view_module_version = Unicode(f"^{__version__}").tag(sync=True)
            result_ids = List(Unicode()).tag(sync=True)
            label = Unicode("").tag(sync=True)
            # the static bundle that replaces the widget, set when work ends
            summary = Dict().tag(sync=True)
            finished = Bool(False).tag(sync=True)
            # the bridge session whose results these are (not synced)
            session = ""

            def _repr_mimebundle_(self, **kwargs):
                bundle = super()._repr_mimebundle_(**kwargs)
                if isinstance(bundle, dict):
                    bundle[PROGRESS_MIME] = {
                        "v": PROTOCOL_VERSION,
                        "session": self.session,
                        "result_ids": list(self.result_ids),
                        "label": self.label,
                    }
                return bundle

        _widget_class = ProgressWidget
    return _widget_class


class _Display:
    """One progress widget and the results it follows."""

    def __init__(self, widget, display_id, label):
        self.widget = widget
        self.display_id = display_id
        self.label = label
        self.results = []  # strong references until the work ends
        self.rids = []
        self.msg_ids = []
        self.finished = False


class _Bar:
    """What `wait_interactive` drives; the widget itself needs none of it."""

    def __init__(self, total):
        self.n = 0
        self.total = total

    def update(self, k=1):
        self.n += k

    def close(self):
        pass


class ProgressDisplays:
    """Shows, follows and finishes the progress widgets of one bridge."""

    def __init__(self, bridge):
        self.bridge = bridge
        self.mode = "result"
        self._lock = threading.RLock()
        self._by_result = {}  # rid -> unfinished _Display
        self._by_cell = {}  # parent msg_id -> unfinished _Display ("cell" mode)
        self._finished = deque()
        self._counter = itertools.count(1)
        self._printer_key = ("ipyparallel.client.asyncresult", "AsyncResult")

    # -- life cycle --------------------------------------------------------------

    def install(self, shell):
        from . import hooks

        hooks.set_progress_factory(self._for_wait)
        self._shell = shell

    def listening(self, on):
        """Show AsyncResults as widgets only while a frontend listens, so a
        kernel nobody watches with JupyterLab keeps ipyparallel's repr (and
        its Out[n] prompt) exactly."""
        formatter = self._display_formatter()
        if formatter is None:
            return
        if on:
            formatter.for_type_by_name(*self._printer_key, self._print)
            return
        try:
            formatter.pop(".".join(self._printer_key), None)
        except Exception:
            pass
        try:
            import ipyparallel.client.asyncresult as mod

            formatter.pop(mod.AsyncResult, None)
        except Exception:
            pass

    def uninstall(self):
        from . import hooks

        hooks.set_progress_factory(None)
        self.listening(False)
        with self._lock:
            displays = list(self._by_result.values()) + list(self._finished)
            self._by_result.clear()
            self._by_cell.clear()
            self._finished.clear()
        for d in displays:
            _close_widget(d.widget)

    def _display_formatter(self):
        shell = getattr(self, "_shell", None)
        formatter = getattr(
            getattr(shell, "display_formatter", None), "ipython_display_formatter", None
        )
        return formatter

    def configure(self, mode):
        if mode not in MODES:
            raise ValueError(f"progress mode must be one of {', '.join(MODES)}")
        self.mode = mode

    def active(self):
        """Whether widgets replace ipyparallel's bars right now."""
        if self.mode == "off" or not self.bridge.listening():
            return False
        try:
            widget_class()
        except ImportError:
            return False
        return True

    # -- entry points ------------------------------------------------------------

    def _for_wait(self, ar, widget=None, total=0, **_kwargs):
        """The progress factory for `ar.wait_interactive()`."""
        if widget is False or not self.active():
            return None  # the user asked for text, or nobody would see a widget
        return _Bar(total) if self.show(ar) else None

    def _print(self, ar):
        """How IPython displays an AsyncResult (the last value of a cell too)."""
        try:
            if self.active() and self.show(ar):
                return
        except Exception:
            log.exception("jupyterlab_asyncresult: could not show progress")
        from IPython.display import display

        display({"text/plain": repr(ar)}, raw=True)

    def show(self, ar):
        """Display progress for `ar` in the current cell; False if it cannot."""
        registry = self.bridge.registry
        rid = registry.rid_of(ar)
        if rid is None:
            return False  # e.g. Client.wait_interactive's ad-hoc aggregate
        from IPython.display import display

        with self._lock:
            current = self._by_result.get(rid)
            if current is None and ar.ready():
                bundle = summary_bundle(_label(ar), registry.tally(list(ar.msg_ids)))
                display(bundle, raw=True)
                return True
            if current is None and self.mode == "cell":
                cell = self.bridge.parent_msg_id()
                current = self._by_cell.get(cell) if cell else None
                if current is not None:
                    # the cell already has its bar: this result joins it
                    self._follow(current, ar, rid)
                    current.label = _joined_label(current)
                    current.widget.result_ids = list(current.rids)
                    current.widget.label = current.label
                    # and the bar's own rendering names it too
                    from IPython.display import update_display

                    update_display(current.widget, display_id=current.display_id)
                    return True
            if current is None:
                current = self._create(ar, rid)
                display(current.widget, display_id=current.display_id)
                self._follow(current, ar, rid)
                return True
        # shown before (an earlier cell): show the same live widget here too
        display(current.widget, display_id=current.display_id)
        return True

    def shown(self, ar):
        """Whether a live bar already follows `ar` (so `%%ar` adds none)."""
        rid = self.bridge.registry.rid_of(ar)
        with self._lock:
            return rid is not None and rid in self._by_result

    # -- following -----------------------------------------------------------------

    def _create(self, ar, rid):
        label = _label(ar)
        widget = widget_class()(result_ids=[rid], label=label)
        widget.session = self.bridge.session
        d = _Display(widget, f"asyncresult-{uuid.uuid4().hex[:12]}-{next(self._counter)}", label)
        if self.mode == "cell":
            cell = self.bridge.parent_msg_id()
            if cell:
                self._by_cell[cell] = d
                d.cell = cell
        return d

    def _follow(self, d, ar, rid):
        d.results.append(ar)
        d.rids.append(rid)
        d.msg_ids.extend(ar.msg_ids)
        self._by_result[rid] = d
        ar.add_done_callback(lambda _f: self._maybe_finish(d))

    def _maybe_finish(self, d):
        """Runs on the Client's IO thread when one of `d`'s results ends."""
        try:
            with self._lock:
                if d.finished or not all(ar.done() for ar in d.results):
                    return
                d.finished = True
                for rid in d.rids:
                    if self._by_result.get(rid) is d:
                        del self._by_result[rid]
                cell = getattr(d, "cell", None)
                if cell and self._by_cell.get(cell) is d:
                    del self._by_cell[cell]
                d.results = []
                self._finished.append(d)
                stale = []
                while len(self._finished) > KEEP_FINISHED:
                    stale.append(self._finished.popleft())
            self._finish(d)
            for old in stale:
                _close_widget(old.widget)
        except Exception:
            # runs on the Client's IO thread: stderr would land in a random cell
            log.debug("jupyterlab_asyncresult: could not finish a progress widget", exc_info=True)

    def _finish(self, d):
        from IPython.display import update_display

        bundle = summary_bundle(d.label, self.bridge.registry.tally(d.msg_ids))
        # the model first: a page reloaded since the widget was displayed
        # has lost its display ids and replaces the output from the model;
        # the display update serves every page that saw the display
        d.widget.summary = bundle
        d.widget.finished = True
        update_display(bundle, raw=True, display_id=d.display_id)


def _label(ar):
    fname = peek(ar, "_fname")
    # a name the widget's comm can carry (a lone surrogate would stop it)
    return clean_text(str(fname)) if fname else type(ar).__name__


def _joined_label(d):
    names = []
    for ar in d.results:
        name = _label(ar)
        if name not in names:
            names.append(name)
    return ", ".join(names)


def _close_widget(widget):
    try:
        widget.close()
    except Exception:
        pass
