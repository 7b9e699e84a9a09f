"""The timing fixture the TypeScript tests use holds ipyparallel's own numbers."""

import json

import pytest
from timing_cases import FIXTURE, ipyparallel_timings

CASES = json.loads(FIXTURE.read_text())


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_fixture_expectations_are_what_ipyparallel_computes(case):
    assert case["expected"] == pytest.approx(ipyparallel_timings(case["tasks"]), abs=1e-9)
