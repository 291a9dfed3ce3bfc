"""The run history: every check of every run in ``.ci-sessions/history.db`` (SQLite, WAL).

A CI that remembers its runs can tell a new failure from an old flaky one. Writers take SQLite's
write lock for the whole run (``BEGIN IMMEDIATE``) and wait for each other (``busy_timeout``), so
concurrent sessions and CI imports never corrupt or lose a run. The schema is versioned with
``PRAGMA user_version`` and upgraded by the ordered ``MIGRATIONS``.
"""

from __future__ import annotations

import contextlib
import functools
import json
import sqlite3
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass
from pathlib import Path

from ci_sessions._fs import state_dir
from ci_sessions.errors import HistoryError
from ci_sessions.history.classify import Classification, classify_failure, load_rules
from ci_sessions.history.testdata import compact_old_tests, forget_unused_sets, store_tests
from ci_sessions.junit import TestOutcome, node_id, read_junit, read_outcomes
from ci_sessions.results import CheckResult, RunRecord

BUSY_TIMEOUT_MS = 60_000
MAX_OUTPUT_CHARS = 20_000  # output kept for failed checks only, to re-read a failure later
#: artifacts holding a test run's outcomes: the run, then the rerun of known-flaky failures;
#: each the plugin's outcomes file first, else the JUnit report of the same run
TEST_ARTIFACTS = (("outcomes", "junit"), ("outcomes-rerun", "junit-rerun"))
JUNIT_ARTIFACTS = tuple(key for pair in TEST_ARTIFACTS for key in pair)


def test_outcomes(
    result: CheckResult, root: Path, search: tuple[Path, ...] = ()
) -> tuple[list[TestOutcome], list[Path]]:
    """The test outcomes a result's artifacts hold, and the files they were read from."""
    outcomes: list[TestOutcome] = []
    used: list[Path] = []
    for compact, junit in TEST_ARTIFACTS:
        for key, reader in ((compact, read_outcomes), (junit, read_junit)):
            relative = result.artifacts.get(key, "")
            found = find_file(relative, root, search) if relative else None
            if found is None:
                continue
            used.append(found)
            outcomes += reader(found, root).outcomes
            break
    return outcomes, used


def _respell_test_ids(db: sqlite3.Connection, root: Path) -> None:
    """Test ids recorded as JUnit's ``pkg.module::test`` become pytest node ids where the file
    exists, the one spelling every command prints and pytest accepts."""
    rows = db.execute("SELECT DISTINCT test_id FROM tests WHERE test_id NOT LIKE '%.py::%'")
    for (old,) in rows.fetchall():
        classname, separator, name = str(old).rpartition("::")
        new = node_id(root, classname, name) if separator else str(old)
        if new != old:
            db.execute("UPDATE tests SET test_id = ? WHERE test_id = ?", (new, old))


def _compact_tests(db: sqlite3.Connection, root: Path) -> None:
    """Test ids stored once, a run's tests as a shared set plus packed durations, and only the
    outcomes other than a pass as rows (``history/testdata.py``): ~15 MB a run of 60,000 tests
    becomes a few hundred kilobytes."""
    del root
    compact_old_tests(db)


