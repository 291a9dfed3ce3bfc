"""Thresholds -> PASS/FAIL gate rows, and the status of a result from its gates."""

from __future__ import annotations

from ci_sessions.results import CheckResult, Gate, Status, worst


def at_most(name: str, value: float, maximum: float, *, unit: str = "") -> Gate:
    """A gate that passes when ``value <= maximum`` (findings, errors, failures)."""
    status = Status.PASS if value <= maximum else Status.FAIL
    return Gate(
        name=name, status=status, value=value, threshold=maximum, comparison="<=", message=unit
    )


def at_least(name: str, value: float, minimum: float, *, unit: str = "") -> Gate:
    """A gate that passes when ``value >= minimum`` (coverage)."""
    status = Status.PASS if value >= minimum else Status.FAIL
    return Gate(
        name=name, status=status, value=value, threshold=minimum, comparison=">=", message=unit
    )


def apply_gates(result: CheckResult, gates: list[Gate]) -> CheckResult:
    """Attach gates; the result's status becomes the worst of them (an ERROR result stays ERROR)."""
    result.gates = gates
    if result.status in (Status.ERROR, Status.SKIP):
        return result
    result.status = worst([g.status for g in gates]) if gates else Status.PASS
    return result
