"""The one JUnit reader: outcomes, counts, and test ids that pytest accepts back."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ci_sessions.junit import node_id, parse_junit, read_junit
from ci_sessions.results import Status

JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="tests-3.12" errors="1" failures="1" skipped="1" tests="5">
<testcase classname="tests.test_a" name="test_ok" time="0.1"/>
<testcase classname="tests.test_a.TestX" name="test_bad[2]" time="0.2">
  <failure message="AssertionError: assert 2 == 3">tests/test_a.py:9: AssertionError</failure></testcase>
<testcase classname="tests.test_a" name="test_err" time="0.1"><error message="fixture 'db' not found"/></testcase>
<testcase classname="tests.test_a" name="test_skip" time="0.0"><skipped message="later"/></testcase>
<testcase classname="tests.test_a" name="test_both" time="0.3">
  <failure message="assert 0"/><error message="teardown broke"/></testcase>
<testcase classname="tests.test_a" name="test_known" time="0.1"><skipped type="pytest.xfail" message="known bug"/></testcase>
</testsuite></testsuites>
"""


def test_outcomes_counts_and_messages(tmp_path: Path) -> None:
    path = tmp_path / "junit.xml"
    path.write_text(JUNIT)
    report = parse_junit(path)
    assert [(t.test_id, t.outcome) for t in report.outcomes] == [
        ("tests.test_a::test_ok", "passed"),
        ("tests.test_a.TestX::test_bad[2]", "failed"),
        ("tests.test_a::test_err", "error"),
        ("tests.test_a::test_skip", "skipped"),
        ("tests.test_a::test_both", "failed"),  # the test's own verdict comes first
        ("tests.test_a::test_known", "xfailed"),  # ran and failed as expected: not a skip
    ]
    assert (
        report.tests, report.failures, report.errors, report.skipped, report.xfailed, report.passed
    ) == (6, 2, 1, 1, 1, 1)  # fmt: skip
    assert report.outcomes[1].message == "AssertionError: assert 2 == 3"
    assert report.outcomes[1].duration == 0.2
    assert report.status is Status.FAIL
    assert [t.test_id for t in report.failed] == [
        "tests.test_a.TestX::test_bad[2]",
        "tests.test_a::test_err",
        "tests.test_a::test_both",
    ]


def test_missing_or_broken_file_is_an_empty_report(tmp_path: Path) -> None:
    assert read_junit(tmp_path / "missing.xml").outcomes == []
    broken = tmp_path / "broken.xml"
    broken.write_text("<testsuites><testcase")
    assert read_junit(broken).status is Status.SKIP


def test_node_ids_name_the_file_when_it_exists(tmp_path: Path) -> None:
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_a.py").write_text("")
    assert (
        node_id(tmp_path, "tests.test_a.TestB", "test_bad[1]")
        == "tests/test_a.py::TestB::test_bad[1]"
    )
    assert node_id(tmp_path, "tests.test_a", "test_err") == "tests/test_a.py::test_err"
    assert node_id(tmp_path, "elsewhere.mod", "test_x") == "elsewhere.mod::test_x"
    assert node_id(None, "tests.test_a", "test_err") == "tests.test_a::test_err"


def test_ids_from_a_real_run_select_the_same_tests_in_pytest(tmp_path: Path) -> None:
    """The ids the reader gives are pasted back into pytest and select exactly those tests."""
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_m.py").write_text(
        "import pytest\n\n"
        "class TestK:\n    @pytest.mark.parametrize('n', [1, 2])\n"
        "    def test_p(self, n):\n        assert n == 1\n\n"
        "def test_plain():\n    assert False\n"
    )
    junit = tmp_path / "junit.xml"
    args = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "--rootdir",
        str(tmp_path),
    ]
    subprocess.run(
        [*args, f"--junitxml={junit}", "tests"], cwd=tmp_path, capture_output=True, check=False
    )
    failed = [t.test_id for t in parse_junit(junit, tmp_path).failed]
    assert failed == ["tests/test_m.py::TestK::test_p[2]", "tests/test_m.py::test_plain"]
    again = tmp_path / "again.xml"
    subprocess.run(
        [*args, f"--junitxml={again}", *failed], cwd=tmp_path, capture_output=True, check=False
    )
    assert [t.test_id for t in parse_junit(again, tmp_path).outcomes] == failed


def test_an_outcomes_file_renamed_after_a_read_is_not_parsed_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check reads its own file and publishes it by renaming; the history reads the
    published one: on a 60,000-test suite a second parse costs a tenth of a second."""
    from ci_sessions import junit

    parsed: list[Path] = []
    real = junit._parse_outcomes  # pyright: ignore[reportPrivateUsage]

    def counting(path: Path, root: Path | None) -> junit.JUnitReport:
        parsed.append(path)
        return real(path, root)

    monkeypatch.setattr(junit, "_parse_outcomes", counting)
    own = tmp_path / ".outcomes.json.1234"
    own.write_text(json.dumps({"format": 1, "tests": [["t.py::a", "passed", 0.1, ""]]}))
    first = junit.parse_outcomes(own, tmp_path)
    published = own.rename(tmp_path / "outcomes.json")
    again = junit.parse_outcomes(published, tmp_path)
    assert again.outcomes == first.outcomes and parsed == [own]
    published.write_text(json.dumps({"format": 1, "tests": [["t.py::b", "failed", 0.2, "x"]]}))
    changed = junit.parse_outcomes(published, tmp_path)
    assert [t.test_id for t in changed.outcomes] == ["t.py::b"] and len(parsed) == 2
