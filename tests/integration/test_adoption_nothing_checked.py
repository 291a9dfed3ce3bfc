"""A run that checked nothing is not green (issue 21, item 7): a Python the machine lacks in
``default-python`` is a configuration error; a matrix whose every cell is missing exits non-zero;
one missing cell among several is a SKIP of that cell."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from fixture_projects import NoxRun, nox_env

from ci_sessions.config.pythons import found_here

pytestmark = [pytest.mark.integration, pytest.mark.slow]
PY = f"{sys.version_info.major}.{sys.version_info.minor}"

Make = Callable[..., Path]
Run = Callable[..., NoxRun]


def _configure(root: Path, table: str) -> None:
    with (root / "pyproject.toml").open("a", encoding="utf-8") as handle:
        handle.write(f"\n[tool.ci-sessions]\n{table}\n")


def test_a_missing_default_python_is_a_configuration_error(
    make_project: Make, nox_runner: Run
) -> None:
    root = make_project()
    _configure(root, 'default-python = "3.99"')
    run = nox_runner(root, "-s", "essential")
    assert run.returncode == 2, run.output
    assert "default-python" in run.stderr and "3.99" in run.stderr
    assert ", ".join(found_here()) in run.stderr  # the Pythons that are here
    assert run.results is None  # nothing ran, nothing was reported as a run
    shown = subprocess.run(
        [str(Path(sys.executable).parent / "ci-sessions"), "config", str(root)],
        env=nox_env(), capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert shown.returncode == 2, shown.stdout + shown.stderr
    assert "default-python" in shown.stderr


def test_a_matrix_whose_every_python_is_missing_is_not_green(
    make_project: Make, nox_runner: Run
) -> None:
    root = make_project()
    _configure(root, f'python = ["3.98", "3.99"]\ndefault-python = "{PY}"')
    run = nox_runner(root, "-s", "tests")
    assert run.returncode != 0, run.output
    assert {r["status"] for r in run.results["results"]} == {"SKIP"}  # type: ignore[index]
    assert "nothing was checked" in run.output


def test_one_missing_python_among_several_is_a_skip_of_that_cell(
    make_project: Make, nox_runner: Run
) -> None:
    root = make_project()
    _configure(root, f'python = ["{PY}", "3.99"]\ndefault-python = "{PY}"')
    run = nox_runner(root, "-s", "tests")
    assert run.returncode == 0, run.output
    assert run.status(f"tests-{PY}") == "PASS"
    assert run.status("tests-3.99") == "SKIP"


def test_nothing_to_check_here_stays_green(make_project: Make, nox_runner: Run) -> None:
    """A docs-only change: the affected-test selection picks no test; that is not a failure."""
    root = make_project({"docs/index.md": "# demo\n"})
    git = ["git", "-c", "user.email=t@t", "-c", "user.name=t"]
    subprocess.run([*git, "init", "-q", "-b", "main"], cwd=root, check=True)
    subprocess.run([*git, "add", "-A"], cwd=root, check=True)
    subprocess.run([*git, "commit", "-qm", "init"], cwd=root, check=True)
    (root / "docs" / "index.md").write_text("# demo\n\nmore words\n")
    subprocess.run([*git, "commit", "-qam", "docs"], cwd=root, check=True)
    run = nox_runner(root, "-s", f"tests-{PY}", "--", "--affected", "--base", "HEAD~1")
    assert run.returncode == 0, run.output
    assert run.status(f"tests-{PY}") == "SKIP"
