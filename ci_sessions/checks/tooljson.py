"""Reading a tool's JSON report without trusting its shape.

``json.loads`` gives ``Any``; a check reads it through these guards and readers, which check each
value's type where it is used (a wrong type is a ``ValueError`` naming where, or the default for
an optional member), so no check ``cast``s a tool's output. Each check declares the shape it reads
as ``TypedDict``s beside its parser.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TypeGuard

#: a JSON object as read: its members are checked where they are used
JsonObject = dict[str, object]


def is_object(value: object) -> TypeGuard[JsonObject]:
    """A JSON object (its keys are strings; JSON has no other kind)."""
    return isinstance(value, dict)


def is_list(value: object) -> TypeGuard[list[object]]:
    return isinstance(value, list)


def is_sequence(value: object) -> TypeGuard[Sequence[object]]:
    """A list or a tuple (a validated configuration keeps its lists as tuples)."""
    return isinstance(value, (list, tuple))


def is_mapping(value: object) -> TypeGuard[Mapping[object, object]]:
    """A mapping whose keys may be of any type (YAML's: ``1: x`` has an integer key), or a
    validated configuration table (a read-only mapping)."""
    return isinstance(value, Mapping)


def load(path: Path) -> object:
    """A JSON file as read (``OSError`` and ``ValueError`` when it cannot be)."""
    document: object = json.loads(path.read_text(encoding="utf-8"))
    return document


def as_object(value: object, where: str) -> JsonObject:
    """``value`` as a JSON object, or ``ValueError`` naming ``where``."""
    if not is_object(value):
        raise ValueError(f"{where}: expected a JSON object, got {type(value).__name__}")
    return value


def as_list(value: object, where: str) -> list[object]:
    """``value`` as a JSON list, or ``ValueError`` naming ``where``."""
    if not is_list(value):
        raise ValueError(f"{where}: expected a JSON list, got {type(value).__name__}")
    return value


def member(data: Mapping[str, object], key: str) -> JsonObject:
    """An optional object member: ``{}`` when missing, null or not an object."""
    value = data.get(key)
    return value if is_object(value) else {}


def members(data: Mapping[str, object], key: str) -> list[object]:
    """An optional list member: ``[]`` when missing, null or not a list."""
    value = data.get(key)
    return value if is_list(value) else []


def objects(values: object) -> list[JsonObject]:
    """The objects of a list (anything else in it is skipped; a non-list is empty)."""
    return [item for item in values if is_object(item)] if is_list(values) else []


def text(data: Mapping[str, object], key: str, default: str = "") -> str:
    """A string member, ``default`` when missing or null; numbers are shown as text."""
    value = data.get(key)
    if value is None:
        return default
    if isinstance(value, bool):
        return default
    if isinstance(value, (str, int, float)):
        return str(value)
    return default


def integer(data: Mapping[str, object], key: str, default: int = 0) -> int:
    """A whole-number member (never a boolean), ``default`` otherwise."""
    value = data.get(key)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return default


def number(data: Mapping[str, object], key: str, default: float = 0.0) -> float:
    """A numeric member (never a boolean), ``default`` otherwise."""
    value = data.get(key)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return default


def strings(data: Mapping[str, object], key: str) -> list[str]:
    """The strings of a list member (anything else is skipped)."""
    return [item for item in members(data, key) if isinstance(item, str)]
