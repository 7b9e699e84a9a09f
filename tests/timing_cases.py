"""ipyparallel's own timing math on the timestamps of tests/fixtures/timing.json.

`python tests/timing_cases.py` rewrites the fixture's expected values from
ipyparallel; tests/test_timing_fixture.py checks that they still agree, and
packages/asyncresult-node/src/core/__tests__/asyncResult.spec.ts checks the TypeScript proxy against
the same file.
"""

import json
import pathlib
from datetime import datetime, timezone

FIXTURE = pathlib.Path(__file__).parent / "fixtures" / "timing.json"


def ipyparallel_timings(tasks):
    """wall_time, serial_time and two timedeltas as ipyparallel 9 computes them."""
    from ipyparallel.client.asyncresult import AsyncResult
    from ipyparallel.client.client import Metadata

    def stamp(x):
        return datetime.fromtimestamp(x, timezone.utc)

    # a finished AsyncResult without a Client: just the state these members read
    ar = AsyncResult.__new__(AsyncResult)
    ar._metadata = [
        Metadata(msg_id=f"m{i}", **{k: stamp(v) for k, v in t.items()}) for i, t in enumerate(tasks)
    ]
    ar.msg_ids = [md["msg_id"] for md in ar._metadata]
    ar._ready = ar._output_ready = ar._success = True
    ar._single_result = False
    return {
        "wall_time": ar.wall_time,
        "serial_time": ar.serial_time,
        "elapsed": ar.elapsed,
        "timedelta_started_completed": ar.timedelta(ar.started, ar.completed),
        "timedelta_submitted_started_max_min": ar.timedelta(
            ar.submitted, ar.started, start_key=max, end_key=min
        ),
    }


if __name__ == "__main__":
    cases = json.loads(FIXTURE.read_text())
    for case in cases:
        case["expected"] = ipyparallel_timings(case["tasks"])
    FIXTURE.write_text(json.dumps(cases, indent=1) + "\n")
