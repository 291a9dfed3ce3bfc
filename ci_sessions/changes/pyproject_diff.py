"""Which keys of a pyproject.toml changed, and whether tests can notice.

A release bumps metadata or a linter's settings in pyproject.toml far more often than it changes
dependencies or pytest's configuration. Only a change confined to keys that cannot alter a test
run (below) spares the whole suite; any other key, a parse error or a missing side runs it all.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Mapping
from typing import Any, cast

#: dotted keys (and everything below them) whose change no test run can observe
INERT_KEYS = (
    "project.version", "project.description", "project.readme", "project.authors",
    "project.maintainers", "project.keywords", "project.classifiers", "project.urls",
    "project.license", "project.license-files",
    "tool.ruff", "tool.black", "tool.isort", "tool.mypy", "tool.pyright", "tool.basedpyright",
    "tool.codespell", "tool.bumpversion", "tool.commitizen", "tool.towncrier", "tool.pylint",
    "tool.docformatter", "tool.repo-review", "tool.check-manifest",
)  # fmt: skip


def changed_keys(old: Mapping[str, Any], new: Mapping[str, Any], prefix: str = "") -> list[str]:
    """Dotted keys whose values differ, as deep as both sides are tables."""
    keys: list[str] = []
    for key in sorted(set(old) | set(new)):
        dotted = f"{prefix}{key}"
        a, b = old.get(key), new.get(key)
        if a is None and isinstance(b, dict):
            a = {}  # a table added: name its keys, not the parent
        if b is None and isinstance(a, dict):
            b = {}
        if isinstance(a, dict) and isinstance(b, dict):
            keys += changed_keys(cast("dict[str, Any]", a), cast("dict[str, Any]", b), f"{dotted}.")
        elif a != b:
            keys.append(dotted)
    return keys


def is_inert(key: str) -> bool:
    return any(key == inert or key.startswith(inert + ".") for inert in INERT_KEYS)


def inert_change(old_text: str | None, new_text: str | None) -> list[str] | None:
    """The changed keys when every one is inert; None when the change may matter to tests."""
    if old_text is None or new_text is None:
        return None
    # tomllib from 3.11, tomli before; imported by name so one code path type-checks on both
    toml: Any = importlib.import_module("tomllib" if sys.version_info >= (3, 11) else "tomli")
    try:
        old = cast("dict[str, Any]", toml.loads(old_text))
        new = cast("dict[str, Any]", toml.loads(new_text))
    except toml.TOMLDecodeError:
        return None
    keys = changed_keys(old, new)
    return keys if all(is_inert(key) for key in keys) else None
