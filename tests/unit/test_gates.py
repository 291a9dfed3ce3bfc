"""Gates: value against threshold, and a result's status from its gates."""

from __future__ import annotations

from ci_sessions.gates import apply_gates, at_least, at_most
from ci_sessions.results import CheckResult, Status, worst


def test_gates_compare_and_describe() -> None:
    assert at_most("findings", 0, 0).status is Status.PASS
    failed = at_most("findings", 3, 0)
    assert failed.status is Status.FAIL
    assert failed.describe() == "findings 3 > 0"
    coverage = at_least("coverage", 91.2, 85.0)
    assert coverage.status is Status.PASS
    assert coverage.describe() == "coverage 91.20 >= 85.00"
    assert at_least("coverage", 60.0, 85.0).describe() == "coverage 60.00 < 85.00"


def test_status_is_the_worst_gate_and_error_stays_error() -> None:
    result = CheckResult(check="lint", session="lint", status=Status.PASS)
    apply_gates(result, [at_most("a", 0, 0), at_most("b", 1, 0)])
    assert result.status is Status.FAIL
    errored = CheckResult(check="lint", session="lint", status=Status.ERROR)
    apply_gates(errored, [at_most("a", 0, 0)])
    assert errored.status is Status.ERROR
    assert worst([Status.PASS, Status.WARN, Status.SKIP]) is Status.WARN
    assert worst([Status.FAIL, Status.ERROR]) is Status.ERROR
