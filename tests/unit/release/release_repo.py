"""A git repository in tmp_path for the release tests: commits with messages, version tags."""

from __future__ import annotations

import textwrap
from pathlib import Path

from gitrepo import git

PYPROJECT = """\
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "demo"
version = "{version}"  # keep this comment
description = "a demo"
"""


class Repo:
    """A git repository in tmp_path; ``commit`` makes an (empty-change) commit with a message."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.count = 0

    def write(self, relative: str, text: str) -> Path:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    def commit(self, message: str) -> str:
        self.count += 1
        self.write(f"changes/{self.count}.txt", message)
        git(self.root, "add", "-A")
        git(self.root, "commit", "-q", "-m", message)
        return git(self.root, "rev-parse", "HEAD").strip()

    def tag(self, name: str) -> None:
        git(self.root, "tag", "-a", name, "-m", name)

    def git(self, *args: str) -> str:
        return git(self.root, *args)
