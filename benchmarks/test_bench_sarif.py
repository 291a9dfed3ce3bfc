"""How long merging every check's findings into one SARIF log takes (written after every run)."""

from __future__ import annotations

from pathlib import Path

from ci_sessions.reports.sarif import build_log
from ci_sessions.results import CheckResult, Finding, Status

TOOLS = (
    ("lint", "ruff", "F401"),
    ("typecheck", "pyright", "reportGeneralTypeIssues"),
    ("sast", "bandit", "B602"),
)


def test_sarif_merge_600_findings(benchmark, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    results = [
        CheckResult(
            check=check,
            session="extended",
            status=Status.FAIL,
            findings=[
                Finding(tool, f"{rule}", f"message {i}", f"pkg/module_{i % 40}.py", i + 1, 1)
                for i in range(200)
            ],
        )
        for check, tool, rule in TOOLS
    ]
    log = benchmark(build_log, tmp_path, results)
    assert sum(len(run["results"]) for run in log["runs"]) == 600
