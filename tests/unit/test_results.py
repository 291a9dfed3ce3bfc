"""Check results: the JSON form every report and the history read."""

from __future__ import annotations

import json
import platform
import shutil
import sys
import time
from pathlib import Path

import pytest
from gitrepo import git

from ci_sessions.gates import at_most
from ci_sessions.results import (
    SCHEMA_VERSION,
    Checked,
    CheckResult,
    Finding,
    Gate,
    RunRecord,
    Status,
    new_run,
    worst,
)


def test_result_round_trips_through_json() -> None:
    result = CheckResult(
        check="tests", session="essential", status=Status.FAIL, python="3.12", per_python=True,
        findings=[Finding("pytest", "test-failure", "boom", "tests/test_a.py", 3, 1)],
        gates=[at_most("failed tests", 1, 0)], metrics={"tests": 4},
    )  # fmt: skip
    again = CheckResult.from_json(result.to_json())
    assert again == result
    assert again.label == "tests-3.12"


def _full_result() -> CheckResult:
    """A result with every field away from its default, so that a lost key shows."""
    return CheckResult(
        check="tests", session="essential", status=Status.FAIL, summary="1 failed", python="3.12",
        duration=1.5, gates=[Gate("failed", Status.FAIL, 1, 0, "<=", "tests"), Gate("cov", Status.PASS, 90, 85, ">=")],
        metrics={"tests": 4, "ratio": 0.5, "tool": "pytest"},
        findings=[Finding("pytest", "test-failure", "boom", "t.py", 3, 1, "warning", "fp")],
        artifacts={"junit": "junit.xml"}, output="out", command=["pytest", "-q"], cached=True,
        package="core", per_python=True, tools=["pytest"], checked=Checked("tests", 4),
        cached_at=12.5,
    )  # fmt: skip


def test_a_run_record_round_trips_through_json() -> None:
    record = RunRecord(
        run_id="abc", project="demo", started=10.0, sessions=["essential", "lint"],
        results=[_full_result(), CheckResult(check="lint", session="lint", status=Status.PASS)],
        commit="c0ffee", branch="main", worktree="d1", os="plan9", ci=True, finished=20.0,
    )  # fmt: skip
    data = json.loads(json.dumps(record.to_json()))
    assert data["schema"] == SCHEMA_VERSION
    assert data["status"] == "FAIL"
    assert data["python_running_nox"] == f"{sys.version_info.major}.{sys.version_info.minor}"
    again = RunRecord.from_json(data)
    again.results[0].output = "out"  # the output is not part of the JSON form
    assert again == record


def test_the_json_form_of_a_result_holds_every_field() -> None:
    data = _full_result().to_json()
    assert data["label"] == "core/tests-3.12"
    assert data["per_python"] is True
    assert data["checked"] == {"what": "tests", "count": 4}
    assert data["gates"][0]["message"] == "tests"
    assert data["findings"][0]["severity"] == "warning"
    assert data["findings"][0]["fingerprint"] == "fp"
    assert CheckResult(check="a", session="a", status=Status.PASS).to_json()["checked"] is None
    assert CheckResult("a", "a", Status.PASS, duration=1.23456).to_json()["duration"] == 1.235


def test_missing_keys_read_as_the_defaults() -> None:
    assert Finding.from_json({}) == Finding("", "", "")
    assert Finding.from_json({"line": None, "column": None}).location() == ""
    result = CheckResult.from_json(
        {"check": "lint", "status": "FAIL", "gates": [{"name": "g", "status": "FAIL"}]}
    )
    assert result == CheckResult(
        check="lint", session="lint", status=Status.FAIL, gates=[Gate("g", Status.FAIL)]
    )
    assert result.gates[0].comparison == "<=" and result.gates[0].message == ""
    record = RunRecord.from_json({"run_id": "r"})
    assert record == RunRecord(run_id="r", project="", started=0.0, os="", ci=False)
    assert record.status is Status.SKIP
    assert CheckResult.from_json({"check": "a", "status": "PASS", "cached_at": None}).cached_at == 0


def test_records_without_per_python_read_it_from_the_label() -> None:
    def per_python(**data: str) -> bool:
        return CheckResult.from_json({"check": "tests", "status": "PASS", **data}).per_python

    assert per_python(python="3.12", label="tests-3.12")
    assert per_python(python="3.12", label="a/b/tests-3.12")  # a monorepo package's path
    assert not per_python(python="3.12", label="tests")
    assert not per_python(python="3.12", label="a/b/lint-3.12")
    assert not per_python(python="", label="tests-")
    assert not per_python(label="tests-None")
    assert not per_python(python="3.12", label="tests-3.12", per_python="")  # stored: it wins


def test_a_finding_is_located_as_precisely_as_it_was_reported() -> None:
    assert Finding("t", "r", "m").location() == ""
    assert Finding("t", "r", "m", line=3, column=1).location() == ""
    assert Finding("t", "r", "m", "a.py").location() == "a.py"
    assert Finding("t", "r", "m", "a.py", 3).location() == "a.py:3"
    assert Finding("t", "r", "m", "a.py", 3, 7).location() == "a.py:3:7"


