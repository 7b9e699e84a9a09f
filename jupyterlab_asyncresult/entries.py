"""The bridge's entries for one AsyncResult and one task (see registry.py)."""

from __future__ import annotations

import sys
import time
import weakref
from typing import NamedTuple

from .records import (
    FINISHED,
    RECORD_KEYS,
    future_done,
    peek,
    plain_targets,
    read_or,
    stream_size_of,
    task_record,
)


class Origin(NamedTuple):
    """Where a result was made: the cell, its request, its `In [n]`."""

    cell_id: str | None = None
    parent_msg_id: str | None = None
    execution_count: int | None = None


NO_ORIGIN = Origin()


def prompt_number(shell):
    """The `In [n]` of the cell `shell` runs now, or None.

    IPython counts a cell up as it starts, so while it runs its number is
    one less than the shell's count (ipykernel's execute_reply says the same).
    """
    count = getattr(shell, "execution_count", None)
    return count - 1 if isinstance(count, int) else None


class ResultEntry:
    """One AsyncResult the bridge follows, held weakly."""

    __slots__ = (
        "id",
        "order",
        "ref",
        "kind",
        "msg_ids",
        "origin",
        "created",
        "record",
        "sent",
        "sent_ids",
        "unfinished",
        "growing",
        "fname",
        "ordered",
        "pin",
    )

    def __init__(self, rid, order, ar, origin=NO_ORIGIN, msg_ids=None):
        self.id = rid
        self.order = order
        self.ref = weakref.ref(ar) if ar is not None else None
        self.kind = type(ar).__name__
        if self.kind not in ("AsyncResult", "AsyncMapResult", "AsyncHubResult"):
            self.kind = "AsyncResult"
        self.msg_ids = list(ar.msg_ids) if msg_ids is None else msg_ids
        self.origin = origin
        self.created = time.time()
        self.record = None
        self.sent = None  # the record the delta stream last carried
        self.sent_ids = 0  # ... and how many of msg_ids it carried
        self.unfinished = 0  # tasks not finished yet: 0 means finished
        self.growing = False  # a submission still sending tasks (see add_growing)
        self.fname = None
        self.ordered = True  # a growing map's, read from its call (see add_growing)
        # the result itself, held until its first record is built (see
        # Registry.add_result), then only weakly
        self.pin = None

    def build_record(self):
        ar = self.ref() if self.ref is not None else None
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
                "targets": plain_targets(peek(ar, "_targets")),
                "cell_id": self.origin.cell_id,
                "parent_msg_id": self.origin.parent_msg_id,
                "execution_count": self.origin.execution_count,
                "created": self.created,
                "single": bool(peek(ar, "_single_result", False)),
                "ordered": bool(peek(ar, "ordered", True)),
                "sent": bool(read_or(lambda: ar.sent, False)),
                # a map's tasks each carry a chunk of elements (len(ar) counts them)
                "chunk_sizes": {
                    m: n for m, n in (peek(ar, "_chunk_sizes") or {}).items() if n != 1
                },
            }
            if self.fname is not None:
                # it was announced while submitting (see Registry.add_growing)
                self.record["submitting"] = False
        elif self.growing:
            self.record = {
                "id": self.id,
                "kind": "AsyncMapResult",
                "fname": self.fname or "unknown",
                "label": None,
                "msg_ids": self.msg_ids,
                "targets": None,
                "cell_id": self.origin.cell_id,
                "parent_msg_id": self.origin.parent_msg_id,
                "execution_count": self.origin.execution_count,
                "created": self.created,
                "single": False,
                "ordered": self.ordered,
                "sent": False,
                "chunk_sizes": {},
                # ipyparallel has no AsyncResult for it yet: msg_ids still grow
                "submitting": True,
            }
        return self.record


