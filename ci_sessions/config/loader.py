"""Load, merge and validate configuration: packaged defaults -> [tool.ci-sessions] -> CI_SESSIONS_*.

The result is frozen and every value has the type its schema says, so the rest of the code reads
it without checks. Every error names the file (or variable), the key, what was expected and, where
one is close, the name the user probably meant.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import json
import math
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, cast

from ci_sessions.config.env_vars import ENV_PREFIX, env_name, parse, resolve, variables
from ci_sessions.config.schema import CHECK_SETTINGS, TOP_LEVEL, Field
from ci_sessions.config.semantics import check_format, check_whole
from ci_sessions.config.toml import TOOL_TABLE, read_project_table
from ci_sessions.errors import ConfigError, close_match

__all__ = ["ENV_PREFIX", "Config", "Section", "env_name", "load_config", "packaged_defaults"]


@dataclass(frozen=True)
class Section:
    """One validated table of the configuration, with typed getters."""

    name: str
    values: Mapping[str, Any]

    def str(self, key: str) -> str:
        return cast("str", self.values[key])

    def int(self, key: str) -> int:
        return cast("int", self.values[key])

    def float(self, key: str) -> float:
        return float(cast("float", self.values[key]))

    def bool(self, key: str) -> bool:
        return cast("bool", self.values[key])

    def str_list(self, key: str) -> list[str]:
        return list(cast("tuple[str, ...]", self.values[key]))

    def str_map(self, key: str) -> dict[str, str]:
        return dict(cast("Mapping[str, str]", self.values[key]))


@dataclass(frozen=True)
class Config:
    """The merged configuration of one project."""

    root: Path
    values: Mapping[str, Any]
    sources: Mapping[str, str]

    def section(self, name: str) -> Section:
        """The table of one check, e.g. ``config.section("lint").int("max-findings")``."""
        return Section(name, cast("Mapping[str, Any]", self.values[name]))

    @property
    def top(self) -> Section:
        return Section("", self.values)

    @property
    def python(self) -> list[str]:
        return self.top.str_list("python")

    @property
    def tiers(self) -> dict[str, list[str]]:
        raw = cast("Mapping[str, tuple[str, ...]]", self.values["tiers"])
        return {name: list(items) for name, items in raw.items()}

    @property
    def tools(self) -> dict[str, str]:
        return self.top.str_map("tools")

    def source_of(self, key: str) -> str:
        """Where a dotted key's value came from: 'defaults', the pyproject or an env variable."""
        return self.sources.get(key, "defaults")

    def is_default(self, key: str) -> bool:
        return self.source_of(key) == "defaults"


def load_config(
    root: Path,
    *,
    environ: Mapping[str, str] | None = None,
    known_checks: Iterable[str] | None = None,
    table: Mapping[str, Any] | None = None,
) -> Config:
    """Merge packaged defaults, the project's pyproject table and the environment, validated.

    The whole merged result is validated whatever the caller goes on to use, so a bad value is
    an error on every command, not only on the one that reads it. ``table`` replaces the
    project's own ``[tool.ci-sessions]`` (a monorepo package's table merged over the root's).
    """
    checks = set(known_checks) if known_checks is not None else set(CHECK_SETTINGS)
    environ = os.environ if environ is None else environ
    merged = packaged_defaults()
    sources: dict[str, str] = {}

    pyproject = root / "pyproject.toml"
    project_table = dict(table) if table is not None else read_project_table(pyproject)
    if project_table:
        source = "pyproject.toml"
        overrides = _validate_table(project_table, TOP_LEVEL, "", f"{source} {TOOL_TABLE}")
        _merge(merged, overrides, TOP_LEVEL, "", sources, source)

    _apply_environment(merged, environ, sources)
    check_whole(merged, checks, sources, _packaged_tiers())
    return Config(root=root, values=_freeze(merged), sources=MappingProxyType(sources))


def packaged_defaults() -> dict[str, Any]:
    """The validated packaged defaults (a copy the caller may change)."""
    path = _defaults_path()
    return copy.deepcopy(_packaged_defaults(path, path.stat().st_mtime_ns))


def _packaged_tiers() -> list[str]:
    path = _defaults_path()
    return list(_packaged_defaults(path, path.stat().st_mtime_ns)["tiers"])


def _defaults_path() -> Path:
    from ci_sessions._fs import config_file

    return config_file("quality-tiers.yaml")