def test_a_gate_describes_the_relation_that_holds() -> None:
    assert Gate("build", Status.PASS).describe() == "build"
    assert Gate("build", Status.FAIL, message="no wheel").describe() == "build: no wheel"
    assert Gate("tests", Status.PASS, value=3).describe() == "tests 3"
    assert Gate("same", Status.FAIL, "a", "b", "==").describe() == "same a != b"
    assert Gate("same", Status.PASS, "a", "a", "==").describe() == "same a == a"
    assert Gate("odd", Status.FAIL, 1, 2, "~").describe() == "odd 1 ~ 2"
    assert Gate("ratio", Status.WARN, 0.5, 1, ">=").describe() == "ratio 0.50 >= 1"


def test_what_was_checked_is_read_back_or_not_at_all() -> None:
    checked = Checked("files", 76)
    assert str(checked) == "files 76"
    assert Checked.from_json(checked.to_json()) == checked
    assert Checked.from_json({"what": "files", "count": "7"}) == Checked("files", 7)
    assert Checked.from_json(["files", 76]) is None
    assert Checked.from_json({"what": "files"}) is None
    assert Checked.from_json({"what": "files", "count": "many"}) is None
    assert Checked.from_json({"what": "files", "count": None}) is None


def test_a_package_result_is_rerooted_at_the_repository() -> None:
    root_result = _full_result()
    root_result.package = ""
    assert root_result.rerooted("", "x").findings[0].path == "t.py"
    assert root_result.package == ""
    unmoved = _full_result().rerooted("core", ".")
    assert unmoved.package == "core"
    assert unmoved.findings[0].path == "t.py" and unmoved.artifacts == {"junit": "junit.xml"}
    assert _full_result().rerooted("core", "").findings[0].path == "t.py"
    result = _full_result()
    result.findings.append(Finding("ruff", "E1", "whole project"))
    moved = result.rerooted("core", "pkgs/core")
    assert moved.package == "core"
    assert [f.path for f in moved.findings] == ["pkgs/core/t.py", ""]
    assert moved.artifacts == {"junit": "pkgs/core/junit.xml"}


def test_labels_name_the_python_only_for_per_python_checks() -> None:
    assert CheckResult("lint", "lint", Status.PASS, python="3.12").label == "lint"
    assert CheckResult("tests", "t", Status.PASS, python="3.12", per_python=True).label == (
        "tests-3.12"
    )
    assert CheckResult("tests", "t", Status.PASS, per_python=True).label == "tests"
    assert CheckResult("lint", "lint", Status.PASS, package="core").label == "core/lint"


def test_the_run_status_is_the_worst_and_an_empty_run_is_skip() -> None:
    run = RunRecord(run_id="r", project="p", started=0.0)
    assert run.status is Status.SKIP
    run.results = [CheckResult("a", "a", Status.PASS), CheckResult("b", "b", Status.SKIP)]
    assert run.status is Status.PASS
    run.results.append(CheckResult("c", "c", Status.ERROR))
    assert run.status is Status.ERROR


def test_status_order_and_blocking() -> None:
    assert worst([Status.PASS, Status.SKIP]) is Status.PASS
    assert worst([Status.SKIP]) is Status.SKIP
    assert worst([]) is Status.SKIP
    assert worst([Status.WARN, Status.FAIL]) is Status.FAIL
    assert [s for s in Status if s.blocking] == [Status.FAIL, Status.ERROR]


@pytest.mark.parametrize(("value", "ci"), [("true", True), ("1", True), ("TRUE", True), ("", False), ("0", False)])  # fmt: skip
def test_a_run_knows_whether_it_ran_on_ci(
    monkeypatch: pytest.MonkeyPatch, value: str, ci: bool
) -> None:
    monkeypatch.setenv("CI", value)
    run = RunRecord(run_id="r", project="p", started=0.0)
    assert run.ci is ci
    assert run.os == platform.system().lower()


def test_a_new_run_names_its_commit_and_what_the_work_tree_adds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GITHUB_HEAD_REF", raising=False)
    monkeypatch.delenv("GITHUB_REF_NAME", raising=False)
    git(tmp_path, "init", "-q", "-b", "trunk")
    (tmp_path / "a.txt").write_text("a\n")
    unborn = new_run(tmp_path, "p")  # a repository without a commit has no state beyond HEAD
    assert (unborn.commit, unborn.worktree) == ("", "")
    shutil.rmtree(tmp_path / ".git")
    outside = new_run(tmp_path, "p")
    assert (outside.commit, outside.worktree, outside.project) == ("", "", "p")
    assert len(outside.run_id) == 12 and outside.run_id != new_run(tmp_path, "p").run_id
    assert abs(outside.started - time.time()) < 60
    git(tmp_path, "init", "-q", "-b", "trunk")
    git(tmp_path, "add", "a.txt")
    git(tmp_path, "commit", "-q", "-m", "a")
    clean = new_run(tmp_path, "p")
    assert clean.commit == git(tmp_path, "rev-parse", "HEAD").strip()
    assert (clean.branch, clean.worktree) == ("trunk", "")
    (tmp_path / "a.txt").write_text("b\n")
    assert new_run(tmp_path, "p").worktree != ""
