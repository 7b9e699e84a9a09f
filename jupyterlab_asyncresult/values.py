"""Results as they cross the bridge: a text repr, plus the value itself when
it is JSON, both capped so a huge result cannot flood the comm."""

import json
import math

MAX_REPR = 100_000
MAX_JSON = 1_000_000


def _json_safe(value):
    """Whether json.dumps would keep the value as it is (no NaN, no tuples
    silently becoming lists, no non-string keys)."""
    if value is None or isinstance(value, (bool, str)):
        return True
    if isinstance(value, int):
        return True
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, list):
        return all(_json_safe(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _json_safe(v) for k, v in value.items())
    return False


def encode_value(value):
    """{"repr": text, "repr_truncated": bool, "json": value?, "json_truncated": bool}"""
    try:
        text = repr(value)
    except Exception as e:  # a broken __repr__ must not break the bridge
        text = f"<repr failed: {type(e).__name__}: {e}>"
    encoded = {"repr": text[:MAX_REPR], "repr_truncated": len(text) > MAX_REPR, "json_truncated": False}
    try:
        safe = _json_safe(value)
    except RecursionError:
        safe = False
    if safe:
        dumped = json.dumps(value)
        if len(dumped) <= MAX_JSON:
            encoded["json"] = value
        else:
            encoded["json_truncated"] = True
    return encoded
