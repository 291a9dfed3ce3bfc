"""The rule every check obeys: a PASS shows what it checked; the runner enforces it."""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar

import pytest

from ci_sessions.checks.base import (
    FORCED_COLOUR,
    UNCHECKED,
    CheckBase,
    CheckContext,
    Environment,
    EnvSpec,
    IncrementalBase,
    ToolRun,
    cache_salt,
    enforce_checked,
    error_result,
    findings_text,
    pending_result,
    plain_output,
    python_files,
    skip_result,
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


def _ctx(root: Path, **overrides: object) -> CheckContext:
    (root / "pyproject.toml").write_text('[project]\nname = "p"\nversion = "1"\n')
    ctx = CheckContext(root, load_config(root, environ={}), load_project(root), "3.12", "lint-3.12")
    for name, value in overrides.items():
        setattr(ctx, name, value)
    return ctx


def test_the_result_helpers_fill_in_the_check_session_python_and_verdict(tmp_path: Path) -> None:
    ctx = _ctx(tmp_path)
    pending = pending_result(ctx, "lint", summary="so far")
    assert (pending.check, pending.session, pending.python) == ("lint", "lint-3.12", "3.12")
    assert (pending.status, pending.summary) == (Status.PASS, "so far")
    error = error_result(ctx, "lint", "ruff crashed", "Traceback ...")
    assert (error.check, error.session, error.python) == ("lint", "lint-3.12", "3.12")
    assert (error.status, error.summary, error.output) == (Status.ERROR, "ruff crashed", "Traceback ...")  # fmt: skip
    assert error_result(ctx, "lint", "ruff crashed").output == ""
    skipped = skip_result(ctx, "docs", "no docs folder", output="looked in docs/")
    assert (skipped.check, skipped.session, skipped.python) == ("docs", "lint-3.12", "3.12")
    assert (skipped.status, skipped.summary, skipped.output) == (Status.SKIP, "no docs folder", "looked in docs/")  # fmt: skip


def test_a_pass_that_checked_nothing_and_said_nothing_gets_only_the_note() -> None:
    result = _result(Status.PASS, Checked("files", 0))
    result.summary = ""
    assert enforce_checked(result).summary == "nothing checked (files 0)"


def test_the_cache_salt_is_the_checks_own_for_this_context(tmp_path: Path) -> None:
    class Dated(_Forgetful):
        def cache_salt(self, ctx: CheckContext) -> str:
            return f"allow-list until {ctx.python}"

    ctx = _ctx(tmp_path)
    assert cache_salt(Dated(None), ctx) == "allow-list until 3.12"
    assert cache_salt(_Forgetful(None), ctx) == ""


def test_the_walk_skips_every_tool_folder_and_adds_up_folders(tmp_path: Path) -> None:
    for folder in (".git", ".nox", ".tox", ".venv", "venv", ".ci-sessions", "node_modules"):
        (tmp_path / folder / "sub").mkdir(parents=True)
        (tmp_path / folder / "sub" / "x.py").write_text("")
    for place in ("a.py", "pkg/b.py", "pkg/sub/c.pyi", "docs/d.py"):
        (tmp_path / place).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / place).write_text("")
    assert python_files(tmp_path) == 4  # not a repository (no .git/HEAD): the walk


def test_git_counts_committed_and_untracked_files_but_not_ignored(tmp_path: Path) -> None:
    import subprocess

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True)

    git("init", "-q")
    (tmp_path / ".gitignore").write_text("ignored.py\n")
    for name in ("committed.py", "ignored.py", "untracked.py"):
        (tmp_path / name).write_text("")
    git("add", "committed.py", ".gitignore")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "one")
    assert python_files(tmp_path) == 2  # the walk would count 3


def test_an_old_incremental_check_gets_the_defaults_with_a_warning_at_its_class() -> None:
    with pytest.warns(DeprecationWarning, match="reusable, observed") as caught:

        class Old(CheckBase):
            incremental: ClassVar[bool] = True

    # it points at the check's class (under mutmut, at its trampoline), never into ci-sessions
    assert "ci_sessions" not in Path(caught[0].filename).parts
    assert Old.reusable is IncrementalBase.reusable  # type: ignore[attr-defined]
    assert Old.incremental_inputs == "types"  # type: ignore[attr-defined]


