"""Fixtures for the release unit tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from gitrepo import IDENTITY, git
from release_repo import PYPROJECT, Repo


@pytest.fixture
def make_repo(tmp_path: Path) -> Callable[..., Repo]:
    """A repository with pyproject.toml at ``version`` committed as ``chore: init``."""

    def make(version: str = "1.2.0", *, pyproject: str | None = None) -> Repo:
        root = tmp_path / "repo"
        root.mkdir()
        git(root, "init", "-q", "-b", "main")
        repo = Repo(root)
        repo.write(
            "pyproject.toml",
            pyproject if pyproject is not None else PYPROJECT.format(version=version),
        )
        repo.write("demo/__init__.py", f'__version__ = "{version}"\n')
        git(root, "add", "-A")
        git(root, "commit", "-q", "-m", "chore: init")
        return repo

    return make


@pytest.fixture(autouse=True)
def git_identity(monkeypatch: pytest.MonkeyPatch) -> None:
    """The release commits and tags ci-sessions makes need an identity on any machine."""
    for name, value in IDENTITY.items():
        monkeypatch.setenv(name, value)
