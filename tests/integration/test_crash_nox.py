"""An unexpected exception, end to end: the real ``ci-sessions`` command and a real nox session
print one line and the path of a log; the log holds versions, command and traceback, no secret."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from fixture_projects import NOXFILE, clean_src_project, nox_env, run_nox

pytestmark = [pytest.mark.integration, pytest.mark.slow]

TOKEN = "ghp_injected0123456789abcdefghijklmnopqrs"  # noqa: S105  # pragma: allowlist secret
#: the command, with one of its modules made to fail: nothing in ci-sessions is changed for this
INJECTED_CLI = f"""
import sys
from ci_sessions.changes import selection

def broken(argv):
    raise ZeroDivisionError("injected failure with " + {TOKEN!r})

selection.main = broken
from ci_sessions.cli import main
sys.exit(main())
"""
INJECTED_NOXFILE = """import ci_sessions
from ci_sessions.errors import UsageError
from ci_sessions.sessions import run


def broken(*args, **kwargs):
    raise {raised}


run.{target} = broken
ci_sessions.register()
"""


def test_the_command_prints_one_line_and_exits_3(tmp_path: Path) -> None:
    root = clean_src_project(tmp_path / "proj")
    done = subprocess.run(
        [sys.executable, "-c", INJECTED_CLI, "packages", "--json"],
        cwd=root,
        env=nox_env({"GITHUB_TOKEN": TOKEN}),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 3, done.stderr
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        "ci-sessions: unexpected error (ZeroDivisionError: injected failure with ****); "
        "a bug, please report it; the log with versions and the traceback: .ci-sessions/crash.log"
    ]
    log = (root / ".ci-sessions" / "crash.log").read_text(encoding="utf-8")
    assert "ci-sessions packages --json" in log
    assert "- nox: " in log and "- nox: not installed" not in log
    assert "in broken" in log
    assert TOKEN not in log


def test_a_session_fails_with_one_line_and_the_log(tmp_path: Path) -> None:
    root = clean_src_project(tmp_path / "proj")
    raised = f"ZeroDivisionError('injected failure with ' + {TOKEN!r})"
    noxfile = INJECTED_NOXFILE.format(raised=raised, target="select_targets")
    (root / "noxfile.py").write_text(noxfile, encoding="utf-8")
    run = run_nox(root, "-s", "lint", env={"GITHUB_TOKEN": TOKEN})
    assert run.returncode == 1, run.output
    assert (
        "nox > Session lint aborted: ci-sessions: unexpected error (ZeroDivisionError: injected "
        "failure with ****); a bug, please report it; the log with versions and the traceback: "
        ".ci-sessions/crash.log"
    ) in run.output
    assert "Traceback" not in run.output
    assert TOKEN not in run.output
    log = (root / ".ci-sessions" / "crash.log").read_text(encoding="utf-8")
    assert "-s lint" in log
    assert "in broken" in log and "in run_session" in log
    assert TOKEN not in log


def test_an_expected_error_in_a_session_is_its_own_message(tmp_path: Path) -> None:
    root = clean_src_project(tmp_path / "proj")
    assert NOXFILE in (root / "noxfile.py").read_text(encoding="utf-8")
    run = run_nox(root, "-s", "lint", "--", "--jobs", "-1")
    assert run.returncode == 2, run.output
    assert "ci-sessions: usage error: nox -s lint: --jobs must be >= 0" in run.output
    assert "unexpected error" not in run.output
    assert not (root / ".ci-sessions" / "crash.log").exists()


def test_an_expected_error_escaping_a_session_is_its_own_message(tmp_path: Path) -> None:
    root = clean_src_project(tmp_path / "proj")
    noxfile = INJECTED_NOXFILE.format(raised="UsageError('no report today')", target="report")
    (root / "noxfile.py").write_text(noxfile, encoding="utf-8")
    run = run_nox(root, "-s", "lint")
    assert run.returncode == 1, run.output
    assert "nox > Session lint aborted: ci-sessions: usage error: no report today" in run.output
    assert "unexpected error" not in run.output
    assert not (root / ".ci-sessions" / "crash.log").exists()


@pytest.mark.parametrize(
    ("module", "command"),
    [("ci_sessions.release", "ci_sessions.release.cli"), ("ci_sessions.ci", "ci_sessions.ci.cli")],
)
def test_python_dash_m_commands_print_one_line_too(
    tmp_path: Path, module: str, command: str
) -> None:
    """``python -m ci_sessions.release`` and ``.ci``: a bug there is the one line too."""
    root = clean_src_project(tmp_path / "proj")
    injected = (
        "import runpy, sys\n"
        f"import {command} as target\n"
        "def broken(argv=None):\n"
        "    raise ZeroDivisionError('injected failure')\n"
        "target.main = broken\n"
        f"runpy.run_module({module!r}, run_name='__main__', alter_sys=True)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", injected, "--dry-run"],
        cwd=root,
        env=nox_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 3, done.stderr
    assert done.stderr.splitlines() == [
        "ci-sessions: unexpected error (ZeroDivisionError: injected failure); a bug, please "
        "report it; the log with versions and the traceback: .ci-sessions/crash.log"
    ]
    log = (root / ".ci-sessions" / "crash.log").read_text(encoding="utf-8")
    assert f"python -m {module} --dry-run" in log
