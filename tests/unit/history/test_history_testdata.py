"""Test outcomes in the history: stored compactly, read back exactly, shared sets, migration."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import pytest

from ci_sessions.history import testdata
from ci_sessions.history.testdata import (
    CHUNK,
    MAX_MICROSECONDS,
    SetReader,
    compact_old_tests,
    forget_unused_sets,
    read_tests,
    recorded_durations,
    store_tests,
)
from ci_sessions.junit import TestOutcome


@pytest.fixture
def db() -> Iterator[sqlite3.Connection]:
    """The tables the test data joins with (as history/store.py makes them), and its own."""
    connection = sqlite3.connect(":memory:")
    connection.execute("CREATE TABLE runs (id INTEGER PRIMARY KEY, started REAL NOT NULL)")
    connection.execute(
        "CREATE TABLE checks (id INTEGER PRIMARY KEY, run INTEGER NOT NULL,"
        " check_name TEXT NOT NULL, python TEXT NOT NULL DEFAULT '')"
    )
    for statement in testdata.SCHEMA:
        connection.execute(statement)
    yield connection
    connection.close()


def _check(db: sqlite3.Connection, check_id: int, started: float, name: str, python: str) -> None:
    db.execute("INSERT INTO runs (id, started) VALUES (?, ?)", (check_id, started))
    db.execute(
        "INSERT INTO checks (id, run, check_name, python) VALUES (?, ?, ?, ?)",
        (check_id, check_id, name, python),
    )


def _rows(db: sqlite3.Connection, table: str) -> int:
    return int(db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])  # noqa: S608


def test_outcomes_are_read_back_as_stored(db: sqlite3.Connection) -> None:
    tests = [
        TestOutcome("t.py::b", "passed", 0.25),
        TestOutcome("t.py::a", "failed", 1.5, "assert 1 == 2"),
        TestOutcome("t.py::c", "skipped", 0.0, "no network"),
        TestOutcome("t.py::d", "error", 0.125, "fixture"),
        TestOutcome("t.py::a", "passed", 1.0),  # the rerun of the failure
    ]
    store_tests(db, 1, tests)
    back = read_tests(db, 1)
    assert sorted(back[:4], key=lambda t: t.test_id) == sorted(tests[:4], key=lambda t: t.test_id)
    assert back[4:] == [TestOutcome("t.py::a", "passed", 1.0)]
    # the common outcome costs no row of its own; the rare ones and the rerun do
    assert _rows(db, "test_results") == 4
    assert read_tests(db, 2) == []


def test_nothing_to_store_stores_nothing(db: sqlite3.Connection) -> None:
    store_tests(db, 1, [])
    assert (_rows(db, "test_runs"), _rows(db, "test_sets"), _rows(db, "test_ids")) == (0, 0, 0)


def test_runs_of_the_same_tests_share_one_set(db: sqlite3.Connection) -> None:
    same = [TestOutcome("t::a", "passed", 1.0), TestOutcome("t::b", "passed", 2.0)]
    store_tests(db, 1, same)
    store_tests(db, 2, [TestOutcome("t::b", "failed", 3.0), TestOutcome("t::a", "passed", 4.0)])
    assert _rows(db, "test_sets") == 1
    assert _rows(db, "test_ids") == 2
    assert {t.test_id: t.duration for t in read_tests(db, 2)} == {"t::a": 4.0, "t::b": 3.0}
    store_tests(db, 3, [TestOutcome("t::a", "passed", 1.0)])
    assert _rows(db, "test_sets") == 2
    assert db.execute("SELECT size FROM test_sets ORDER BY id").fetchall() == [(2,), (1,)]
    db.execute("DELETE FROM test_runs WHERE check_id = 3")
    forget_unused_sets(db)
    assert _rows(db, "test_sets") == 1
    assert len(read_tests(db, 1)) == 2  # the set still in use stays


def test_durations_are_clamped_to_what_the_array_holds(db: sqlite3.Connection) -> None:
    store_tests(
        db, 1, [TestOutcome("t::neg", "passed", -1.0), TestOutcome("t::big", "passed", 1e9)]
    )
    durations = {t.test_id: t.duration for t in read_tests(db, 1)}
    assert durations == {"t::neg": 0.0, "t::big": MAX_MICROSECONDS / 1e6}


@pytest.mark.parametrize("count", [CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK + 3])
def test_large_runs_keep_every_test(db: sqlite3.Connection, count: int) -> None:
    first = [TestOutcome(f"t::{i:05}", "passed", i / 1000) for i in range(count)]
    store_tests(db, 1, first)
    # a second run: half of the ids known, as many new ones
    second = [
        TestOutcome(f"t::{i:05}", "failed", 0.5) for i in range(count // 2, count + count // 2)
    ]
    store_tests(db, 2, second)
    assert sorted(read_tests(db, 1), key=lambda t: t.test_id) == first
    assert sorted(read_tests(db, 2), key=lambda t: t.test_id) == second
    assert _rows(db, "test_ids") == count + count // 2
    _check(db, 1, 1.0, "tests", "3.12")
    assert recorded_durations(db, "tests") == {t.test_id: t.duration for t in first}


def test_a_set_knows_where_each_test_sits(db: sqlite3.Connection) -> None:
    store_tests(db, 1, [TestOutcome(f"t::{name}", "passed") for name in "bdf"])
    numbers = dict(db.execute("SELECT test_id, id FROM test_ids").fetchall())
    store_tests(db, 2, [TestOutcome("t::a", "passed")])
    reader = SetReader(db)
    assert [reader.position(1, numbers[f"t::{n}"]) for n in "bdf"] == [0, 1, 2]
    outside = int(db.execute("SELECT id FROM test_ids WHERE test_id = 't::a'").fetchone()[0])
    assert reader.position(1, outside) == -1
    assert reader.position(1, 0) == -1
    assert list(reader.members(99)) == []


def test_recorded_durations_are_the_newest_on_that_python(db: sqlite3.Connection) -> None:
    _check(db, 1, 100.0, "tests", "3.12")
    store_tests(db, 1, [TestOutcome("t::a", "passed", 1.0), TestOutcome("t::b", "passed", 2.0)])
    _check(db, 2, 200.0, "tests", "3.12")
    store_tests(db, 2, [TestOutcome("t::a", "passed", 3.0)])  # a shard: only part of the suite
    _check(db, 3, 300.0, "tests", "3.13")
    store_tests(db, 3, [TestOutcome("t::a", "passed", 5.0)])
    _check(db, 4, 400.0, "lint", "3.12")
    store_tests(db, 4, [TestOutcome("t::a", "passed", 9.0)])
    assert recorded_durations(db, "tests", "3.12") == {"t::a": 3.0, "t::b": 2.0}
    assert recorded_durations(db, "tests") == {"t::a": 5.0, "t::b": 2.0}
    assert recorded_durations(db, "tests", "3.12", runs=1) == {"t::a": 3.0}
    # no run on that Python: any Python's figures are better than none
    assert recorded_durations(db, "tests", "3.11") == {"t::a": 5.0, "t::b": 2.0}
    assert recorded_durations(db, "tests", "3.11", runs=1) == {"t::a": 5.0}  # the same window
    assert recorded_durations(db, "docs", "3.12") == {}


def test_recorded_durations_look_at_the_newest_twenty_runs_by_default(
    db: sqlite3.Connection,
) -> None:
    _check(db, 1, 100.0, "tests", "3.12")
    store_tests(db, 1, [TestOutcome("t::old", "passed", 7.0)])  # the 21st run back
    for check_id in range(2, 22):
        _check(db, check_id, 100.0 + check_id, "tests", "3.12")
        store_tests(db, check_id, [TestOutcome("t::a", "passed", float(check_id))])
    assert recorded_durations(db, "tests") == {"t::a": 21.0}
    assert recorded_durations(db, "tests", runs=21) == {"t::a": 21.0, "t::old": 7.0}


def test_reruns_keep_their_message_and_the_tests_after_them(db: sqlite3.Connection) -> None:
    tests = [
        TestOutcome("t::a", "failed", 1.0, "boom"),
        TestOutcome("t::a", "failed", 1.0, "boom again"),  # the rerun, before the next test
        TestOutcome("t::b", "error", 0.5, "fixture"),
    ]
    store_tests(db, 1, tests)
    assert read_tests(db, 1) == [tests[0], tests[2], tests[1]]


def test_the_old_tests_table_migrates_with_its_outcomes_and_durations() -> None:
    db = sqlite3.connect(":memory:")  # a history of before the compact tables
    db.execute(
        "CREATE TABLE tests (id INTEGER PRIMARY KEY, check_id INTEGER, test_id TEXT,"
        " outcome TEXT, duration REAL, message TEXT)"
    )
    old = [
        (1, "t::a", "failed", 1.5, "boom"),
        (1, "t::b", "passed", 0.5, ""),
        (2, "t::a", "skipped", 0.0, "later"),
        (1, "t::a", "passed", 1.25, ""),
    ]
    db.executemany(
        "INSERT INTO tests (check_id, test_id, outcome, duration, message) VALUES (?, ?, ?, ?, ?)",
        old,
    )
    compact_old_tests(db)
    assert read_tests(db, 1) == [
        TestOutcome("t::a", "failed", 1.5, "boom"),
        TestOutcome("t::b", "passed", 0.5, ""),
        TestOutcome("t::a", "passed", 1.25, ""),
    ]
    assert read_tests(db, 2) == [TestOutcome("t::a", "skipped", 0.0, "later")]
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "tests" not in tables