def test_other_checks_get_no_defaults_and_no_warning() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")

        class Plain(CheckBase):
            name: ClassVar[str] = "plain"

        class OwnReuse(IncrementalBase):
            def reusable(self, payload: object) -> bool:
                return False

    assert not hasattr(Plain, "reusable") and not hasattr(Plain, "incremental_inputs")
    assert OwnReuse().reusable({}) is False


def test_env_vars_activate_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = Environment(
        EnvSpec("ruff", "3.12"), tmp_path / "venv", tmp_path / "venv" / "bin" / "python"
    )
    base = {"PATH": "/usr/bin", "PYTHONHOME": "/elsewhere", "KEEP": "1"}
    assert env.env_vars(base) == {
        "PATH": os.pathsep.join([str(tmp_path / "venv" / "bin"), "/usr/bin"]),
        "VIRTUAL_ENV": str(tmp_path / "venv"),
        "KEEP": "1",
    }
    assert env.env_vars({})["PATH"] == str(tmp_path / "venv" / "bin") + os.pathsep
    monkeypatch.setenv("FROM_OS", "yes")
    assert env.env_vars()["FROM_OS"] == "yes"


_SHOW = (
    "import os, sys; "
    "print(os.environ.get('NO_COLOR'), os.environ.get('FORCE_COLOR'), os.environ.get('EXTRA'),"
    " os.environ.get('OVERRIDE'), os.environ.get('VIRTUAL_ENV'), os.getcwd(), sep='|'); "
    "print('é to stderr', file=sys.stderr); sys.exit(3)"
)


def test_exec_runs_without_forced_colour_and_captures(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.delenv("VIRTUAL_ENV", raising=False)  # `uv run` sets it for the whole suite
    ctx = _ctx(tmp_path, env_overrides={"OVERRIDE": "o"})
    run = ctx.exec([sys.executable, "-c", _SHOW], extra_env={"EXTRA": "e"})
    assert run.argv == [sys.executable, "-c", _SHOW] and run.returncode == 3
    assert run.stdout.strip().split("|") == ["1", "None", "e", "o", "None", str(tmp_path)]
    assert run.stderr == "é to stderr\n" and 0 < run.duration < 60
    elsewhere = tmp_path / "sub"
    elsewhere.mkdir()
    venv = Environment(EnvSpec("x", "3.12"), tmp_path / "venv", Path(sys.executable))
    inside = ctx.exec([sys.executable, "-c", _SHOW], venv, cwd=elsewhere)
    assert inside.stdout.strip().split("|")[4:] == [str(tmp_path / "venv"), str(elsewhere)]


def test_exec_streams_when_asked_and_keeps_forced_colour(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.delenv("NO_COLOR", raising=False)
    run = _ctx(tmp_path).exec([sys.executable, "-c", _SHOW], stream=True)
    assert run.returncode == 3 and run.stdout == "" and run.stderr == ""
    assert capfd.readouterr().out.split("|")[:2] == ["None", "1"]


def test_exec_of_a_missing_tool_is_exit_127_naming_it(tmp_path: Path) -> None:
    run = _ctx(tmp_path).exec(["no-such-tool-here", "--version"])
    assert run.argv == ["no-such-tool-here", "--version"] and run.returncode == 127
    assert run.stdout == "" and run.stderr.startswith("no-such-tool-here: not found (")
    assert 0 <= run.duration < 60


def test_plain_output_drops_every_forced_colour() -> None:
    env = {name: "1" for name in FORCED_COLOUR} | {"KEEP": "x"}
    assert plain_output(env) == {"KEEP": "x", "NO_COLOR": "1"}


def test_exec_reads_output_that_is_not_utf8(tmp_path: Path) -> None:
    """A tool that prints bytes no encoding decodes still gives its output (replaced)."""
    code = "import sys; sys.stdout.buffer.write(b'bad \\xff byte')"
    run = _ctx(tmp_path).exec([sys.executable, "-c", code])
    assert run.returncode == 0 and run.stdout == "bad \ufffd byte"


def test_tail_is_the_last_lines_of_stdout_then_stderr() -> None:
    out = "\n".join(f"out {n}" for n in range(20))
    run = ToolRun(["tool"], 1, out, "err 1\nerr 2", 0.5)
    assert run.tail().splitlines() == [f"out {n}" for n in range(7, 20)] + ["err 1", "err 2"]
    assert run.tail(3) == "out 19\nerr 1\nerr 2"
    assert ToolRun(["tool"], 1, "only out", "only err", 0.5).tail() == "only out\nonly err"
