"""Test outcomes in the history, compactly: a run of 60,000 tests costs a few hundred kilobytes.

Each test id is stored once (``test_ids``). A run's set of tests is a sorted array of those ids,
stored once however many runs share it (``test_sets``); each test run keeps only its set and an
array of durations in microseconds (``test_runs``). Outcomes other than a pass (failed, error,
skipped) and every rerun attempt are rows of their own (``test_results``), so the common
outcome costs nothing and the rare ones stay queryable by test.
"""

from __future__ import annotations

import bisect
import hashlib
import sqlite3
import zlib
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ci_sessions.junit import TestOutcome

MAX_MICROSECONDS = 2**32 - 1
#: test ids per query, well under SQLite's bound-parameter limit
CHUNK = 500

SCHEMA = [
    "CREATE TABLE test_ids (id INTEGER PRIMARY KEY, test_id TEXT NOT NULL UNIQUE)",
    """CREATE TABLE test_sets (
        id INTEGER PRIMARY KEY,
        digest TEXT NOT NULL UNIQUE,
        size INTEGER NOT NULL,
        ids BLOB NOT NULL
    )""",
    """CREATE TABLE test_runs (
        check_id INTEGER PRIMARY KEY REFERENCES checks(id) ON DELETE CASCADE,
        test_set INTEGER NOT NULL REFERENCES test_sets(id),
        durations BLOB NOT NULL
    )""",
    """CREATE TABLE test_results (
        check_id INTEGER NOT NULL REFERENCES checks(id) ON DELETE CASCADE,
        test INTEGER NOT NULL REFERENCES test_ids(id),
        outcome TEXT NOT NULL,
        duration REAL NOT NULL DEFAULT 0,
        message TEXT NOT NULL DEFAULT '',
        attempt INTEGER NOT NULL DEFAULT 0
    )""",
    "CREATE INDEX test_runs_set ON test_runs(test_set)",
    "CREATE INDEX test_results_check ON test_results(check_id)",
    "CREATE INDEX test_results_failed ON test_results(test) WHERE outcome IN ('failed', 'error')",
]


def _pack(values: Iterable[int]) -> bytes:
    return zlib.compress(array("I", values).tobytes(), 6)


def _unpack(blob: bytes) -> array[int]:
    values = array("I")
    values.frombytes(zlib.decompress(blob))
    return values


def ids_for(db: sqlite3.Connection, test_ids: Iterable[str]) -> dict[str, int]:
    """The integer id of each test id, adding the ones not yet known."""
    wanted = set(test_ids)
    known: dict[str, int] = {}
    if len(wanted) > CHUNK:
        for row in db.execute("SELECT test_id, id FROM test_ids"):
            if row[0] in wanted:
                known[str(row[0])] = int(row[1])
    else:
        ordered = sorted(wanted)
        for start in range(0, len(ordered), CHUNK):
            chunk = ordered[start : start + CHUNK]
            marks = ",".join("?" * len(chunk))
            query = f"SELECT test_id, id FROM test_ids WHERE test_id IN ({marks})"  # noqa: S608 - placeholders only
            known.update((str(r[0]), int(r[1])) for r in db.execute(query, chunk))
    missing = sorted(wanted - known.keys())
    if missing:
        db.executemany("INSERT INTO test_ids (test_id) VALUES (?)", [(t,) for t in missing])
        for start in range(0, len(missing), CHUNK):
            chunk = missing[start : start + CHUNK]
            marks = ",".join("?" * len(chunk))
            query = f"SELECT test_id, id FROM test_ids WHERE test_id IN ({marks})"  # noqa: S608 - placeholders only
            known.update((str(r[0]), int(r[1])) for r in db.execute(query, chunk))
    return known


def store_tests(db: sqlite3.Connection, check_id: int, tests: Sequence[TestOutcome]) -> None:
    """Record one check's test outcomes (the first outcome of a test, then its reruns)."""
    if not tests:
        return
    numbers = ids_for(db, (t.test_id for t in tests))
    first: dict[int, TestOutcome] = {}
    rows: list[tuple[int, int, str, float, str, int]] = []
    for test in tests:
        number = numbers[test.test_id]
        if number in first:
            rows.append((check_id, number, test.outcome, test.duration, test.message, 1))
            continue
        first[number] = test
        if test.outcome != "passed":
            rows.append((check_id, number, test.outcome, test.duration, test.message, 0))
    members = sorted(first)
    ids_blob = _pack(members)
    digest = hashlib.sha256(array("I", members).tobytes()).hexdigest()
    found = db.execute("SELECT id FROM test_sets WHERE digest = ?", (digest,)).fetchone()
    if found is None:
        cursor = db.execute(
            "INSERT INTO test_sets (digest, size, ids) VALUES (?, ?, ?)",
            (digest, len(members), ids_blob),
        )
        set_id = int(cursor.lastrowid or 0)
    else:
        set_id = int(found[0])
    micro = (min(MAX_MICROSECONDS, max(0, round(first[n].duration * 1e6))) for n in members)
    db.execute(
        "INSERT INTO test_runs (check_id, test_set, durations) VALUES (?, ?, ?)",
        (check_id, set_id, _pack(micro)),
    )
    db.executemany(
        "INSERT INTO test_results (check_id, test, outcome, duration, message, attempt)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        rows,
    )


