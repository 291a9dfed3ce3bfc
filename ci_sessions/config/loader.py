"""Load, merge and validate configuration: packaged defaults -> [tool.ci-sessions] -> CI_SESSIONS_*.

The result is frozen and every value has the type its schema says, so the rest of the code reads
it without checks. Every error names the file (or variable), the key, what was expected and, where
one is close, the name the user probably meant.
"""

from __future__ import annotations

import copy
import functools
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, cast

from ci_sessions.config.schema import CHECK_SETTINGS, TOP_LEVEL, Field
from ci_sessions.config.toml import TOOL_TABLE, read_project_table
from ci_sessions.errors import ConfigError, close_match

ENV_PREFIX = "CI_SESSIONS_"


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

    ``table`` replaces the project's own ``[tool.ci-sessions]`` (a monorepo package's table
    merged over the root's).
    """
    checks = set(known_checks) if known_checks is not None else set(CHECK_SETTINGS)
    environ = os.environ if environ is None else environ
    defaults_path = _defaults_path()
    merged = copy.deepcopy(_packaged_defaults(defaults_path, defaults_path.stat().st_mtime_ns))
    sources: dict[str, str] = {}

    pyproject = root / "pyproject.toml"
    project_table = dict(table) if table is not None else read_project_table(pyproject)
    if project_table:
        source = "pyproject.toml"
        overrides = _validate_table(project_table, TOP_LEVEL, "", f"{source} {TOOL_TABLE}")
        _merge(merged, overrides, "", sources, source)

    env_overrides = _env_overrides(environ, merged)
    for key, (name, value) in env_overrides.items():
        _set_dotted(merged, key, value)
        sources[key] = f"environment variable {name}"

    _check_tiers(merged, checks, sources)
    return Config(root=root, values=_freeze(merged), sources=MappingProxyType(sources))


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
        shown = "a table" if isinstance(value, dict) else json.dumps(value, default=str)
        return ConfigError(
            source,
            key,
            problem or f"wrong type: got {shown}",
            expected=field.expected(),
            suggestion=close_match(f"{value}", field.choices) if field.choices else None,
        )

    kind = field.kind
    if kind == "table":
        if not isinstance(value, dict):
            raise bad()
        return _validate_table(cast("dict[str, Any]", value), field.children, f"{key}.", source)
    if kind == "table-list":
        if not isinstance(value, list):
            raise bad()
        rows: list[dict[str, Any]] = []
        for index, row in enumerate(cast("list[Any]", value)):
            row_key = f"{key}[{index}]"
            if not isinstance(row, dict):
                raise ConfigError(source, row_key, "wrong type", expected=field.expected())
            checked = _validate_table(
                cast("dict[str, Any]", row), field.children, f"{row_key}.", source
            )
            for name in field.required:
                if name not in checked:
                    raise ConfigError(
                        source,
                        row_key,
                        f"missing key {name!r}",
                        fix=f"add {name} = ... to the entry",
                    )
            rows.append(checked)
        return rows
    if kind == "any":
        return value
    if kind == "count-or-auto":
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value.strip())
        if value == "auto" or (
            isinstance(value, int) and not isinstance(value, bool) and value >= 0
        ):
            return value
        raise bad()
    if kind == "bool":
        if not isinstance(value, bool):
            raise bad()
        return value
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise bad()
        _check_minimum(value, field, key, source)
        return value
    if kind == "float":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise bad()
        _check_minimum(float(value), field, key, source)
        return float(value)
    if kind == "str":
        if not isinstance(value, str):
            raise bad()
        if field.choices and value not in field.choices:
            raise bad(f"invalid value {value!r}")
        return value
    if kind == "str-list":
        if not isinstance(value, list) or not all(
            isinstance(item, str) for item in cast("list[Any]", value)
        ):
            raise bad()
        return list(cast("list[str]", value))
    if kind == "str-map":
        if not isinstance(value, dict) or not all(
            isinstance(item, str) for item in cast("dict[str, Any]", value).values()
        ):
            raise bad()
        return dict(cast("dict[str, str]", value))
    if kind == "list-map":
        if not isinstance(value, dict):
            raise bad()
        out: dict[str, list[str]] = {}
        for name, items in cast("dict[str, Any]", value).items():
            if not isinstance(items, list) or not all(
                isinstance(i, str) for i in cast("list[Any]", items)
            ):
                raise ConfigError(
                    source, f"{key}.{name}", "wrong type", expected="a list of check or tier names"
                )
            out[name] = list(cast("list[str]", items))
        return out
    raise AssertionError(f"unhandled schema kind {kind}")  # pragma: no cover


def _check_minimum(value: float, field: Field, key: str, source: str) -> None:
    if field.minimum is not None and value < field.minimum:
        raise ConfigError(
            source, key, f"{value} is too small", expected=f"a number >= {field.minimum:g}"
        )


def _merge(
    base: dict[str, Any],
    override: Mapping[str, Any],
    prefix: str,
    sources: dict[str, str],
    source: str,
) -> None:
    for key, value in override.items():
        dotted = f"{prefix}{key}"
        field = TOP_LEVEL.get(key) if not prefix else None
        current = base.get(key)
        if (
            isinstance(value, dict)
            and isinstance(current, dict)
            and (field is None or field.kind == "table")
        ):
            _merge(
                cast("dict[str, Any]", current),
                cast("dict[str, Any]", value),
                f"{dotted}.",
                sources,
                source,
            )
        elif isinstance(value, dict) and isinstance(current, dict):
            # str-map / list-map: the project's entries replace or extend the defaults per key
            for sub, sub_value in cast("dict[str, Any]", value).items():
                cast("dict[str, Any]", current)[sub] = sub_value
                sources[f"{dotted}.{sub}"] = source
        else:
            base[key] = value
        sources[dotted] = source


def env_name(dotted: str) -> str:
    """``lint.max-findings`` -> ``CI_SESSIONS_LINT_MAX_FINDINGS``."""
    return ENV_PREFIX + dotted.replace(".", "_").replace("-", "_").upper()


def _env_keys(merged: Mapping[str, Any]) -> dict[str, tuple[str, Field]]:
    """Every settable dotted key by its environment variable name."""
    keys: dict[str, tuple[str, Field]] = {}
    for key, field in TOP_LEVEL.items():
        if field.kind == "table":
            for child, child_field in field.children.items():
                keys[env_name(f"{key}.{child}")] = (f"{key}.{child}", child_field)
        elif field.kind in ("str-map", "list-map"):
            keys[env_name(key)] = (key, field)
            current = merged.get(key, {})
            member_kind = "str" if field.kind == "str-map" else "str-list"
            for member in cast("Mapping[str, Any]", current):
                keys[env_name(f"{key}.{member}")] = (
                    f"{key}.{member}",
                    Field(member_kind, field.doc),
                )
        else:
            keys[env_name(key)] = (key, field)
    return keys


def _env_overrides(
    environ: Mapping[str, str], merged: Mapping[str, Any]
) -> dict[str, tuple[str, Any]]:
    known = _env_keys(merged)
    result: dict[str, tuple[str, Any]] = {}
    for name in sorted(environ):
        if not name.startswith(ENV_PREFIX):
            continue
        if name not in known:
            raise ConfigError(
                f"environment variable {name}",
                "",
                "unknown setting",
                expected="a CI_SESSIONS_<SECTION>_<KEY> name of a documented key",
                suggestion=close_match(name, known),
                fix=f"unset {name} or correct its name",
            )
        dotted, field = known[name]
        raw = environ[name]
        value = _parse_env_value(raw, field, name)
        result[dotted] = (
            name,
            _validate_value(value, field, dotted, f"environment variable {name}"),
        )
    return result


def _parse_env_value(raw: str, field: Field, name: str) -> Any:
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
        if field.kind in ("str-list",):
            if text.startswith("["):
                return json.loads(text)
            return [item.strip() for item in text.split(",") if item.strip()]
        if field.kind in ("str-map", "list-map", "table", "table-list"):
            return json.loads(text)
    except ValueError:
        raise ConfigError(
            f"environment variable {name}", "", f"cannot parse {raw!r}", expected=field.expected()
        ) from None
    return text


def _set_dotted(data: dict[str, Any], dotted: str, value: Any) -> None:
    parts = dotted.split(".")
    target = data
    for part in parts[:-1]:
        target = cast("dict[str, Any]", target.setdefault(part, {}))
    target[parts[-1]] = value


def _check_tiers(merged: Mapping[str, Any], checks: set[str], sources: Mapping[str, str]) -> None:
    tiers = cast("Mapping[str, list[str]]", merged["tiers"])
    names = set(tiers) | checks
    for tier, members in tiers.items():
        key = f"tiers.{tier}"
        source = _source_label(sources.get(key, "defaults"))
        if tier in checks:
            raise ConfigError(source, key, f"a tier cannot be named like the check {tier!r}")
        for member in members:
            if member not in names:
                raise ConfigError(
                    source,
                    key,
                    f"unknown check or tier {member!r}",
                    expected="one of " + ", ".join(sorted(names)),
                    suggestion=close_match(member, names),
                )
    for key in ("exclude",):
        for name in cast("list[str]", merged[key]):
            if name not in names and name != "fix" and not _is_python_session(name, checks):
                raise ConfigError(
                    _source_label(sources.get(key, "defaults")),
                    key,
                    f"unknown session {name!r}",
                    expected="one of " + ", ".join(sorted(names)),
                    suggestion=close_match(name, names),
                )
    renames = cast("Mapping[str, str]", merged["session-names"])
    for name in renames:
        if name not in names:
            raise ConfigError(
                _source_label(sources.get(f"session-names.{name}", "defaults")),
                f"session-names.{name}",
                f"unknown check or tier {name!r}",
                expected="one of " + ", ".join(sorted(names)),
                suggestion=close_match(name, names),
            )


def _is_python_session(name: str, checks: set[str]) -> bool:
    base, _, version = name.rpartition("-")
    return base in checks and version.replace(".", "").isdigit()


def _source_label(source: str) -> str:
    if source == "pyproject.toml":
        return f"pyproject.toml {TOOL_TABLE}"
    return "configs/quality-tiers.yaml" if source == "defaults" else source


def _freeze(value: Any) -> Any:
    if isinstance(value, dict):
        return MappingProxyType({k: _freeze(v) for k, v in cast("dict[str, Any]", value).items()})
    if isinstance(value, list):
        return tuple(_freeze(v) for v in cast("list[Any]", value))
    return copy.copy(value)
