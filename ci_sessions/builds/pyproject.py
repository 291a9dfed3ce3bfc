"""The project's whole pyproject.toml, read once, and its nested tables read safely.

The build configuration (``[build-system]``, ``[project]``, ``[tool.hatch.version]``, ...) is what
the version sources and the builds read; a table that is not one is a ConfigError naming the key.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import cast

from ci_sessions.config import load_toml
from ci_sessions.errors import ConfigError

SOURCE = "pyproject.toml"


def load_pyproject(root: Path) -> dict[str, object]:
    """The whole pyproject.toml (the build configuration the version sources are read from)."""
    path = root / SOURCE
    return dict(load_toml(path)) if path.is_file() else {}


def table(data: Mapping[str, object], *keys: str) -> dict[str, object]:
    """The nested table at ``keys`` (empty when missing); a non-table is a ConfigError."""
    current: dict[str, object] = dict(data)
    for index, key in enumerate(keys):
        found = current.get(key, {})
        if not isinstance(found, Mapping):
            raise ConfigError(SOURCE, ".".join(keys[: index + 1]), "must be a table")
        current = dict(cast("Mapping[str, object]", found))
    return current
