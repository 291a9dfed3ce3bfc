"""Releases in the run history: every release, publish, health check, rollback and double build.

The release package records one :class:`ReleaseEvent` per step; ``ci-sessions history releases``
lists them. An event names its index by stage and URL and holds the distributions' sha256, never
a credential. Releases are recorded even when ``history.enabled`` is false: they are the audit
trail of what reached an index.
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

from ci_sessions._secrets import mask
from ci_sessions.history.store import open_history, transaction

KINDS = ("release", "publish", "health", "rollback", "reproducible")
OUTCOMES = ("ok", "failed", "skipped")


@dataclass(frozen=True)
class ReleaseEvent:
    """One step of a release: what, which version, where, with which files, how it ended."""

    kind: str
    version: str
    outcome: str
    #: the stage (staging, production) a publish, health check or rollback was about
    stage: str = ""
    url: str = ""
    #: distribution file name -> sha256
    hashes: dict[str, str] = field(default_factory=lambda: {})
    detail: str = ""
    commit: str = ""
    time: float = field(default_factory=time.time)


def record_release(root: Path, event: ReleaseEvent) -> None:
    """Append ``event`` to the project's history (``.ci-sessions/history.db``); the credentials
    of any URL in it (``https://user:TOKEN@host``) are masked, so the row never holds one."""
    with open_history(root) as db, transaction(db):
        db.execute(
            "INSERT INTO releases (time, kind, version, stage, url, outcome, hashes, detail,"
            " commit_sha) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                event.time, event.kind, event.version, event.stage, mask(event.url),
                event.outcome, json.dumps(event.hashes, sort_keys=True), mask(event.detail),
                event.commit,
            ),
        )  # fmt: skip


def _event(row: sqlite3.Row) -> ReleaseEvent:
    try:
        loaded: object = json.loads(str(row["hashes"]))
    except ValueError:
        loaded = {}
    hashes = cast("dict[object, object]", loaded) if isinstance(loaded, dict) else {}
    return ReleaseEvent(
        kind=str(row["kind"]),
        version=str(row["version"]),
        outcome=str(row["outcome"]),
        stage=str(row["stage"]),
        url=str(row["url"]),
        hashes={str(k): str(v) for k, v in hashes.items()},
        detail=str(row["detail"]),
        commit=str(row["commit_sha"]),
        time=float(row["time"]),
    )


def releases(db: sqlite3.Connection, since: float = 0.0, limit: int = 0) -> list[ReleaseEvent]:
    """The events since ``since`` (epoch seconds), newest first; ``limit`` 0: all of them."""
    query = "SELECT * FROM releases WHERE time >= ? ORDER BY time DESC, id DESC"
    rows = db.execute(query + (" LIMIT ?" if limit else ""), (since, limit) if limit else (since,))
    return [_event(row) for row in rows.fetchall()]
