"""How one session runs, as a visible sequence of small steps (after nox's ``workflow.py``):

    arguments -> targets -> run every target -> report -> record -> verdict

Each step takes what the previous one produced. Checks know nothing of nox; this module is
where nox's ``Session`` (log, skip, error) meets the engine's results.
"""

from __future__ import annotations

import functools
import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import nox

from ci_sessions.checks.base import Shard
from ci_sessions.checks.registry import load_check
from ci_sessions.config import Config, load_config
from ci_sessions.config.project import Project, load_project
from ci_sessions.config.pythons import require_default_python
from ci_sessions.config.tiers import expand_tier
from ci_sessions.engine.runner import RunOptions
from ci_sessions.errors import CiSessionsError, EnvError
from ci_sessions.results import UNAVAILABLE, CheckResult, RunRecord, Status, new_run
from ci_sessions.sessions import posargs
from ci_sessions.sessions.posargs import SessionArgs


@dataclass
class Target:
    """Checks to run in one project root: the repository's, or one monorepo package's."""

    root: Path
    config: Config
    project: Project
    checks: list[str]
    versions: list[str]
    #: the monorepo package and its path from the repository root ("" and "." for the root)
    package: str = ""
    path: str = "."


@dataclass
class SessionPlan:
    """What a session was asked to run (fixed when the noxfile registers it)."""

    root: Path
    config: Config
    project: Project
    checks: list[str]
    versions: list[str]
    default_python: str
    tier: str | None = None
    #: the run record every session of one nox invocation adds to (one results.json)
    record: list[RunRecord] = field(default_factory=list[RunRecord])


def run_session(session: nox.Session, plan: SessionPlan) -> None:
    """Run the session's checks, print the gate table, end the session with the verdict."""
    started = time.time()
    try:
        args = parse_arguments(session, plan)
    except posargs.HelpRequested as request:
        print(request.text)
        return
    except CiSessionsError as exc:
        print(exc.render(), file=sys.stderr)
        raise SystemExit(exc.exit_code) from None
    try:
        if _uses_default_python(plan):
            require_default_python(plan.config)
        targets = select_targets(session, plan, args)
        results = run_targets(session, plan, targets, args)
    except EnvError as exc:
        session.error(exc.render())
    except CiSessionsError as exc:
        print(exc.render(), file=sys.stderr)
        raise SystemExit(exc.exit_code) from None
    if not results:
        session.skip("no package selected: nothing changed that a package depends on")
    run = report(plan, session.name, results, started=started)
    record(plan.root, run)
    verdict(session, results)


def parse_arguments(session: nox.Session, plan: SessionPlan) -> SessionArgs:
    runs_tests = plan.tier is None and any(load_check(c).runs_tests for c in plan.checks)
    return posargs.parse(
        session.name,
        list(session.posargs),
        plan.config,
        tier=plan.tier is not None,
        runs_tests=runs_tests,
    )


def select_targets(session: nox.Session, plan: SessionPlan, args: SessionArgs) -> list[Target]:
    """The repository itself, or the monorepo packages the arguments select."""
    if args.affected_base is not None:
        args.options.selected_tests = affected_tests(
            session, plan.root, args.affected_base, args.affected_head
        )
    if args.shard is not None:
        python = plan.versions[0] if len(plan.versions) == 1 else ""
        args.options.shard = shard_of(session, plan.root, args.shard, python)
    if plan.tier is None or not args.selects_packages:
        return [Target(plan.root, plan.config, plan.project, plan.checks, plan.versions)]
    from ci_sessions.changes.monorepo import package_config_table
    from ci_sessions.changes.selection import packages_from_args

    targets: list[Target] = []
    packages = packages_from_args(
        plan.root, args.packages, changed_only=args.changed_only, since=args.since
    )
    for package in packages:
        root = (plan.root / package.path).resolve()
        config = load_config(root, table=package_config_table(plan.root, package))
        excluded = set(config.top.str_list("exclude"))
        tier_checks = expand_tier(config.tiers, plan.tier) if plan.tier in config.tiers else []
        checks = [c for c in tier_checks if c not in excluded]
        session.log(f"package {package.name} ({package.path}): {', '.join(checks)}")
        targets.append(
            Target(root, config, load_project(root), checks, [plan.default_python],
                   package.name, package.path)
        )  # fmt: skip
    return targets


