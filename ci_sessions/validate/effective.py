"""``ci-sessions config [DIR] [--json] [--env] [--schema]``: what is in force, and where it came from.

What the sessions actually use, not only what the configuration files say. A tool's version is
resolved the way the checks resolve it (``checks/tooling.py``: ``[tool.ci-sessions.tools]``,
then the project's own pin in ``.pre-commit-config.yaml``, a dependency group, an extra or a
requirements file, then the packaged pin); the Pythons come from the classifiers or
``requires-python`` when ``python`` is empty; ``coverage.min`` from ``[tool.coverage.report]
fail_under`` when ci-sessions' own is not set. ``--env`` lists every ``CI_SESSIONS_*`` variable
the loader reads; ``--schema`` prints the JSON Schema of ``[tool.ci-sessions]`` for editors.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

from ci_sessions._args import add_json, add_root, command_parser, root_of
from ci_sessions.config import Config, load_config
from ci_sessions.config.env_vars import variables
from ci_sessions.config.schema import TOP_LEVEL, Field

DEFAULTS = "defaults"


@dataclass(frozen=True)
class Row:
    """One value in force: its dotted key, the value, where it came from."""

    key: str
    value: Any
    source: str


def rows(config: Config) -> list[Row]:
    """Every value in force, in schema order, maps one row per member."""
    from ci_sessions._interpreters import current
    from ci_sessions.checks.base import CheckContext
    from ci_sessions.checks.coverage import threshold
    from ci_sessions.checks.tooling import tool_requirement
    from ci_sessions.config import pythons
    from ci_sessions.config.project import load_project

    project = load_project(config.root)
    declared, origin = pythons.declared_versions(config.python, project.pyproject)
    configured_default = config.top.str("default-python")
    default = pythons.default_version(declared, configured_default)
    ctx = CheckContext(config.root, config, project, default, "config")
    found = _walk(config, TOP_LEVEL, config.values, "")
    derived: dict[str, Row] = {}
    if not config.python:
        derived["python"] = Row("python", declared, origin)
    if not configured_default:
        why = "the running Python" if default == current() else "the newest found here"
        derived["default-python"] = Row("default-python", default, f"{why} (derived)")
    for tool in config.tools:
        requirement, tool_origin = tool_requirement(ctx, tool)
        source = DEFAULTS if tool_origin == "ci-sessions defaults" else tool_origin
        derived[f"tools.{tool}"] = Row(f"tools.{tool}", requirement, source)
    if "coverage" in config.values:
        minimum, min_origin = threshold(ctx)
        derived["coverage.min"] = Row("coverage.min", minimum, _plain_source(min_origin))
    return [derived.get(row.key, row) for row in found]


def _plain_source(source: str) -> str:
    return DEFAULTS if source == "defaults" else source


def _walk(
    config: Config, schema: Mapping[str, Field], values: Mapping[str, Any], prefix: str
) -> list[Row]:
    found: list[Row] = []
    for key, field in schema.items():
        if key not in values:
            continue  # an optional table the project does not set ([tool.ci-sessions.release])
        dotted = f"{prefix}{key}"
        value = values[key]
        if field.kind == "table":
            found += _walk(config, field.children, cast("Mapping[str, Any]", value), f"{dotted}.")
        elif field.is_map:
            for member, member_value in cast("Mapping[str, Any]", value).items():
                path = f"{dotted}.{member}"
                found.append(Row(path, _plain(member_value), config.source_of(path)))
        else:
            found.append(Row(dotted, _plain(value), config.source_of(dotted)))
    return found


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in cast("Mapping[str, Any]", value).items()}
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in cast("list[Any]", value)]
    return value


def _nested(found: list[Row]) -> dict[str, Any]:
    """The rows as nested tables again (map members are keys of their map)."""
    out: dict[str, Any] = {}
    for row in found:
        parts = _split(row.key)
        target = out
        for part in parts[:-1]:
            target = cast("dict[str, Any]", target.setdefault(part, {}))
        target[parts[-1]] = row.value
    return out


def _split(key: str) -> list[str]:
    """A dotted key split by the schema (a member name may itself hold dots: ``test_a.b*``)."""
    parts: list[str] = []
    schema: Mapping[str, Field] = TOP_LEVEL
    rest = key
    while True:
        head, _, tail = rest.partition(".")
        field = schema.get(head)
        parts.append(head)
        if not tail:
            return parts
        if field is not None and field.is_map:
            parts.append(tail)
            return parts
        schema = field.children if field is not None else {}
        rest = tail


def _json(value: Any) -> str:
    return json.dumps(value, default=str)


ENV_DOC_START = "<!-- env-variables: generated by `ci-sessions config --env --markdown` -->"
ENV_DOC_END = "<!-- env-variables: end -->"


def env_markdown() -> str:
    """The closed set as the Markdown table docs/configuration.md holds (a test keeps them equal)."""
    lines = ["| variable | sets | value |", "| --- | --- | --- |"]
    for variable in variables():
        value = variable.describe().replace("|", "\\|")
        lines.append(f"| `{variable.name}` | `{variable.key}` | {value} |")
    return "\n".join([ENV_DOC_START, *lines, ENV_DOC_END]) + "\n"


def print_env(environ: Mapping[str, str], *, as_json: bool) -> None:
    """The closed set of variables the loader reads, and which of them are set now."""
    listed = variables()
    if as_json:
        payload = [
            {
                "name": v.name,
                "key": v.key,
                "value": v.describe(),
                "set": environ.get(v.name) if not v.member else None,
            }
            for v in listed
        ]
        print(json.dumps(payload, indent=2))
        return
    width = max(len(v.name) for v in listed)
    for variable in listed:
        line = f"{variable.name.ljust(width)}  {variable.key}: {variable.describe()}"
        if not variable.member and variable.name in environ:
            line += f"  (set: {environ[variable.name]!r})"
        print(line)
    print(
        f"\n{len(listed)} variables; any other CI_SESSIONS_* name is an error "
        "(docs/configuration.md#environment-variables)"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = command_parser(
        "config", "Show the configuration in force and where each value came from."
    )
    add_root(parser, positional_alias=True)
    add_json(parser, "print the values and their sources (or, with --env, the variables) as JSON")
    parser.add_argument(
        "--env", action="store_true", help="list every CI_SESSIONS_* variable that is read"
    )
    parser.add_argument(
        "--markdown", action="store_true", help="with --env: the table docs/configuration.md holds"
    )
    parser.add_argument(
        "--schema", action="store_true", help="print the JSON Schema of [tool.ci-sessions]"
    )
    return parser


def main(argv: list[str]) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.schema:
        from ci_sessions.config.jsonschema import render

        print(render(), end="")
        return 0
    if args.env:
        if args.markdown:
            print(env_markdown(), end="")
        else:
            print_env(os.environ, as_json=args.json)
        return 0
    config = load_config(root_of(args, parser))
    from ci_sessions.config.pythons import require_default_python

    require_default_python(config)
    found = rows(config)
    if args.json:
        payload = {"values": _nested(found), "sources": {row.key: row.source for row in found}}
        print(json.dumps(payload, indent=2, default=str))
        return 0
    width = max(len(row.key) for row in found)
    for row in found:
        print(f"{row.key.ljust(width)}  {_json(row.value)}  ({row.source})")
    return 0
