"""What the bridge knows: AsyncResult records, task records, what changed.

Callbacks from the ipyparallel Client's IO thread only mark things dirty here;
the flusher thread turns dirty marks into records. Everything is guarded by
one lock and nothing here calls back into the Client.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
import weakref
from collections import OrderedDict

from .records import FINISHED as _FINISHED
from .records import _safe, _targets, peek, task_record

log = logging.getLogger(__name__)

# How many finished AsyncResults the bridge keeps records of; older ones are
# forgotten (and reported as removed) so a long session does not grow forever.
MAX_FINISHED_RESULTS = 500
# ... and beyond this many task records, the oldest finished results go too
# (500 maps of 10,000 tasks would otherwise hold 5 million records;
# a record costs about 1 KB).
MAX_TASKS = 100_000


class _ResultEntry:
    """One AsyncResult the bridge follows, held weakly."""

    __slots__ = (
        "id",
        "ref",
        "kind",
        "msg_ids",
        "cell_id",
        "parent_msg_id",
        "created",
        "record",
        "announced",
        "finished",
    )

    def __init__(self, rid, ar, cell_id, parent_msg_id):
        self.id = rid
        self.ref = weakref.ref(ar)
        self.kind = type(ar).__name__
        if self.kind not in ("AsyncResult", "AsyncMapResult", "AsyncHubResult"):
            self.kind = "AsyncResult"
        self.msg_ids = list(ar.msg_ids)
        self.cell_id = cell_id
        self.parent_msg_id = parent_msg_id
        self.created = time.time()
        self.record = None
        self.announced = False  # a delta or snapshot carried it
        self.finished = False  # every task finished (it stays so): see _prune

    def build_record(self):
        ar = self.ref()
        if ar is not None:
            fname = peek(ar, "_fname")
            label = None
            try:
                labels = {md.get("label") for md in ar._metadata}
                labels.discard(None)
                if len(labels) == 1:
                    label = labels.pop()
            except Exception:
                pass
            self.record = {
                "id": self.id,
                "kind": self.kind,
                "fname": str(fname) if fname is not None else "unknown",
                "label": label,
                "msg_ids": self.msg_ids,
                "targets": _targets(peek(ar, "_targets")),
                "cell_id": self.cell_id,
                "parent_msg_id": self.parent_msg_id,
                "created": self.created,
                "single": bool(peek(ar, "_single_result", False)),
                "ordered": bool(peek(ar, "ordered", True)),
                "sent": bool(_safe(lambda: ar.sent, False)),
                # a map's tasks each carry a chunk of elements (len(ar) counts them)
                "chunk_sizes": {
                    m: n for m, n in (peek(ar, "_chunk_sizes") or {}).items() if n != 1
                },
            }
        return self.record


class _TaskEntry:
    """One task: where to read its state, and its last record."""

    __slots__ = ("msg_id", "metadata", "future", "record")

    def __init__(self, msg_id, metadata, future):
        self.msg_id = msg_id
        self.metadata = metadata
        self.future = future
        self.record = None

    def refresh(self):
        if self.future is None and self.metadata is None:
            return self.record  # finished, outputs in: it no longer changes
        old = self.record
        self.record = task_record(self.msg_id, self.metadata, self.future)
        if old is not None:
            keep_engine(old, self.record)
        if self.finished and self.record["output_done"]:
            # drop the live references so the bridge keeps no results alive
            self.metadata = self.future = None
        return self.record

    @property
    def finished(self):
        """Whether its last record says it finished (done, error, aborted)."""
        return self.record is not None and self.record["status"] in _FINISHED


def keep_engine(old, new):
    """Keep the engine a task was seen on when its new record lost it.

    When an engine dies, ipyparallel's Client fails its tasks with a made-up
    reply whose metadata sets `engine_id` to None (the engine is already
    unregistered), though the task was seen running there. The record keeps
    the id it had, and so does the error, so the views can say which engine
    died.
    """
    engine_id = old["engine_id"]
    if new["engine_id"] is not None or engine_id is None:
        return
    if new["engine_uuid"] not in (None, old["engine_uuid"]):
        return
    new["engine_id"] = engine_id
    error = new.get("error")
    if error and error.get("engine_id") is None:
        error["engine_id"] = engine_id


class Registry:
    """Results and tasks by id, with dirty sets for the next delta."""

    def __init__(self, max_finished=MAX_FINISHED_RESULTS, max_tasks=MAX_TASKS):
        self.lock = threading.RLock()
        self.seq = 0
        self._ids = itertools.count(1)
        self._results = OrderedDict()  # id -> _ResultEntry
        self._tasks = {}  # msg_id -> _TaskEntry
        self._dirty_results = set()
        self._dirty_tasks = set()
        self._removed = []
        self._max_finished = max_finished
        self._max_tasks = max_tasks
        self.controller = {"ok": True, "detail": ""}
        self._controller_dirty = False
        self.changed = threading.Event()

    # -- called from any thread, must be cheap --------------------------------

    def add_result(self, ar, futures, cell_id=None, parent_msg_id=None, replaces=None):
        """Start following an AsyncResult.

        `replaces` maps msg_ids to the ids of results made earlier in the
        same compound call (a map's chunks); those whose tasks this result
        covers are dropped. Looking candidates up by msg_id keeps a map of
        n tasks O(n), not O(n^2).
        Returns the new id and the set of msg_ids not followed before.
        """
        with self.lock:
            rid = f"r{next(self._ids)}"
            entry = _ResultEntry(rid, ar, cell_id, parent_msg_id)
            # a first record now, in case nothing holds the result until the
            # next flush (it is rebuilt then, e.g. for %px's late name)
            _safe(entry.build_record, None)
            self._results[rid] = entry
            new_tasks = set()
            for i, msg_id in enumerate(entry.msg_ids):
                if msg_id in self._tasks:
                    continue
                future = futures[i] if i < len(futures) else None
                metadata = ar._metadata[i] if i < len(ar._metadata) else {}
                self._tasks[msg_id] = _TaskEntry(msg_id, metadata, future)
                new_tasks.add(msg_id)
            self._dirty_tasks.update(entry.msg_ids)
            self._dirty_results.add(rid)
            if replaces:
                covered = set(entry.msg_ids)
                candidates = {replaces[m] for m in entry.msg_ids if m in replaces}
                for old in candidates:
                    inner = self._results.get(old)
                    if inner is not None and old != rid and covered.issuperset(inner.msg_ids):
                        del self._results[old]
                        self._dirty_results.discard(old)
                        if inner.announced:
                            # a frontend may have it: say it is gone
                            self._removed.append(old)
        self.changed.set()
        return rid, new_tasks

    def mark_task(self, msg_id):
        """Note that a task changed (from the Client's IO thread)."""
        with self.lock:
            if msg_id in self._tasks:
                self._dirty_tasks.add(msg_id)
        self.changed.set()

    def mark_result(self, rid):
        """Note that all tasks of a result may have changed."""
        with self.lock:
            entry = self._results.get(rid)
            if entry is not None:
                self._dirty_results.add(rid)
                self._dirty_tasks.update(entry.msg_ids)
        self.changed.set()

    def has_unfinished(self):
        """Whether any followed task may still be waiting on the cluster."""
        with self.lock:
            return any(not t.finished for t in self._tasks.values())

    def set_controller(self, ok, detail=""):
        """Note whether the controller answers; the next delta says so."""
        with self.lock:
            state = {"ok": bool(ok), "detail": detail}
            if state == self.controller:
                return
            self.controller = state
            self._controller_dirty = True
        self.changed.set()

    def live_result(self, rid):
        """The AsyncResult behind an id; raises LookupError saying why not."""
        with self.lock:
            entry = self._results.get(rid)
        if entry is None:
            raise LookupError(f"unknown result id {rid!r}")
        ar = entry.ref()
        if ar is None:
            raise LookupError(
                f"the kernel no longer holds result {rid!r} (it was garbage-collected)"
            )
        return ar

    def rid_of(self, ar):
        """The id under which an AsyncResult object is followed, or None."""
        with self.lock:
            for rid, entry in reversed(self._results.items()):
                if entry.ref() is ar:
                    return rid
        return None

    def latest_client(self):
        """The Client of the newest AsyncResult still alive, or None."""
        with self.lock:
            entries = list(self._results.values())
        for entry in reversed(entries):
            ar = entry.ref()
            client = peek(ar, "_client") if ar is not None else None
            if client is not None:
                return client
        return None

    def tally(self, msg_ids):
        """Counts by status, engines and elapsed time of some tasks, fresh
        from the Client (for a progress summary; not a protocol record)."""
        counts = dict.fromkeys(("pending", "running", "done", "error", "aborted", "unknown"), 0)
        engines = set()
        first = last = None
        first_error = None
        with self.lock:
            for msg_id in msg_ids:
                entry = self._tasks.get(msg_id)
                record = _safe(entry.refresh, entry.record) if entry is not None else None
                if record is None:
                    counts["unknown"] += 1
                    continue
                counts[record["status"]] += 1
                if record["engine_id"] is not None:
                    engines.add(record["engine_id"])
                if record["submitted"] is not None:
                    first = (
                        record["submitted"] if first is None else min(first, record["submitted"])
                    )
                end = record["completed"] or record["received"]
                if end is not None:
                    last = end if last is None else max(last, end)
                if first_error is None and record["status"] == "error" and record["error"]:
                    first_error = record["error"]
        elapsed = (
            (last - first) if first is not None and last is not None and last >= first else None
        )
        return {
            "counts": counts,
            "total": len(msg_ids),
            "engines": sorted(engines),
            "elapsed": elapsed,
            "first_error": first_error,
        }

    # -- called by the flusher -------------------------------------------------

    def take_delta(self):
        """Records of everything dirty, plus what was removed; bumps seq.

        Returns None when nothing changed. The caller sends it under `lock`
        so that deltas leave in seq order.
        """
        with self.lock:
            if not (
                self._dirty_results or self._dirty_tasks or self._removed or self._controller_dirty
            ):
                return None
            # in creation order, so every frontend lists results the same way
            dirty = [self._results[rid] for rid in self._results if rid in self._dirty_results]
            results = [r for r in (_safe(e.build_record, e.record) for e in dirty) if r]
            for entry in dirty:
                entry.announced = True
            tasks = [self._tasks[m].refresh() for m in self._dirty_tasks if m in self._tasks]
            self._dirty_results.clear()
            self._dirty_tasks.clear()
            try:
                self._prune()
            except Exception:  # pruning is housekeeping: never lose a delta to it
                log.exception("jupyterlab_asyncresult: prune failed")
            removed, self._removed = self._removed, []
            self.seq += 1
            delta = {
                "v": 1,
                "type": "delta",
                "seq": self.seq,
                "clock": time.time(),
                "results": results,
                "tasks": tasks,
                "removed": removed,
            }
            if self._controller_dirty:
                delta["controller"] = dict(self.controller)
                self._controller_dirty = False
            return delta

    def snapshot(self):
        """Every record as of `seq` (records are refreshed, seq is not bumped)."""
        with self.lock:
            results = [
                r for r in (_safe(e.build_record, e.record) for e in self._results.values()) if r
            ]
            for entry in self._results.values():
                entry.announced = True
            tasks = [t.refresh() for t in self._tasks.values()]
            return {
                "v": 1,
                "type": "snapshot",
                "seq": self.seq,
                "clock": time.time(),
                "results": results,
                "tasks": tasks,
                "controller": dict(self.controller),
            }

    def _prune(self):
        """Forget the oldest finished results beyond the caps."""
        if len(self._results) <= self._max_finished and len(self._tasks) <= self._max_tasks:
            return  # nothing can be over a cap: skip the scan of every task
        for e in self._results.values():
            if not e.finished:
                e.finished = all(self._tasks[m].finished for m in e.msg_ids if m in self._tasks)
        finished = [rid for rid, e in self._results.items() if e.finished]
        left = len(finished)
        for rid in finished:
            if left <= self._max_finished and len(self._tasks) <= self._max_tasks:
                break
            entry = self._results.pop(rid)
            left -= 1
            self._removed.append(rid)
            self._dirty_results.discard(rid)
            orphans = set(entry.msg_ids)
            for other in self._results.values():
                orphans.difference_update(other.msg_ids)
            for m in orphans:
                self._tasks.pop(m, None)
