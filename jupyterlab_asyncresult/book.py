"""The AsyncResults of this IPython, by short id, for the `%ar` magics.

The book works with or without a kernel bridge (terminal IPython too): it
listens to the same `hooks` as the bridge. It holds the user's results only
weakly, so releasing a result frees it (the bridge's own release test holds
us to that); a released result keeps the counts it ended with. Results the
magics make themselves (`%ar resubmit`) are held, the newest 32.
"""

from __future__ import annotations

import collections
import itertools
import threading
import time
import weakref

from . import hooks
from .entries import prompt_number
from .records import epoch_seconds, peek, task_status

# statuses in the order every view lists them
STATUSES = ("done", "failed", "aborted", "running", "queued")
# how many finished entries the book remembers after their result is gone
MAX_RELEASED = 500


class RefError(LookupError):
    """A REF that names no result, or more than one."""


def count_tasks(ar):
    """Counts of an AsyncResult's work by status, chunk-weighted like `len(ar)`.

    A map's task carries a chunk of elements; each counts as many as it
    carries, so the total is `len(ar)` and `done` follows `ar.progress`.
    """
    counts = dict.fromkeys(STATUSES, 0)
    metadata = peek(ar, "_metadata") or []
    children = peek(ar, "_children") or []
    sizes = peek(ar, "_chunk_sizes") or {}
    for i, msg_id in enumerate(peek(ar, "msg_ids") or []):
        md = metadata[i] if i < len(metadata) else {}
        future = children[i] if i < len(children) else None
        status = task_status(md, future)
        key = {"error": "failed", "pending": "queued", "unknown": "queued"}.get(status, status)
        counts[key] += sizes.get(msg_id, 1)
    return counts


# a finished task's reply status -> its key in the counts
_REPLIED = {"ok": "done", "error": "failed", "aborted": "aborted"}


def final_reading(ar):
    """What the book keeps of a finished result, in one pass over its
    metadata (it runs for every finished result, on the Client's IO
    thread): `(counts, elapsed, label)`.

    - counts: `count_tasks(ar)` read from the reply statuses alone, or None
      when a task has none (failed without a reply: a dead engine);
    - elapsed: `ar.wall_time` (first `submitted` to last `received`) read
      as the metadata holds them, without ipyparallel's date parsing
      (dateutil, about a millisecond a stamp); None when one is missing;
    - label: the one label its tasks were sent with, or None.
    """
    metadata = peek(ar, "_metadata") or []
    msg_ids = peek(ar, "msg_ids") or []
    sizes = peek(ar, "_chunk_sizes") or {}
    counts = dict.fromkeys(STATUSES, 0) if len(metadata) == len(msg_ids) else None
    first = last = None
    timed = True
    labels = set()
    for i, md in enumerate(metadata):
        get = md.get
        if counts is not None:
            key = _REPLIED.get(get("status"))
            if key is None:
                counts = None
            else:
                counts[key] += sizes.get(msg_ids[i], 1) if sizes else 1
        if timed:
            submitted, received = get("submitted"), get("received")
            if submitted is None or received is None:
                timed = False
            else:
                submitted, received = epoch_seconds(submitted), epoch_seconds(received)
                if submitted is None or received is None:
                    timed = False
                else:
                    first = submitted if first is None else min(first, submitted)
                    last = received if last is None else max(last, received)
        label = get("label")
        if label is not None:
            try:
                labels.add(label)
            except TypeError:  # an unhashable label names nothing
                pass
    elapsed = last - first if timed and first is not None else None
    return counts, elapsed, str(labels.pop()) if len(labels) == 1 else None


def final_counts(ar):
    """`count_tasks(ar)` for a result whose tasks all replied, read from the
    reply statuses alone; any task without one falls back to it."""
    counts = final_reading(ar)[0]
    return count_tasks(ar) if counts is None else counts


def wall_time(ar):
    """`ar.wall_time` as `final_reading` reads it; None when a stamp is missing."""
    return final_reading(ar)[1]


def summarise(counts, ready, elapsed):
    """A result's summary: its counts, their total, one word, its seconds."""
    return {
        "counts": counts,
        "total": sum(counts.values()),
        "status": overall_status(counts, ready),
        "elapsed": elapsed,
    }


