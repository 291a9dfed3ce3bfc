"""``nox -s release`` and ``nox -s publish``: the release commands as sessions.

``release`` first runs the checks of ``[tool.ci-sessions.release] gate`` (the double build,
``reproducible``, by default) like any session: gate table, results.json, history. A failed gate
stops the release before anything is committed (``--dry-run`` still shows the plan). Then it runs
``ci-sessions release`` with the session's arguments; ``publish`` runs ``ci-sessions release
publish``. The commands run in a subprocess of this interpreter: sessions/ and release/ are
sibling features and never import each other.
"""

from __future__ import annotations

import sys
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


def _command(plan: SessionPlan, *args: str) -> list[str]:
    return [sys.executable, "-m", "ci_sessions.release", "--root", str(plan.root), *args]


def release_session(session: nox.Session, plan: SessionPlan) -> None:
    arguments = list(session.posargs)
    blocking = [r.label for r in run_gate(session, plan) if r.status.blocking]
    dry_run = "--dry-run" in arguments
    if blocking and not dry_run:
        session.error(f"not released: the gate did not pass ({', '.join(blocking)})")
    session.run(*_command(plan, *arguments), external=True)
    if blocking:
        session.error(f"the gate did not pass ({', '.join(blocking)}): a release would stop")


def publish_session(session: nox.Session, plan: SessionPlan) -> None:
    session.run(*_command(plan, "publish", *session.posargs), external=True)


#: session name -> (its body, its description)
RELEASE_COMMANDS: dict[str, tuple[Callable[[nox.Session, SessionPlan], None], str]] = {
    "release": (release_session, RELEASE_DOC),
    "publish": (publish_session, PUBLISH_DOC),
}
