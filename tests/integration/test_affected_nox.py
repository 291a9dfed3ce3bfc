"""End to end: `nox -s tests -- --affected --base REF` and the `ci-sessions changes` / `packages`
commands as real subprocesses on a fixture git repository."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from fixture_projects import NoxRun, write_files
from gitrepo import git

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def commit(root: Path, message: str = "change") -> None:
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)


def cli(
    root: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ci_sessions.cli", *args],
        cwd=root,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture
def project(make_project: Callable[..., Path]) -> Path:
    root = make_project(
        {
            ".gitignore": ".nox/\n.ci-sessions/\n__pycache__/\n",
            "src/demo/core.py": "def base() -> int:\n    return 1\n",
            "src/demo/other.py": "def other() -> int:\n    return 2\n",
            "tests/test_core.py": "from demo.core import base\n\n\ndef test_base() -> None:\n    assert base() == 1\n",
            "tests/test_other.py": "from demo.other import other\n\n\ndef test_other() -> None:\n    assert other() == 2\n",
            "docs/index.md": "# demo\n",
        }
    )
    git(root, "init", "-q", "-b", "main")
    commit(root, "base")
    return root


def test_nox_tests_affected_runs_only_reached_tests(
    project: Path, nox_runner: Callable[..., NoxRun]
) -> None:
    write_files(project, {"src/demo/core.py": "def base() -> int:\n    return 3\n"})
    commit(project, "break core")
    run = nox_runner(project, "-s", "tests", "--", "--affected", "--base", "HEAD~1")
    assert run.returncode != 0, run.output
    assert "1 of 3 test files reach a change (demo.core)" in run.output
    assert "test_core.py" in run.output
    assert "test_other.py" not in run.output.replace("tests/test_other.py:", "")

    write_files(project, {"src/demo/core.py": "def base() -> int:\n    return 1\n"})
    commit(project, "fix core")
    write_files(project, {"docs/index.md": "# demo\n\nmore\n"})
    commit(project, "docs only")
    run = nox_runner(project, "-s", "tests", "--", "--affected", "--base", "HEAD~1")
    assert run.returncode == 0, run.output
    assert "0 of 3 test files reach a change" in run.output


def test_changes_and_packages_commands(project: Path, tmp_path: Path) -> None:
    write_files(project, {"docs/index.md": "# demo\n\nmore\n"})
    commit(project, "docs only")
    output = tmp_path / "github_output"
    done = cli(project, "changes", "--base", "HEAD~1", env={"GITHUB_OUTPUT": str(output)})
    assert done.returncode == 0, done.stderr
    assert "docs-only change" in done.stdout
    assert "docs-only=true\n" in output.read_text()
    assert 'sessions=["docs"]\n' in output.read_text()

    done = cli(project, "changes", "--base", "no-such-branch")
    assert done.returncode == 2
    assert "--base no-such-branch" in done.stderr and "fetch" in done.stderr

    done = cli(project, "packages", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [
        {"name": "demo", "path": ".", "dependencies": [], "dependants": []}
    ]
