"""Fixture projects made in tmp_path and a real ``nox`` run in a subprocess.

``make_project`` writes a small project (src or flat layout) with the three-line noxfile;
``run_nox`` runs ``python -m nox`` from the test environment (where ci_sessions is installed) and
returns the completed process plus the parsed ``results.json``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

NOXFILE = "import ci_sessions\n\nci_sessions.register()\n"


@dataclass
class NoxRun:
    returncode: int
    stdout: str
    stderr: str
    results: dict[str, Any] | None

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def result(self, label: str) -> dict[str, Any]:
        assert self.results is not None, self.output
        for row in self.results["results"]:
            if row["label"] == label:
                return row
        raise AssertionError(
            f"no result {label!r} in {[r['label'] for r in self.results['results']]}"
        )

    def status(self, label: str) -> str:
        return str(self.result(label)["status"])


def write_files(root: Path, files: Mapping[str, str]) -> None:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")


def pyproject(name: str = "demo", *, extra: str = "", python: str = ">=3.10") -> str:
    return textwrap.dedent(
        f"""
        [build-system]
        requires = ["hatchling"]
        build-backend = "hatchling.build"

        [project]
        name = "{name}"
        version = "0.1.0"
        requires-python = "{python}"
        """
    ).lstrip("\n") + textwrap.dedent(extra)


def clean_src_project(root: Path, name: str = "demo", *, extra_pyproject: str = "") -> Path:
    """A src-layout project that passes the essential tier."""
    write_files(
        root,
        {
            "pyproject.toml": pyproject(name, extra=extra_pyproject),
            "noxfile.py": NOXFILE,
            f"src/{name}/__init__.py": '''
                """Demo package."""


                def add(a: int, b: int) -> int:
                    """Add two numbers."""
                    return a + b
                ''',
            "tests/test_add.py": f"""
                from {name} import add


                def test_add() -> None:
                    assert add(2, 3) == 5
                """,
        },
    )
    return root


def findings_project(root: Path, name: str = "demo") -> Path:
    """A src-layout project with something for every essential and security check to find: lint
    findings under the project's own ruff config, a type error, an unformatted file, a failing and
    a skipped test, a bandit finding and a planted secret."""
    clean_src_project(
        root,
        name,
        extra_pyproject="""
            [tool.ruff.lint]
            select = ["E", "F", "B"]
            """,
    )
    write_files(
        root,
        {
            f"src/{name}/util.py": """
                import os
                import sys
                import subprocess


                def run(command: str) -> int:
                    return subprocess.call(command, shell=True)


                def length(text: str) -> int:
                    return text + 1


                def items(values=[]):
                    return values
                """,
            f"src/{name}/ugly.py": "x  =  [1,2 ,3]\n",
            f"src/{name}/config.py": 'AWS_KEY = "AKIAIOSFODNN7EXAMPLE"\n',
            "tests/test_more.py": f"""
                import pytest

                from {name} import add


                def test_ok() -> None:
                    assert add(1, 1) == 2


                def test_wrong() -> None:
                    assert add(1, 1) == 3


                @pytest.mark.skip(reason="later")
                def test_later() -> None:
                    pass
                """,
            ".gitignore": ".nox/\n.ci-sessions/\n",
        },
    )
    return root


@pytest.fixture
def make_project(tmp_path: Path) -> Callable[..., Path]:
    def factory(
        files: Mapping[str, str] | None = None, *, name: str = "demo", sub: str = "proj"
    ) -> Path:
        root = tmp_path / sub
        root.mkdir(parents=True, exist_ok=True)
        clean_src_project(root, name)
        if files:
            write_files(root, files)
        return root

    return factory


#: tools the `test` dependency group installs only where they can be (Python >= 3.11)
NEEDS_311 = ("zizmor", "check-jsonschema")


def installed_tool(name: str) -> str:
    """A tool of the `test` dependency group; the test skips where the tool cannot be installed."""
    path = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    if path is None:
        if name in NEEDS_311 and sys.version_info < (3, 11):
            version = f"{sys.version_info.major}.{sys.version_info.minor}"
            pytest.skip(f"{name} cannot be installed on Python {version} (it needs 3.11 or newer)")
        pytest.fail(f"{name} is not installed: install the `test` dependency group")
    return path


def nox_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CI_SESSIONS_")}
    # the suite runs the same under plain pytest and under this repository's tests check, which
    # starts pytest with NO_COLOR=1 (a test's FORCE_COLOR beside it makes nox refuse to start)
    for name in ("CI", "GITHUB_ACTIONS", "NO_COLOR", "FORCE_COLOR", "CLICOLOR_FORCE", "PY_COLORS"):
        env.pop(name, None)
    env["UV_PYTHON_DOWNLOADS"] = "never"
    env["COLUMNS"] = "160"
    env.update(extra or {})
    return env


def run_nox(
    root: Path, *args: str, env: Mapping[str, str] | None = None, timeout: int = 600
) -> NoxRun:
    """Run real nox (from this interpreter's environment) in ``root``."""
    results_path = root / ".ci-sessions" / "reports" / "results.json"
    if results_path.exists():
        results_path.unlink()
    completed = subprocess.run(
        [sys.executable, "-m", "nox", *args],
        cwd=root,
        env=nox_env(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    results = json.loads(results_path.read_text()) if results_path.exists() else None
    return NoxRun(completed.returncode, completed.stdout, completed.stderr, results)


@pytest.fixture
def nox_runner() -> Callable[..., NoxRun]:
    return run_nox


def tracked_python() -> str:
    """A Python whose test runs are incremental (3.12+: ``sys.monitoring``), or skip the test."""
    from ci_sessions._interpreters import find_interpreter

    for version in ("3.13", "3.12"):
        if find_interpreter(version) is not None:
            return version
    pytest.skip(
        "incremental test runs need Python 3.12 or later, and none is installed here",
        allow_module_level=True,
    )
