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
# ipyparallel metadata a row carries in a trailing object, and only those
# that differ from these values (most tasks have none). follow and after
# are None until the reply and a list after it, as in ipyparallel: their
# default follows `received` (see _extras).
EXTRA_DEFAULTS = {
    "label": None,
    "follow": None,
    "after": None,
    "is_broadcast": False,
    "is_coalescing": False,
}


def _extras(record):
    """The keys of EXTRA_DEFAULTS whose values differ from their defaults,
    or None (most tasks: their row then ends early)."""
    replied = record.get("received") is not None
    if (
        record.get("label") is None
        and record.get("is_broadcast") is False
        and record.get("is_coalescing") is False
    ):
        # the common row, told without the loop below: no label and no
        # dependencies (None before the reply, [] after: the defaults)
        # (records.task_record makes them tuples; a list says the same)
        follow, after = record.get("follow"), record.get("after")
        if replied:
            if follow is not None and after is not None and not follow and not after:
                return None
        elif follow is None and after is None:
            return None
    extras = None
    for key, default in EXTRA_DEFAULTS.items():
        if key not in record:
            continue
        value = record[key]
        if key in _LISTS:
            if value is not None:
                value = list(value)
            if replied:
                default = []
        if value != default:
            if extras is None:
                extras = {}
            extras[key] = value
    return extras


_LISTS = ("follow", "after")


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
        # the four times, in the protocol's order (spelled out, not a loop:
        # this runs for every task change)
        _micros(record["submitted"], t0),
        _micros(record["started"], t0),
        _micros(record["completed"], t0),
        _micros(record["received"], t0),
        1 if record["output_done"] else 0,
        record["stream_size"],
    ]
    error = (
        record["error"]
        if with_error and record["status"] == "error" and record["error"] is not None
        else None
    )
    extras = _extras(record)
    if error is not None or extras is not None:
        row.append(error)
    if extras is not None:
        row.append(extras)
    return row


def same_state(a, b):
    """Whether two records of one task would decode to the same task.

    Both come from records.task_record, so they have the same keys, and
    every key but the msg_id (the same) is carried: plain equality (a
    comparison in C, once per task change) says it. A finished task whose
    outputs did not move keeps its record object: the same one is the same.
    """
    if a is None or b is None:
        return False
    return a is b or a == b


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


# The fields a brief result row carries itself (see "Brief results" in
# docs/protocol.md); every other field it takes from the whole result before it.
_NO_OWN_FIELDS = {"id": None, "msg_ids": None, "created": None}


def _stem(text):
    """`text` without its trailing ASCII digits."""
    end = len(text)
    while end and "0" <= text[end - 1] <= "9":
        end -= 1
    return text[:end]


def _counted(text, stem):
    """The whole number `text` is `stem` followed by, or `text` itself when
    it is not that (written without leading zeros, and small enough for a
    JavaScript number to hold exactly)."""
    tail = text[len(stem) :]
    if (
        text.startswith(stem)
        and 0 < len(tail) <= 15
        and tail.isascii()
        and tail.isdigit()
        and (tail == "0" or tail[0] != "0")
    ):
        return int(tail)
    return text


def brief_results(results, t0):
    """`results` with each one-task result that shares every field but its
    id, msg_id and creation time with the last whole result before it
    written as a brief row: `[id, msg_id, created]`.

    An `apply_async` loop makes one such result per task, and whole they
    cost about 340 bytes each, most of it fields every one of them repeats.
    The id and msg_id go as the number that replaces the whole result's
    trailing digits when that spells them exactly; `created` as whole
    microseconds after `t0`. Returns `results` itself when nothing is brief.
    """
    out = None
    like = None  # (its shared fields, id stem, msg_id stem) of the whole result
    for i, record in enumerate(results):
        ids = record["msg_ids"]
        # its other fields (copied in C: this runs for every new result)
        shared = {**record, **_NO_OWN_FIELDS}
        if like is not None and len(ids) == 1 and shared == like[0]:
            if out is None:
                out = list(results[:i])
            out.append(
                [
                    _counted(record["id"], like[1]),
                    _counted(ids[0], like[2]),
                    _micros(record["created"], t0),
                ]
            )
            continue
        like = (shared, _stem(record["id"]), _stem(ids[0])) if len(ids) == 1 else None
        if out is not None:
            out.append(record)
    return results if out is None else out


def expand_results(results, t0):
    """Whole result records from a list that may hold brief rows (the
    inverse of brief_results, as a frontend reads it)."""
    out, like = [], None
    for item in results:
        if not isinstance(item, list):
            out.append(item)
            like = item
            continue
        rid, msg_id, created = item
        if isinstance(rid, int):
            rid = _stem(like["id"]) + str(rid)
        if isinstance(msg_id, int):
            msg_id = _stem(like["msg_ids"][0]) + str(msg_id)
        out.append(dict(like, id=rid, msg_ids=[msg_id], created=t0 + created / 1e6))
    return out


def brief_message(message):
    """A delta or snapshot part with its results made brief (brief_results);
    any other message as it is."""
    results = message.get("results")
    if not results or message.get("type") not in ("delta", "snapshot"):
        return message
    brief = brief_results(results, message["t0"])
    return message if brief is results else dict(message, results=brief)


def whole_message(message):
    """A delta or snapshot part with its brief results made whole
    (expand_results), as a frontend reads it; any other message as it is."""
    results = message.get("results")
    if message.get("type") not in ("delta", "snapshot") or not any(
        isinstance(r, list) for r in results or ()
    ):
        return message
    return dict(message, results=expand_results(results, message["t0"]))


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
