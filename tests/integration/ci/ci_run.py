"""Helpers for the `ci-sessions ci` tests: a git repository with a workflow, and a run of main()."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from gitrepo import git

from ci_sessions.ci.cli import main


@dataclass
class CiRun:
    code: int
    out: str
    err: str

    @property
    def rows(self) -> list[dict[str, Any]]:
        return list(json.loads(self.out)["jobs"])

    def row(self, job: str, cell: str = "") -> dict[str, Any]:
        for row in self.rows:
            if row["job"] == job and row["cell"] == cell:
                return row
        raise AssertionError(
            f"no row {job!r}/{cell!r} in {[(r['job'], r['cell']) for r in self.rows]}"
        )

    def result(self, job: str, cell: str = "") -> str:
        return str(self.row(job, cell)["result"])


def repo(root: Path, workflow: str, files: Mapping[str, str] | None = None) -> Path:
    """A committed git repository holding the workflow (and files), on branch main."""
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "-q", "-b", "main")
    path = root / ".github" / "workflows" / "ci.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(workflow).lstrip("\n"), encoding="utf-8")
    for name, text in (files or {}).items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "initial")
    return root


def run_ci(
    root: Path, *args: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> CiRun:
    """``ci-sessions ci --json ARGS`` in ``root``, in this process."""
    monkeypatch.chdir(root)
    capsys.readouterr()
    code = main(["--json", *args])
    captured = capsys.readouterr()
    return CiRun(code, captured.out, captured.err)


SINGLE: dict[str, str] = {
    ".gitignore": ".nox/\n.ci-sessions/\n__pycache__/\n",
    "README.md": "# demo\n\nAdds numbers.\n",
    "pyproject.toml": """
        [build-system]
        requires = ["hatchling"]
        build-backend = "hatchling.build"

        [project]
        name = "demo"
        version = "0.1.0"
        readme = "README.md"
        requires-python = ">=3.12"
        """,
    "src/demo/__init__.py": '''
        """Demo."""


        def add(a: int, b: int) -> int:
            """Add two numbers."""
            return a + b
        ''',
    "tests/test_demo.py": """
        from demo import add


        def test_add() -> None:
            assert add(1, 2) == 3
        """,
    "docs/index.md": "# demo\n",
}


def _package(name: str) -> dict[str, str]:
    return {
        f"packages/{name}/pyproject.toml": f"""
            [build-system]
            requires = ["hatchling"]
            build-backend = "hatchling.build"

            [project]
            name = "{name}"
            version = "0.1.0"
            requires-python = ">=3.12"
            """,
        f"packages/{name}/src/{name}/__init__.py": f'"""{name}."""\n\nVALUE = 1\n',
        f"packages/{name}/tests/test_{name}.py": f"""
            from {name} import VALUE


            def test_value() -> None:
                assert VALUE == 1
            """,
    }


MONOREPO: dict[str, str] = {
    ".gitignore": ".nox/\n.ci-sessions/\n__pycache__/\n",
    "pyproject.toml": """
        [tool.ci-sessions]
        packages = ["packages/*"]
        python = ["3.12", "3.13"]

        [tool.pytest.ini_options]
        testpaths = ["tests"]
        """,
    "tests/test_layout.py": """
        from pathlib import Path


        def test_the_packages_are_there() -> None:
            assert Path("packages/core/pyproject.toml").is_file()
        """,
    **_package("core"),
    **_package("app"),
}

#: the audit check needs vulnerability data from the network, which these machines lack
OFFLINE_AUDIT = '\n[tool.ci-sessions.audit]\nunreachable = "warn"\n'


def init_project(
    root: Path,
    *,
    tier: str = "essential",
    monorepo: bool = False,
    pythons: tuple[str, ...] = (),
) -> Path:
    """A committed fixture project with everything `ci-sessions init --tier TIER` writes."""
    files = dict(MONOREPO if monorepo else SINGLE)
    pyproject = textwrap.dedent(files["pyproject.toml"]).lstrip("\n")
    if pythons and not monorepo:
        listed = ", ".join(f'"{v}"' for v in pythons)
        pyproject += f"\n[tool.ci-sessions]\npython = [{listed}]\n"
    if tier != "essential":
        pyproject += OFFLINE_AUDIT
    files["pyproject.toml"] = pyproject
    return init_files(root, files, tier=tier)


def init_files(root: Path, files: dict[str, str], *, tier: str = "essential") -> Path:
    """``files`` (dedented) in a new repository, `ci-sessions init --tier TIER`, one commit."""
    root.mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CI_SESSIONS_")}
    done = subprocess.run(
        [sys.executable, "-m", "ci_sessions.cli", "init", "--tier", tier, "--no-baseline"],
        cwd=root,
        env={**env, "UV_PYTHON_DOWNLOADS": "never"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    git(root, "add", "-A")
    git(root, "commit", "-qm", "ci-sessions init")
    return root


def clone(source: Path, dest: Path) -> Path:
    """A clone to change without touching the shared fixture (origin/main is the fixture)."""
    git(dest.parent, "clone", "-q", str(source), dest.name)
    return dest
