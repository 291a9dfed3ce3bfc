"""The hostile corpus runs every command in a throwaway HOME and TMPDIR with canaries around them."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from gitrepo import IDENTITY
from sandbox import Sandbox


@pytest.fixture
def box(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    """A case's folder: the project, HOME and TMPDIR (throwaway, with canaries), ``outside/``."""
    sandbox = Sandbox(tmp_path)
    sandbox.make()
    cache = os.environ.get("UV_CACHE_DIR") or str(Path.home() / ".cache" / "uv")
    monkeypatch.setenv("HOME", str(sandbox.home))
    monkeypatch.setenv("TMPDIR", str(sandbox.tmp))
    monkeypatch.setattr(tempfile, "tempdir", str(sandbox.tmp))
    monkeypatch.setenv("UV_CACHE_DIR", cache)  # the real cache: no download, nothing in HOME
    monkeypatch.setenv("UV_PYTHON_DOWNLOADS", "never")
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("HOSTILE_TOKEN", sandbox.secret)  # in the caller's shell: never in a step
    for name, value in IDENTITY.items():
        monkeypatch.setenv(name, value)
    for name in list(os.environ):
        if name.startswith(("CI_SESSIONS_", "GITHUB_", "RUNNER_")):
            monkeypatch.delenv(name)
    monkeypatch.chdir(sandbox.project)
    yield sandbox
    sandbox.kill_leftovers()
