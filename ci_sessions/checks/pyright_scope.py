"""Which files pyright analyses: its ``include`` and ``exclude`` (or the paths it is given).

Incremental type checking keeps each analysed file's diagnostics; it must know that list without
asking pyright for it. Globs follow pyright's rules: relative to the project root, ``**`` spans
folders, ``*`` and ``?`` stay within one; a folder includes or excludes everything below it;
without ``exclude``, pyright leaves out ``**/node_modules``, ``**/__pycache__`` and ``**/.*``.
Every whole run compares the count with pyright's own ``filesAnalyzed``, so a rule this module
gets wrong turns incremental type checking off with a reason, never into missed files.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, cast

DEFAULT_EXCLUDE = ("**/node_modules", "**/__pycache__", "**/.*")
SUFFIXES = (".py", ".pyi")


def pyright_settings(root: Path, tool: dict[str, Any]) -> dict[str, Any] | str:
    """The pyright settings of a project: ``pyrightconfig.json`` first, else ``[tool.pyright]``;
    a string says why they cannot be read."""
    config = root / "pyrightconfig.json"
    if config.is_file():
        try:
            data = json.loads(config.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return "pyrightconfig.json is not plain JSON (comments?): its include list is unknown"
        return cast("dict[str, Any]", data) if isinstance(data, dict) else {}
    section = tool.get("pyright", {})
    return cast("dict[str, Any]", section) if isinstance(section, dict) else {}


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
    root: Path, tool: dict[str, Any], paths: Sequence[str], has_config: bool
) -> tuple[list[str], list[str] | None] | str:
    """(include, exclude) pyright applies: the config's, or ``paths`` without a config."""
    if not has_config:
        return [p.rstrip("/") or "." for p in paths], None
    settings = pyright_settings(root, tool)
    if isinstance(settings, str):
        return settings
    include = settings.get("include", ["."])
    exclude = settings.get("exclude")
    if not _strings(include) or (exclude is not None and not _strings(exclude)):
        return "the pyright include/exclude settings are not lists of paths"
    return (
        [str(p) for p in cast("list[Any]", include)],
        None if exclude is None else [str(p) for p in cast("list[Any]", exclude)],
    )


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in cast("list[Any]", value))


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
