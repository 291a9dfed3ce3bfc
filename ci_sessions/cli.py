# PYTHON_ARGCOMPLETE_OK
"""The ``ci-sessions`` command: a thin dispatcher to the module that owns each subcommand.

Each subcommand module exposes ``build_parser()`` and ``main(argv: list[str]) -> int``. Its
loader imports it inside a function: ``ci-sessions --help`` stays at a few hundredths of a second
where importing every command costs about one (``benchmarks/startup_bench.py``), and an import in a
function is still an arrow the layer contract sees (no module named in a string).

Exit codes: 0 ok, 1 a gate or rule failed, 2 usage/config, 3 an unexpected error (one line and
the path of a log, :mod:`ci_sessions._crash`). Shell completion (argcomplete) builds the whole
parser tree only when the shell asks for completions.
"""

from __future__ import annotations

import argparse
import errno
import os
import sys
from collections.abc import Callable, Sequence
from typing import NamedTuple, Protocol


class CommandModule(Protocol):
    """What a subcommand's module provides."""

    def build_parser(self) -> argparse.ArgumentParser: ...

    def main(self, argv: list[str]) -> int: ...


class Command(NamedTuple):
    help: str
    load: Callable[[], CommandModule]


def _config() -> CommandModule:
    from ci_sessions.validate import effective

    return effective


def _init() -> CommandModule:
    from ci_sessions.scaffold import init

    return init


def _update() -> CommandModule:
    from ci_sessions.scaffold import update

    return update


def _validate() -> CommandModule:
    from ci_sessions.validate import cli

    return cli


def _migrate() -> CommandModule:
    from ci_sessions.scaffold import migrate

    return migrate


def _matrix() -> CommandModule:
    from ci_sessions.sessions import matrix

    return matrix


def _baseline() -> CommandModule:
    from ci_sessions.baseline import record

    return record


def _changes() -> CommandModule:
    from ci_sessions.changes import detect

    return detect


def _packages() -> CommandModule:
    from ci_sessions.changes import selection

    return selection


def _history() -> CommandModule:
    from ci_sessions.history import cli

    return cli


def _ratchet() -> CommandModule:
    from ci_sessions.history import ratchet

    return ratchet


def _report() -> CommandModule:
    from ci_sessions.reports import cli

    return cli


def _release() -> CommandModule:
    from ci_sessions.release import cli

    return cli


def _ci() -> CommandModule:
    from ci_sessions.ci import cli

    return cli


#: subcommand -> its one-line help and the loader of its module
COMMANDS: dict[str, Command] = {
    "config": Command("show the configuration in force and where each value came from", _config),
    "init": Command("add ci-sessions to a project (never overwrites without --force)", _init),
    "update": Command("bring template changes into a project (3-way merge)", _update),
    "validate": Command("check a repository's CI set-up, rule by rule", _validate),
    "migrate": Command("map tox / Makefile / workflows to ci-sessions", _migrate),
    "matrix": Command("print the GitHub Actions matrix derived from the noxfile", _matrix),
    "baseline": Command("record or refresh the findings baseline", _baseline),
    "changes": Command("classify changed files and decide which sessions run", _changes),
    "packages": Command("list the packages of a monorepo and their dependencies", _packages),
    "history": Command(
        "run history: import, stats, trends, slowest, failures, flaky, releases", _history
    ),
    "ratchet": Command("raise thresholds the project already beats; never lower them", _ratchet),
    "report": Command(
        "HTML dashboard, digest or evidence pack; verify a pack; combine CI cells' reports", _report
    ),
    "release": Command(
        "next version from the commits, changelog, tag; publish in stages; check-reproducible",
        _release,
    ),
    "ci": Command("run the GitHub workflow on this machine, as the runner would", _ci),
}


def _usage() -> str:
    width = max(len(name) for name in COMMANDS)
    lines = [
        "usage: ci-sessions [-h] [-V] <command> [options]",
        "",
        "Tiered quality gates for Python projects: the commands around the nox sessions.",
        "",
        "commands:",
    ]
    lines += [f"  {name.ljust(width)}  {command.help}" for name, command in COMMANDS.items()]
    lines += [
        "",
        "options:",
        "  -h, --help     show this help message and exit",
        "  -V, --version  print the version of ci-sessions and exit",
        "",
        "Run 'ci-sessions <command> --help' for a command's options.",
    ]
    return "\n".join(lines)


def command_module(command: str) -> CommandModule:
    return COMMANDS[command].load()


def command_parser(command: str) -> argparse.ArgumentParser:
    """The parser of one subcommand, as its module builds it."""
    return command_module(command).build_parser()


def build_parser() -> argparse.ArgumentParser:
    """The whole command line as one parser tree (shell completion, the CLI reference, tests)."""
    from ci_sessions._version import __version__

    parser = argparse.ArgumentParser(prog="ci-sessions", description=_usage().splitlines()[2])
    parser.add_argument("-V", "--version", action="version", version=f"ci-sessions {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="<command>")
    for name, command in COMMANDS.items():
        child = command_parser(name)
        sub.add_parser(
            name,
            help=command.help,
            description=child.description,
            parents=[child],
            conflict_handler="resolve",
        )
    return parser


def _complete() -> None:
    """Answer the shell's completion request (argcomplete), if this is one; else return."""
    if "_ARGCOMPLETE" not in os.environ:
        return
    try:
        import argcomplete
    except ImportError:  # pragma: no cover - argcomplete comes with nox
        return
    argcomplete.autocomplete(build_parser())


def main(argv: Sequence[str] | None = None) -> int:
    try:
        try:
            code = _main(argv)
        except SystemExit:  # argparse's --help and usage errors print, then exit
            sys.stdout.flush()
            raise
        sys.stdout.flush()  # a closed pipe shows here, inside the handler, not at exit
        return code
    except BrokenPipeError:
        return _closed_pipe()
    except Exception as exc:
        if isinstance(exc, OSError) and exc.errno == errno.EPIPE:
            return _closed_pipe()
        return _crashed(exc, argv)


def _crashed(exc: Exception, argv: Sequence[str] | None) -> int:
    """A bug: one line, the path of the log with versions and traceback, exit 3."""
    from ci_sessions._crash import report
    from ci_sessions.errors import EXIT_UNEXPECTED

    command = ["ci-sessions", *(sys.argv[1:] if argv is None else argv)]
    print(report(exc, command), file=sys.stderr)
    return EXIT_UNEXPECTED


def _closed_pipe() -> int:
    """The reader went away (``| head``): stop quietly, like any Unix tool.

    stdout is pointed at /dev/null so the interpreter's final flush cannot raise again.
    """
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    return 141  # 128 + SIGPIPE, what a shell reports for a tool ended by a closed pipe


def _main(argv: Sequence[str] | None) -> int:
    if argv is None:
        _complete()
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help"):
        print(_usage())
        return 0
    if args[0] in ("-V", "--version"):
        from ci_sessions._version import __version__

        print(f"ci-sessions {__version__}")
        return 0
    command = args[0]
    if command not in COMMANDS:
        from ci_sessions.errors import close_match

        suggestion = close_match(command, COMMANDS)
        hint = f" Did you mean '{suggestion}'?" if suggestion else ""
        print(f"ci-sessions: unknown command {command!r}.{hint}\n\n{_usage()}", file=sys.stderr)
        return 2
    from ci_sessions.errors import EXIT_INTERRUPTED, CiSessionsError

    try:
        code = command_module(command).main(args[1:])
    except CiSessionsError as exc:
        print(exc.render(), file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("ci-sessions: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    return code


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