def _display(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


@functools.lru_cache(maxsize=4)
def _packaged_defaults(path: Path, mtime_ns: int) -> dict[str, Any]:
    """The validated packaged defaults, parsed once per process (callers get a deep copy)."""
    del mtime_ns  # part of the cache key only: an edited file is parsed again
    return _validate_table(_read_yaml(path), TOP_LEVEL, "", _display(path))


def _read_yaml(path: Path) -> dict[str, Any]:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        raise ConfigError(_display(path), "", f"invalid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(_display(path), "", "must be a mapping at the top level")
    return cast("dict[str, Any]", data)


def _validate_table(
    data: Mapping[str, Any], schema: Mapping[str, Field], prefix: str, source: str
) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        field = schema.get(key)
        if field is None:
            suggestion = close_match(key, schema)
            if suggestion is None and "_" in key and key.replace("_", "-") in schema:
                suggestion = key.replace("_", "-")
            raise ConfigError(
                source,
                dotted,
                "unknown key",
                expected="one of " + ", ".join(sorted(schema)),
                suggestion=f"{prefix}{suggestion}" if suggestion else None,
                fix="remove the key or correct its name (see docs/configuration.md)",
            )
        result[key] = _validate_value(value, field, dotted, source)
    return result


def _validate_value(value: Any, field: Field, key: str, source: str) -> Any:
    def bad(problem: str = "") -> ConfigError:
        return ConfigError(
            source,
            key,
            problem or f"wrong type: got {_shown(value)}",
            expected=field.expected(),
            suggestion=close_match(f"{value}", field.choices) if field.choices else None,
        )

    validator = _VALIDATORS.get(field.kind)
    if validator is None:  # pragma: no cover
        raise AssertionError(f"unhandled schema kind {field.kind}")
    return validator(value, field, key, source, bad)


#: a kind's validator: (value, field, dotted key, source, the error for a wrong value) -> value
_Validator = Callable[[Any, Field, str, str, Callable[[str], ConfigError]], Any]


def _is_str_list(value: Any) -> bool:
    return isinstance(value, list) and all(
        isinstance(item, str) for item in cast("list[Any]", value)
    )


def _validate_table_value(
    value: Any, field: Field, key: str, source: str, bad: Callable[[str], ConfigError]
) -> dict[str, Any]:
    del bad
    return _validate_row(value, field, key, source)


def _validate_str_or_list(
    value: Any, field: Field, key: str, source: str, bad: Callable[[str], ConfigError]
) -> str | list[str]:
    del field, key, source
    if isinstance(value, str):
        return value
    if not _is_str_list(value):
        raise bad(f"must be a string or a list of strings, not {_shown(value)}")
    return list(cast("list[str]", value))


def _validate_str_or_false(
    value: Any, field: Field, key: str, source: str, bad: Callable[[str], ConfigError]
) -> str | bool:
    del field, key, source
    if value is not False and not isinstance(value, str):
        raise bad(f"must be a string or false, not {_shown(value)}")
    return cast("str | bool", value)


def _validate_table_list(
    value: Any, field: Field, key: str, source: str, bad: Callable[[str], ConfigError]
) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise bad("")
    return [
        _validate_row(row, field, f"{key}[{index}]", source)
        for index, row in enumerate(cast("list[Any]", value))
    ]


def _validate_date_value(
    value: Any, field: Field, key: str, source: str, bad: Callable[[str], ConfigError]
) -> dt.date | str:
    del field, key, source
    return _validate_date(value, bad)


def _validate_count_or_auto(
    value: Any, field: Field, key: str, source: str, bad: Callable[[str], ConfigError]
) -> int | str:
    del key, source
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if value == "auto" or (
        isinstance(value, int) and not isinstance(value, bool) and value >= (field.minimum or 0)
    ):
        return cast("int | str", value)
    raise bad("")


def _validate_bool(
    value: Any, field: Field, key: str, source: str, bad: Callable[[str], ConfigError]
) -> bool:
    del field, key, source
    if not isinstance(value, bool):
        raise bad("")
    return value


def _validate_str(
    value: Any, field: Field, key: str, source: str, bad: Callable[[str], ConfigError]
) -> str:
    if not isinstance(value, str):
        raise bad("")
    if field.choices and value not in field.choices:
        raise bad(f"invalid value {value!r}")
    _check_format(value, field, key, source)
    return value


def _validate_str_list(
    value: Any, field: Field, key: str, source: str, bad: Callable[[str], ConfigError]
) -> list[str]:
    if not _is_str_list(value):
        raise bad("")
    for item in cast("list[str]", value):
        _check_format(item, field, key, source)
    return list(cast("list[str]", value))


def _validate_str_map(
    value: Any, field: Field, key: str, source: str, bad: Callable[[str], ConfigError]
) -> dict[str, str]:
    if not isinstance(value, dict):
        raise bad("")
    out_map: dict[str, str] = {}
    for name, item in cast("dict[str, Any]", value).items():
        if not isinstance(item, str):
            raise ConfigError(
                source, f"{key}.{name}", f"wrong type: got {_shown(item)}", expected="a string"
            )
        _check_format(item, field, f"{key}.{name}", source)
        out_map[name] = item
    return out_map


def _validate_list_map(
    value: Any, field: Field, key: str, source: str, bad: Callable[[str], ConfigError]
) -> dict[str, list[str]]:
    del field
    if not isinstance(value, dict):
        raise bad("")
    out: dict[str, list[str]] = {}
    for name, items in cast("dict[str, Any]", value).items():
        if not _is_str_list(items):
            raise ConfigError(
                source, f"{key}.{name}", "wrong type", expected="a list of check or tier names"
            )
        out[name] = list(cast("list[str]", items))
    return out


def _shown(value: Any) -> str:
    if isinstance(value, dict):
        return "a table"
    try:
        return json.dumps(value, default=str)
    except (ValueError, RecursionError):  # pragma: no cover - nested beyond reason
        return type(value).__name__


def _validate_row(row: Any, field: Field, key: str, source: str) -> dict[str, Any]:
    if not isinstance(row, dict):
        raise ConfigError(source, key, "wrong type", expected=field.expected())
    checked = _validate_table(cast("dict[str, Any]", row), field.children, f"{key}.", source)
    for name in field.required:
        if name not in checked:
            raise ConfigError(
                source, f"{key}.{name}", "is required", fix=f"add {name} = ... under {key}"
            )
    return checked


def _validate_date(value: Any, bad: Callable[[str], ConfigError]) -> dt.date | str:
    """A TOML date (kept as it is) or a ``YYYY-MM-DD`` string."""
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            dt.date.fromisoformat(value.strip())
        except ValueError:
            raise bad(f"not a date: {value!r}") from None
        return value
    raise bad("")


def _validate_number(
    value: Any, field: Field, key: str, source: str, bad: Callable[[str], ConfigError]
) -> float | int:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise bad("")
    if field.kind == "int" and not isinstance(value, int):
        raise bad("")
    number = float(value)
    if not math.isfinite(number):
        raise bad(f"{value} is not a finite number")
    if field.minimum is not None and number < field.minimum:
        raise ConfigError(
            source, key, f"{value} is too small", expected=f"a number >= {field.minimum:g}"
        )
    if field.maximum is not None and number > field.maximum:
        raise ConfigError(
            source, key, f"{value} is too large", expected=f"a number <= {field.maximum:g}"
        )
    return number if field.kind == "float" else cast("int", value)


_VALIDATORS: dict[str, _Validator] = {
    "table": _validate_table_value,
    "str-or-list": _validate_str_or_list,
    "str-or-false": _validate_str_or_false,
    "table-list": _validate_table_list,
    "date": _validate_date_value,
    "count-or-auto": _validate_count_or_auto,
    "bool": _validate_bool,
    "int": _validate_number,
    "float": _validate_number,
    "str": _validate_str,
    "str-list": _validate_str_list,
    "str-map": _validate_str_map,
    "list-map": _validate_list_map,
}


def _check_format(value: str, field: Field, key: str, source: str) -> None:
    problem = check_format(value, field.format)
    if problem:
        raise ConfigError(source, key, problem, expected=field.expected())


def _merge(
    base: dict[str, Any],
    override: Mapping[str, Any],
    schema: Mapping[str, Field],
    prefix: str,
    sources: dict[str, str],
    source: str,
) -> None:
    """Merge validated values: tables key by key, maps member by member, the rest replaced."""
    for key, value in override.items():
        dotted = f"{prefix}{key}"
        field = schema[key]
        current = base.setdefault(key, {}) if field.kind == "table" or field.is_map else None
        if field.kind == "table":
            _merge(
                cast("dict[str, Any]", current),
                cast("dict[str, Any]", value),
                field.children,
                f"{dotted}.",
                sources,
                source,
            )
        elif field.is_map:
            for member, member_value in cast("dict[str, Any]", value).items():
                cast("dict[str, Any]", current)[member] = member_value
                sources[f"{dotted}.{member}"] = source
        else:
            base[key] = value
            sources[dotted] = source


def _apply_environment(
    merged: dict[str, Any], environ: Mapping[str, str], sources: dict[str, str]
) -> None:
    """Apply every ``CI_SESSIONS_*`` variable (whole maps before their members)."""
    for name in sorted(n for n in environ if n.startswith(ENV_PREFIX)):
        source = f"environment variable {name}"
        resolved = resolve(name, merged)
        if resolved is None:
            raise ConfigError(
                source,
                "",
                "unknown setting",
                expected="a CI_SESSIONS_<KEY> variable of a documented key "
                "(`ci-sessions config --env` lists them)",
                suggestion=close_match(name, [v.name for v in variables()]),
                fix=f"unset {name} or correct its name",
            )
        dotted, field = resolved
        value = _validate_value(parse(environ[name], field, name), field, dotted, source)
        if field.is_map:
            target = cast("dict[str, Any]", _get_dotted(merged, dotted))
            for member, member_value in cast("dict[str, Any]", value).items():
                target[member] = member_value
                sources[f"{dotted}.{member}"] = source
        else:
            _set_dotted(merged, dotted, value)
            sources[dotted] = source


def _get_dotted(data: dict[str, Any], dotted: str) -> Any:
    target: Any = data
    for part in dotted.split("."):
        target = cast("dict[str, Any]", target).setdefault(part, {})
    return target


def _set_dotted(data: dict[str, Any], dotted: str, value: Any) -> None:
    parts = dotted.split(".")
    target = data
    for part in parts[:-1]:
        target = cast("dict[str, Any]", target.setdefault(part, {}))
    target[parts[-1]] = value


def _freeze(value: Any) -> Any:
    if isinstance(value, dict):
        return MappingProxyType({k: _freeze(v) for k, v in cast("dict[str, Any]", value).items()})
    if isinstance(value, list):
        return tuple(_freeze(v) for v in cast("list[Any]", value))
    return copy.copy(value)
