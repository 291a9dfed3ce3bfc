"""One CLI grammar: every subcommand's parser (and every session's arguments) spells the same
concept the same way, prints JSON where it prints data, and has help free of markup."""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ci_sessions import cli
from ci_sessions.sessions import posargs

#: concept -> the one visible spelling; any other visible spelling of it is a grammar error
CANONICAL = {"project root": "--root", "base ref": "--base", "machine output": "--json"}
#: spellings that mean one of those concepts (kept as hidden aliases where they existed)
OTHER_SPELLINGS = {
    "--since": "base ref",
    "--changed-since": "base ref",
    "--base-ref": "base ref",
    "--ref": "base ref",
    "--dir": "project root",
    "--directory": "project root",
    "--project": "project root",
    "--project-root": "project root",
    "--path": "project root",
    "--format": "machine output",
    "--output-format": "machine output",
}
#: commands that print data (everything but the ones that only write or change files)
PRINTS_DATA = {
    "config", "validate", "migrate", "matrix", "baseline", "changes", "packages", "ratchet",
    "report", "ci", "history import", "history stats", "history trends", "history slowest",
    "history failures", "history flaky", "history releases", "release check-reproducible",
}  # fmt: skip
#: commands with no project-root concept of their own (their parent takes --root)
MARKUP = re.compile(r"``|`|:(?:class|func|mod|meth|attr|ref|data):|\*\*")


def walk(
    parser: argparse.ArgumentParser, name: str
) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    yield name, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            choices: dict[str, argparse.ArgumentParser] = action.choices  # type: ignore[assignment]
            for sub_name, sub in choices.items():
                yield from walk(sub, f"{name} {sub_name}".strip())


def all_parsers() -> list[tuple[str, argparse.ArgumentParser]]:
    found: list[tuple[str, argparse.ArgumentParser]] = []
    for command in cli.COMMANDS:
        found += walk(cli.command_parser(command), command)
    return found


def visible_options(parser: argparse.ArgumentParser) -> list[str]:
    return [
        option
        for action in parser._actions
        if action.help is not argparse.SUPPRESS
        for option in action.option_strings
    ]


def session_parsers() -> list[tuple[str, argparse.ArgumentParser]]:
    return [
        ("nox -s essential", posargs.parser("essential", runs_tests=False, tier=True)),
        ("nox -s tests-3.12", posargs.parser("tests-3.12", runs_tests=True, tier=False)),
    ]


def test_every_command_is_walked() -> None:
    names = {name for name, _ in all_parsers()}
    assert {"ci", "release", "release publish", "history stats", "report", "config"} <= names
    assert len(names) >= 20


@pytest.mark.parametrize(("name", "parser"), all_parsers() + session_parsers())
def test_one_spelling_per_concept(name: str, parser: argparse.ArgumentParser) -> None:
    shown = visible_options(parser)
    wrong = {option: OTHER_SPELLINGS[option] for option in shown if option in OTHER_SPELLINGS}
    assert not wrong, f"{name}: use {', '.join(CANONICAL[c] for c in wrong.values())} ({wrong})"
    hidden_positionals = [
        a.dest for a in parser._actions if not a.option_strings and a.help is not argparse.SUPPRESS
    ]
    assert not {"dir", "directory", "root"} & set(hidden_positionals), (
        f"{name}: the project root is --root DIR, not a positional"
    )
    for action in parser._actions:
        if "--root" in action.option_strings:
            assert action.metavar == "DIR", f"{name}: --root DIR"
        if "--base" in action.option_strings:
            assert action.metavar == "REF", f"{name}: --base REF"


@pytest.mark.parametrize(("name", "parser"), all_parsers())
def test_json_where_data_is_printed(name: str, parser: argparse.ArgumentParser) -> None:
    has_subcommands = any(isinstance(a, argparse._SubParsersAction) for a in parser._actions)
    if name in PRINTS_DATA:
        assert "--json" in visible_options(parser), f"ci-sessions {name} prints data: add --json"
    elif not has_subcommands:
        assert name in {"init", "update", "release", "release publish"}, (
            f"ci-sessions {name}: is its output data? list it in PRINTS_DATA and add --json"
        )


