"""Flaky tests: both outcomes on the same commit and inputs; flip rate and first/last seen."""

from __future__ import annotations

from pathlib import Path

from ci_sessions.history import store as history
from ci_sessions.history.flaky import flaky_tests, known_flaky
from ci_sessions.history.testdata import read_tests
from ci_sessions.results import CheckResult, RunRecord, Status


def _junit(path: Path, outcomes: dict[str, str]) -> None:
    cases = []
    for test_id, outcome in outcomes.items():
        classname, name = test_id.split("::")
        inner = '<failure message="assert False"/>' if outcome == "failed" else ""
        cases.append(
            f'<testcase classname="{classname}" name="{name}" time="0.01">{inner}</testcase>'
        )
    path.write_text(f"<testsuites><testsuite>{''.join(cases)}</testsuite></testsuites>")


def _record(
    root: Path,
    n: int,
    commit: str,
    outcomes: dict[str, str],
    python: str = "3.12",
    worktree: str = "",
) -> None:
    junit = root / f"j{n}.xml"
    _junit(junit, outcomes)
    failed = "failed" in outcomes.values()
    result = CheckResult(
        "tests", f"tests-{python}", Status.FAIL if failed else Status.PASS, python=python,
        artifacts={"junit": junit.name},
    )  # fmt: skip
    run = RunRecord(
        run_id=f"run{n}", project="p", started=1000.0 + n, results=[result], commit=commit,
        worktree=worktree,
    )  # fmt: skip
    history.record_run(root, run)


def test_flaky_needs_both_outcomes_on_the_same_commit_and_inputs(tmp_path: Path) -> None:
    a, b, c, d = "t.m::test_a", "t.m::test_b", "t.m::test_c", "t.m::test_d"
    # a flips on c1/3.12 and on c2/3.12; b fails on c1 and is fixed on c2 (not flaky);
    # c passes on 3.12 and fails on 3.13 (different inputs, not flaky); d flips on c2 only
    plan = [
        ("c1", {a: "passed", b: "failed", c: "passed", d: "passed"}, "3.12"),
        ("c1", {a: "failed", b: "failed", d: "passed"}, "3.12"),
        ("c1", {a: "passed", c: "failed"}, "3.13"),
        ("c2", {a: "failed", b: "passed", d: "failed"}, "3.12"),
        ("c2", {a: "passed", b: "passed", d: "passed"}, "3.12"),
        ("c2", {d: "failed"}, "3.12"),
    ]
    for n, (commit, outcomes, python) in enumerate(plan):
        _record(tmp_path, n, commit, outcomes, python)
    with history.open_history(tmp_path) as db:
        found = {t.test_id: t for t in flaky_tests(db)}
    assert set(found) == {a, d}
    # a: P(0) F(1) P(2, 3.13) F(3) P(4): flips 4 over 4 gaps; flaky on c1/3.12 and c2/3.12
    assert (found[a].runs, found[a].failures, found[a].flips) == (5, 2, 4)
    assert found[a].flip_rate == 1.0
    assert found[a].flaky_commits == 2
    assert (found[a].first_seen, found[a].last_seen) == (1001.0, 1003.0)
    # d: P(0) P(1) F(3) P(4) F(5): 3 flips over 4 gaps; flaky on c2 only
    assert (found[d].runs, found[d].failures, found[d].flips) == (5, 2, 3)
    assert found[d].flip_rate == 0.75
    assert found[d].flaky_commits == 1
    assert (found[d].first_seen, found[d].last_seen) == (1003.0, 1005.0)
    assert [t.test_id for t in flaky_tests_sorted(tmp_path)] == [a, d]


def flaky_tests_sorted(root: Path) -> list[object]:
    with history.open_history(root) as db:
        return list(flaky_tests(db))


def test_known_flaky_takes_node_ids_and_never_excuses_new_failures(tmp_path: Path) -> None:
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "m.py").write_text("")  # JUnit's tests.m becomes tests/m.py
    assert known_flaky(tmp_path, ["tests/m.py::test_a"]) == []  # no history yet
    for n, outcome in enumerate(["passed", "failed", "passed"]):
        _record(tmp_path, n, "c1", {"tests.m::test_a": outcome, "tests.m::test_new": "passed"})
    _record(tmp_path, 9, "c1", {"tests.m::test_new": "failed"}, python="3.13")
    asked = ["tests/m.py::test_a", "tests/m.py::test_new", "tests/m.py::test_unknown"]
    assert known_flaky(tmp_path, asked) == ["tests/m.py::test_a"]
    assert known_flaky(tmp_path, []) == []


def test_runs_without_commit_never_make_a_test_flaky(tmp_path: Path) -> None:
    for n, outcome in enumerate(["passed", "failed"]):
        _record(tmp_path, n, "", {"t.m::test_a": outcome})
    assert known_flaky(tmp_path, ["t.m::test_a"]) == []


def test_ids_recorded_in_junit_spelling_are_respelled_as_node_ids(tmp_path: Path) -> None:
    """A history written before node ids (schema 3) reads back in the one pytest spelling."""
    import sqlite3

    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "m.py").write_text("")
    path = tmp_path / ".ci-sessions" / "history.db"
    path.parent.mkdir()
    old = sqlite3.connect(path, isolation_level=None)
    for statements in history.MIGRATIONS[:3]:
        for statement in statements:
            assert isinstance(statement, str)
            old.execute(statement)
    old.execute("PRAGMA user_version = 3")
    old.execute("INSERT INTO runs (run_id, started, status) VALUES ('r', 1, 'PASS')")
    old.execute(
        "INSERT INTO checks (run, check_name, label, session, status) VALUES (1, 'tests', 't', 't', 'PASS')"
    )
    for test_id in ("tests.m.TestK::test_x[1]", "gone.mod::test_y", "bare"):
        old.execute(
            "INSERT INTO tests (check_id, test_id, outcome) VALUES (1, ?, 'passed')", (test_id,)
        )
    old.close()
    with history.open_history(tmp_path) as db:
        ids = sorted(t.test_id for t in read_tests(db, 1))
    assert ids == ["bare", "gone.mod::test_y", "tests/m.py::TestK::test_x[1]"]


def test_an_uncommitted_edit_and_its_revert_are_not_a_flake(tmp_path: Path) -> None:
    """Issue 21, item 6: pass, plant a failing edit (uncommitted), fail, revert, pass. HEAD never
    moved, but the work tree did: the inputs differ, so nothing is flaky; a flip on the same
    uncommitted state is."""
    a, b = "t.m::test_a", "t.m::test_b"
    plan = [
        ({a: "passed", b: "passed"}, ""),  # clean tree at c1
        ({a: "failed", b: "passed"}, "edit1"),  # a failing edit, not committed
        ({a: "passed", b: "passed"}, ""),  # reverted: the clean tree again
        ({a: "passed", b: "failed"}, "edit2"),  # b flips on one and the same dirty state
        ({a: "passed", b: "passed"}, "edit2"),
    ]
    for n, (outcomes, worktree) in enumerate(plan):
        _record(tmp_path, n, "c1", outcomes, worktree=worktree)
    with history.open_history(tmp_path) as db:
        assert {t.test_id for t in flaky_tests(db)} == {b}
    assert known_flaky(tmp_path, [a, b]) == [b]
