"""The tests check's incremental parts: which files are units, what a run lets each keep, and a
merge that never counts a kept failure as a pass."""

from __future__ import annotations

import json
from pathlib import Path

from ci_sessions.checks.base import CheckContext, ProjectFiles
from ci_sessions.checks.pytest import TestsCheck, _failure_findings
from ci_sessions.config import load_config
from ci_sessions.config.project import load_project
from ci_sessions.junit import JUnitReport, TestOutcome
from ci_sessions.results import CheckResult, Status


def context(root: Path, python: str = "3.12") -> CheckContext:
    (root / "pyproject.toml").write_text('[project]\nname = "demo"\nversion = "1"\n')
    return CheckContext(root, load_config(root, environ={}), load_project(root), python, "tests")


def run_result(root: Path, rows: list[list[object]], files: dict[str, int]) -> CheckResult:
    """A run's result as the check leaves it: its outcomes file and the plugin's record."""
    reports = root / ".ci-sessions" / "reports"
    reports.mkdir(parents=True, exist_ok=True)
    (reports / "outcomes-tests-3.12.json").write_text(
        json.dumps({"format": 1, "rootdir": str(root), "tests": rows})
    )
    reach = root / ".ci-sessions" / "cache" / "reach"
    reach.mkdir(parents=True, exist_ok=True)
    document = {"format": 1, "how": "sys.monitoring", "buckets": {},
                "files": {str(root / f): n for f, n in files.items()}}  # fmt: skip
    (reach / "tests-3.12.json").write_text(json.dumps(document))
    return CheckResult(
        check="tests", session="tests", status=Status.PASS, python="3.12",
        artifacts={"outcomes": ".ci-sessions/reports/outcomes-tests-3.12.json",
                   "reach": ".ci-sessions/cache/reach/tests-3.12.json"},
        metrics={"tests": len(rows), "passed": len(rows), "exit_code": 0},
    )  # fmt: skip


def test_a_failing_file_and_a_file_whose_tests_did_not_all_run_keep_nothing(tmp_path: Path) -> None:
    ctx = context(tmp_path)
    units = ["tests/test_a.py", "tests/test_b.py", "tests/test_c.py", "tests/test_empty.py"]
    result = run_result(
        tmp_path,
        [["tests/test_a.py::t", "passed", 0.1, ""], ["tests/test_b.py::t", "failed", 0.1, "x"],
         ["tests/test_c.py::t1", "passed", 0.1, ""]],
        {"tests/test_a.py": 1, "tests/test_b.py": 1, "tests/test_c.py": 2, "tests/test_empty.py": 0},
    )  # fmt: skip
    kept = TestsCheck().unit_results(ctx, result, units)
    assert isinstance(kept, dict)
    assert kept["tests/test_a.py"] == [["tests/test_a.py::t", "passed", 0.1]]
    assert kept["tests/test_b.py"] is None  # a failure: it runs again
    assert kept["tests/test_c.py"] is None  # two collected, one ran (-x, interrupted)
    assert kept["tests/test_empty.py"] == []


def test_pytest_running_a_file_not_counted_disowns_the_list(tmp_path: Path) -> None:
    ctx = context(tmp_path)
    result = run_result(tmp_path, [["docs/x_solution.py::t", "passed", 0.1, ""]], {})
    reason = TestsCheck().unit_results(ctx, result, ["tests/test_a.py"])
    assert isinstance(reason, str) and "docs/x_solution.py" in reason and "python_files" in reason


def test_a_kept_failure_is_never_reusable_nor_counted_as_passed(tmp_path: Path) -> None:
    check = TestsCheck()
    good = [["t.py::a", "passed", 0.1], ["t.py::b", "skipped", 0.0]]
    bad = [["u.py::a", "passed", 0.1], ["u.py::b", "failed", 0.1]]
    assert check.reusable(good) and check.reusable([])
    assert not check.reusable(bad)
    assert not check.reusable([["u.py::c", "error", 0.1]])
    result = CheckResult(check="tests", session="s", status=Status.PASS, python="3.12",
                         metrics={"tests": 1, "passed": 1, "exit_code": 0})  # fmt: skip
    merged = check.merge(context(tmp_path), result, {"t.py": good, "u.py": bad})
    assert merged.metrics["passed"] == 1 + 2
    assert merged.metrics["skipped"] == 1
    assert merged.metrics["failed"] == 1  # the kept failure is a failure
    assert merged.metrics["exit_code"] == 1


