"""The files a release writes, checked before the first write: inside the repository, never
through a symbolic link, never in ``.git``, a file and not a folder, readable as UTF-8."""

from __future__ import annotations

import os
from pathlib import Path

from ci_sessions._fs import is_inside, link_on_the_way
from ci_sessions.errors import ConfigError


def repository_file(root: Path, relative: str, *, source: str, key: str) -> str:
    """``relative`` as a clean posix path inside ``root``; a ConfigError naming ``key`` (in
    ``source``) otherwise. The file itself may not exist yet."""
    fix = f"set {key} to a path inside the repository, e.g. CHANGELOG.md or docs/changes.md"
    if not relative.strip() or "\0" in relative:
        raise ConfigError(source, key, f"{relative!r} is not a file name", fix=fix)
    target = Path(os.path.abspath(root / relative))
    if (
        Path(relative).is_absolute()
        or not is_inside(target, root)
        or target == Path(os.path.abspath(root))
    ):
        raise ConfigError(source, key, f"{relative!r} leads outside the repository", fix=fix)
    clean = target.relative_to(os.path.abspath(root)).as_posix()
    if clean.split("/")[0] == ".git":
        raise ConfigError(source, key, f"{relative!r} is inside .git, git's own folder", fix=fix)
    link = link_on_the_way(root, target)
    if link is not None:
        shown = link.relative_to(os.path.abspath(root)).as_posix()
        raise ConfigError(
            source, key, f"{relative!r} passes through the symbolic link {shown}: a release "
            "never writes through a link", fix=fix,
        )  # fmt: skip
    if target.is_dir():
        raise ConfigError(source, key, f"{relative!r} is a folder, not a file", fix=fix)
    return clean


def read_text(root: Path, relative: str, *, what: str) -> str | None:
    """A file's text (None when missing); not UTF-8 is a ConfigError naming the file."""
    path = root / relative
    if not path.is_file():
        return None
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ConfigError(
            relative, "", f"is not UTF-8 text (byte {data[error.start]:#04x} at offset "
            f"{error.start}): the {what} is rewritten as UTF-8 and the rest kept byte for byte",
            fix=f"convert it first, e.g. iconv -f latin1 -t utf-8 {relative} > x && mv x {relative}",
        ) from None  # fmt: skip
