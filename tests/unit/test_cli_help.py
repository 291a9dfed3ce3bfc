"""What `ci-sessions --help`, the CLI reference and the docs' synopses say agrees with the parsers."""

from __future__ import annotations

import argparse
import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest

from ci_sessions import cli

ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted([ROOT / "README.md", *(ROOT / "docs").rglob("*.md")])


def _gen_reference() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "gen_reference", ROOT / "scripts" / "gen_reference.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("gen_reference", module)
    spec.loader.exec_module(module)
    return module


GEN = _gen_reference()


def _modes(parser: argparse.ArgumentParser) -> list[str]:
    """A command's subcommands, or the options of its required either-or group (its modes)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return list(action.choices)  # pyright: ignore[reportUnknownArgumentType]
    return [
        action.option_strings[-1].lstrip("-")
        for group in parser._mutually_exclusive_groups
        if group.required
        for action in group._group_actions
    ]


def _names(text: str, word: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text, re.IGNORECASE) is not None


COMMANDS_WITH_MODES = [name for name in cli.COMMANDS if _modes(cli.command_parser(name))]


def test_some_commands_have_modes() -> None:
    assert {"report", "history", "release"} <= set(COMMANDS_WITH_MODES)


@pytest.mark.parametrize("name", COMMANDS_WITH_MODES)
def test_the_command_list_names_what_each_command_does(name: str) -> None:
    """`ci-sessions --help` lists every subcommand or mode a command's parser has."""
    line = next(text for text in cli._usage().splitlines() if text.startswith(f"  {name} "))
    missing = [mode for mode in _modes(cli.command_parser(name)) if not _names(line, mode)]
    assert not missing, f"`ci-sessions --help` says {line.strip()!r}, not naming {missing}"


@pytest.mark.parametrize("name", COMMANDS_WITH_MODES)
def test_a_command_description_names_its_modes(name: str) -> None:
    parser = cli.command_parser(name)
    if any(isinstance(a, argparse._SubParsersAction) for a in parser._actions):
        return  # each subcommand has its own description
    missing = [mode for mode in _modes(parser) if not _names(str(parser.description), mode)]
    assert not missing, f"{name}: {parser.description!r} does not name {missing}"


@pytest.mark.parametrize("name", list(cli.COMMANDS))
def test_the_reference_synopsis_is_the_parsers_usage(name: str) -> None:
    parser = cli.command_parser(name)
    usage = " ".join(parser.format_usage().split()).removeprefix("usage: ")
    assert GEN.synopsis(parser, name) == usage.replace(" [-h]", "", 1)


def docs_synopses() -> list[tuple[str, str]]:
    """``ci-sessions <command> [--...`` lines of the docs' text blocks (a command's synopsis)."""
    found: list[tuple[str, str]] = []
    pattern = re.compile(rf"^ci-sessions ({'|'.join(cli.COMMANDS)})(?: [a-z-]+)* [\[(]")
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        for fence in re.finditer(r"^```text\n(.*?)^```", text, re.M | re.S):
            first = text[: fence.start()].count("\n") + 2
            for offset, line in enumerate(fence.group(1).splitlines()):
                if pattern.match(line):
                    found.append((f"{page.relative_to(ROOT)}:{first + offset}", line))
    return found


def test_the_docs_show_synopses() -> None:
    pages = {where.split(":")[0] for where, _ in docs_synopses()}
    assert {"docs/init.md", "docs/validate.md", "docs/migration.md"} <= pages


@pytest.mark.parametrize(("where", "line"), docs_synopses())
def test_every_synopsis_in_the_docs_is_the_parsers(where: str, line: str) -> None:
    words = line.split(" ")
    parser = cli.command_parser(words[1])
    name = words[1]
    for word in words[2:]:  # a subcommand's synopsis: ci-sessions history import ...
        sub = next((a for a in parser._actions if isinstance(a, argparse._SubParsersAction)), None)
        if sub is None or word not in sub.choices:
            break
        parser = sub.choices[word]  # pyright: ignore[reportUnknownMemberType]
        name = f"{name} {word}"
    assert line == GEN.synopsis(parser, name), where
