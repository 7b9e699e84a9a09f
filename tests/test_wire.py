"""Task rows and record comparison of the wire form (docs/protocol.md, "Task rows")."""

from __future__ import annotations

from datetime import datetime, timezone

from jupyterlab_asyncresult import wire
from jupyterlab_asyncresult.records import task_record

AT = datetime(2026, 11, 30, 12, 0, 0, tzinfo=timezone.utc)


def record(**metadata):
    return task_record("m", metadata, None)


def test_a_row_carries_only_the_extras_that_differ_from_their_defaults():
    pending = record(submitted=AT)
    assert len(wire.task_row(pending, 3, 0, True)) == 9  # no error, no extras

    # after the reply, follow and after are lists: empty ones are the default
    replied = record(submitted=AT, received=AT, status="ok", follow=[], after=[])
    assert len(wire.task_row(replied, 3, 0, True)) == 9
    # ... while before it an empty list is not
    early = record(submitted=AT, follow=[])
    assert wire.task_row(early, 3, 0, True)[-1] == {"follow": []}

    labelled = record(
        submitted=AT, received=AT, follow=["a"], after=[], label="first", is_broadcast=True
    )
    row = wire.task_row(labelled, 3, 0, True)
    assert row[9] is None  # no error before the extras
    assert row[10] == {"follow": ["a"], "label": "first", "is_broadcast": True}


def test_records_of_one_task_compare_by_every_carried_key():
    a = record(submitted=AT)
    assert wire.same_state(a, record(submitted=AT))
    assert not wire.same_state(None, a)
    for change in (
        {"started": AT},
        {"engine_id": 1},
        {"engine_uuid": "e"},
        {"label": "x"},
        {"status": "ok"},
        {"stdout": "hi"},
    ):
        assert not wire.same_state(a, record(submitted=AT, **change)), change


def test_every_combination_of_extras_is_told_as_the_defaults_say():
    # the reference: a key travels when it differs from its default, and
    # follow/after default to None before the reply and to [] after it
    def expected(rec):
        replied = rec["received"] is not None
        out = {}
        for key, default in wire.EXTRA_DEFAULTS.items():
            if replied and key in ("follow", "after"):
                default = []
            if rec[key] != default:
                out[key] = rec[key]
        return out or None

    told = 0
    for received in (None, AT):
        for label in (None, "x"):
            for follow in (None, [], ["a"]):
                for after in (None, [], ["b"]):
                    for broadcast in (False, True):
                        rec = record(
                            submitted=AT,
                            received=received,
                            label=label,
                            is_broadcast=broadcast,
                        )
                        # task_record reads lists as msg_ids: set them as sent
                        rec.update(follow=follow, after=after)
                        assert wire._extras(rec) == expected(rec), rec
                        told += expected(rec) is not None
    assert 0 < told < 72
