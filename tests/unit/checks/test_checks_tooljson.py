"""Tool JSON read through validating readers: wrong shapes are skipped or refused, never cast."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ci_sessions.checks import tooljson
from ci_sessions.checks.pyright import read_report
from ci_sessions.checks.ruff import read_diagnostics

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


def test_checks_read_tool_json_without_cast() -> None:
    done = ["ruff.py", "pyright.py", "tooljson.py"]
    for name in done:
        source = (CHECKS / name).read_text(encoding="utf-8")
        assert not re.search(r"\bcast\(", source), f"checks/{name} casts"
