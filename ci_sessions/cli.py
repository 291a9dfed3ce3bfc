"""The ``ci-sessions`` command: a thin dispatcher to the module that owns each subcommand.

Each subcommand module exposes ``main(argv: list[str]) -> int``; it is imported only when used,
so ``ci-sessions --help`` stays fast. Exit codes: 0 ok, 1 a gate or rule failed, 2 usage/config.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence

#: subcommand -> (module exposing main(argv), one-line help)
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
    lines = ["usage: ci-sessions <command> [options]", "", "commands:"]
    lines += [f"  {name.ljust(width)}  {help_text}" for name, (_, help_text) in COMMANDS.items()]
    lines += ["", "Run `ci-sessions <command> --help` for a command's options."]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help"):
        print(_usage())
        return 0 if args else 2
    if args[0] in ("-V", "--version"):
        from ci_sessions._version import __version__

        print(f"ci-sessions {__version__}")
        return 0
    command = args[0]
    if command not in COMMANDS:
        from ci_sessions.errors import close_match

        suggestion = close_match(command, COMMANDS)
        hint = f" Did you mean `{suggestion}`?" if suggestion else ""
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
