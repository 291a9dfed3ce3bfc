# PYTHON_ARGCOMPLETE_OK
"""The ``ci-sessions`` command: a thin dispatcher to the module that owns each subcommand.

Each subcommand module exposes ``build_parser()`` and ``main(argv: list[str]) -> int``; it is
imported only when used, so ``ci-sessions --help`` stays fast. Exit codes: 0 ok, 1 a gate or
rule failed, 2 usage/config. Shell completion (argcomplete) builds the whole parser tree only
when the shell asks for completions.
"""

from __future__ import annotations

import argparse
import errno
import importlib
import os
import sys
from collections.abc import Callable, Sequence
from types import ModuleType

#: subcommand -> (module exposing build_parser() and main(argv), one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "config": (
        "ci_sessions.validate.effective",
        "show the configuration in force and where each value came from",
    ),
    "init": (
        "ci_sessions.scaffold.init",
        "add ci-sessions to a project (never overwrites without --force)",
    ),
    "update": (
        "ci_sessions.scaffold.update",
        "bring template changes into a project (3-way merge)",
    ),
    "validate": ("ci_sessions.validate.cli", "check a repository's CI set-up, rule by rule"),
    "migrate": ("ci_sessions.scaffold.migrate", "map tox / Makefile / workflows to ci-sessions"),
    "matrix": (
        "ci_sessions.sessions.matrix",
        "print the GitHub Actions matrix derived from the noxfile",
    ),
    "baseline": ("ci_sessions.baseline.record", "record or refresh the findings baseline"),
    "changes": (
        "ci_sessions.changes.detect",
        "classify changed files and decide which sessions run",
    ),
    "packages": (
        "ci_sessions.changes.selection",
        "list the packages of a monorepo and their dependencies",
    ),
    "history": (
        "ci_sessions.history.cli",
        "run history: import, stats, trends, slowest, failures, flaky, releases",
    ),
    "ratchet": (
        "ci_sessions.history.ratchet",
        "raise thresholds the project already beats; never lower them",
    ),
    "report": (
        "ci_sessions.reports.cli",
        "write reports: summary, SARIF, HTML dashboard, evidence pack",
    ),
    "release": (
        "ci_sessions.release.cli",
        "next version from the commits, changelog, tag; double build; staged publish",
    ),
    "ci": ("ci_sessions.ci.cli", "run the GitHub workflow on this machine, as the runner would"),
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
    lines += [f"  {name.ljust(width)}  {help_text}" for name, (_, help_text) in COMMANDS.items()]
    lines += [
        "",
        "options:",
        "  -h, --help     show this help message and exit",
        "  -V, --version  print the version of ci-sessions and exit",
        "",
        "Run 'ci-sessions <command> --help' for a command's options.",
    ]
    return "\n".join(lines)


def command_module(command: str) -> ModuleType:
    return importlib.import_module(COMMANDS[command][0])


def command_parser(command: str) -> argparse.ArgumentParser:
    """The parser of one subcommand, as its module builds it."""
    build: Callable[[], argparse.ArgumentParser] = command_module(command).build_parser
    return build()


def build_parser() -> argparse.ArgumentParser:
    """The whole command line as one parser tree (shell completion, the CLI reference, tests)."""
    from ci_sessions._version import __version__

    parser = argparse.ArgumentParser(prog="ci-sessions", description=_usage().splitlines()[2])
    parser.add_argument("-V", "--version", action="version", version=f"ci-sessions {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="<command>")
    for name, (_, help_text) in COMMANDS.items():
        child = command_parser(name)
        sub.add_parser(
            name,
            help=help_text,
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
    except OSError as exc:
        if exc.errno == errno.EPIPE:
            return _closed_pipe()
        raise


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
    module_name = COMMANDS[command][0]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name == module_name:
            print(
                f"ci-sessions: the {command!r} command is not available in this version",
                file=sys.stderr,
            )
            return 2
        raise
    from ci_sessions.errors import EXIT_INTERRUPTED, CiSessionsError

    try:
        code: int = module.main(args[1:])
    except CiSessionsError as exc:
        print(exc.render(), file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("ci-sessions: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    return code


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
