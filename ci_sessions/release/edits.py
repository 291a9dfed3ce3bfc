"""A file edit planned before it is made: shown as a diff by ``--dry-run``, written by a release.

The new version goes where the build configuration keeps it (:mod:`ci_sessions.builds.sources`),
a static ``[project] version`` edited with tomlkit so comments and layout stay.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from packaging.version import Version

from ci_sessions._fs import atomic_write_bytes
from ci_sessions.builds.paths import read_text
from ci_sessions.builds.sources import VERSION_FIX, VersionSource, assignment
from ci_sessions.errors import ConfigError


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


def version_edit(root: Path, source: VersionSource, version: Version) -> FileEdit | None:
    """The edit that writes ``version`` where ``source`` says; None for a tag-only project."""
    if source.kind == "tag":
        return None
    old = read_bytes(root, source.path)
    text = read_text(root, source.path, what="version file")
    if old is None or text is None:
        raise ConfigError(source.path, "", "the version file is missing", fix=VERSION_FIX)
    if source.kind == "pyproject":
        new = _set_toml_version(text, source.keys, str(version))
    elif not source.attribute:
        new = str(version) + "\n"
    else:
        new, count = assignment(source.attribute).subn(
            lambda m: f"{m.group('lhs')}{m.group('quote')}{version}{m.group('quote')}",
            text,
            count=1,
        )
        if count == 0:
            name = source.attribute.split("|")[0]
            raise ConfigError(
                source.path, name, f'no `{name} = "..."` line to update', fix=VERSION_FIX
            )
    return FileEdit(source.path, old, new.encode("utf-8"))


def _set_toml_version(text: str, keys: tuple[str, ...], version: str) -> str:
    import tomlkit

    document = tomlkit.parse(text)
    container: object = document
    for key in keys:
        container = cast("Mapping[str, object]", container)[key]
    cast("dict[str, object]", container)["version"] = version
    return tomlkit.dumps(document)