@pytest.mark.parametrize(("name", "parser"), all_parsers() + session_parsers())
def test_help_is_free_of_markup(name: str, parser: argparse.ArgumentParser) -> None:
    texts = [parser.description or "", parser.epilog or ""]
    texts += [str(a.help) for a in parser._actions if a.help not in (None, argparse.SUPPRESS)]
    marked = [t for t in texts if MARKUP.search(t)]
    assert not marked, f"{name}: help text with markup: {marked}"
    assert parser.description, f"{name}: give the parser a description"
    undocumented = [
        "/".join(a.option_strings) or a.dest
        for a in parser._actions
        if a.help is None and not isinstance(a, argparse._SubParsersAction)
    ]
    assert not undocumented, f"{name}: arguments without help: {undocumented}"


@pytest.mark.parametrize("name", ["config", "history stats", "history import", "report", "ratchet"])
def test_root_is_accepted_after_the_subcommand(name: str, tmp_path: Path) -> None:
    tree = cli.build_parser()
    argv = [*name.split(), "--root", str(tmp_path)]
    if name == "history import":
        argv.append("x.xml")
    if name == "report":
        argv.append("--html")
    args = tree.parse_args(argv)
    assert args.root == str(tmp_path)


@pytest.mark.parametrize("name", ["init", "migrate", "validate", "history stats", "matrix"])
def test_a_root_that_is_not_a_directory_is_a_usage_error(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nowhere"
    with pytest.raises(SystemExit) as stopped:
        cli.main([*name.split(), "--root", str(missing)])
    assert stopped.value.code == 2
    assert f"the project root {missing} is not a directory" in capsys.readouterr().err


def test_old_spellings_still_parse_but_are_hidden() -> None:
    packages = cli.command_parser("packages")
    assert packages.parse_args(["--changed-since", "main"]).base == "main"
    assert "--changed-since" not in packages.format_help()
    tier = posargs.parser("essential", runs_tests=False)
    assert tier.parse_known_args(["--since", "main"])[0].base == "main"
    assert "--since" not in tier.format_help()
    config = cli.command_parser("config")
    assert config.parse_args(["somewhere"]).root_positional == "somewhere"
    assert "somewhere" not in config.format_usage()


def run_cli(*argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ci_sessions.cli", *argv],
        capture_output=True, text=True, check=False, env=env,
    )  # fmt: skip


def test_no_arguments_prints_help_to_stdout_with_exit_0() -> None:
    done = run_cli()
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: ci-sessions")
    for command in cli.COMMANDS:
        assert f"  {command} " in done.stdout
    assert "`" not in done.stdout


def test_version() -> None:
    from ci_sessions._version import __version__

    done = run_cli("--version")
    assert (done.returncode, done.stdout.strip()) == (0, f"ci-sessions {__version__}")


def test_session_help_lists_the_arguments_a_tier_accepts() -> None:
    from ci_sessions.config import load_config

    with pytest.raises(posargs.HelpRequested) as asked:
        posargs.parse("essential", ["--help"], load_config(Path.cwd()), tier=True, runs_tests=False)
    for option in ("--jobs N", "--fail-fast", "--no-cache", "--reinstall", "--package NAME",
                   "--changed-only", "--base REF"):  # fmt: skip
        assert option in asked.value.text


def test_shell_completion_offers_subcommands_and_options(tmp_path: Path) -> None:
    out = tmp_path / "completions"
    line = "ci-sessions hist"
    env = dict(os.environ, _ARGCOMPLETE="1", _ARGCOMPLETE_IFS="\n", COMP_LINE=line,
               COMP_POINT=str(len(line)), _ARGCOMPLETE_STDOUT_FILENAME=str(out))  # fmt: skip
    done = run_cli(env=env)
    assert done.returncode == 0, done.stderr
    assert [c.strip() for c in out.read_text().split("\n")] == ["history"]
    line = "ci-sessions history stats --l"
    env.update(COMP_LINE=line, COMP_POINT=str(len(line)))
    run_cli(env=env)
    assert "--limit" in [c.strip() for c in out.read_text().split("\n")]


def test_cli_module_is_marked_for_argcomplete() -> None:
    head = Path(cli.__file__).read_text(encoding="utf-8")[:1024]
    assert "PYTHON_ARGCOMPLETE_OK" in head
