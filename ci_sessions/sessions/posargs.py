"""What a session's arguments (``nox -s essential -- --jobs 2``) ask for, parsed and checked.

Tier and check sessions share the run options; a session of a check that runs the tests also
takes ``--affected --base REF`` and ``--shard K/N`` and passes any argument it does not know to
the test runner; tier sessions take the monorepo selection (``--package NAME``, ``--changed-only
--base REF``). ``nox -s <session> -- --help`` prints what the session accepts.
"""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass, field

from ci_sessions._args import add_base, add_head
from ci_sessions.config import Config
from ci_sessions.engine.incremental import IncrementalOptions
from ci_sessions.engine.runner import RunOptions
from ci_sessions.errors import UsageError

TIER_ARGUMENTS = (
    "--jobs N, --fail-fast, --no-cache, --reinstall, --package NAME, --changed-only --base REF"
)


class HelpRequested(Exception):
    """``-- --help``: print ``text`` and run nothing.

    Control flow, not an error: the session catches it, prints the help and ends successfully,
    so it stays outside ``errors.py``'s hierarchy (an error there has a non-zero exit code)."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


@dataclass
class SessionArgs:
    """The parsed arguments: how to run, and what to run it on."""

    options: RunOptions
    #: monorepo selection: names, and the base ref of --changed-only (None: the root project)
    packages: list[str] = field(default_factory=list[str])
    changed_only: bool = False
    since: str | None = None
    #: affected-test selection of a tests session: the base and head refs
    affected_base: str | None = None
    affected_head: str | None = None
    #: ``--shard K/N`` of a tests session: (K, N)
    shard: tuple[int, int] | None = None

    @property
    def selects_packages(self) -> bool:
        return bool(self.packages or self.changed_only or self.since)


def parser(session_name: str, *, runs_tests: bool, tier: bool = True) -> argparse.ArgumentParser:
    """The arguments ``nox -s SESSION -- ...`` accepts (its help is ``-- --help``)."""
    what = "tier" if tier else "check"
    built = argparse.ArgumentParser(
        prog=f"nox -s {session_name} --",
        add_help=False,
        allow_abbrev=False,
        exit_on_error=False,
        description=f"Arguments of the {session_name} {what} session, after nox's '--'.",
        epilog=(
            "Any other argument goes to pytest (e.g. -k NAME, -x)."
            if runs_tests
            else "Settings in [tool.ci-sessions] give the defaults of --jobs and --fail-fast."
        ),
    )
    built.add_argument("-h", "--help", action="store_true", help="show these arguments and stop")
    built.add_argument(
        "--jobs", type=int, default=None, metavar="N", help="checks run at once (0: one per CPU)"
    )
    built.add_argument(
        "--fail-fast",
        action="store_true",
        default=None,
        help="stop at the first check that does not pass",
    )
    built.add_argument(
        "--no-cache", action="store_true", help="run every check even when its inputs are unchanged"
    )
    built.add_argument(
        "--reinstall", action="store_true", help="rebuild the environments the checks use"
    )
    if runs_tests:
        built.add_argument(
            "--affected",
            action="store_true",
            help="run only the tests that the change since --base reaches",
        )
        add_base(built, help_text="the branch or commit the change is compared with")
        add_head(built)
        built.add_argument(
            "--shard",
            default=None,
            metavar="K/N",
            help="run the K-th of N parts of the suite, balanced by recorded durations",
        )
    else:
        built.add_argument(
            "--package",
            action="append",
            default=[],
            metavar="NAME",
            help="monorepo: run the tier on this package and its dependants (repeatable)",
        )
        built.add_argument(
            "--changed-only",
            action="store_true",
            help="monorepo: run the tier on the packages changed since --base",
        )
        add_base(built, help_text="the branch or commit --changed-only compares with")
    return built


def parse(
    session_name: str, posargs: list[str], config: Config, *, tier: bool, runs_tests: bool
) -> SessionArgs:
    """Parse ``posargs``; a bad argument is a UsageError naming the session."""
    built = parser(session_name, runs_tests=runs_tests, tier=tier)
    try:
        known, rest = built.parse_known_args(posargs)
    except argparse.ArgumentError as exc:
        raise UsageError(f"nox -s {session_name}: {exc}") from None
    if known.help:
        raise HelpRequested(built.format_help())
    if rest and not runs_tests and tier:
        raise UsageError(
            f"nox -s {session_name}: unknown argument(s) {' '.join(rest)}; "
            f"tier sessions accept {TIER_ARGUMENTS}"
        )
    in_ci = os.environ.get("CI", "").lower() in ("1", "true")
    options = RunOptions(
        jobs=known.jobs if known.jobs is not None else config.top.int("jobs"),
        fail_fast=bool(known.fail_fast)
        if known.fail_fast is not None
        else config.top.bool("fail-fast"),
        use_cache=config.top.bool("cache") and not known.no_cache,
        reinstall=bool(known.reinstall),
        posargs=rest,
        in_ci=in_ci,
        incremental=incremental_options(config, in_ci=in_ci, no_cache=bool(known.no_cache)),
        progress=config.top.str("progress"),
        progress_interval=config.top.float("progress-interval"),
    )
    if options.jobs < 0:
        raise UsageError(f"nox -s {session_name}: --jobs must be >= 0")
    args = SessionArgs(options)
    if runs_tests:
        if known.affected and not known.base:
            raise UsageError(f"nox -s {session_name}: --affected needs --base REF")
        if not known.affected and (known.base or known.head):
            raise UsageError(f"nox -s {session_name}: --base/--head need --affected")
        if known.affected:
            args.affected_base, args.affected_head = known.base, known.head
        if known.shard is not None:
            args.shard = parse_shard(session_name, known.shard)
    elif tier:
        args.packages = list(known.package)
        args.changed_only = bool(known.changed_only)
        args.since = known.base
    return args


def parse_shard(session_name: str, text: str) -> tuple[int, int]:
    """``--shard 2/4`` -> (2, 4): the second of four parts of the suite."""
    index, _, total = text.partition("/")
    if not (index.isdigit() and total.isdigit()) or not 1 <= int(index) <= int(total):
        raise UsageError(
            f"nox -s {session_name}: --shard {text!r}: expected K/N with 1 <= K <= N (e.g. 2/4)"
        )
    return int(index), int(total)


def incremental_options(
    config: Config, *, in_ci: bool, no_cache: bool
) -> IncrementalOptions | None:
    """Per-file incremental runs: on by default outside CI (``incremental = "local"``), always
    or never when configured; ``--no-cache`` runs everything but refreshes the per-file state."""
    from ci_sessions.changes.closure import project_graph

    mode = config.top.str("incremental")
    if not config.top.bool("cache") or mode == "never" or (mode == "local" and in_ci):
        return None
    return IncrementalOptions(graph=project_graph, use=not no_cache)
