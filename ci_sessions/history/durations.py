"""Recorded test durations, for splitting a suite into shards of equal time."""

from __future__ import annotations

import math
import sqlite3
import sys
from pathlib import Path

from ci_sessions.errors import HistoryError


def test_durations(root: Path, python: str = "", check: str = "tests") -> dict[str, float]:
    """Node id -> seconds, the latest recorded for each test (empty without a history)."""
    from ci_sessions.history.store import db_path, open_history
    from ci_sessions.history.testdata import recorded_durations

    if not (root / ".ci-sessions" / "history.db").is_file():
        return {}
    try:
        with open_history(root) as db:
            return recorded_durations(db, check, python)
    except (HistoryError, sqlite3.Error) as exc:
        print(f"ci-sessions: cannot read {db_path(root)}: {exc}", file=sys.stderr)
        return {}


def shards_needed(durations: dict[str, float], minutes: float) -> int:
    """``shards = "auto"``: enough shards that each takes at most ``minutes`` (at least one)."""
    total = sum(durations.values())
    return max(1, math.ceil(total / (minutes * 60.0))) if total else 1
