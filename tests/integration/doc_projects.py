"""The fixture projects the documentation's console samples run in.

A page names its project with ``<!-- docs-project: NAME -->`` before its first sample; each
builder here makes that project in an empty directory, so a sample shows what a reader who set
up the same project would see.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from fixture_projects import NOXFILE, clean_src_project, pyproject, write_files

from ci_sessions.history import store as history
from ci_sessions.results import CheckResult, Finding, RunRecord, Status

DAY = 86400.0


def git(root: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=docs", "-c", "user.email=docs@example.com", *args],
        cwd=root, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return done.stdout


def commit_all(root: Path, message: str) -> None:
    git(root, "add", "-A")
    git(root, "commit", "-qm", message)


def essential(root: Path) -> None:
    """A clean src-layout project that passes the essential tier on Python 3.12 (README.md)."""
    clean_src_project(root)
    with (root / "pyproject.toml").open("a") as handle:
        handle.write('\n[tool.ci-sessions]\npython = ["3.12"]\ndefault-python = "3.12"\n')
    (root / ".gitignore").write_text(".nox/\n.ci-sessions/\n")
    git(root, "init", "-q")
    commit_all(root, "init")


def changes(root: Path) -> None:
    """A package ``calc`` whose branch changed a module, added a test, edited and renamed docs,
    with ``origin/main`` at the fork point (docs/changes.md)."""
    write_files(
        root,
        {
            "pyproject.toml": pyproject("calc"),
            "src/calc/__init__.py": "",
            "src/calc/core.py": "def add(a, b):\n    return a + b\n",
            "docs/index.md": "# calc\n",
            "docs/old.md": "# A guide\n\nHow to add two numbers with calc, step by step.\n",
            ".gitignore": ".nox/\n.ci-sessions/\n",
        },
    )
    git(root, "init", "-q", "-b", "main")
    commit_all(root, "init")
    git(root, "update-ref", "refs/remotes/origin/main", "HEAD")
    git(root, "checkout", "-q", "-b", "feature")
    write_files(
        root,
        {
            "src/calc/core.py": "def add(a, b):\n    return a + b\n\n\ndef sub(a, b):\n    return a - b\n",
            "tests/test_core.py": "from calc.core import sub\n\n\ndef test_sub():\n    assert sub(3, 2) == 1\n",
            "docs/index.md": "# calc\n\nAdds and subtracts.\n",
        },
    )
    git(root, "mv", "docs/old.md", "docs/guide.md")
    commit_all(root, "sub")


def monorepo(root: Path) -> None:
    """Four packages: cli needs app, app needs core, unrelated needs nothing (docs/monorepo.md)."""
    files = {"pyproject.toml": '[tool.ci-sessions]\npackages = ["packages/*"]\n'}
    for name, needs in (("core", ""), ("app", '"core"'), ("cli", '"app"'), ("unrelated", "")):
        files[f"packages/{name}/pyproject.toml"] = pyproject(name) + (
            f"dependencies = [{needs}]\n" if needs else ""
        )
        files[f"packages/{name}/src/{name}/__init__.py"] = ""
    write_files(root, files)
    git(root, "init", "-q")
    commit_all(root, "init")


def history_of_runs(root: Path) -> None:
    """Forty runs over the last eight days: a flaky test, lint failures, rising coverage
    (docs/flaky.md, docs/history.md, docs/dashboard.md)."""
    write_files(root, {"pyproject.toml": pyproject("app"), "noxfile.py": NOXFILE})
    git(root, "init", "-q")
    commit_all(root, "init")
    junit = root / "junit.xml"
    start = _today() - 7 * DAY + 14 * 3600 + 14 * 60
    with history.open_history(root) as db:
        for n in range(40):
            flaky_fails = n % 4 == 1
            junit.write_text(
                "<testsuites><testsuite>"
                '<testcase classname="tests.test_api" name="test_ok"/>'
                '<testcase classname="tests.test_api" name="test_retry">'
                + ('<failure message="assert 502 == 200"/>' if flaky_fails else "")
                + "</testcase></testsuite></testsuites>"
            )
            lint_fails = n < 12 and n % 3 == 0
            results = [
                CheckResult("lint", "essential", Status.FAIL if lint_fails else Status.PASS,
                            duration=0.2 + n % 3 * 0.05,
                            findings=[Finding("ruff", "F401", "`os` imported but unused", "app.py", 1)]
                            if lint_fails else []),
                CheckResult("typecheck", "essential", Status.PASS, duration=3.0 - n * 0.04),
                CheckResult("tests", "essential", Status.FAIL if flaky_fails else Status.PASS,
                            python="3.12", per_python=True, duration=1.5,
                            metrics={"coverage": 70 + n * 0.5}, artifacts={"junit": str(junit)}),
            ]  # fmt: skip
            run = RunRecord(
                run_id=f"run{n}", project="app", started=start + (n // 5) * DAY + n * 60,
                results=results, commit=f"c{n // 2}",
            )  # fmt: skip
            run.finished = run.started + 5
            history.store_run(db, run, root=root)
    junit.unlink()


def _today() -> float:
    import time

    return (time.time() // DAY) * DAY


PROJECTS: dict[str, Callable[[Path], None]] = {
    "essential": essential,
    "changes": changes,
    "monorepo": monorepo,
    "history": history_of_runs,
}

#: how a command word of a sample runs here
PROGRAMS = {
    "ci-sessions": [sys.executable, "-m", "ci_sessions.cli"],
    "nox": [sys.executable, "-m", "nox"],
}
