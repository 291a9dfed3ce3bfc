"""The coverage check: its threshold, its gate row and stale data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ci_sessions.checks import coverage
from ci_sessions.checks.base import CheckContext
from ci_sessions.config import load_config
from ci_sessions.config.project import load_project
from ci_sessions.errors import ConfigError
from ci_sessions.results import CheckResult, Status


def context(root: Path, pyproject: str = "", environ: dict[str, str] | None = None) -> CheckContext:
    (root / "pyproject.toml").write_text('[project]\nname = "demo"\nversion = "1"\n' + pyproject)
    return CheckContext(
        root=root,
        config=load_config(root, environ=environ or {}),
        project=load_project(root),
        python="3.11",
        session="full",
    )


def test_coverage_threshold_order(tmp_path: Path) -> None:
    assert coverage.threshold(context(tmp_path)) == (85.0, "defaults")
    own = "[tool.coverage.report]\nfail_under = 70\n"
    assert coverage.threshold(context(tmp_path, own)) == (70.0, "[tool.coverage.report] fail_under")
    configured = own + "[tool.ci-sessions.coverage]\nmin = 92.5\n"
    assert coverage.threshold(context(tmp_path, configured))[0] == 92.5
    from_env = context(tmp_path, configured, {"CI_SESSIONS_COVERAGE_MIN": "50"})
    assert coverage.threshold(from_env)[0] == 50.0


def test_coverage_min_must_be_a_number(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as error:
        context(tmp_path, '[tool.ci-sessions.coverage]\nmin = "high"\n')
    assert "coverage.min" in error.value.render()


def test_coverage_gate_reads_value_vs_threshold(tmp_path: Path) -> None:
    ctx = context(tmp_path)
    report = tmp_path / "coverage.json"
    report.write_text(json.dumps({"files": {"a.py": {}}, "totals": {
        "percent_covered": 59.996, "num_statements": 10, "covered_lines": 6, "missing_lines": 4,
    }}))  # fmt: skip
    metrics = coverage.parse_totals(report)
    assert metrics["percent"] == 60.0 and metrics["files"] == 1
    result = CheckResult("coverage", "full", Status.PASS, metrics=dict(metrics))
    evaluated = coverage.CoverageCheck().evaluate(ctx, result)
    assert evaluated.status is Status.FAIL
    assert evaluated.gates[0].describe() == "coverage 60.00 < 85.00"


def test_reset_data_removes_combined_and_parallel_files(tmp_path: Path) -> None:
    data = tmp_path / "cov" / ".coverage"
    data.parent.mkdir()
    for name in (".coverage", ".coverage.host.pid1.abc", "keep.txt"):
        (data.parent / name).write_text("x")
    assert coverage.reset_data(data) == 2
    assert [p.name for p in data.parent.iterdir()] == ["keep.txt"]
