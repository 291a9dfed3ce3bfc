"""The command line's shared vocabulary: one spelling per concept in every subcommand.

    project root     --root DIR    (older spellings still accepted, hidden: a positional DIR)
    base ref         --base REF    (older spellings still accepted, hidden: --since, --changed-since)
    machine output   --json

Every command builds its parser with these helpers, so ``tests/unit/test_cli_grammar.py`` can
walk all of them and the generated CLI reference (docs/reference/cli.md) cannot drift.
"""

from __future__ import annotations

import argparse
from pathlib import Path

ROOT_HELP = "project root (default: the current directory)"
JSON_HELP = "print JSON instead of text"
#: spellings of the base ref that older versions used; still parsed, never shown in help
BASE_ALIASES = ("--since", "--changed-since")


def add_root(
    parser: argparse.ArgumentParser,
    *,
    positional_alias: bool = False,
    help_text: str = ROOT_HELP,
    repeated: bool = False,
) -> None:
    """``--root DIR``; ``positional_alias`` also accepts the old positional ``DIR`` (hidden).

    ``repeated`` leaves the attribute alone when the option is absent, for a subcommand that
    repeats its parent's option (``history stats --root .`` and ``history --root . stats``).
    """
    default = argparse.SUPPRESS if repeated else None
    parser.add_argument("--root", metavar="DIR", default=default, help=help_text)
    if positional_alias:
        parser.add_argument("root_positional", nargs="?", default=None, help=argparse.SUPPRESS)


def root_of(args: argparse.Namespace, parser: argparse.ArgumentParser | None = None) -> Path:
    """The project root the arguments name, resolved (``--root`` or the old positional); one
    that is not a directory is a usage error (exit 2) for every command."""
    option = getattr(args, "root", None)
    positional = getattr(args, "root_positional", None)
    if option is not None and positional is not None and Path(option) != Path(positional):
        message = f"the project root is given twice ({positional} and --root {option})"
        if parser is not None:
            parser.error(message)
        raise SystemExit(message)
    chosen = Path(str(option or positional or ".")).resolve()
    if not chosen.is_dir():
        message = f"the project root {chosen} is not a directory"
        if parser is not None:
            parser.error(message)
        raise SystemExit(message)
    return chosen


def add_base(
    parser: argparse.ArgumentParser,
    *,
    help_text: str,
    aliases: tuple[str, ...] = BASE_ALIASES,
) -> None:
    """``--base REF``, the branch or commit a change is compared with (aliases hidden)."""
    parser.add_argument("--base", metavar="REF", default=None, help=help_text)
    for alias in aliases:
        parser.add_argument(alias, dest="base", metavar="REF", help=argparse.SUPPRESS)


def add_head(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--head", metavar="REF", default=None, help="the end of the change (default: HEAD)"
    )


def add_json(parser: argparse.ArgumentParser, help_text: str = JSON_HELP) -> None:
    parser.add_argument("--json", action="store_true", help=help_text)


def command_parser(name: str, description: str) -> argparse.ArgumentParser:
    """The parser of ``ci-sessions NAME``, with its one-paragraph description."""
    return argparse.ArgumentParser(prog=f"ci-sessions {name}", description=description)
