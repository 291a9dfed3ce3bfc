"""summary.md and the GitHub step summary."""

from __future__ import annotations

from pathlib import Path

import pytest

from ci_sessions.reports import summary
from ci_sessions.results import (
    SUMMARY_SECTION,
    Checked,
    CheckResult,
    Finding,
    Gate,
    RunRecord,
    Status,
)


def run_of(*results: CheckResult, run_id: str = "r1") -> RunRecord:
    return RunRecord(
        run_id, "demo", 0.0, sessions=["full"], results=list(results), commit="0123456789abcdef"
    )


def coverage_fail() -> CheckResult:
    return CheckResult(
        "coverage", "full", Status.FAIL, duration=12.34,
        gates=[Gate("coverage", Status.FAIL, 60.0, 85.0, ">=")], checked=Checked("files", 7),
    )  # fmt: skip


def test_summary_has_gate_table_and_top_findings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    lint = CheckResult(
        "lint", "full", Status.FAIL,
        findings=[Finding("ruff", "F401", f"unused import | {i}", "a.py", i) for i in range(1, 30)],
    )  # fmt: skip
    crashed = CheckResult(
        "sbom", "full", Status.ERROR, summary="cyclonedx-py failed", output="line\nlast words"
    )
    summary.write(tmp_path, run_of(coverage_fail(), lint, crashed))
    text = summary.path_for(tmp_path).read_text()
    assert "| ❌ FAIL | `coverage` | files 7 | coverage 60.00 < 85.00 | 12.3 s |" in text
    assert "### Top findings (20 of 29)" in text
    assert "unused import \\| 1" in text  # pipes escaped inside Markdown
    assert "and 9 more" in text
    assert "last words" in text
    assert "commit `0123456789ab`" in text


def test_a_section_a_check_of_this_run_wrote_is_included(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    reports = tmp_path / ".ci-sessions" / "reports"
    reports.mkdir(parents=True)
    (reports / "bench.md").write_text("### Benchmarks\n\n| name | ratio |\n")
    summary.write(tmp_path, run_of(CheckResult("lint", "lint", Status.PASS)))
    assert "### Benchmarks" not in summary.path_for(tmp_path).read_text()  # not this run's
    bench = CheckResult(
        "bench", "full", Status.PASS, artifacts={SUMMARY_SECTION: ".ci-sessions/reports/bench.md"}
    )
    summary.write(tmp_path, run_of(bench))
    assert "### Benchmarks" in summary.path_for(tmp_path).read_text()


def test_step_summary_holds_each_run_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    step = tmp_path / "step.md"
    step.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(step))
    first = CheckResult("lint", "lint", Status.PASS)
    summary.write(tmp_path, run_of(first, run_id="a"))
    summary.write(tmp_path, run_of(first, coverage_fail(), run_id="a"))  # second session, same run
    text = step.read_text()
    assert text.startswith("earlier step\n")
    assert text.count("## ") == 1
    assert "`coverage`" in text
    summary.write(tmp_path, run_of(first, run_id="b"))  # a new invocation appends
    assert step.read_text().count("## ") == 2
