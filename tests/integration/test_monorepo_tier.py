"""Tier sessions on a three-package monorepo: --package and --changed-only --base."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fixture_projects import NOXFILE, NoxRun, pyproject, write_files
from gitrepo import git

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def package(name: str, deps: str = "") -> dict[str, str]:
    extra = f"dependencies = [{deps}]\n" if deps else ""
    return {
        f"packages/{name}/pyproject.toml": pyproject(name).replace(
            'requires-python = ">=3.10"\n', f'requires-python = ">=3.10"\n{extra}'
        ),
        f"packages/{name}/src/{name}/__init__.py": "VALUE = 1\n",
    }


def test_changed_only_runs_the_changed_package_and_its_dependants(
    tmp_path: Path, nox_runner: Callable[..., NoxRun]
) -> None:
    root = tmp_path / "mono"
    write_files(
        root,
        {
            "pyproject.toml": '[tool.ci-sessions]\npackages = ["packages/*"]\n\n'
            '[tool.ci-sessions.tiers]\nquick = ["lint"]\n',
            "noxfile.py": NOXFILE,
            ".gitignore": ".nox/\n.ci-sessions/\n",
            **package("core"),
            **package("app", '"core"'),
            **package("other"),
            # this package tolerates findings the root would fail: per-package config wins
            "packages/other/pyproject.toml": pyproject("other")
            + "\n[tool.ci-sessions.lint]\nmax-findings = 5\nzero-tolerance = []\n",
        },
    )
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "init")
    (root / "packages/core/src/core/__init__.py").write_text("import os\nVALUE = 2\n")
    (root / "packages/other/src/other/__init__.py").write_text("import sys\nVALUE = 2\n")
    git(root, "commit", "-qam", "change core and other")
    (root / "packages/other/src/other/__init__.py").write_text("import sys\nVALUE = 3\n")
    git(root, "commit", "-qam", "change other again")

    run = nox_runner(root, "-s", "quick", "--", "--changed-only", "--base", "HEAD~1")
    assert run.returncode == 0, run.output
    assert [r["label"] for r in run.results["results"]] == ["other/lint"]  # type: ignore[index]
    assert run.result("other/lint")["metrics"]["findings"] == 1  # 1 <= 5 in other's own config

    run = nox_runner(root, "-s", "quick", "--", "--changed-only", "--base", "HEAD~2")
    labels = sorted(r["label"] for r in run.results["results"])  # type: ignore[index]
    assert labels == ["app/lint", "core/lint", "other/lint"]
    assert run.status("core/lint") == "FAIL"
    finding = run.result("core/lint")["findings"][0]
    assert finding["path"] == "packages/core/src/core/__init__.py"  # re-rooted at the repository
    assert run.returncode == 1

    run = nox_runner(root, "-s", "quick", "--", "--package", "app")
    assert [r["label"] for r in run.results["results"]] == ["app/lint"]  # type: ignore[index]
    assert run.returncode == 0

    run = nox_runner(root, "-s", "quick", "--", "--package", "ap")
    assert run.returncode == 2
    assert "app" in run.stderr and "Traceback" not in run.output
