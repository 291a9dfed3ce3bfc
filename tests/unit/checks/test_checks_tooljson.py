"""Tool JSON read through validating readers: wrong shapes are skipped or refused, never cast."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ci_sessions.checks import tooljson
from ci_sessions.checks.coverage import read_report as read_coverage
from ci_sessions.checks.pyright import read_report
from ci_sessions.checks.pytest import kept_outcomes
from ci_sessions.checks.ruff import read_diagnostics
from ci_sessions.checks.security.audit import read_dependencies
from ci_sessions.checks.security.bandit import read_errors, read_issues
from ci_sessions.checks.security.secrets import _secrets

CHECKS = Path(__file__).parents[3] / "ci_sessions" / "checks"


def test_the_readers_take_members_only_of_the_type_they_declare() -> None:
    data: tooljson.JsonObject = {"n": 3, "b": True, "f": 1.5, "s": "x", "l": ["a", 1], "o": {}}
    assert tooljson.integer(data, "n") == 3 and tooljson.integer(data, "b") == 0
    assert tooljson.integer(data, "f", -1) == -1 and tooljson.integer(data, "gone", 7) == 7
    assert tooljson.number(data, "f") == 1.5 and tooljson.number(data, "b") == 0.0
    assert tooljson.text(data, "s") == "x" and tooljson.text(data, "n") == "3"
    assert tooljson.text(data, "l", "d") == "d" and tooljson.text(data, "b", "d") == "d"
    assert tooljson.strings(data, "l") == ["a"] and tooljson.strings(data, "s") == []
    assert tooljson.member(data, "s") == {} and tooljson.members(data, "o") == []
    assert tooljson.objects([{"a": 1}, 2, None]) == [{"a": 1}] and tooljson.objects({}) == []
    with pytest.raises(ValueError, match=r"report\.json: expected a JSON object, got list"):
        tooljson.as_object([], "report.json")
    with pytest.raises(ValueError, match="expected a JSON list, got dict"):
        tooljson.as_list({}, "x")


def test_ruff_diagnostics_keep_their_fields_and_a_null_code_is_a_syntax_error() -> None:
    document = [
        {"code": "F401", "message": "unused", "filename": "/p/a.py",
         "location": {"row": 3, "column": 5}},
        {"code": None, "message": "SyntaxError", "filename": "b.py", "location": None},
        "not a diagnostic",
    ]  # fmt: skip
    diagnostics = read_diagnostics(document)
    assert diagnostics == [
        {"code": "F401", "message": "unused", "filename": "/p/a.py",
         "location": {"row": 3, "column": 5}},
        {"code": "", "message": "SyntaxError", "filename": "b.py",
         "location": {"row": 0, "column": 0}},
    ]  # fmt: skip
    assert read_diagnostics({"not": "a list"}) is None


def test_pyright_report_reads_diagnostics_and_the_files_analysed() -> None:
    document = {
        "generalDiagnostics": [
            {"file": "a.py", "severity": "error", "message": "bad\nmore", "rule": "reportX",
             "range": {"start": {"line": 4, "character": 2}}},
            {"file": "b.py", "message": "no severity, no range"},
            7,
        ],
        "summary": {"filesAnalyzed": 12},
    }  # fmt: skip
    report = read_report(document)
    assert report is not None and report["files_analyzed"] == 12
    assert report["diagnostics"] == [
        {"file": "a.py", "severity": "error", "message": "bad\nmore", "rule": "reportX",
         "line": 4, "character": 2},
        {"file": "b.py", "severity": "error", "message": "no severity, no range", "rule": "",
         "line": -1, "character": -1},
    ]  # fmt: skip
    assert read_report([]) is None
    empty = read_report({"summary": {"filesAnalyzed": "12"}})
    assert empty == {"diagnostics": [], "files_analyzed": 0}


def test_coverage_json_totals_say_whether_branches_were_measured() -> None:
    lines = read_coverage(
        {"totals": {"percent_covered": 87.5, "num_statements": 8}, "files": {"a": {}}}, "c.json"
    )
    assert lines["files"] == 1 and lines["totals"]["percent_covered"] == 87.5
    assert lines["totals"]["num_branches"] is None
    branches = read_coverage({"totals": {"num_branches": 4, "covered_branches": 3}}, "c.json")
    assert branches["totals"]["num_branches"] == 4 and branches["files"] == 0
    with pytest.raises(ValueError, match=r"c\.json: expected a JSON object"):
        read_coverage([1], "c.json")


def test_bandit_issues_and_errors_are_read_whatever_their_shape() -> None:
    report = {
        "results": [{"test_id": "B105", "issue_severity": "low", "line_number": 3}, "junk"],
        "errors": [{"filename": "bad.py", "reason": "syntax error"}, "not an object"],
    }
    [issue] = read_issues(report)
    assert issue["issue_severity"] == "LOW" and issue["issue_confidence"] == "UNDEFINED"
    assert issue["line_number"] == 3 and issue["col_offset"] == 0
    assert read_errors(report) == [
        {"filename": "bad.py", "reason": "syntax error"},
        {"filename": "", "reason": ""},  # still a file bandit could not scan: counted
    ]
    assert read_issues({}) == [] and read_errors({"errors": None}) == []


def test_detect_secrets_results_take_their_file_from_the_key_unless_they_name_one() -> None:
    report = {"results": {"a.py": [{"type": "AWS Access Key", "hashed_secret": "h", "line_number": 2},
                                   "junk"],
                          "b.py": "not a list"}}  # fmt: skip
    assert _secrets(report) == [
        {"filename": "a.py", "type": "AWS Access Key", "hashed_secret": "h", "line_number": 2}
    ]
    assert _secrets({"results": []}) == []


def test_kept_test_outcomes_of_another_shape_are_never_a_pass() -> None:
    assert kept_outcomes([["t::a", "passed", 0.1], ["t::b", "skipped", 0.0]]) == [
        "passed",
        "skipped",
    ]
    assert kept_outcomes([["t::a"], "x", ["t::b", 1, 0.0]]) == ["unknown"] * 3
    assert kept_outcomes(None) == []


def test_pip_audit_dependencies_keep_vulns_skips_and_whether_a_version_was_said() -> None:
    report = {
        "dependencies": [
            {"name": "jinja2", "version": "2.0", "vulns": [
                {"id": "PYSEC-1", "fix_versions": ["2.1", 3], "aliases": ["CVE-1"]}, "junk"]},
            {"name": "private", "skip_reason": "not on PyPI"},
            "junk",
        ]
    }  # fmt: skip
    assert read_dependencies(report) == [
        {"name": "jinja2", "version": "2.0", "skip_reason": "",
         "vulns": [{"id": "PYSEC-1", "fix_versions": ["2.1"], "aliases": ["CVE-1"]}]},
        {"name": "private", "version": None, "skip_reason": "not on PyPI", "vulns": []},
    ]  # fmt: skip


def test_no_check_casts() -> None:
    files = sorted(CHECKS.glob("**/*.py"))
    assert len(files) > 30 and CHECKS / "security" / "advisories.py" in files
    casting = [
        path.relative_to(CHECKS).as_posix()
        for path in files
        if re.search(r"\bcast\(", path.read_text(encoding="utf-8"))
    ]
    assert casting == [], f"checks/ modules that cast: {casting}"


def test_yaml_and_config_guards_take_any_mapping_and_lists_or_tuples() -> None:
    from types import MappingProxyType

    assert tooljson.is_mapping({1: "x"}) and tooljson.is_mapping(MappingProxyType({}))
    assert not tooljson.is_mapping([("a", 1)]) and not tooljson.is_mapping("a")
    assert tooljson.is_sequence(("a",)) and tooljson.is_sequence(["a"])
    assert not tooljson.is_sequence("ab") and not tooljson.is_sequence({"a": 1})
