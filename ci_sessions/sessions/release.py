"""``nox -s release`` and ``nox -s publish``: the release commands as sessions.

``release`` first runs the checks of ``[tool.ci-sessions.release] gate`` (the double build,
``reproducible``, by default) like any session: gate table, results.json, history. A failed gate
stops the release before anything is committed (``--dry-run`` still shows the plan). Then it runs
``ci-sessions release`` with the session's arguments; ``publish`` runs ``ci-sessions release
publish``. Both run in this process (the sessions sit above the features they run): output,
exit status and a bug's crash log are the command's own.
"""

from __future__ import annotations

import shlex
import time
from collections.abc import Callable

import nox

from ci_sessions.results import CheckResult
from ci_sessions.sessions import posargs
from ci_sessions.sessions.run import SessionPlan, Target, record, report, run_targets

RELEASE_DOC = (
    "ci-sessions release: the gate, then version, changelog, commit and tag (never pushed)"
)
PUBLISH_DOC = "ci-sessions release publish: upload, health check, promote, roll back on failure"


def run_gate(session: nox.Session, plan: SessionPlan) -> list[CheckResult]:
    """Run the gate's checks as a session would (the release arguments are not theirs)."""
    if not plan.checks:
        return []
    args = posargs.parse(session.name, [], plan.config, tier=False, runs_tests=False)
    target = Target(plan.root, plan.config, plan.project, plan.checks, plan.versions)
    started = time.time()
    results = run_targets(session, plan, [target], args)
    record(plan.root, report(plan, session.name, results, started=started))
    return results


def _release(session: nox.Session, plan: SessionPlan, *args: str) -> None:
    """``ci-sessions release ARGS`` on the plan's project; a status other than 0 fails the
    session (the command has said why)."""
    # imported here: it brings the history store (sqlite3), 25-55 ms more for every `nox -l`
    from ci_sessions.release import cli as release_cli

    session.log(f"ci-sessions release {shlex.join(args)}".rstrip())
    try:
        code = release_cli.main(["--root", str(plan.root), *args])
    except SystemExit as exc:  # argparse: --help (0) or a bad argument (2), already printed
        code = exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 2
    if code != 0:
        session.error(f"ci-sessions release {shlex.join(args)}: exit status {code}".rstrip())


def release_session(session: nox.Session, plan: SessionPlan) -> None:
    arguments = list(session.posargs)
    blocking = [r.label for r in run_gate(session, plan) if r.status.blocking]
    dry_run = "--dry-run" in arguments
    if blocking and not dry_run:
        session.error(f"not released: the gate did not pass ({', '.join(blocking)})")
    _release(session, plan, *arguments)
    if blocking:
        session.error(f"the gate did not pass ({', '.join(blocking)}): a release would stop")


def publish_session(session: nox.Session, plan: SessionPlan) -> None:
    _release(session, plan, "publish", *session.posargs)


#: session name -> (its body, its description)
RELEASE_COMMANDS: dict[str, tuple[Callable[[nox.Session, SessionPlan], None], str]] = {
    "release": (release_session, RELEASE_DOC),
    "publish": (publish_session, PUBLISH_DOC),
}
