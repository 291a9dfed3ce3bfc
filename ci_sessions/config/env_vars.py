"""Which ``CI_SESSIONS_*`` environment variables the loader reads: a closed set made from the schema.

One rule for every key, at any depth: ``CI_SESSIONS_`` + the dotted key upper-cased, with ``.``
and ``-`` turned into ``_`` (``lint.max-findings`` -> ``CI_SESSIONS_LINT_MAX_FINDINGS``). A table
of the schema has no variable of its own, only its keys. A map (``tiers``, ``tools``,
``session-names``, ``changes.sessions``, ``bench.thresholds``) has two forms:

* the whole map, a JSON object merged into it member by member, as a pyproject table merges
  over the defaults (``CI_SESSIONS_TIERS='{"quick": ["lint"]}'``);
* one member, ``<MAP>_<MEMBER>``: an existing member whose variable spelling matches
  (``CI_SESSIONS_TOOLS_PIP_AUDIT`` sets ``tools.pip-audit``), else a new member named in lower
  case (``CI_SESSIONS_TIERS_QUICK`` adds the tier ``quick``).

Any other ``CI_SESSIONS_*`` name is an error that names the closest variable, so a tool's own
variable can never be taken for a setting by accident.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

from ci_sessions.config.schema import TOP_LEVEL, Field
from ci_sessions.errors import ConfigError

ENV_PREFIX = "CI_SESSIONS_"
MEMBER = "<NAME>"


def spell(key: str) -> str:
    """How a key is spelled in a variable name: ``max-findings`` -> ``MAX_FINDINGS``."""
    return key.replace(".", "_").replace("-", "_").upper()


def env_name(dotted: str) -> str:
    """``lint.max-findings`` -> ``CI_SESSIONS_LINT_MAX_FINDINGS``."""
    return ENV_PREFIX + spell(dotted)


@dataclass(frozen=True)
class Variable:
    """One variable of the closed set (``member``: a ``<MAP>_<NAME>`` pattern)."""

    name: str
    key: str
    field: Field
    member: bool = False

    def describe(self) -> str:
        if self.field.choices:
            return "one of " + ", ".join(repr(c) for c in self.field.choices if c)
        return _VALUE_FORMS[self.field.kind]


_VALUE_FORMS: dict[str, str] = {
    "str": "text",
    "int": "an integer",
    "float": "a number",
    "bool": "true/false, 1/0, yes/no, on/off",
    "str-list": 'comma-separated, or a JSON list ("a,b" or \'["a", "b"]\')',
    "str-map": 'a JSON object of strings, merged member by member ({"name": "value"})',
    "list-map": 'a JSON object of lists, merged member by member ({"name": ["a"]})',
    "table-list": 'a JSON list of objects ([{"id": "...", ...}])',
    "date": "a date, YYYY-MM-DD",
    "str-or-list": 'text, or a JSON list (\'["a", "b"]\')',
    "str-or-false": "text, or false",
    "count-or-auto": "a whole number, or auto",
}


def variables(schema: Mapping[str, Field] = TOP_LEVEL, prefix: str = "") -> list[Variable]:
    """Every variable the loader reads, in schema order (what ``config --env`` lists)."""
    found: list[Variable] = []
    for key, field in schema.items():
        dotted = f"{prefix}{key}"
        if field.kind == "table":
            found += variables(field.children, f"{dotted}.")
            continue
        found.append(Variable(env_name(dotted), dotted, field))
        if field.is_map:
            found.append(
                Variable(f"{env_name(dotted)}_{MEMBER}", f"{dotted}.<name>", field.member(), True)
            )
    return found


def resolve(name: str, merged: Mapping[str, Any]) -> tuple[str, Field] | None:
    """The dotted key and field a variable sets, or None when it is not in the closed set."""
    if not name.startswith(ENV_PREFIX):
        return None
    return _walk(name[len(ENV_PREFIX) :], TOP_LEVEL, "", merged)


def _walk(
    rest: str, schema: Mapping[str, Field], prefix: str, node: Mapping[str, Any]
) -> tuple[str, Field] | None:
    for key, field in schema.items():
        spelled = spell(key)
        if rest == spelled:
            return f"{prefix}{key}", field
        if not rest.startswith(spelled + "_"):
            continue
        tail = rest[len(spelled) + 1 :]
        child = _mapping(node.get(key))
        if field.kind == "table":
            found = _walk(tail, field.children, f"{prefix}{key}.", child)
            if found is not None:
                return found
        elif field.is_map and tail:
            members = child
            member = next((m for m in members if spell(m) == tail), tail.lower())
            return f"{prefix}{key}.{member}", field.member()
    return None


def _mapping(value: Any) -> Mapping[str, Any]:
    empty: dict[str, Any] = {}
    return cast("Mapping[str, Any]", value) if isinstance(value, Mapping) else empty


def parse(raw: str, field: Field, name: str) -> Any:
    """The typed value of a variable; validated afterwards like a pyproject value."""
    text = raw.strip()
    try:
        if field.kind == "bool":
            lowered = text.lower()
            if lowered in ("1", "true", "yes", "on"):
                return True
            if lowered in ("0", "false", "no", "off", ""):
                return False
            return text
        if field.kind == "int":
            return int(text)
        if field.kind == "float":
            return float(text)
        if field.kind == "str-list":
            if text.startswith("["):
                return json.loads(text)
            return [item.strip() for item in text.split(",") if item.strip()]
        if field.kind == "str-or-list" and text.startswith("["):
            return json.loads(text)
        if field.kind == "str-or-false" and text.lower() in ("false", "0", "no", "off"):
            return False
        if field.kind in ("str-map", "list-map", "table", "table-list"):
            return json.loads(text)
    except (ValueError, RecursionError):
        raise ConfigError(
            f"environment variable {name}", "", f"cannot parse {raw!r}", expected=field.expected()
        ) from None
    return text
