"""The compact wire form of task and result changes (docs/protocol.md).

A task record costs about 300 bytes as JSON, and a map's result record
carries every msg_id of the map; sending those whole on every change made a
20,000-task map cost megabytes a second. Here a task change is a row of
numbers indexed into its result's msg_ids, with times as whole microseconds
from a base second `t0`, and a result that grows or changes is sent as a
patch of what changed.
"""

from __future__ import annotations

from .records import FINISHED, STATUSES

# The version every message of the protocol carries as "v"
# (packages/asyncresult-node/src/core/protocol.ts PROTOCOL_VERSION); a frontend speaking another is
# answered with an error.
PROTOCOL_VERSION = 1
# A task row carries its status as an index into STATUSES.
STATUS_CODES = {s: i for i, s in enumerate(STATUSES)}
TIME_KEYS = ("submitted", "started", "completed", "received")
# ipyparallel metadata a row carries in a trailing object, and only those
# that differ from these values (most tasks have none). follow and after
# are None until the reply and a list after it, as in ipyparallel: their
# default follows `received` (see _default).
EXTRA_DEFAULTS = {
    "label": None,
    "follow": None,
    "after": None,
    "is_broadcast": False,
    "is_coalescing": False,
}


def _default(record, key):
    if key in ("follow", "after") and record.get("received") is not None:
        return []
    return EXTRA_DEFAULTS[key]


# How many msg_ids and task rows one snapshot part carries at most (about
# 50 bytes each on the wire): a big state goes out as several messages.
PART_UNITS = 8000


def _micros(value, t0):
    return None if value is None else round((value - t0) * 1e6)


def task_row(record, index, t0, with_error):
    """The row of one task record: see "Task rows" in docs/protocol.md."""
    row = [
        index,
        STATUS_CODES[record["status"]],
        record["engine_id"],
        *(_micros(record[k], t0) for k in TIME_KEYS),
        1 if record["output_done"] else 0,
        record["stream_size"],
    ]
    error = (
        record["error"]
        if with_error and record["status"] == "error" and record["error"] is not None
        else None
    )
    extras = {
        k: record[k] for k in EXTRA_DEFAULTS if k in record and record[k] != _default(record, k)
    }
    if error is not None or extras:
        row.append(error)
    if extras:
        row.append(extras)
    return row


def same_state(a, b):
    """Whether two task records would decode to the same task."""
    if a is None or b is None:
        return False
    return all(a.get(k) == b.get(k) for k in _COMPARED)


_COMPARED = (
    "status",
    "engine_id",
    "engine_uuid",
    *TIME_KEYS,
    "output_done",
    "stream_size",
    "error",
    *EXTRA_DEFAULTS,
)


def result_patch(sent, record, sent_ids):
    """What changed in a result record since `sent` was sent (None: nothing).

    `sent_ids` is how many of its msg_ids the stream carried; new ones go as
    `add_msg_ids` from `msg_ids_at`, which makes a repeated patch harmless.
    """
    patch = {k: v for k, v in record.items() if k != "msg_ids" and sent.get(k) != v}
    ids = record["msg_ids"]
    if len(ids) != sent_ids:
        patch["msg_ids_at"] = sent_ids
        patch["add_msg_ids"] = ids[sent_ids:]
    if not patch:
        return None
    patch["id"] = record["id"]
    return patch


class Batch:
    """The results and task rows of one delta or snapshot part."""

    def __init__(self, t0):
        self.t0 = t0
        self.results = []
        self.result_changes = []
        self.changes = {}  # result id -> rows
        self.engines = {}
        self.units = 0

    def add_row(self, rid, record, index, with_error=True):
        self.changes.setdefault(rid, []).append(task_row(record, index, self.t0, with_error))
        engine = record["engine_id"]
        if engine is not None and record["engine_uuid"] is not None:
            self.engines[str(engine)] = record["engine_uuid"]
        self.units += 1

    def fields(self):
        """The message fields this batch fills (the optional ones only when
        they carry something: most deltas of a busy run are small)."""
        fields = {
            "t0": self.t0,
            "results": self.results,
            # whole task records, as version 1 without rows sent them: kept
            # for senders that have no result to index into (the Node client)
            "tasks": [],
        }
        for key in ("result_changes", "changes", "engines"):
            value = getattr(self, key)
            if value:
                fields[key] = value
        return fields


def snapshot_parts(entries, tasks, t0, units=PART_UNITS):
    """Batches holding every result record and task row, in creation order.

    `entries` are (record, msg_ids) pairs; `tasks` maps msg_id to
    (record, owner id). A result with more msg_ids than fit in one part
    continues in the next as a patch; a task's row comes after the msg_id
    it indexes.
    """
    parts = [Batch(t0)]
    seen = set()
    for record, ids in entries:
        rid = record["id"]
        at = 0
        while True:
            part = parts[-1]
            room = max(units - part.units, 0)
            if room == 0:
                parts.append(Batch(t0))
                continue
            take = ids[at : at + room]
            if at == 0:
                part.results.append(dict(record, msg_ids=take))
            else:
                part.result_changes.append({"id": rid, "msg_ids_at": at, "add_msg_ids": take})
            part.units += len(take) + 1
            at += len(take)
            if at >= len(ids):
                break
        for index, msg_id in enumerate(ids):
            task = tasks.get(msg_id)
            if task is None or msg_id in seen or task[1] != rid or task[0] is None:
                continue
            seen.add(msg_id)
            if parts[-1].units >= units:
                parts.append(Batch(t0))
            parts[-1].add_row(rid, task[0], index)
    return parts


def is_finished(record):
    return record is not None and record["status"] in FINISHED