def affected_tests(
    session: nox.Session, root: Path, base: str, head: str | None
) -> list[str] | None:
    """The test files a change reaches (None: run the whole suite, with the reason logged)."""
    from ci_sessions.changes.affected import select_affected_tests

    selection = select_affected_tests(root, base, head)
    session.log(str(selection.reason))
    return None if selection.run_all else [str(f) for f in selection.test_files]


def shard_of(session: nox.Session, root: Path, shard: tuple[int, int], python: str) -> Shard:
    """``--shard K/N`` with the test durations the history recorded (none: split by count)."""
    from ci_sessions.history.durations import test_durations

    durations = test_durations(root, python)
    basis = f"{len(durations)} recorded test durations" if durations else "test count (no history)"
    session.log(f"shard {shard[0]}/{shard[1]}, balanced by {basis}")
    return Shard(shard[0], shard[1], durations)


def run_targets(
    session: nox.Session, plan: SessionPlan, targets: list[Target], args: SessionArgs
) -> list[CheckResult]:
    results: list[CheckResult] = []
    for target in targets:
        for result in run_target(session, plan, target, args.options):
            results.append(result.rerooted(target.package, target.path))
    return results


def run_target(
    session: nox.Session, plan: SessionPlan, target: Target, options: RunOptions
) -> list[CheckResult]:
    """Run one target's checks: the findings baseline and the flaky lookup of its own root."""
    from ci_sessions.baseline import apply as apply_baseline
    from ci_sessions.engine.environments import EnvManager, choose_backend
    from ci_sessions.engine.runner import Invocation, run_checks
    from ci_sessions.history.flaky import known_flaky

    manager = EnvManager(
        target.root,
        backend=choose_backend(target.config.top.str("venv-backend")),
        download_python=target.config.top.bool("download-python"),
        log=session.log,
        force_reinstall=options.reinstall,
    )
    options = replace(
        options,
        accept_findings=functools.partial(apply_baseline, target.root, target.config),
        known_flaky=functools.partial(known_flaky, target.root),
    )
    invocations: list[Invocation] = []
    for name in target.checks:
        check = load_check(name)
        versions = target.versions if check.per_python else [plan.default_python]
        invocations.extend(Invocation(check, version) for version in versions)
    return run_checks(
        root=target.root,
        config=target.config,
        project=target.project,
        session=session.name,
        invocations=invocations,
        options=options,
        manager=manager,
    )


def report(
    plan: SessionPlan,
    session_name: str,
    results: list[CheckResult],
    *,
    started: float | None = None,
) -> RunRecord:
    """Merge the results into this nox invocation's run record; write the reports and the table.

    The record starts when the invocation's first session started and finishes now.
    """
    from ci_sessions.reports import finalize
    from ci_sessions.reports.table import render_table

    if not plan.record:
        plan.record.append(new_run(plan.root, plan.project.name))
        if started is not None:
            plan.record[0].started = started
    run = plan.record[0]
    run.sessions.append(session_name)
    labels = {r.label for r in results}
    run.results = [r for r in run.results if r.label not in labels] + list(results)
    run.finished = time.time()
    finalize(plan.root, run)
    print(render_table(results, f"ci-sessions · {session_name}"))
    return run


def record(root: Path, run: RunRecord) -> None:
    """Add the run to the history; a history that cannot be written never changes the verdict."""
    from ci_sessions.history.store import record_run

    try:
        record_run(root, run)
    except Exception as exc:
        print(f"ci-sessions: the run history was not updated: {exc}", file=sys.stderr)


def verdict(session: nox.Session, results: list[CheckResult]) -> None:
    """Errors and failures fail the session; a run that checked nothing because something it
    needed is missing here fails too; nothing to check here is a skip."""
    blocking = [r.label for r in results if r.status.blocking]
    if blocking:
        session.error(f"{len(blocking)} check(s) did not pass: {', '.join(blocking)}")
    if results and all(r.status is Status.SKIP for r in results):
        missing = [r for r in results if r.metrics.get(UNAVAILABLE)]
        if missing:
            session.error(
                f"nothing was checked: {len(missing)} check(s) could not run here ("
                + "; ".join(f"{r.label}: {r.summary}" for r in missing)
                + ")"
            )
        session.skip("; ".join(r.summary for r in results))


def _uses_default_python(plan: SessionPlan) -> bool:
    """Whether some check of the session runs on ``default-python`` (a tier, a check run once)."""
    if plan.tier is not None or plan.default_python in plan.versions:
        return True
    return any(not load_check(name).per_python for name in plan.checks)
