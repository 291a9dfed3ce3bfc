"""The history database: schema migrations, run records, JUnit outcomes, imports."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from ci_sessions.errors import HistoryImportError
from ci_sessions.history import store as history
from ci_sessions.history.importer import RunFacts, import_paths
from ci_sessions.history.testdata import read_tests
from ci_sessions.results import CheckResult, Finding, RunRecord, Status

JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="tests-3.12" errors="1" failures="1" skipped="1" tests="4"
 time="0.5" timestamp="2026-11-20T10:00:00+00:00">
<testcase classname="tests.test_a" name="test_ok" time="0.1"/>
<testcase classname="tests.test_a.TestX" name="test_bad[2]" time="0.2">
  <failure message="AssertionError: assert 2 == 3">tests/test_a.py:9: AssertionError</failure></testcase>
<testcase classname="tests.test_a" name="test_err" time="0.1"><error message="fixture 'db' not found"/></testcase>
<testcase classname="tests.test_a" name="test_skip" time="0.0"><skipped message="later"/></testcase>
</testsuite></testsuites>
"""


def _run(run_id: str, started: float, *results: CheckResult, commit: str = "c1") -> RunRecord:
    return RunRecord(
        run_id=run_id, project="p", started=started, results=list(results), commit=commit
    )


def test_fresh_database_is_at_the_latest_schema_in_wal_mode(tmp_path: Path) -> None:
    with history.open_history(tmp_path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == history.SCHEMA_VERSION == 7
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        indexes = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert {"runs", "checks", "metrics", "releases", "test_ids", "test_sets", "test_runs"} <= tables
    assert "tests" not in tables  # migration 6: one row per test became compact tables
    assert {"test_results_failed", "test_runs_set"} <= indexes
    assert (tmp_path / ".ci-sessions" / ".gitignore").is_file()


def test_version_1_database_is_migrated_keeping_its_rows(tmp_path: Path) -> None:
    path = tmp_path / ".ci-sessions" / "history.db"
    path.parent.mkdir()
    old = sqlite3.connect(path)
    for statement in history.MIGRATIONS[0]:
        old.execute(statement)
    old.execute("INSERT INTO runs (run_id, started, status) VALUES ('old', 1.0, 'PASS')")
    old.execute("PRAGMA user_version = 1")
    old.commit()
    old.close()
    with history.open_history(tmp_path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 7
        assert db.execute("SELECT run_id FROM runs").fetchall()[0][0] == "old"
        assert (
            db.execute("SELECT COUNT(*) FROM sqlite_master WHERE name = 'runs_started'").fetchone()[
                0
            ]
            == 1
        )


def test_newer_schema_is_refused_with_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / ".ci-sessions" / "history.db"
    path.parent.mkdir()
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version = 99")
    db.close()
    with pytest.raises(history.HistoryError, match="schema version 99, newer"):
        history.connect(path)


def test_record_run_replaces_the_same_run_id_and_classifies(tmp_path: Path) -> None:
    lint = CheckResult("lint", "lint", Status.FAIL, findings=[Finding("ruff", "F401", "unused")])
    history.record_run(tmp_path, _run("r1", 100.0, lint))
    tests = CheckResult(
        "tests", "tests-3.12", Status.PASS, python="3.12", per_python=True, metrics={"tests": 3}
    )
    history.record_run(tmp_path, _run("r1", 100.0, lint, tests))  # second session of the run
    with history.open_history(tmp_path) as db:
        assert db.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 1
        rows = db.execute(
            "SELECT label, status, category, signature FROM checks ORDER BY label"
        ).fetchall()
        metric = db.execute("SELECT value FROM metrics WHERE name = 'tests'").fetchone()[0]
    assert [tuple(r)[:3] for r in rows] == [("lint", "FAIL", "lint"), ("tests-3.12", "PASS", "")]
    assert len(rows[0][3]) == 12
    assert rows[1][3] == ""
    assert metric == 3.0


def test_record_run_respects_history_enabled_false(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.ci-sessions.history]\nenabled = false\n")
    history.record_run(tmp_path, _run("r1", 1.0, CheckResult("lint", "lint", Status.PASS)))
    assert not (tmp_path / ".ci-sessions" / "history.db").exists()


def test_keep_days_prunes_old_runs(tmp_path: Path) -> None:
    import time

    (tmp_path / "pyproject.toml").write_text("[tool.ci-sessions.history]\nkeep-days = 7\n")
    now = time.time()
    history.record_run(
        tmp_path, _run("old", now - 8 * 86400, CheckResult("lint", "lint", Status.PASS))
    )
    history.record_run(tmp_path, _run("new", now, CheckResult("lint", "lint", Status.PASS)))
    with history.open_history(tmp_path) as db:
        assert [r[0] for r in db.execute("SELECT run_id FROM runs")] == ["new"]
        assert db.execute("SELECT COUNT(*) FROM checks").fetchone()[0] == 1  # cascade


def test_tests_result_stores_per_test_outcomes_from_its_junit_artifact(tmp_path: Path) -> None:
    reports = tmp_path / ".ci-sessions" / "reports"
    reports.mkdir(parents=True)
    (reports / "junit-tests-3.12.xml").write_text(JUNIT)
    result = CheckResult(
        "tests", "tests-3.12", Status.FAIL, python="3.12", per_python=True,
        artifacts={"junit": ".ci-sessions/reports/junit-tests-3.12.xml"},
    )  # fmt: skip
    history.record_run(tmp_path, _run("r1", 5.0, result))
    with history.open_history(tmp_path) as db:
        outcomes = {t.test_id: t.outcome for t in read_tests(db, 1)}
        category, message = db.execute("SELECT category, message FROM checks").fetchone()
    assert outcomes["tests.test_a.TestX::test_bad[2]"] == "failed"
    assert len(outcomes) == 4
    assert category == "test assertion"
    assert message == "tests.test_a.TestX::test_bad[2]: AssertionError: assert 2 == 3"


def test_import_results_json_with_its_junit_and_a_bare_junit(tmp_path: Path) -> None:
    cell = tmp_path / "artifacts" / "cell-3.12"
    cell.mkdir(parents=True)
    (cell / "junit-tests-3.12.xml").write_text(JUNIT)
    run = _run(
        "cellrun",
        50.0,
        CheckResult("tests", "tests-3.12", Status.FAIL, python="3.12", per_python=True,
                    artifacts={"junit": ".ci-sessions/reports/junit-tests-3.12.xml"}),
    )  # fmt: skip
    (cell / "results.json").write_text(json.dumps(run.to_json()))
    bare = tmp_path / "artifacts" / "other" / "junit.xml"
    bare.parent.mkdir()
    bare.write_text(JUNIT.replace("test_ok", "test_other"))
    (tmp_path / "artifacts" / "notes.json").write_text("{}")
    root = tmp_path / "project"
    root.mkdir()
    facts = RunFacts(commit="abc", python="3.13")
    with history.open_history(root) as db:
        report = import_paths(db, root, [tmp_path / "artifacts"], facts)
        again = import_paths(db, root, [tmp_path / "artifacts"], facts)  # idempotent
        runs = db.execute("SELECT run_id, commit_sha, source FROM runs ORDER BY run_id").fetchall()
        tests = sum(len(read_tests(db, int(r[0]))) for r in db.execute("SELECT id FROM checks"))
        python = db.execute("SELECT python FROM checks c JOIN runs r ON c.run = r.id "
                            "WHERE r.run_id LIKE 'junit-%'").fetchone()[0]  # fmt: skip
    assert (report.runs, report.tests, report.known) == (2, 8, 0)
    assert (again.runs, again.tests, again.known) == (0, 0, 2)  # nothing new the second time
    assert len(again.files) == 2 and again.ignored == []
    assert runs[0][0] == "cellrun"
    assert runs[1][0].startswith("junit-") and runs[1][1] == "abc"
    assert {r[2] for r in runs} == {"import"}
    assert tests == 8
    assert python == "3.13"
    with (
        history.open_history(root) as db,
        pytest.raises(HistoryImportError, match="not a ci-sessions"),
    ):
        import_paths(db, root, [tmp_path / "artifacts" / "notes.json"], facts)


def test_rerun_junit_is_recorded_after_the_first_run(tmp_path: Path) -> None:
    (tmp_path / "first.xml").write_text(
        '<testsuite><testcase classname="t.m" name="test_x"><failure message="boom"/></testcase></testsuite>'
    )
    (tmp_path / "rerun.xml").write_text(
        '<testsuite><testcase classname="t.m" name="test_x"/></testsuite>'
    )
    result = CheckResult(
        "tests", "tests-3.12", Status.PASS, python="3.12", per_python=True,
        artifacts={"junit": "first.xml", "junit-rerun": "rerun.xml"},
    )  # fmt: skip
    history.record_run(tmp_path, _run("r1", 1.0, result))
    with history.open_history(tmp_path) as db:
        rows = [(t.test_id, t.outcome) for t in read_tests(db, 1)]
    assert rows == [("t.m::test_x", "failed"), ("t.m::test_x", "passed")]


def test_history_import_command_reports_bad_input_with_status_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from ci_sessions.history import cli as history_cli

    root = ["--root", str(tmp_path)]
    assert history_cli.main([*root, "import", str(tmp_path / "missing.xml"), "--commit", "c"]) == 2
    assert capsys.readouterr().err == (
        f"ci-sessions history import: {tmp_path / 'missing.xml'}: no such file or folder\n"
    )
    (tmp_path / "junit.xml").write_text(JUNIT)
    assert (
        history_cli.main(
            [*root, "import", str(tmp_path / "junit.xml"), "--commit", "c", "--branch", "b"]
        )
        == 0
    )
    assert "imported 1 run(s) with 4 test outcome(s) from 1 file(s)" in capsys.readouterr().out


def test_history_import_says_what_it_added_not_what_it_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from ci_sessions.history import cli as history_cli

    (tmp_path / "a.xml").write_text(JUNIT)
    (tmp_path / "b.xml").write_text(JUNIT.replace("test_ok", "test_other"))
    args = ["--root", str(tmp_path), "import", "--commit", "c", "--branch", "b"]
    assert history_cli.main([*args, str(tmp_path / "a.xml"), "--json"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert (first["runs"], first["known"]) == (1, 0)
    assert history_cli.main([*args, str(tmp_path / "a.xml"), str(tmp_path / "b.xml")]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"imported 1 run(s) with {first['tests']} test outcome(s) from 2 file(s)")
    assert "; 1 run(s) already in the history" in out
    with history.open_history(tmp_path) as db:
        assert db.execute("SELECT count(*) FROM runs").fetchone()[0] == 2