#: Migration N brings the schema to version N: SQL statements, or a function of the database and
#: the project root for what SQL alone cannot do.
MIGRATIONS: list[list[str | Callable[[sqlite3.Connection, Path], None]]] = [
    [
        """CREATE TABLE runs (
            id INTEGER PRIMARY KEY,
            run_id TEXT NOT NULL UNIQUE,
            project TEXT NOT NULL DEFAULT '',
            started REAL NOT NULL,
            finished REAL NOT NULL DEFAULT 0,
            commit_sha TEXT NOT NULL DEFAULT '',
            branch TEXT NOT NULL DEFAULT '',
            os TEXT NOT NULL DEFAULT '',
            ci INTEGER NOT NULL DEFAULT 0,
            status TEXT NOT NULL,
            sessions TEXT NOT NULL DEFAULT '[]',
            source TEXT NOT NULL DEFAULT 'local'
        )""",
        """CREATE TABLE checks (
            id INTEGER PRIMARY KEY,
            run INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            check_name TEXT NOT NULL,
            label TEXT NOT NULL,
            session TEXT NOT NULL,
            python TEXT NOT NULL DEFAULT '',
            status TEXT NOT NULL,
            duration REAL NOT NULL DEFAULT 0,
            cached INTEGER NOT NULL DEFAULT 0,
            summary TEXT NOT NULL DEFAULT '',
            findings INTEGER NOT NULL DEFAULT 0,
            category TEXT NOT NULL DEFAULT '',
            signature TEXT NOT NULL DEFAULT '',
            message TEXT NOT NULL DEFAULT '',
            output TEXT NOT NULL DEFAULT ''
        )""",
        """CREATE TABLE metrics (
            check_id INTEGER NOT NULL REFERENCES checks(id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            value REAL,
            text TEXT,
            PRIMARY KEY (check_id, name)
        )""",
        """CREATE TABLE tests (
            id INTEGER PRIMARY KEY,
            check_id INTEGER NOT NULL REFERENCES checks(id) ON DELETE CASCADE,
            test_id TEXT NOT NULL,
            outcome TEXT NOT NULL,
            duration REAL NOT NULL DEFAULT 0,
            message TEXT NOT NULL DEFAULT ''
        )""",
    ],
    [
        "CREATE INDEX runs_started ON runs(started)",
        "CREATE INDEX checks_run ON checks(run)",
        "CREATE INDEX checks_signature ON checks(signature)",
        "CREATE INDEX tests_check ON tests(check_id)",
        "CREATE INDEX tests_test_id ON tests(test_id)",
    ],
    [  # flaky detection starts from the tests that ever failed: a small partial index
        "CREATE INDEX tests_failed ON tests(test_id) WHERE outcome IN ('failed', 'error')",
    ],
    [_respell_test_ids],
    [  # every release, publish, health check, rollback and double build (history/releases.py)
        """CREATE TABLE releases (
            id INTEGER PRIMARY KEY,
            time REAL NOT NULL,
            kind TEXT NOT NULL,
            version TEXT NOT NULL DEFAULT '',
            stage TEXT NOT NULL DEFAULT '',
            url TEXT NOT NULL DEFAULT '',
            outcome TEXT NOT NULL,
            hashes TEXT NOT NULL DEFAULT '{}',
            detail TEXT NOT NULL DEFAULT '',
            commit_sha TEXT NOT NULL DEFAULT ''
        )""",
        "CREATE INDEX releases_time ON releases(time)",
    ],
    [_compact_tests],
    [  # the uncommitted content a run saw: same commit and same worktree = same inputs (flaky)
        "ALTER TABLE runs ADD COLUMN worktree TEXT NOT NULL DEFAULT ''",
    ],
]
SCHEMA_VERSION = len(MIGRATIONS)


def db_path(root: Path) -> Path:
    return state_dir(root) / "history.db"


def connect(path: Path) -> sqlite3.Connection:
    """Open (creating and migrating) a history database in autocommit mode with WAL."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    db.row_factory = sqlite3.Row
    db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    _switch_to_wal(db)
    db.execute("PRAGMA synchronous = NORMAL")
    db.execute("PRAGMA foreign_keys = ON")
    upgrade_schema(db, path)
    return db


def _switch_to_wal(db: sqlite3.Connection) -> None:
    """Turn WAL on; SQLite's busy handler does not cover this switch, so retry it ourselves."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    delay = 0.005
    while True:
        try:
            if str(db.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
                db.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.2)


def upgrade_schema(db: sqlite3.Connection, path: Path) -> None:
    """Bring the schema to ``SCHEMA_VERSION``; concurrent openers migrate exactly once."""
    if _version(db) == SCHEMA_VERSION:
        return
    with transaction(db):
        version = _version(db)
        if version > SCHEMA_VERSION:
            raise HistoryError(
                f"{path.name} has schema version {version}, newer than this ci-sessions knows "
                f"({SCHEMA_VERSION}); upgrade ci-sessions or move {path} away"
            )
        for statements in MIGRATIONS[version:]:
            for statement in statements:
                if isinstance(statement, str):
                    db.execute(statement)
                else:
                    statement(db, path.parent.parent)
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def _version(db: sqlite3.Connection) -> int:
    row = db.execute("PRAGMA user_version").fetchone()
    return int(row[0])


