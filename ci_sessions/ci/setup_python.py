"""Local Pythons for ``actions/setup-python``: what a request means, and which Python here meets it.

The Pythons are the ones :mod:`ci_sessions._interpreters` finds (the version managers' folders,
``python3.X`` on the step's PATH, uv's Pythons; never downloaded). A request setup-python would
satisfy from its tool cache (``3.12``, ``3.12.1``, ``3.x``, ``>=3.11 <3.13``) picks the newest
local CPython that matches; none is an answer (the cell is skipped locally), not an error.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import cast

from ci_sessions._interpreters import Interpreter, installed
from ci_sessions.errors import ConfigError, UnsupportedRequest

Version = tuple[int, ...]


def matches(request: str, version: Version) -> bool:
    """Whether a setup-python ``python-version`` accepts a CPython version."""
    text = request.strip()
    if re.search(r"pypy|graalpy|t$", text, re.IGNORECASE):
        raise UnsupportedRequest(f"python-version {text!r} is not a CPython this runner maps")
    text = re.sub(r"-(dev|alpha.*|beta.*|rc.*)$", "", text)
    if re.search(r"[<>=~^]", text):
        return all(_compare(clause, version) for clause in re.split(r"[\s,]+", text) if clause)
    parts = text.split(".")
    wanted: list[int] = []
    for part in parts:
        if part in ("x", "X", "*"):
            break
        if not part.isdigit():
            raise UnsupportedRequest(f"python-version {request!r} is not a version")
        wanted.append(int(part))
    return list(version[: len(wanted)]) == wanted


def _compare(clause: str, version: Version) -> bool:
    match = re.fullmatch(r"(>=|<=|==|!=|>|<|~=|\^)?v?(\d+(?:\.\d+)*)(?:\.x)?", clause)
    if match is None:
        raise UnsupportedRequest(f"cannot read the version range clause {clause!r}")
    op, number = match.group(1) or "==", tuple(int(p) for p in match.group(2).split("."))
    mine = version[: len(number)] if op in ("==", "!=") else version
    padded = number + (0,) * (3 - len(number))
    if op in ("~=", "^"):
        return (
            version >= padded
            and version[: max(1, len(number) - 1)] == number[: max(1, len(number) - 1)]
        )
    return {
        "==": mine == number,
        "!=": mine != number,
        ">=": version >= padded,
        "<=": version <= padded,
        ">": version > padded,
        "<": version < padded,
    }[op]


def find(request: str, path: str) -> Interpreter | None:
    """The newest local CPython the request accepts, or None."""
    chosen = [c for c in installed(path) if matches(request, c.version)]
    return max(chosen, key=lambda c: c.version) if chosen else None


def requested_versions(python_version: str) -> list[str]:
    """setup-python takes several versions, one a line; the last one is the default."""
    return [line.strip() for line in python_version.splitlines() if line.strip()]


def version_from_file(path: Path, name: str) -> str:
    """``python-version-file``: .python-version's first line, or pyproject's requires-python.

    A file that is not UTF-8 text (or not TOML, for pyproject.toml) is a ConfigError naming it.
    """
    if not path.is_file():
        raise FileNotFoundError(name)
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as error:
        raise ConfigError(
            name, "", f"is not UTF-8 text (byte {error.object[error.start]:#04x} at offset "
            f"{error.start}): actions/setup-python cannot read a version from it",
            fix=f"write the version as plain text, e.g. `echo 3.12 > {name}`",
        ) from None  # fmt: skip
    if path.name == "pyproject.toml":
        if sys.version_info >= (3, 11):
            import tomllib
        else:  # pragma: no cover - 3.10 only
            import tomli as tomllib
        try:
            loaded = tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            raise ConfigError(name, "", f"is not valid TOML: {error}") from None
        project = loaded.get("project", {})
        if not isinstance(project, dict):
            return ""
        return str(cast("dict[str, object]", project).get("requires-python", ""))
    lines = [
        line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
    ]
    return lines[0] if lines else ""
