"""Failure categories from the packaged rules, and signatures that group recurring failures."""

from __future__ import annotations

from pathlib import Path

import pytest

from ci_sessions.errors import ConfigError
from ci_sessions.history.classify import classify_failure, load_rules, normalise, signature
from ci_sessions.history.store import TestOutcome
from ci_sessions.results import CheckResult, Finding, Status


def _result(check: str, status: Status, output: str = "", **kw: object) -> CheckResult:
    return CheckResult(check, check, status, output=output, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("check", "status", "output", "category"),
    [
        (
            "tests",
            Status.ERROR,
            "ERROR: No matching distribution found for nosuchpkg==9",
            "dependency/install",
        ),
        (
            "tests",
            Status.ERROR,
            "  x No solution found when resolving dependencies:",
            "dependency/install",
        ),
        ("tests", Status.FAIL, "E   ModuleNotFoundError: No module named 'yaml'", "import error"),
        (
            "typecheck",
            Status.ERROR,
            "urllib3 ... NewConnectionError: Name or service not known",
            "network",
        ),
        (
            "tests",
            Status.FAIL,
            "subprocess.TimeoutExpired: Command timed out after 60 seconds",
            "timeout",
        ),
        (
            "build",
            Status.ERROR,
            "PermissionError: [Errno 13] Permission denied: '/usr/lib/x'",
            "permissions",
        ),
        ("tests", Status.ERROR, "MemoryError", "out of memory"),
        ("tests", Status.ERROR, "INTERNALERROR> Traceback", "tool crash"),
        (
            "lint",
            Status.ERROR,
            "Traceback (most recent call last):\n  File x\nKeyError: 'a'",
            "tool crash",
        ),
        ("format", Status.FAIL, "Would reformat: a.py", "format"),
        ("tests", Status.FAIL, "E       assert 1 == 2", "test assertion"),
        ("tests", Status.FAIL, "1 failed", "test failure"),
        ("docs", Status.ERROR, "mkdocs: exit 1", "tool error"),
        ("docs", Status.FAIL, "", "unknown"),
    ],
)
def test_categories(check: str, status: Status, output: str, category: str) -> None:
    found = classify_failure(_result(check, status, output))
    assert found is not None
    assert found.category == category


def test_structured_findings_name_lint_and_type_errors() -> None:
    lint = _result(
        "lint", Status.FAIL, findings=[Finding("ruff", "F401", "x"), Finding("ruff", "E711", "y")]
    )
    typed = _result(
        "typecheck", Status.FAIL, findings=[Finding("pyright", "reportArgumentType", "z")]
    )
    lint_class, typed_class = classify_failure(lint), classify_failure(typed)
    assert lint_class is not None and typed_class is not None
    assert (lint_class.category, lint_class.message) == ("lint", "E711, F401")
    assert (typed_class.category, typed_class.message) == ("type error", "reportArgumentType")


def test_passing_results_are_not_classified() -> None:
    assert classify_failure(_result("lint", Status.PASS)) is None
    assert classify_failure(_result("lint", Status.WARN)) is None


def test_test_failures_use_the_failed_test_message() -> None:
    tests = [
        TestOutcome("t::ok", "passed"),
        TestOutcome("tests.t::test_x", "failed", 0, "assert 3 == 4\nmore"),
    ]
    found = classify_failure(_result("tests", Status.FAIL, "lots of output"), tests=tests)
    assert found is not None
    assert found.category == "test assertion"
    assert found.message == "tests.t::test_x: assert 3 == 4"


def test_signature_ignores_paths_numbers_and_hashes_but_not_names() -> None:
    a = "/home/ci/work/src/pkg/mod.py:12: error: object at 0x7f3a2b1c has 3 items (sha 1a2b3c4d5e6f)"
    b = "C:\\runner\\src\\pkg\\mod.py:40: error: object at 0x55aa00ff has 7 items (sha 9f8e7d6c5b4a)"
    assert (
        normalise(a) == normalise(b) == "<path>:N: error: object at <hex> has N items (sha <hex>)"
    )
    assert signature("tests", "x", a) == signature("tests", "x", b)
    assert signature("tests", "x", "No module named 'yaml'") != signature(
        "tests", "x", "No module named 'toml'"
    )
    assert signature("lint", "x", a) != signature("tests", "x", a)
    assert len(signature("lint", "x", a)) == 12


def test_recurring_failure_groups_across_runs() -> None:
    first = classify_failure(
        _result(
            "tests", Status.FAIL, "E  ModuleNotFoundError: No module named 'yaml' (/tmp/a1/x.py:3)"
        )
    )
    second = classify_failure(
        _result(
            "tests", Status.FAIL, "E  ModuleNotFoundError: No module named 'yaml' (/tmp/b9/x.py:7)"
        )
    )
    assert first is not None and second is not None
    assert first.signature == second.signature


def test_custom_rules_file_and_its_errors(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "rules:\n  - category: flaky infra\n    pattern: ['runner lost', 'disk full']\n"
    )
    found = classify_failure(
        _result("tests", Status.ERROR, "the runner lost contact"), load_rules(rules)
    )
    assert found is not None and found.category == "flaky infra"
    rules.write_text("rules:\n  - category: x\n    patern: a\n")
    with pytest.raises(ConfigError, match=r"rules\[0\]\.patern"):
        load_rules(rules)
    rules.write_text("rules:\n  - category: x\n    pattern: '('\n")
    with pytest.raises(ConfigError, match="invalid regular expression"):
        load_rules(rules)
    rules.write_text("nothing: here\n")
    with pytest.raises(ConfigError, match="rules"):
        load_rules(rules)