class TaskEntry:
    """One task: where to read its state, its last record, who holds it."""

    __slots__ = (
        "msg_id",
        "metadata",
        "future",
        "output",
        "record",
        "owners",
        "index",
        "sent",
        "done",
    )

    def __init__(self, msg_id, metadata, future, owner, index):
        self.msg_id = msg_id
        self.metadata = metadata
        self.future = future
        self.output = None  # finished, outputs not over: its output future, weakly
        self.record = None
        # ids of the results holding it; rows index the first. A tuple: of
        # strings only, the collector stops tracking it, and the registry
        # keeps up to MAX_TASKS finished tasks
        self.owners = (owner,)
        self.index = index  # its place in the first owner's msg_ids
        self.sent = None  # the record the delta stream last carried
        self.done = False  # counted as finished by its owners (see Registry._refresh)

    def refresh(self, lost=None):
        """Its fresh record.

        Once it finished, the live references go so the bridge keeps no
        results alive. Its future goes at once: a finished task's status
        no longer changes, and the future's callbacks can hold a whole run
        (a `Client.wait` over many tasks leaves one closure over all their
        futures on each). Only its outputs may still come in, up to the
        engine's idle message; until then the output future is held
        weakly. `purge_local_results` right after a wait makes ipyparallel
        drop output futures whose idle message has not come yet, and ignore
        it when it comes: such a future never resolves, and once nothing
        holds it no output can reach it. `lost(ref)` is then called with
        the weak reference (by the collector, on any thread), which names
        the task, and the next record says its outputs are over.
        """
        if self.future is None and self.metadata is None:
            # finished, outputs in: it no longer changes
            return self.current()
        old = self.record
        if self.output is None:
            # (an AsyncHubResult's tasks have no future: metadata alone)
            self.record = task_record(self.msg_id, self.metadata, self.future)
        else:
            # finished: only its outputs can still move (stream_size, and
            # output_done at the engine's idle message)
            output = self.output()
            output_done = output is None or future_done(output)
            size = stream_size_of(self.metadata)
            if output_done != old["output_done"] or size != old["stream_size"]:
                self.record = dict(old, output_done=output_done, stream_size=size)
        if old is not None:
            keep_engine(old, self.record)
        if self.finished:
            if self.record["output_done"]:
                self.metadata = self.future = self.output = None
            elif self.future is not None:
                output = getattr(self.future, "output", None)
                self.output = OutputRef(output, lost)
                self.output.msg_id = self.msg_id
                self.future = None
        return self.record

    @property
    def finished(self):
        """Whether its last record says it finished (done, error, aborted)."""
        record = self.record
        if record.__class__ is tuple:
            return True  # settled: only a finished task's record is
        return record is not None and record["status"] in FINISHED

    def current(self):
        """Its last record as a dict (a settled one unpacked), or None."""
        record = self.record
        return dict(zip(RECORD_KEYS, record, strict=True)) if record.__class__ is tuple else record

    def settle(self):
        """Keep its record as a tuple of values once it can no longer change
        (finished, outputs in, the engine known: see Registry._name_engine),
        and return that tuple; None while it may still change.

        The registry keeps finished tasks long after their results went (up
        to MAX_TASKS), and their records were most of what it kept: a tuple
        of these values is 280 bytes smaller than the dict, and the engine's
        uuid, a string decoded from each reply, is shared by the engine's
        tasks once interned.
        """
        record = self.record
        if record.__class__ is tuple:
            return record
        if (
            record is None
            or self.future is not None
            or self.metadata is not None
            or record["engine_id"] is None
            or len(record) != len(RECORD_KEYS)
        ):
            return None
        uuid = record["engine_uuid"]
        if uuid.__class__ is str:
            record["engine_uuid"] = sys.intern(uuid)
        self.record = packed = tuple(record.values())
        return packed

    def settled(self):
        """Whether its record is settled and the delta stream carried it."""
        return self.record.__class__ is tuple and self.sent is self.record


class OutputRef(weakref.ref):
    """A weak reference to a task's output future that names the task, so
    one callback (the registry's) serves every task: a closure per task
    would be three more objects for the collector while outputs come."""

    __slots__ = ("msg_id",)


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
