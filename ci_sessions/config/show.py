"""``ci-sessions config [DIR] [--json]``: the merged configuration and where each value came from."""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping
from typing import Any, cast

from ci_sessions._args import add_json, add_root, command_parser, root_of
from ci_sessions.config.loader import load_config


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in cast("Mapping[str, Any]", value).items()}
    if isinstance(value, tuple):
        return [_plain(v) for v in cast("tuple[Any, ...]", value)]
    return value


def _flatten(prefix: str, value: Any, out: dict[str, Any]) -> None:
    if isinstance(value, dict) and prefix not in ("tiers", "tools", "session-names"):
        for key, sub in cast("dict[str, Any]", value).items():
            _flatten(f"{prefix}.{key}" if prefix else key, sub, out)
    else:
        out[prefix] = value


def build_parser() -> argparse.ArgumentParser:
    parser = command_parser(
        "config", "Show the merged configuration and where each value came from."
    )
    add_root(parser, positional_alias=True)
    add_json(parser, "print the values and their sources as JSON")
    return parser


def main(argv: list[str]) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    config = load_config(root_of(args, parser))
    values = cast("dict[str, Any]", _plain(config.values))
    if args.json:
        print(json.dumps({"values": values, "sources": dict(config.sources)}, indent=2))
        return 0
    flat: dict[str, Any] = {}
    _flatten("", values, flat)
    width = max(len(key) for key in flat)
    for key, value in flat.items():
        print(f"{key.ljust(width)}  {json.dumps(value)}  ({config.source_of(key)})")
    return 0
