"""What the bridge knows: AsyncResult records, task records, what changed.

Callbacks from the ipyparallel Client's IO thread only mark things dirty here.
Records are built under the lock by whichever thread asks: a first record
when a result is added (the user's thread), the rest when a delta is taken
(the flusher, or the comm thread for `spin`), a snapshot is made (the comm
thread) or progress is tallied. Everything is guarded by one lock (after
the progress lock, before the comms lock: bridge.py), and nothing here calls
back into the Client or into other parts of the bridge.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
import weakref
from collections import OrderedDict, deque

from . import wire
from .entries import NO_ORIGIN, ResultEntry, TaskEntry
from .records import STATUSES, dead_engine_uuid, peek, read_or

log = logging.getLogger(__name__)

# How many finished AsyncResults the bridge keeps records of; older ones are
# forgotten (and reported as removed) so a long session does not grow forever.
MAX_FINISHED_RESULTS = 500
# ... and beyond this many task records, the oldest finished results go too
# (500 maps of 10,000 tasks would otherwise hold 5 million records;
# a record costs about 1 KB).
MAX_TASKS = 100_000


class Registry:
    """Results and tasks by id, with dirty sets for the next delta.

    The flusher's work per delta is proportional to what changed: dirty
    results and tasks are kept in their own collections, each result counts
    its unfinished tasks, and finished results queue for pruning in the
    order they finished, so nothing scans every result or task.
    """

    def __init__(self, max_finished=MAX_FINISHED_RESULTS, max_tasks=MAX_TASKS):
        self.lock = threading.RLock()
        self.seq = 0
        self._ids = itertools.count(1)
        self._results = OrderedDict()  # id -> ResultEntry
        self._tasks = {}  # msg_id -> TaskEntry
        self._finished = OrderedDict()  # ids of finished results, oldest first
        self._unfinished_tasks = 0
        self._dirty_results = set()
        self._dirty_tasks = {}  # msg_id -> None, in the order they changed
        self._removed = []
        self._max_finished = max_finished
        self._max_tasks = max_tasks
        self._engine_ids = {}  # engine uuid -> id, of every engine seen
        # finished tasks whose outputs are not over, their output future held
        # weakly (see TaskEntry.refresh), and the msg_ids of those collected
        self._awaited_outputs = 0
        self._lost_outputs = deque()
        self._output_lost = self._note_lost_output  # bound once, shared by every task
        self.controller = {"ok": True, "detail": ""}
        self._controller_dirty = False
        self.changed = threading.Event()

    # -- called from any thread, must be cheap --------------------------------

    def add_result(self, ar, futures, origin=NO_ORIGIN, replaces=None):
        """Start following an AsyncResult.

        `replaces` maps msg_ids to the ids of results made earlier in the
        same compound call (a map's chunks); those whose tasks this result
        covers are dropped. Looking candidates up by msg_id keeps a map of
        n tasks O(n), not O(n^2).
        Returns the new id and the set of msg_ids not followed before.
        """
        with self.lock:
            order = next(self._ids)
            rid = f"r{order}"
            entry = ResultEntry(rid, order, ar, origin)
            # its record is built by the next flush (not here as well: this
            # runs on the user's thread for every submission), so the result
            # is held until then, in case nothing else holds it so long
            entry.pin = ar
            self._results[rid] = entry
            metadata = peek(ar, "_metadata") or []
            new_tasks = self._hold_tasks(entry, 0, futures, metadata)
            self._dirty_results.add(rid)
            if replaces:
                covered = set(entry.msg_ids)
                candidates = {replaces[m] for m in entry.msg_ids if m in replaces}
                for old in candidates:
                    inner = self._results.get(old)
                    if inner is not None and old != rid and covered.issuperset(inner.msg_ids):
                        self._drop(old)
            self._settle(entry)
        self._wake()
        return rid, new_tasks

    def add_growing(self, fname, origin=NO_ORIGIN, ordered=True):
        """Start following a submission whose AsyncResult does not exist yet.

        ipyparallel makes a map's AsyncMapResult only after it sent every
        task; `extend` adds tasks as they leave and `adopt` hands the entry
        its AsyncResult, keeping the id, so a frontend sees the map from its
        first task on. `ordered` is the map's (False: results as they come).
        """
        with self.lock:
            order = next(self._ids)
            rid = f"r{order}"
            entry = ResultEntry(rid, order, None, origin, msg_ids=[])
            entry.kind = "AsyncMapResult"
            entry.growing = True
            entry.fname = fname
            entry.ordered = bool(ordered)
            read_or(entry.build_record, None)
            self._results[rid] = entry
            self._dirty_results.add(rid)
        self._wake()
        return rid

    def extend(self, rid, futures, metadata):
        """Add tasks that left for a growing entry; returns the new msg_ids."""
        with self.lock:
            entry = self._results.get(rid)
            if entry is None or not entry.growing:
                return set()
            at = len(entry.msg_ids)
            entry.msg_ids.extend(f.msg_id for f in futures)
            new_tasks = self._hold_tasks(entry, at, futures, metadata)
            self._dirty_results.add(rid)
        self._wake()
        return new_tasks

    def adopt(self, rid, ar, futures):
        """Give a growing entry its AsyncResult, if it covers the same tasks.

        Returns (the id now following `ar`, or None when it did not fit, the
        set of msg_ids not followed before).
        """
        with self.lock:
            entry = self._results.get(rid)
            if entry is None or not entry.growing:
                return None, set()
            ids = list(ar.msg_ids)
            if ids[: len(entry.msg_ids)] != entry.msg_ids:
                return None, set()
            at = len(entry.msg_ids)
            entry.ref = weakref.ref(ar)
            entry.kind = type(ar).__name__
            if entry.kind not in ("AsyncResult", "AsyncMapResult", "AsyncHubResult"):
                entry.kind = "AsyncResult"
            entry.msg_ids.extend(ids[at:])
            metadata = peek(ar, "_metadata") or []
            new_tasks = self._hold_tasks(entry, at, futures[at:], metadata[at:])
            entry.growing = False
            read_or(entry.build_record, None)
            self._dirty_results.add(rid)
            self._settle(entry)
        self._wake()
        return rid, new_tasks

    def end_growing(self, rid):
        """Forget a growing entry that no AsyncResult came to cover."""
        with self.lock:
            entry = self._results.get(rid)
            if entry is not None and entry.growing:
                self._drop(rid)
        self._wake()

    def _wake(self):
        """Wake the flusher. An Event's set() takes its condition's lock and
        notifies, and this runs several times per task (on the user's thread
        and the Client's IO thread): skip it when already set. Safe, because
        every caller changed the dirty sets under `lock` before, and the
        flusher clears the event before it takes a delta under `lock`."""
        if not self.changed.is_set():
            self.changed.set()

    def mark_task(self, msg_id):
        """Note that a task changed (from the Client's IO thread)."""
        with self.lock:
            if msg_id in self._tasks:
                self._dirty_tasks[msg_id] = None
        self._wake()

    def mark_result(self, rid, tasks=True):
        """Note that a result's record (and, with `tasks`, all its tasks) may have changed."""
        with self.lock:
            entry = self._results.get(rid)
            if entry is not None:
                self._dirty_results.add(rid)
                if tasks:
                    self._dirty_tasks.update(dict.fromkeys(entry.msg_ids))
        self._wake()

    def awaits_outputs(self):
        """Whether a finished task's outputs may still end (or be lost)
        without anything marking it: the flusher then looks now and then."""
        return self._awaited_outputs > 0

    def has_unfinished(self):
        """Whether any followed task may still be waiting on the cluster."""
        with self.lock:
            return self._unfinished_tasks > 0

    def set_controller(self, ok, detail=""):
        """Note whether the controller answers; the next delta says so."""
        with self.lock:
            state = {"ok": bool(ok), "detail": detail}
            if state == self.controller:
                return
            self.controller = state
            self._controller_dirty = True
        self._wake()

    def live_result(self, rid):
        """The AsyncResult behind an id; raises LookupError saying why not."""
        with self.lock:
            entry = self._results.get(rid)
        if entry is None:
            raise LookupError(f"unknown result id {rid!r}")
        if entry.ref is None:
            raise LookupError(f"result {rid!r} is still being submitted")
        ar = entry.ref()
        if ar is None:
            raise LookupError(
                f"the kernel no longer holds result {rid!r} (it was garbage-collected)"
            )
        return ar

    def running_engines(self, msg_ids):
        """The engines that run one of these tasks now, as the bridge knows it."""
        engines = set()
        with self.lock:
            for msg_id in msg_ids:
                task = self._tasks.get(msg_id)
                record = task.record if task is not None else None
                # (a settled record, a tuple, is a finished task's)
                if record.__class__ is dict and record["status"] == "running":
                    engine = record.get("engine_id")
                    if isinstance(engine, int):
                        engines.add(engine)
        return engines

    def rid_of(self, ar):
        """The id under which an AsyncResult object is followed, or None."""
        with self.lock:
            for rid, entry in reversed(self._results.items()):
                if entry.ref is not None and entry.ref() is ar:
                    return rid
        return None

    def seq_holding(self, rid):
        """The seq of the delta from which a frontend's store holds result
        `rid` (the next one while it has not been sent yet)."""
        with self.lock:
            entry = self._results.get(rid)
            if entry is not None and entry.sent is None:
                return self.seq + 1
            return self.seq

    def latest_client(self):
        """The Client of the newest AsyncResult still alive, or None."""
        with self.lock:
            entries = list(self._results.values())
        for entry in reversed(entries):
            ar = entry.ref() if entry.ref is not None else None
            client = peek(ar, "_client") if ar is not None else None
            if client is not None:
                return client
        return None

    def tally(self, msg_ids):
        """Counts by status, engines and elapsed time of some tasks, fresh
        from the Client (for a progress summary; not a protocol record)."""
        counts = dict.fromkeys(STATUSES, 0)
        engines = set()
        first = last = None
        first_error = None
        with self.lock:
            for msg_id in msg_ids:
                entry = self._tasks.get(msg_id)
                record = self._refresh(entry) if entry is not None else None
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

    # -- deltas and snapshots (the flusher, and the comm thread) ------------------

    def take_delta(self):
        """What changed since the last delta, in wire form; bumps seq.

        Returns None when nothing changed. The caller sends it under `lock`
        so that deltas leave in seq order.
        """
        with self.lock:
            lost = self._lost_outputs
            while lost:
                msg_id = lost.popleft()
                if msg_id in self._tasks:
                    self._dirty_tasks[msg_id] = None
            if not (
                self._dirty_results or self._dirty_tasks or self._removed or self._controller_dirty
            ):
                return None
            clock = time.time()
            batch = wire.Batch(int(clock))
            # in creation order, so every frontend lists results the same way
            for rid in sorted(self._dirty_results, key=lambda r: self._results[r].order):
                entry = self._results[rid]
                record = read_or(entry.build_record, entry.record)
                entry.pin = None
                if record is None:
                    continue
                if entry.sent is None:
                    batch.results.append(dict(record, msg_ids=list(record["msg_ids"])))
                else:
                    patch = wire.result_patch(entry.sent, record, entry.sent_ids)
                    if patch is not None:
                        batch.result_changes.append(patch)
                # (a record is never changed once built: keep it, not a copy)
                entry.sent = record
                entry.sent_ids = len(record["msg_ids"])
            for msg_id in self._dirty_tasks:
                task = self._tasks[msg_id]
                if task.settled():
                    continue  # its final record went out: nothing can change
                record = self._refresh(task)
                if record is None:
                    continue
                if not wire.same_state(task.sent, record):
                    owner = self._results[task.owners[0]]
                    if task.index is None:
                        task.index = owner.msg_ids.index(msg_id)
                    with_error = task.sent is None or task.sent["error"] != record["error"]
                    batch.add_row(owner.id, record, task.index, with_error)
                # (a settled record is kept as a tuple; what was sent is that)
                task.sent = task.settle() or record
            self._dirty_results.clear()
            self._dirty_tasks.clear()
            try:
                self._prune()
            except Exception:  # pruning is housekeeping: never lose a delta to it
                log.exception("jupyterlab_asyncresult: prune failed")
            removed, self._removed = self._removed, []
            self.seq += 1
            delta = {"v": wire.PROTOCOL_VERSION, "type": "delta", "seq": self.seq, "clock": clock}
            delta.update(batch.fields())
            delta["removed"] = removed
            if self._controller_dirty:
                delta["controller"] = dict(self.controller)
                self._controller_dirty = False
            return delta

    def snapshot(self):
        """Every record as of `seq`, as a list of snapshot parts.

        The stream's own state (what deltas carried) is left alone: the
        snapshot goes to one frontend, deltas to all.
        """
        with self.lock:
            clock = time.time()
            entries = []
            for entry in self._results.values():
                record = read_or(entry.build_record, entry.record)
                entry.pin = None
                if record is not None:
                    entries.append((record, list(entry.msg_ids)))
            tasks = {m: (self._refresh(t), t.owners[0]) for m, t in self._tasks.items()}
            parts = wire.snapshot_parts(entries, tasks, int(clock))
            messages = []
            for i, batch in enumerate(parts):
                message = {
                    "v": wire.PROTOCOL_VERSION,
                    "type": "snapshot",
                    "seq": self.seq,
                    "clock": clock,
                    "part": i,
                    "parts": len(parts),
                }
                message.update(batch.fields())
                message["controller"] = dict(self.controller)
                messages.append(message)
            return messages

    # -- bookkeeping, under the lock ---------------------------------------------

    def _hold_tasks(self, entry, at, futures, metadata):
        """Follow the tasks of `entry` from position `at`; returns new msg_ids."""
        new_tasks = set()
        for i, msg_id in enumerate(entry.msg_ids[at:]):
            task = self._tasks.get(msg_id)
            if task is not None:
                if entry.id not in task.owners:
                    task.owners += (entry.id,)
                    if not task.done:
                        entry.unfinished += 1
                continue
            future = futures[i] if i < len(futures) else None
            md = metadata[i] if i < len(metadata) else {}
            self._tasks[msg_id] = TaskEntry(msg_id, md, future, entry.id, at + i)
            entry.unfinished += 1
            self._unfinished_tasks += 1
            new_tasks.add(msg_id)
            self._dirty_tasks[msg_id] = None
        return new_tasks

    def _note_lost_output(self, ref):
        """An output future was collected unresolved (see TaskEntry.refresh):
        from the collector, on any thread; a deque's append takes no lock."""
        self._lost_outputs.append(ref.msg_id)

    def learn_engines(self, engines):
        """Remember engine ids by uuid ({id: uuid}, as a Client's `_engines`)."""
        with self.lock:
            for engine_id, uuid in engines.items():
                self._engine_ids[str(uuid)] = engine_id

    def _refresh(self, task):
        """A task's fresh record; counts it finished for its owners once."""
        awaited = task.output is not None
        try:  # (read_or, without a closure per task change)
            record = task.refresh(self._output_lost)
        except Exception:
            record = task.current()
        self._awaited_outputs += (task.output is not None) - awaited
        if record is not None:
            self._name_engine(record)
        if not task.done and task.finished:
            task.done = True
            self._unfinished_tasks -= 1
            for rid in task.owners:
                entry = self._results.get(rid)
                if entry is not None:
                    entry.unfinished -= 1
                    self._settle(entry)
        return record

    def _name_engine(self, record):
        """Learn engines from records, and name the engine of a task the
        task scheduler failed when its engine died: its error names the
        engine by uuid only, and the engine had been unregistered (so
        ipyparallel no longer knows its id) before the error came."""
        engine, uuid = record["engine_id"], record["engine_uuid"]
        if engine is not None:
            if uuid is not None:
                self._engine_ids[uuid] = engine
            return
        error = record.get("error")
        if not error or error.get("ename") != "EngineError":
            return
        engine = self._engine_ids.get(dead_engine_uuid(error.get("evalue")))
        if engine is not None:
            record["engine_id"] = engine
            if error.get("engine_id") is None:
                error["engine_id"] = engine

    def _settle(self, entry):
        """Queue a result for pruning once all its tasks finished."""
        if entry.unfinished <= 0 and not entry.growing and entry.id in self._results:
            self._finished[entry.id] = None

    def _drop(self, rid):
        """Forget one result, and the tasks no other result holds."""
        entry = self._results.pop(rid, None)
        if entry is None:
            return
        self._finished.pop(rid, None)
        self._dirty_results.discard(rid)
        if entry.sent is not None:
            # a frontend may have it: say it is gone
            self._removed.append(rid)
        for msg_id in entry.msg_ids:
            task = self._tasks.get(msg_id)
            if task is None or rid not in task.owners:
                continue
            first = task.owners[0] == rid
            owners = task.owners
            task.owners = () if len(owners) == 1 else tuple(o for o in owners if o != rid)
            if not task.owners:
                del self._tasks[msg_id]
                self._dirty_tasks.pop(msg_id, None)
                if task.output is not None:
                    self._awaited_outputs -= 1
                if not task.done:
                    self._unfinished_tasks -= 1
            elif first:
                task.index = None  # found again in its new first owner
                task.sent = None  # ... and sent again under that one

    def _prune(self):
        """Forget the oldest finished results beyond the caps."""
        while self._finished and (
            len(self._finished) > self._max_finished or len(self._tasks) > self._max_tasks
        ):
            rid = next(iter(self._finished))
            self._drop(rid)
            self._finished.pop(rid, None)
