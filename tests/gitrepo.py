"""Git for tests: commands in fixture repositories with a fixed identity, output returned."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

IDENTITY = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@t",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@t",
}


def git(root: Path, *args: str) -> str:
    """Run ``git ARGS`` in ``root``; raise on failure; return its standard output."""
    return subprocess.run(
        ["git", *args],
        cwd=root,
        env={**os.environ, **IDENTITY},
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def committed_repo(root: Path, message: str = "base") -> Path:
    """``root`` made a repository on branch ``main`` with everything in it committed."""
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)
    return root