@dataclass
class SetReader:
    """Decoded test sets, each read from the database once per query."""

    db: sqlite3.Connection

    def __post_init__(self) -> None:
        self._members: dict[int, array[int]] = {}

    def members(self, set_id: int) -> array[int]:
        if set_id not in self._members:
            row = self.db.execute("SELECT ids FROM test_sets WHERE id = ?", (set_id,)).fetchone()
            self._members[set_id] = _unpack(bytes(row[0])) if row else array("I")
        return self._members[set_id]

    def position(self, set_id: int, test: int) -> int:
        """Where ``test`` sits in the set (-1: not in it)."""
        members = self.members(set_id)
        at = bisect.bisect_left(members, test)
        return at if at < len(members) and members[at] == test else -1


def read_tests(db: sqlite3.Connection, check_id: int) -> list[TestOutcome]:
    """Every outcome recorded for one check: each test once, then the rerun attempts."""
    row = db.execute(
        "SELECT test_set, durations FROM test_runs WHERE check_id = ?", (check_id,)
    ).fetchone()
    if row is None:
        return []
    members = SetReader(db).members(int(row[0]))
    durations = _unpack(bytes(row[1]))
    names = _names(db, members)
    special: dict[int, tuple[str, float, str]] = {}
    attempts: list[TestOutcome] = []
    for test, outcome, duration, message, attempt in db.execute(
        "SELECT test, outcome, duration, message, attempt FROM test_results WHERE check_id = ?"
        " ORDER BY rowid",
        (check_id,),
    ):
        if attempt:
            attempts.append(TestOutcome(names[int(test)], outcome, float(duration), message))
        else:
            special[int(test)] = (str(outcome), float(duration), str(message))
    outcomes: list[TestOutcome] = []
    for position, test in enumerate(members):
        outcome, _duration, message = special.get(test, ("passed", 0.0, ""))
        outcomes.append(TestOutcome(names[test], outcome, durations[position] / 1e6, message))
    return outcomes + attempts


def _names(db: sqlite3.Connection, numbers: Iterable[int]) -> dict[int, str]:
    wanted = sorted(set(numbers))
    names: dict[int, str] = {}
    if len(wanted) > CHUNK:
        chosen = set(wanted)
        for row in db.execute("SELECT id, test_id FROM test_ids"):
            if int(row[0]) in chosen:
                names[int(row[0])] = str(row[1])
        return names
    marks = ",".join("?" * len(wanted))
    query = f"SELECT id, test_id FROM test_ids WHERE id IN ({marks})"  # noqa: S608 - placeholders only
    names.update((int(r[0]), str(r[1])) for r in db.execute(query, wanted))
    return names


def recorded_durations(
    db: sqlite3.Connection, check: str, python: str = "", runs: int = 20
) -> dict[str, float]:
    """The latest recorded duration of every test (node id -> seconds) over the newest ``runs``
    test runs of ``check`` (on ``python`` when given, else any): shards of one run each record
    their own part, so several runs together cover the suite."""
    query = (
        "SELECT tr.test_set, tr.durations FROM test_runs tr JOIN checks c ON tr.check_id = c.id"
        " JOIN runs r ON c.run = r.id WHERE c.check_name = ?"
    )
    params: list[object] = [check]
    if python:
        query += " AND c.python = ?"
        params.append(python)
    query += " ORDER BY r.started DESC, c.id DESC LIMIT ?"
    params.append(runs)
    sets = SetReader(db)
    seconds: dict[int, float] = {}
    for set_id, blob in db.execute(query, params).fetchall():
        members = sets.members(int(set_id))
        for test, micro in zip(members, _unpack(bytes(blob)), strict=False):
            seconds.setdefault(test, micro / 1e6)
    if not seconds and python:
        return recorded_durations(db, check, "", runs)
    names = _names(db, seconds)
    return {names[t]: s for t, s in seconds.items() if t in names}


def forget_unused_sets(db: sqlite3.Connection) -> None:
    """Remove test sets no run refers to any more (after pruning old runs)."""
    db.execute("DELETE FROM test_sets WHERE id NOT IN (SELECT test_set FROM test_runs)")


def compact_old_tests(db: sqlite3.Connection) -> None:
    """Migration: move the one-row-per-test ``tests`` table into the compact tables."""
    for statement in SCHEMA:
        db.execute(statement)
    by_check: dict[int, list[TestOutcome]] = {}
    for check_id, test_id, outcome, duration, message in db.execute(
        "SELECT check_id, test_id, outcome, duration, message FROM tests ORDER BY id"
    ):
        by_check.setdefault(int(check_id), []).append(
            TestOutcome(str(test_id), str(outcome), float(duration), str(message))
        )
    for check_id, tests in by_check.items():
        store_tests(db, check_id, tests)
    db.execute("DROP TABLE tests")