def test_units_follow_pytest_patterns_anywhere_doctests_and_python(tmp_path: Path) -> None:
    files = ProjectFiles(
        python=("src/demo/a.py", "src/demo/a.pyi", "docs/x_solution.py", "tests/test_a.py"),
        tests=("docs/x_solution.py", "tests/test_a.py"),
        doctest_files=("tests/test_notes.txt",),
    )
    check = TestsCheck()
    units = check.units(context(tmp_path), files)
    assert units == ["docs/x_solution.py", "tests/test_a.py", "tests/test_notes.txt"]
    with_modules = ProjectFiles(python=files.python, tests=files.tests, doctests=True)
    assert "src/demo/a.py" in check.units(context(tmp_path), with_modules)
    assert "src/demo/a.pyi" not in check.units(context(tmp_path), with_modules)
    old = check.units(context(tmp_path, "3.11"), files)
    assert isinstance(old, str) and "Python 3.12" in old


def test_what_a_run_recorded_never_names_a_path_outside_the_project(tmp_path: Path) -> None:
    from ci_sessions.checks.pytest_reach import observed_from, read_document

    root = tmp_path / "p"
    outside = [f"{root}/src/../../secret.txt", "/etc/passwd", "/v/site-packages/demo/../../../x.py"]
    document = {"format": 1, "how": "sys.monitoring", "buckets": {
        f"unit:{root}/tests/test_a.py": {"read": [*outside, f"{root}/tests/data.txt"],
                                          "code": {p: [1] for p in outside}},
    }}  # fmt: skip
    observed = observed_from([read_document(document, "reach.json")], root, ["src/demo"])
    unit = observed.units["tests/test_a.py"]
    assert unit.read == {"tests/data.txt"}
    assert dict(unit.code) == {}


def test_a_reach_record_of_another_shape_is_refused_and_nothing_is_kept_or_observed(
    tmp_path: Path,
) -> None:
    import pytest

    from ci_sessions.checks.pytest_reach import read_document

    good = {"format": 1, "how": "sys.monitoring", "files": {"/p/tests/test_a.py": 2},
            "marked": {"hypothesis": ["/p/tests/test_a.py"]},
            "buckets": {"unit:/p/tests/test_a.py": {"code": {"/p/a.py": [1, 3]}, "via": "",
                                                    "lazy": False, "read": ["/p/x"]}}}  # fmt: skip
    document = read_document(good, "reach.json")
    assert document["files"] == {"/p/tests/test_a.py": 2}
    assert document["buckets"]["unit:/p/tests/test_a.py"]["code"] == {"/p/a.py": [1, 3]}
    assert document["buckets"]["unit:/p/tests/test_a.py"]["listed"] == []
    bad_members = [
        {"files": {"t.py": "2"}}, {"files": {"t.py": True}}, {"files": []},
        {"marked": {"m": "t.py"}}, {"how": 1}, {"buckets": {"unit:t": []}},
        {"buckets": {"unit:t": {"code": {"a.py": ["1"]}}}},
        {"buckets": {"unit:t": {"read": ["a", 1]}}}, {"buckets": {"unit:t": {"via": 1}}},
        {"buckets": {"unit:t": {"lazy": "yes"}}}, {"buckets": {"unit:t": {"computes": 1}}},
    ]  # fmt: skip
    for bad in bad_members:
        with pytest.raises(ValueError, match=r"reach\.json"):
            read_document({**good, **bad}, "reach.json")
    # a run whose record is malformed keeps nothing and observes nothing: it all runs again
    ctx = context(tmp_path)
    result = run_result(tmp_path, [["tests/test_a.py::t", "passed", 0.1, ""]], {})
    check = TestsCheck()
    assert check.observed(ctx, result) is not None
    assert isinstance(check.unit_results(ctx, result, ["tests/test_a.py"]), dict)
    record = tmp_path / ".ci-sessions" / "cache" / "reach" / "tests-3.12.json.gw1"
    record.write_text(json.dumps({"format": 1, "how": "sys.monitoring", "files": {"t": "1"}}))
    assert check.observed(ctx, result) is None
    kept = check.unit_results(ctx, result, ["tests/test_a.py"])
    assert isinstance(kept, str) and "tests-3.12.json.gw1" in kept


def test_each_failed_test_is_a_finding_and_a_flaky_one_that_passed_again_only_a_note() -> None:
    counts = JUnitReport(
        [
            TestOutcome("tests/test_a.py::test_ok", "passed"),
            TestOutcome("tests/test_a.py::test_bad", "failed", message="assert 1 == 2\nmore"),
            TestOutcome("tests/test_b.py::test_flaky", "failed", message="timeout"),
            TestOutcome("tests/test_c.py", "error"),
            TestOutcome("doctest-module", "failed"),
        ]
    )
    findings = _failure_findings(counts, {"tests/test_b.py::test_flaky"})
    assert [(f.rule, f.severity, f.path, f.message) for f in findings] == [
        ("test-failure", "error", "tests/test_a.py", "tests/test_a.py::test_bad: assert 1 == 2"),
        (
            "flaky-test",
            "note",
            "",
            "tests/test_b.py::test_flaky: known flaky, passed on rerun (timeout)",
        ),
        ("test-failure", "error", "tests/test_c.py", "tests/test_c.py: error"),
        ("test-failure", "error", "", "doctest-module: failed"),
    ]
