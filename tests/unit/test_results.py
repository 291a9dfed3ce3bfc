"""Check results: the JSON form every report and the history read."""

from __future__ import annotations

from ci_sessions.gates import at_most
from ci_sessions.results import CheckResult, Finding, Status


def test_result_round_trips_through_json() -> None:
    result = CheckResult(
        check="tests", session="essential", status=Status.FAIL, python="3.12", per_python=True,
        findings=[Finding("pytest", "test-failure", "boom", "tests/test_a.py", 3, 1)],
        gates=[at_most("failed tests", 1, 0)], metrics={"tests": 4},
    )  # fmt: skip
    again = CheckResult.from_json(result.to_json())
    assert again == result
    assert again.label == "tests-3.12"