def overall_status(counts, ready):
    """One word for a result: queued, running, done, failed or aborted."""
    if not ready:
        return "running" if counts["running"] or counts["done"] or counts["failed"] else "queued"
    if counts["failed"]:
        return "failed"
    if counts["aborted"]:
        return "aborted"
    return "done"


class _Ref(weakref.ref):
    """A weak reference to a followed result that knows its entry's id and
    the result's `id()`, so one shared callback can say which entry's result
    was released and drop it from the book's index."""

    __slots__ = ("eid", "key")


class Entry:
    """One AsyncResult in the book."""

    __slots__ = ("id", "ref", "_label", "cell", "created", "final", "__weakref__")

    def __init__(self, eid, ar, cell, label=None, on_release=None):
        self.id = eid
        self.ref = _Ref(ar, on_release)
        self.ref.eid = eid
        self.ref.key = id(ar)
        self._label = label
        self.cell = cell
        self.created = time.time()
        self.final = None  # counts, status and elapsed once finished

    @property
    def name(self):
        """The function name (`%px` for %px work), or the class name."""
        ar = self.result
        if ar is None:
            return (self.final or {}).get("name", "released")
        return _name(ar)

    @property
    def label(self):
        """The label given with `%%ar --label` or sent with the work, or None."""
        if self._label is not None:
            return self._label
        ar = self.result
        if ar is None:
            return (self.final or {}).get("label")
        return _label(ar)

    @property
    def result(self):
        """The AsyncResult, or None once it was released."""
        return self.ref()

    @property
    def title(self):
        return self.label or self.name

    def summary(self):
        """Counts, total, status and elapsed seconds, live or as it ended."""
        ar = self.result
        if ar is None:
            return self.final or {
                "counts": dict.fromkeys(STATUSES, 0),
                "total": 0,
                "status": "released",
                "elapsed": None,
            }
        counts = count_tasks(ar)
        ready = ar.ready()
        try:
            elapsed = ar.elapsed
        except Exception:
            elapsed = None
        return summarise(counts, ready, elapsed)


