"""Flaky tests: a test that both passed and failed on the same inputs: the same commit and
uncommitted content (``runs.worktree``), Python and OS.

Only the history decides what is flaky, so a test that fails for the first time is never
excused: ``known_flaky`` returns only tests seen flipping before, and the pytest check reruns
just those once.
"""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ci_sessions.history.testdata import SetReader

_FAILED = ("failed", "error")
#: outcomes that say nothing about pass or fail (an xfail fails as expected every time)
_NOT_RUN = ("skipped", "xfailed")
_CHUNK = 500  # test ids per query, well under SQLite's bound-parameter limit


@dataclass(frozen=True)
class FlakyTest:
    """A test seen both passing and failing on identical inputs."""

    test_id: str
    runs: int  # outcomes recorded (skips excluded)
    failures: int
    flips: int  # pass<->fail changes between consecutive outcomes
    flip_rate: float  # flips / (runs - 1)
    flaky_commits: int  # commits on which it both passed and failed
    first_seen: float  # first failure on a commit where it also passed
    last_seen: float  # last such failure


def flaky_tests(
    db: sqlite3.Connection, since: float | None = None, only: set[str] | None = None
) -> list[FlakyTest]:
    """Every flaky test in the window, most flips first.

    Only a test that failed at least once can be flaky, so the query starts from the recorded
    failures (a small indexed table) and reads each run's set of tests only to see where those
    few tests passed.
    """
    window = since or 0.0
    candidates: dict[int, str]
    if only is None:
        candidates = {
            int(row[0]): str(row[1])
            for row in db.execute(
                "SELECT DISTINCT t.test, i.test_id FROM test_results t"
                " JOIN test_ids i ON t.test = i.id JOIN checks c ON t.check_id = c.id"
                " JOIN runs r ON c.run = r.id"
                " WHERE t.outcome IN ('failed', 'error') AND r.started >= ?",
                (window,),
            )
        }
    else:
        wanted = sorted(only)
        candidates = {}
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            query = (
                f"SELECT id, test_id FROM test_ids WHERE test_id IN ({','.join('?' * len(chunk))})"  # noqa: S608 - placeholders only
            )
            candidates.update((int(r[0]), str(r[1])) for r in db.execute(query, chunk))
    if not candidates:
        return []
    recorded = _non_passing(db, sorted(candidates))
    sets = SetReader(db)
    by_test: dict[int, list[tuple[str, float, tuple[str, str, str]]]] = {}
    for check_id, set_id, started, commit, worktree, python, os_name in db.execute(
        "SELECT c.id, tr.test_set, r.started, r.commit_sha, r.worktree, c.python, r.os"
        " FROM test_runs tr JOIN checks c ON tr.check_id = c.id JOIN runs r ON c.run = r.id"
        " WHERE r.started >= ? ORDER BY r.started, c.id",
        (window,),
    ):
        # the same commit with other uncommitted content is other inputs: an edit tried and
        # reverted is not a flake
        inputs = (f"{commit}+{worktree}" if worktree else str(commit), str(python), str(os_name))
        special = recorded.get(int(check_id), {})
        for test in candidates:
            if sets.position(int(set_id), test) < 0:
                continue
            outcomes = special.get(test, [])
            first = next((o for o, attempt in outcomes if not attempt), "passed")
            seen = [first, *(o for o, attempt in outcomes if attempt)]
            rows = by_test.setdefault(test, [])
            rows.extend((o, float(started), inputs) for o in seen if o not in _NOT_RUN)
    found = [
        t
        for t in (_assess(candidates[test], rows) for test, rows in by_test.items())
        if t is not None and t.test_id
    ]
    return sorted(found, key=lambda t: (-t.flips, -t.last_seen, t.test_id))


def _non_passing(
    db: sqlite3.Connection, tests: list[int]
) -> dict[int, dict[int, list[tuple[str, int]]]]:
    """check id -> test -> [(outcome, attempt)] of the outcomes other than a first-time pass."""
    found: dict[int, dict[int, list[tuple[str, int]]]] = {}
    for start in range(0, len(tests), _CHUNK):
        chunk = tests[start : start + _CHUNK]
        query = (
            "SELECT check_id, test, outcome, attempt FROM test_results"  # noqa: S608 - placeholders only
            f" WHERE test IN ({','.join('?' * len(chunk))}) ORDER BY rowid"
        )
        for check_id, test, outcome, attempt in db.execute(query, chunk):
            per_check = found.setdefault(int(check_id), {})
            per_check.setdefault(int(test), []).append((str(outcome), int(attempt)))
    return found


def _assess(test_id: str, rows: list[tuple[str, float, tuple[str, str, str]]]) -> FlakyTest | None:
    outcomes: dict[tuple[str, str, str], set[bool]] = {}
    for outcome, _, inputs in rows:
        if inputs[0]:  # without a commit, "the same inputs" cannot be shown
            outcomes.setdefault(inputs, set()).add(outcome in _FAILED)
    flaky_inputs = {inputs for inputs, seen in outcomes.items() if len(seen) == 2}
    if not flaky_inputs:
        return None
    failed = [outcome in _FAILED for outcome, _, _ in rows]
    flips = sum(a != b for a, b in itertools.pairwise(failed))
    flaky_failures = [
        when for outcome, when, inputs in rows if outcome in _FAILED and inputs in flaky_inputs
    ]
    return FlakyTest(
        test_id=test_id,
        runs=len(rows),
        failures=sum(failed),
        flips=flips,
        flip_rate=flips / (len(rows) - 1) if len(rows) > 1 else 0.0,
        flaky_commits=len({inputs[0] for inputs in flaky_inputs}),
        first_seen=min(flaky_failures),
        last_seen=max(flaky_failures),
    )


def known_flaky(root: Path, test_ids: Sequence[str]) -> list[str]:
    """Which of these failed tests (pytest node ids) the history knows to be flaky."""
    from ci_sessions.errors import HistoryError
    from ci_sessions.history.store import db_path, open_history

    if not test_ids or not (root / ".ci-sessions" / "history.db").is_file():
        return []
    try:
        with open_history(root) as db:
            flaky = {t.test_id for t in flaky_tests(db, only=set(test_ids))}
    except (HistoryError, sqlite3.Error) as exc:
        import sys

        print(f"ci-sessions: cannot read {db_path(root)}: {exc}", file=sys.stderr)
        return []
    return [t for t in test_ids if t in flaky]
