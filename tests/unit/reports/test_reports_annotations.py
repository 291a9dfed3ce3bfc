"""GitHub workflow annotations."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from ci_sessions.results import CheckResult, Finding, Gate, RunRecord, Status

# `from ci_sessions.reports import annotations` would find the package's `__future__` feature
# named annotations; the writer itself is loaded with import_module like every report writer.
gha = importlib.import_module("ci_sessions.reports.annotations")


def test_printed_only_in_github_actions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    result = CheckResult(
        "lint", "lint", Status.FAIL, findings=[Finding("ruff", "F401", "unused", "a.py", 3, 1)]
    )
    # what this process annotated already: a second run of the suite in one process (mutmut
    # runs it in-process, once for its stats and once clean) starts from none
    monkeypatch.setattr(gha, "_DONE", {})
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    gha.write(tmp_path, RunRecord("off", "x", 0.0, results=[result]))
    assert capsys.readouterr().out == ""
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    run = RunRecord("on", "x", 0.0, results=[result])
    gha.write(tmp_path, run)
    assert capsys.readouterr().out == "::error file=a.py,line=3,col=1,title=lint%3A F401::unused\n"
    gha.write(tmp_path, run)  # the next session of the same invocation: no repeats
    assert capsys.readouterr().out == ""


def test_cap_escaping_and_levels() -> None:
    many = [Finding("bandit", "B101", f"assert {i}", "p.py", i) for i in range(1, 61)]
    lines = gha.check_annotations(CheckResult("sast", "sast", Status.FAIL, findings=many))
    assert len(lines) == gha.CAP + 1
    assert lines[-1].startswith("::warning ") and "10 more finding(s)" in lines[-1]
    passing = CheckResult(
        "docs", "docs", Status.PASS, findings=[Finding("mkdocs", "w", "50%\nnext", "d, e.md")]
    )
    assert gha.check_annotations(passing) == [
        "::warning file=d%2C e.md,title=docs%3A w::50%25%0Anext"
    ]
    crashed = CheckResult(
        "audit", "audit", Status.ERROR, summary="vulnerability data unreachable for 3 packages"
    )
    assert gha.check_annotations(crashed) == [
        "::error title=ci-sessions audit%3A could not check::vulnerability data unreachable for 3 packages"
    ]
    assert gha.check_annotations(CheckResult("x", "x", Status.SKIP)) == []
    low = CheckResult(
        "coverage", "full", Status.FAIL, gates=[Gate("coverage", Status.FAIL, 60.0, 85.0, ">=")]
    )
    assert gha.check_annotations(low) == [
        "::error title=ci-sessions coverage::coverage 60.00 < 85.00"
    ]
