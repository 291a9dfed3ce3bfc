"""Reading pyproject.toml: a syntax error names the file, a wrong ``[tool.ci-sessions]`` its key."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, cast

from ci_sessions.errors import ConfigError

TOOL_TABLE = "[tool.ci-sessions]"


def load_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML file, turning a syntax error into a ConfigError that names the file."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on 3.10 only
        import tomli as tomllib
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            path.name, "", f"invalid TOML: {exc}", fix="correct the TOML syntax"
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