@contextlib.contextmanager
def transaction(db: sqlite3.Connection) -> Generator[sqlite3.Connection, None, None]:
    """A write transaction holding the write lock from its start, so writers queue, never clash."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


@contextlib.contextmanager
def open_history(root: Path) -> Generator[sqlite3.Connection, None, None]:
    db = connect(db_path(root))
    try:
        yield db
    finally:
        db.close()


def record_run(root: Path, run: RunRecord) -> None:
    """Add or refresh this run in the project's history (the sessions call it after the reports).

    Sessions of one nox invocation share a run id; each call replaces that run's earlier record,
    so the history ends with the whole invocation once.
    """
    settings = _settings(root)
    if not settings.enabled:
        return
    with open_history(root) as db:
        store_run(db, run, root=root)
        if settings.keep_days > 0:
            prune(db, time.time() - settings.keep_days * 86400)
        if settings.keep_runs > 0:
            keep_latest(db, settings.keep_runs)


@dataclass(frozen=True)
class _Settings:
    enabled: bool = True
    keep_days: int = 0
    keep_runs: int = 0


def _settings(root: Path) -> _Settings:
    """History settings; the merged config is parsed once per pyproject state and environment."""
    import os

    pyproject = root / "pyproject.toml"
    stamp = pyproject.stat().st_mtime_ns if pyproject.is_file() else 0
    env = tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("CI_SESSIONS_")))
    return _cached_settings(root.resolve(), stamp, env)


@functools.lru_cache(maxsize=16)
def _cached_settings(root: Path, stamp: int, env: tuple[tuple[str, str], ...]) -> _Settings:
    from ci_sessions.config import load_config

    del stamp  # part of the cache key only
    config = load_config(root, environ=dict(env))
    if "history" not in config.values:
        return _Settings()
    section = config.section("history")
    return _Settings(section.bool("enabled"), section.int("keep-days"), section.int("keep-runs"))


def has_run(db: sqlite3.Connection, run_id: str) -> bool:
    """Whether the history already holds the run with this id (an import of it adds nothing)."""
    return (
        db.execute("SELECT 1 FROM runs WHERE run_id = ? LIMIT 1", (run_id,)).fetchone() is not None
    )


def store_run(
    db: sqlite3.Connection,
    run: RunRecord,
    *,
    root: Path,
    source: str = "local",
    junit_search: tuple[Path, ...] = (),
) -> int:
    """Write one run with its checks, metrics and JUnit test outcomes; returns its row id."""
    rules = load_rules()
    prepared: list[tuple[CheckResult, list[TestOutcome]]] = []
    for result in run.results:
        # a cached PASS replays an earlier run: its tests did not run again, so they are not
        # new outcomes (they would inflate run counts and hide flips)
        tests = [] if result.cached else test_outcomes(result, root, junit_search)[0]
        prepared.append((result, tests))
    started = run.started or time.time()
    with transaction(db):
        db.execute("DELETE FROM runs WHERE run_id = ?", (run.run_id,))
        cursor = db.execute(
            "INSERT INTO runs (run_id, project, started, finished, commit_sha, worktree, branch, os,"
            " ci, status, sessions, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                run.run_id,
                run.project,
                started,
                run.finished or started,
                run.commit,
                run.worktree,
                run.branch,
                run.os,
                int(run.ci),
                run.status.value,
                json.dumps(run.sessions),
                source,
            ),
        )
        run_row = int(cursor.lastrowid or 0)
        for result, tests in prepared:
            _store_check(db, run_row, result, tests, classify_failure(result, rules, tests))
    return run_row


def _store_check(
    db: sqlite3.Connection,
    run_row: int,
    result: CheckResult,
    tests: list[TestOutcome],
    classification: Classification | None,
) -> None:
    category = signature = message = output = ""
    if classification is not None:
        category, signature, message = (
            classification.category,
            classification.signature,
            classification.message,
        )
    if result.status.blocking:
        output = result.output[-MAX_OUTPUT_CHARS:]
    cursor = db.execute(
        "INSERT INTO checks (run, check_name, label, session, python, status, duration, cached,"
        " summary, findings, category, signature, message, output)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            run_row,
            result.check,
            result.label,
            result.session,
            result.python or "",
            result.status.value,
            float(result.duration),
            int(result.cached),
            result.summary,
            len(result.findings),
            category,
            signature,
            message,
            output,
        ),
    )
    check_row = int(cursor.lastrowid or 0)
    metrics = dict(result.metrics)
    if tests and "tests" not in metrics:
        metrics["tests"] = len(tests)
        metrics["tests_failed"] = sum(t.outcome in ("failed", "error") for t in tests)
    for name, value in metrics.items():
        number = (
            float(value)
            if isinstance(value, (int, float)) and not isinstance(value, bool)
            else None
        )
        text = None if number is not None else str(value)
        db.execute(
            "INSERT OR REPLACE INTO metrics (check_id, name, value, text) VALUES (?, ?, ?, ?)",
            (check_row, name, number, text),
        )
    store_tests(db, check_row, tests)


def prune(db: sqlite3.Connection, before: float) -> int:
    """Forget runs started before ``before`` (epoch seconds); returns how many went."""
    with transaction(db):
        cursor = db.execute("DELETE FROM runs WHERE started < ?", (before,))
        if cursor.rowcount:
            forget_unused_sets(db)
    return cursor.rowcount


def keep_latest(db: sqlite3.Connection, runs: int) -> int:
    """Forget every run but the latest ``runs`` (``history.keep-runs``); returns how many went."""
    with transaction(db):
        cursor = db.execute(
            "DELETE FROM runs WHERE id NOT IN (SELECT id FROM runs ORDER BY started DESC, id DESC"
            " LIMIT ?)",
            (runs,),
        )
        if cursor.rowcount:
            forget_unused_sets(db)
    return cursor.rowcount


def find_file(relative: str, root: Path, search: tuple[Path, ...] = ()) -> Path | None:
    """Locate an artifact recorded relative to the run's root: in ``root`` or beside an import."""
    candidate = Path(relative)
    if candidate.is_absolute():
        return candidate if candidate.is_file() else None
    for base in (root, *search):
        if (base / candidate).is_file():
            return base / candidate
        if (base / candidate.name).is_file():
            return base / candidate.name
    return None