class ResultBook:
    """Every AsyncResult created in this process since the book opened."""

    def __init__(self, shell):
        self._shell = shell
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._entries = {}  # id -> Entry, in creation order
        # id(ar) -> Entry of a live result. Not a WeakKeyDictionary, whose
        # every call runs in Python and which holds a weak reference of its
        # own per result (the entry has one): the entry's reference takes
        # the result out when it is released, before its id can be reused.
        self._by_id = {}
        # called with each new entry (`%%ar --abort-on-error` watches a cell)
        self.watchers = []
        self._held = collections.deque(maxlen=32)  # results the magics made
        # ids of entries whose result was garbage collected, oldest first:
        # appended by the weakref's callback, so forgetting the oldest costs
        # what was released, never a walk over every entry
        self._released = collections.deque()
        # bound once and shared by every entry: a closure per result would be
        # more objects for the collector to walk while the results live
        self._on_release = self._released_ref
        self._on_done = self._result_done

    # -- following ---------------------------------------------------------------

    def open(self):
        hooks.add_listener(self._on_result)
        hooks.install()

    def close(self):
        hooks.remove_listener(self._on_result)

    def _on_result(self, ar, _delivered):
        self.add(ar)

    def add(self, ar, label=None, hold=False):
        """Follow `ar` (once), holding it if the magics made it; its entry."""
        if hold:
            self._held.append(ar)
        with self._lock:
            entry = self._live_entry(ar)
            if entry is not None:
                return entry
            entry = Entry(next(self._ids), ar, self._cell(), label, self._on_release)
            self._entries[entry.id] = entry
            self._by_id[id(ar)] = entry
        try:
            ar.add_done_callback(self._on_done)
        except Exception:
            pass
        for watcher in list(self.watchers):
            try:
                watcher(entry)
            except Exception:  # a watcher must never break the user's code
                pass
        return entry

    def _live_entry(self, ar):
        entry = self._by_id.get(id(ar))
        return entry if entry is not None and entry.ref() is ar else None

    def _released_ref(self, ref):
        """The weakref callback of every entry (from the collector, on any
        thread: it takes no lock; a deque's append and a dict's pop are
        single steps under the GIL)."""
        self._released.append(ref.eid)
        entry = self._by_id.get(ref.key)
        if entry is not None and entry.ref is ref:
            self._by_id.pop(ref.key, None)

    def _result_done(self, ar):
        with self._lock:
            entry = self._live_entry(ar)
        if entry is not None:
            self._finished(entry)

    def _finished(self, entry):
        """Runs on the Client's IO thread, once per result: keep the counts
        it ended with. Its cost must not grow with the results seen."""
        ar = entry.result
        if ar is not None:
            try:
                counts, elapsed, label = final_reading(ar)
                if counts is None:
                    counts = count_tasks(ar)
                entry.final = summarise(counts, ar.ready(), elapsed)
                entry.final["name"] = _name(ar)
                entry.final["label"] = entry._label if entry._label is not None else label
            except Exception:
                entry.final = None
        self._forget_released()

    def _forget_released(self):
        """Forget the oldest released entries beyond MAX_RELEASED (it runs
        for every finished result: the lock only when there is some)."""
        if len(self._released) <= MAX_RELEASED:
            return
        with self._lock:
            while len(self._released) > MAX_RELEASED:
                self._entries.pop(self._released.popleft(), None)

    def _cell(self):
        """The `In [n]` number of the cell running now, or None."""
        return prompt_number(self._shell)

    # -- reading -------------------------------------------------------------------

    def entries(self):
        """Every entry, oldest first."""
        with self._lock:
            return list(self._entries.values())

    def entry_of(self, ar):
        with self._lock:
            return self._live_entry(ar)

    def resolve(self, ref):
        """The entry a REF names: `#3` / `3` (an id), `-1` (newest first),
        a variable holding an AsyncResult, or a label. Raises RefError."""
        text = str(ref).strip()
        entries = self.entries()
        if not entries and not text.isidentifier():
            raise RefError("no AsyncResult yet in this kernel: submit some work first")
        if text.startswith("-") and text[1:].isdigit():
            k = int(text[1:])
            if k < 1 or k > len(entries):
                raise RefError(
                    f"{text}: there {'is' if len(entries) == 1 else 'are'} "
                    f"{len(entries)} result{'' if len(entries) == 1 else 's'} "
                    f"(use -1 to -{len(entries)})"
                )
            return entries[-k]
        digits = text[1:] if text.startswith("#") else text
        if digits.isdigit():
            with self._lock:
                entry = self._entries.get(int(digits))
            if entry is None:
                raise RefError(f"no result #{digits}: `%ar list` shows the ids")
            return entry
        found = []
        namespace = getattr(self._shell, "user_ns", {}) or {}
        value = namespace.get(text) if text.isidentifier() else None
        if value is not None and _is_async_result(value):
            found.append(self.add(value))
        for entry in entries:
            if entry.label == text and entry not in found:
                found.append(entry)
        if not found:
            raise RefError(
                f"{text!r} names no AsyncResult (not an id, a label, a variable or -1, -2, ...): "
                "`%ar list` shows what there is"
            )
        if len(found) > 1:
            ids = ", ".join(f"#{e.id}" for e in found)
            raise RefError(f"{text!r} names {len(found)} results ({ids}): use one id")
        return found[0]

    def completions(self):
        """What a REF may be, for tab completion."""
        out = []
        entries = self.entries()
        for entry in entries:
            out.append(f"#{entry.id}")
            if entry.label and entry.label.isprintable() and " " not in entry.label:
                out.append(entry.label)
        out.extend(f"-{k}" for k in range(1, min(len(entries), 3) + 1))
        namespace = getattr(self._shell, "user_ns", {}) or {}
        out.extend(
            name
            for name, value in list(namespace.items())
            if not name.startswith("_") and _is_async_result(value)
        )
        return list(dict.fromkeys(out))


def _is_async_result(value):
    try:
        from ipyparallel import AsyncResult
    except ImportError:
        return False
    return isinstance(value, AsyncResult)


def _name(ar):
    fname = peek(ar, "_fname")
    return str(fname) if fname else type(ar).__name__


def _label(ar):
    labels = set()
    for md in peek(ar, "_metadata") or []:
        try:
            labels.add(md.get("label"))
        except Exception:
            pass
    labels.discard(None)
    return str(labels.pop()) if len(labels) == 1 else None
