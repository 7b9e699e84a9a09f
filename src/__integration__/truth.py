"""What ipyparallel itself says about an AsyncResult, as JSON: the
differential tests run this in the kernel and compare every proxy member
with it. Loaded into the kernel's namespace with exec()."""

import json as _json

import ipyparallel as _ipp

_TIMES = ("submitted", "started", "completed", "received")


def _truth_error(e):
    """An exception as the fields a proxy error must match."""
    if e is None:
        return None
    out = {"type": type(e).__name__, "str": str(e)}
    if isinstance(e, _ipp.error.CompositeError):
        out["elist"] = [
            {
                "ename": en,
                "evalue": str(ev),
                "traceback": etb or "",
                "engine_id": (ei or {}).get("engine_id"),
                "method": (ei or {}).get("method"),
            }
            for en, ev, etb, ei in e.elist
        ]
    elif isinstance(e, _ipp.error.RemoteError):
        out.update(
            ename=e.ename,
            evalue=str(e.evalue),
            traceback=e.traceback or "",
            engine_id=(e.engine_info or {}).get("engine_id"),
            method=(e.engine_info or {}).get("method"),
        )
    elif isinstance(e, dict):  # the hub's record of an error
        out = {"type": "dict", "ename": e.get("ename"), "evalue": e.get("evalue")}
    return out


def _truth_value(v):
    if isinstance(v, BaseException):
        return {"error": _truth_error(v)}
    if isinstance(v, list):
        return [_truth_value(x) for x in v]
    return v


def _truth_call(f):
    try:
        return {"value": _truth_value(f())}
    except BaseException as e:  # noqa: BLE001 - the answer is what it raised
        return {"raises": _truth_error(e)}


def _truth_md(md, full):
    out = {}
    for key, value in md.items():
        if not full and key in (
            "stdout",
            "stderr",
            "outputs",
            "execute_input",
            "execute_result",
            "data",
        ):
            continue
        if key in _TIMES:
            if isinstance(value, str):  # ipyparallel parses dates only on access
                value = _ipp.util._parse_date(value)
            value = value.timestamp() if hasattr(value, "timestamp") else value
        elif key == "error":
            value = _truth_error(value)
        out[key] = value
    return out


def truth(ar, full=False):
    """JSON of ipyparallel's own answers for `ar`, now; blocking members only
    once it is ready (get(0) etc. would raise TimeoutError before)."""
    ready = ar.ready()
    single = ar._single_result
    t = {
        "ready": ready,
        "progress": ar.progress,
        "len": len(ar),
        "repr": repr(ar),
        "msg_ids": list(ar.msg_ids),
        "single": single,
        "metadata": [_truth_md(md, full) for md in ar._metadata],
    }
    if ready:
        t["successful"] = ar.successful()
        t["exception"] = _truth_error(ar.exception(timeout=0))
        t["get"] = _truth_call(lambda: ar.get(0))
        t["rexc"] = _truth_call(lambda: ar.get(0, return_exceptions=True))
        t["get_dict"] = _truth_call(lambda: {str(k): v for k, v in ar.get_dict(0).items()})
        t["item0"] = _truth_call(lambda: ar[0])
        t["slice"] = _truth_call(lambda: ar[0:2])
        if not single:
            t["iter"] = _truth_call(lambda: list(ar))
        t["wall_time"] = _truth_call(lambda: ar.wall_time)
        t["serial_time"] = _truth_call(lambda: ar.serial_time)
    return _json.dumps(t, default=repr)
