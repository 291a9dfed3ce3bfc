"""Fixtures for the release integration tests: a real index server and a released project."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from gitrepo import IDENTITY, git
from release_index import IndexServer, start_index
from release_projects import PYPROJECT, write_project

from ci_sessions.release.cli import main


@pytest.fixture
def index_server(tmp_path: Path) -> Iterator[Callable[..., IndexServer]]:
    """Start pypiserver instances (stopped at the end): ``index_server("staging", user=, password=)``."""
    servers: list[IndexServer] = []

    def start(name: str, *, user: str = "", password: str = "") -> IndexServer:
        server = start_index(tmp_path / "index" / name, user=user, password=password)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def released_project(tmp_path: Path) -> Callable[[str], Path]:
    """A hatchling project released with ``ci-sessions release`` (commit + tag at HEAD)."""

    def make(publish_config: str) -> Path:
        root = write_project(
            tmp_path / "relfix",
            {
                "pyproject.toml": PYPROJECT + textwrap.dedent(publish_config),
                "relfix/__init__.py": '"""Fixture."""\n\n__version__ = "0.1.0"\n\n\ndef answer() -> int:\n    return 42\n',
                ".gitignore": ".ci-sessions/\n",
            },
        )
        git(root, "init", "-q", "-b", "main")
        git(root, "add", "-A")
        git(root, "commit", "-q", "-m", "feat: the answer")
        git(root, "tag", "-a", "v0.1.0", "-m", "v0.1.0")
        (root / "relfix" / "extra.py").write_text("X = 1\n")
        git(root, "add", "-A")
        git(root, "commit", "-q", "-m", "fix: an extra module")
        assert main(["--root", str(root)]) == 0
        assert git(root, "describe", "--exact-match").strip() == "v0.1.1"
        return root

    return make


@pytest.fixture(autouse=True)
def git_identity(monkeypatch: pytest.MonkeyPatch) -> None:
    """The release commits and tags ci-sessions makes need an identity on any machine."""
    for name, value in IDENTITY.items():
        monkeypatch.setenv(name, value)
