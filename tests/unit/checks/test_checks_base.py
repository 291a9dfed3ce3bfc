"""The rule every check obeys: a PASS shows what it checked; the runner enforces it."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar

import pytest

from ci_sessions.checks.base import (
    UNCHECKED,
    CheckBase,
    CheckContext,
    Environment,
    EnvSpec,
    enforce_checked,
    findings_text,
    python_files,
)
from ci_sessions.config import load_config
from ci_sessions.config.project import load_project
from ci_sessions.engine.environments import EnvManager
from ci_sessions.engine.runner import Invocation, RunOptions, run_checks
from ci_sessions.results import Checked, CheckResult, Finding, Gate, Status


def _result(status: Status, checked: Checked | None) -> CheckResult:
    return CheckResult("lint", "lint", status, summary="clean", checked=checked,
                       gates=[Gate("findings", status, 0, 0)])  # fmt: skip


def test_a_pass_without_a_checked_figure_is_an_error() -> None:
    result = enforce_checked(_result(Status.PASS, None))
    assert result.status is Status.ERROR
    assert result.summary == UNCHECKED
    assert enforce_checked(_result(Status.WARN, None)).status is Status.ERROR


def test_a_pass_that_checked_nothing_is_a_skip_with_what_was_not_checked() -> None:
    result = enforce_checked(_result(Status.PASS, Checked("files", 0)))
    assert result.status is Status.SKIP
    assert result.summary == "nothing checked (files 0): clean"
    assert result.gates == []  # no "findings 0 <= 0" shown for a check that looked at nothing


def test_other_verdicts_and_real_passes_are_left_alone() -> None:
    assert enforce_checked(_result(Status.PASS, Checked("files", 3))).status is Status.PASS
    assert enforce_checked(_result(Status.WARN, Checked("packages", 0))).status is Status.WARN
    for status in (Status.FAIL, Status.ERROR, Status.SKIP):
        assert enforce_checked(_result(status, None)).status is status


class _Forgetful(CheckBase):
    """A check that PASSes without saying what it checked."""

    name: ClassVar[str] = "forgetful"

    def __init__(self, checked: Checked | None) -> None:
        self.checked = checked

    def environments(self, ctx: CheckContext) -> dict[str, EnvSpec]:
        return {}

    def run(self, ctx: CheckContext, envs: Mapping[str, Environment]) -> CheckResult:
        return CheckResult(self.name, ctx.session, Status.PASS, checked=self.checked)

    def evaluate(self, ctx: CheckContext, result: CheckResult) -> CheckResult:
        return result


@pytest.mark.parametrize(
    ("checked", "status"),
    [(None, Status.ERROR), (Checked("files", 0), Status.SKIP), (Checked("files", 2), Status.PASS)],
)
def test_the_runner_applies_the_rule_to_every_check(
    tmp_path: Path, checked: Checked | None, status: Status
) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "p"\nversion = "1"\n')
    [result] = run_checks(
        root=tmp_path,
        config=load_config(tmp_path, environ={}),
        project=load_project(tmp_path),
        session="forgetful",
        invocations=[Invocation(_Forgetful(checked), "3.11")],
        options=RunOptions(use_cache=False),
        manager=EnvManager(tmp_path, backend="virtualenv"),
        emit=lambda _text: None,
    )
    assert result.status is status


def test_findings_text_says_the_baselined_findings_apart() -> None:
    result = CheckResult("lint", "lint", Status.PASS, metrics={"baselined": 3})
    text = findings_text(["a.py:1: F401 x"], "ruff check: 1 finding(s)", result)
    assert text.splitlines() == [
        "a.py:1: F401 x",
        "ruff check: 1 finding(s)",
        "3 more accepted by the baseline (not counted)",
    ]
    assert "baseline" not in findings_text([], "clean", CheckResult("lint", "lint", Status.PASS))


def test_python_files_counts_what_git_sees_or_a_walk(tmp_path: Path) -> None:
    import subprocess

    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "a.py").write_text("")
    (tmp_path / "pkg" / "b.pyi").write_text("")
    (tmp_path / ".venv" / "lib").mkdir(parents=True)
    (tmp_path / ".venv" / "lib" / "c.py").write_text("")
    assert python_files(tmp_path) == 2  # not a repository: a walk that skips environments
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    (tmp_path / ".gitignore").write_text("ignored.py\n.venv/\n")
    (tmp_path / "ignored.py").write_text("")
    assert python_files(tmp_path) == 2  # untracked but not ignored files count, ignored ones not


def test_checked_round_trips_through_results_json() -> None:
    result = CheckResult("tests", "tests-3.12", Status.PASS, checked=Checked("tests", 382),
                         cached=True, cached_at=1795305600.5,
                         findings=[Finding("pytest", "x", "y")])  # fmt: skip
    again = CheckResult.from_json(result.to_json())
    assert again.checked == Checked("tests", 382)
    assert again.cached_at == 1795305600.5
    assert str(again.checked) == "tests 382"
    assert CheckResult.from_json({**result.to_json(), "checked": None}).checked is None
