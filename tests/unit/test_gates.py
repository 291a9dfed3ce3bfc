"""Gates: value against threshold, and a result's status from its gates."""

from __future__ import annotations

from ci_sessions.gates import apply_gates, at_least, at_most
from ci_sessions.results import CheckResult, Gate, Status, worst


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


def test_a_threshold_itself_passes() -> None:
    assert at_most("findings", 3, 3).status is Status.PASS
    assert at_most("findings", 3.01, 3).status is Status.FAIL
    assert at_least("coverage", 85.0, 85.0).status is Status.PASS
    assert at_least("coverage", 84.99, 85.0).status is Status.FAIL


def test_a_gate_keeps_its_unit_and_comparison() -> None:
    assert at_most("findings", 1, 0, unit="files").to_json() == {
        "name": "findings", "status": "FAIL", "value": 1, "threshold": 0, "comparison": "<=",
        "message": "files",
    }  # fmt: skip
    assert at_most("findings", 0, 0).message == ""
    assert at_least("coverage", 90.0, 85.0).to_json() == {
        "name": "coverage", "status": "PASS", "value": 90.0, "threshold": 85.0,
        "comparison": ">=", "message": "",
    }  # fmt: skip
    assert at_least("coverage", 90.0, 85.0, unit="%").message == "%"


def test_no_gates_leave_a_pass_and_a_skip_stays_skip() -> None:
    result = apply_gates(CheckResult(check="lint", session="lint", status=Status.PASS), [])
    assert result.status is Status.PASS and result.gates == []
    skipped = CheckResult(check="lint", session="lint", status=Status.SKIP)
    assert apply_gates(skipped, [at_most("a", 1, 0)]).status is Status.SKIP
    assert skipped.gates[0].status is Status.FAIL
    warned = apply_gates(CheckResult("a", "a", Status.PASS), [Gate("w", Status.WARN)])
    assert warned.status is Status.WARN
