"""Make any message the bridge sends encodable as JSON in UTF-8.

Names, labels and error texts come from user code and can hold what JSON in
UTF-8 cannot carry: a lone surrogate (``'bad\\ud800name'``), a non-string key,
an object that is not JSON at all. One such value made ``comm.send`` raise in
the flusher; the frontend then saw a gap in the sequence, asked for a snapshot
holding the same value, and froze for the rest of the kernel's life. Every
message goes through `sanitize` first, so a bad value degrades alone (into a
readable stand-in) and the stream goes on.
"""

from __future__ import annotations

import json
from datetime import datetime

# What replaces a character UTF-8 cannot encode (a lone surrogate).
REPLACEMENT = "\ufffd"


def clean_text(text):
    """`text` with every unencodable character replaced by U+FFFD."""
    if text.isascii():
        return text  # the common case, and a cheap test in C
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        # surrogatepass keeps a lone surrogate as its own code unit, which
        # decoding then turns into exactly one replacement character
        return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def sanitize(value):
    """A copy of `value` that JSON in UTF-8 can carry, unchanged where it can
    already (the same object is returned when nothing needed fixing).

    Almost every message is clean: encoding it once in C says so at a
    fraction of the cost of walking it here, key by key (the flusher sends
    one for every delta). Only a message that fails is walked.
    """
    try:
        json.dumps(value, ensure_ascii=False, allow_nan=False).encode("utf-8")
        return value
    except (TypeError, ValueError, RecursionError):
        # (UnicodeEncodeError is a ValueError)
        return _clean(value)


def _clean(value):
    if value is None or value is True or value is False:
        return value
    kind = type(value)
    if kind is str:
        return clean_text(value)
    if kind is int or kind is float:
        return value
    if kind is dict:
        out = {}
        changed = False
        for key, item in value.items():
            if type(key) is str:
                clean_key = clean_text(key)
            else:
                clean_key = _repr(key) if not isinstance(key, (int, float)) else str(key)
            clean_item = _clean(item)
            changed = changed or clean_key is not key or clean_item is not item
            out[clean_key] = clean_item
        return out if changed else value
    if kind is list:
        items = [_clean(item) for item in value]
        return value if all(a is b for a, b in zip(items, value, strict=True)) else items
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):  # IntEnum, numpy integers that subclass int
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return clean_text(str.__str__(value))
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, (tuple, set, frozenset)):
        return [_clean(item) for item in value]
    if isinstance(value, dict):
        return _clean(dict(value))
    return _repr(value)


def _repr(value):
    """A readable stand-in for a value JSON cannot carry."""
    try:
        text = repr(value)
    except Exception:
        text = f"<unrepresentable {type(value).__name__}>"
    return clean_text(text)
