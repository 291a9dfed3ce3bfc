"""Reading pyproject.toml: a syntax error names the file, a wrong ``[tool.ci-sessions]`` its key.

Whatever the file holds (bytes that are not UTF-8, NUL bytes, arrays nested thousands deep,
which make tomllib recurse until Python gives up), the answer is a ConfigError naming the file
and the fix, never a traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, cast

from ci_sessions.errors import ConfigError

TOOL_TABLE = "[tool.ci-sessions]"


def load_toml(path: Path, display: str | None = None) -> dict[str, Any]:
    """Parse a TOML file; any problem is a ConfigError naming ``display`` (default: its name)."""
    shown = display or path.name
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(
            shown, "", f"cannot be read: {exc.strerror or exc}", fix=f"make {shown} a readable file"
        ) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ConfigError(
            shown,
            "",
            f"is not UTF-8 text (byte {data[exc.start]:#04x} at line {line})",
            fix=f"save {shown} as UTF-8 (TOML files must be UTF-8)",
        ) from None
    return parse_toml(text, shown)


def parse_toml(text: str, shown: str) -> dict[str, Any]:
    """Parse TOML text that came from ``shown`` (a file name, or ``REF:pyproject.toml``)."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on 3.10 only
        import tomli as tomllib
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise ConfigError(
            shown, "", f"holds a NUL byte (line {line})", fix=f"remove the NUL bytes from {shown}"
        )
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            shown, "", f"invalid TOML: {exc}", fix="correct the TOML syntax"
        ) from None
    except RecursionError:
        raise ConfigError(
            shown,
            "",
            "invalid TOML: values nested too deeply to read",
            fix=f"flatten the deeply nested arrays or tables in {shown}",
        ) from None


def read_project_table(pyproject: Path) -> dict[str, Any]:
    """The ``[tool.ci-sessions]`` table of a pyproject.toml, or an empty dict."""
    if not pyproject.is_file():
        return {}
    data = load_toml(pyproject)
    tool = data.get("tool", {})
    if not isinstance(tool, dict):
        return {}
    table = cast("dict[str, Any]", tool).get("ci-sessions", {})
    if not isinstance(table, dict):
        raise ConfigError(
            pyproject.name, TOOL_TABLE, "must be a table", expected="[tool.ci-sessions] with keys"
        )
    return cast("dict[str, Any]", table)
