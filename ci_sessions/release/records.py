"""Every step of a release goes into the run history: ``ci-sessions history releases``.

One :class:`~ci_sessions.history.releases.ReleaseEvent` per release, publish, health check,
rollback and double build, with the version, the stage and index URL, the distributions' sha256,
the outcome and the commit. Nothing recorded ever holds a credential: :data:`SECRETS` holds the
tokens this process read, and every text recorded or printed is masked with them (and the
history masks any URL's credentials itself).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from ci_sessions._git import head_facts
from ci_sessions._secrets import Secrets
from ci_sessions.history.releases import ReleaseEvent, record_release, releases
from ci_sessions.history.store import open_history

#: the tokens and passwords this release command has read (masked wherever text leaves it)
SECRETS = Secrets()


def record(
    root: Path,
    kind: str,
    version: str,
    outcome: str,
    *,
    stage: str = "",
    url: str = "",
    hashes: Mapping[str, str] | None = None,
    detail: str = "",
) -> ReleaseEvent:
    commit, _ = head_facts(root)
    event = ReleaseEvent(
        kind, version, outcome, stage=stage, url=SECRETS.mask(url), hashes=dict(hashes or {}),
        detail=SECRETS.mask(detail), commit=commit,
    )  # fmt: skip
    record_release(root, event)
    return event


def read(root: Path) -> list[ReleaseEvent]:
    """Every recorded step, oldest first."""
    with open_history(root) as db:
        return list(reversed(releases(db)))
