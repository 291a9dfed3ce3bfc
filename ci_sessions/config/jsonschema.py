"""A JSON Schema of ``[tool.ci-sessions]``, generated from :mod:`ci_sessions.config.schema`.

Editors that read JSON Schema (Even Better TOML / taplo, PyCharm, VS Code through SchemaStore's
``pyproject.toml`` schema) then complete and check the keys as they are typed. The form is the
one SchemaStore accepts for a pyproject tool table (a draft-07 ``partial-*.json``, as
cibuildwheel's): every key with its description, type, allowed values and packaged default, and
the ``CI_SESSIONS_*`` variable that overrides it as its title. ``docs/ci-sessions.schema.json``
is this output; a test keeps the two equal (``ci-sessions config --schema`` prints it).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any, cast

from ci_sessions.config.env_vars import env_name
from ci_sessions.config.schema import OLDEST_PYTHON, TOP_LEVEL, Field

SCHEMA_ID = "https://json.schemastore.org/partial-ci-sessions.json"
#: "3.X" with X at least the oldest supported minor (3.8 -> 8, 9 or two digits and more)
PYTHON_PATTERN = rf"^3\.([{OLDEST_PYTHON[1]}-9]|[1-9][0-9]+)$"


def json_schema() -> dict[str, Any]:
    """The schema of the ``[tool.ci-sessions]`` table."""
    from ci_sessions.config.loader import packaged_defaults

    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$id": SCHEMA_ID,
        "title": "[tool.ci-sessions]",
        "description": "Settings of ci-sessions, tiered quality gates as nox sessions "
        "(https://ci-sessions.readthedocs.io/en/latest/configuration/). Generated from "
        "ci_sessions/config/schema.py.",
        "type": "object",
        "additionalProperties": False,
        "properties": _properties(TOP_LEVEL, "", packaged_defaults()),
    }


def render() -> str:
    """The schema as the committed file holds it."""
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"


def _properties(
    fields: Mapping[str, Field], prefix: str | None, defaults: Mapping[str, Any]
) -> dict[str, Any]:
    """``prefix`` None: the keys of a list entry, which have no variable of their own."""
    return {
        key: _field(field, None if prefix is None else f"{prefix}{key}", defaults.get(key))
        for key, field in fields.items()
    }


def _field(field: Field, dotted: str | None, default: Any) -> dict[str, Any]:
    node: dict[str, Any] = {"description": field.doc}
    if field.kind == "table":
        node.update(_object(field, dotted, default))
        return node
    if dotted is not None:
        node["title"] = env_name(dotted)
    node.update(_value(field))
    if field.kind == "table-list":
        node["items"] = _object(field, None, None)
    if default is not None:
        node["default"] = _plain(default)
    return node


def _object(field: Field, dotted: str | None, defaults: Any) -> dict[str, Any]:
    empty: dict[str, Any] = {}
    known = cast("Mapping[str, Any]", defaults) if isinstance(defaults, Mapping) else empty
    node: dict[str, Any] = {
        "type": "object",
        "additionalProperties": False,
        "properties": _properties(field.children, None if dotted is None else f"{dotted}.", known),
    }
    if field.required:
        node["required"] = list(field.required)
    return node


def _string(field: Field) -> dict[str, Any]:
    node: dict[str, Any] = {"type": "string"}
    if field.choices:
        node["enum"] = list(field.choices)
    if field.format == "python-version":
        node["pattern"] = PYTHON_PATTERN
    return node


def _value(field: Field) -> dict[str, Any]:
    kind = field.kind
    if kind == "str":
        node = _string(field)
        if field.format == "python-version":  # empty: the default
            node["pattern"] = f"^$|{PYTHON_PATTERN}"
        return node
    if kind in ("int", "float"):
        node: dict[str, Any] = {"type": "integer" if kind == "int" else "number"}
        if field.minimum is not None:
            node["minimum"] = _number(field.minimum)
        if field.maximum is not None:
            node["maximum"] = _number(field.maximum)
        return node
    if kind == "bool":
        return {"type": "boolean"}
    if kind == "date":
        return {"type": "string", "format": "date"}
    if kind == "str-list":
        return {"type": "array", "items": _string(field)}
    if kind == "str-map":
        return {"type": "object", "additionalProperties": _string(field)}
    if kind == "list-map":
        return {
            "type": "object",
            "additionalProperties": {"type": "array", "items": _string(field)},
        }
    if kind == "str-or-list":
        return {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}
    if kind == "str-or-false":
        return {"oneOf": [{"type": "string"}, {"const": False}]}
    if kind == "table-list":
        return {"type": "array"}
    if kind == "count-or-auto":
        minimum = _number(field.minimum or 0)
        return {"oneOf": [{"type": "integer", "minimum": minimum}, {"const": "auto"}]}
    raise AssertionError(f"unhandled schema kind {kind}")  # pragma: no cover


def _number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in cast("Mapping[str, Any]", value).items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in cast("list[Any]", value)]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value
