"""Which files pyright analyses: its ``include`` and ``exclude`` (or the paths it is given).

Incremental type checking keeps each analysed file's diagnostics; it must know that list without
asking pyright for it. Globs follow pyright's rules: relative to the project root, ``**`` spans
folders, ``*`` and ``?`` stay within one; a folder includes or excludes everything below it;
without ``exclude``, pyright leaves out ``**/node_modules``, ``**/__pycache__`` and ``**/.*``.
Every whole run compares the count with pyright's own ``filesAnalyzed``, so a rule this module
gets wrong turns incremental type checking off with a reason, never into missed files.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from ci_sessions.checks import tooljson

DEFAULT_EXCLUDE = ("**/node_modules", "**/__pycache__", "**/.*")
SUFFIXES = (".py", ".pyi")


def pyright_settings(root: Path, tool: Mapping[str, object]) -> tooljson.JsonObject | str:
    """The pyright settings of a project: ``pyrightconfig.json`` first, else ``[tool.pyright]``;
    a string says why they cannot be read."""
    config = root / "pyrightconfig.json"
    if config.is_file():
        try:
            data = tooljson.load(config)
        except (OSError, ValueError):
            return "pyrightconfig.json is not plain JSON (comments?): its include list is unknown"
        return data if tooljson.is_object(data) else {}
    return tooljson.member(tool, "pyright")


def analysed_files(
    python_files: Iterable[str], include: Sequence[str], exclude: Sequence[str] | None
) -> list[str]:
    """The files of ``python_files`` (relative POSIX paths) that pyright checks."""
    includes = [_pattern(p) for p in include]
    excludes = [_pattern(p) for p in (DEFAULT_EXCLUDE if exclude is None else exclude)]
    return sorted(
        path
        for path in python_files
        if path.endswith(SUFFIXES)
        and any(rule.fullmatch(path) for rule in includes)
        and not any(rule.fullmatch(path) for rule in excludes)
    )


def scope(
    root: Path, tool: Mapping[str, object], paths: Sequence[str], has_config: bool
) -> tuple[list[str], list[str] | None] | str:
    """(include, exclude) pyright applies: the config's, or ``paths`` without a config."""
    if not has_config:
        return [p.rstrip("/") or "." for p in paths], None
    settings = pyright_settings(root, tool)
    if isinstance(settings, str):
        return settings
    include = _strings(settings.get("include", ["."]))
    exclude = settings.get("exclude")
    excluded = None if exclude is None else _strings(exclude)
    if include is None or (exclude is not None and excluded is None):
        return "the pyright include/exclude settings are not lists of paths"
    return include, excluded


def _strings(value: object) -> list[str] | None:
    """A list of strings, or None when ``value`` is anything else."""
    if not tooljson.is_list(value):
        return None
    found = [v for v in value if isinstance(v, str)]
    return found if len(found) == len(value) else None


def _pattern(glob: str) -> re.Pattern[str]:
    """A pyright path glob as a regular expression over relative paths (a folder covers all
    below it)."""
    text = glob.replace("\\", "/").strip()
    while text.startswith("./"):
        text = text[2:]
    text = text.rstrip("/")
    if text in ("", "."):
        return re.compile(r".*")
    parts: list[str] = []
    for segment in text.split("/"):
        if segment == "**":
            parts.append(r"(?:[^/]+/)*")
            continue
        piece = "".join(
            "[^/]*" if ch == "*" else "[^/]" if ch == "?" else re.escape(ch) for ch in segment
        )
        parts.append(piece + "/")
    body = "".join(parts).removesuffix("/")
    return re.compile(rf"{body}(?:/.*)?")
