"""A file edit planned before it is made: shown as a diff by ``--dry-run``, written by a release."""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass
from pathlib import Path

from ci_sessions._fs import atomic_write_bytes


@dataclass(frozen=True)
class FileEdit:
    """``path`` (relative to the project root) goes from ``old`` to ``new``; None: absent."""

    path: str
    old: bytes | None
    new: bytes

    def diff(self) -> str:
        old = (self.old or b"").decode("utf-8", "replace").splitlines(keepends=True)
        new = self.new.decode("utf-8", "replace").splitlines(keepends=True)
        before = f"a/{self.path}" if self.old is not None else "/dev/null"
        lines = difflib.unified_diff(old, new, before, f"b/{self.path}")
        return "".join(line if line.endswith("\n") else line + "\n" for line in lines)

    def apply(self, root: Path) -> None:
        """Write atomically, keeping the file's mode (a temporary file is created 0600)."""
        target = root / self.path
        mode = target.stat().st_mode & 0o7777 if target.exists() else 0o666 & ~_umask()
        atomic_write_bytes(target, self.new)
        os.chmod(target, mode)


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def read_bytes(root: Path, path: str) -> bytes | None:
    target = root / path
    return target.read_bytes() if target.is_file() else None
