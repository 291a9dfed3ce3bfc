"""The findings baseline: multiset matching, line independence, growth refusal."""

from __future__ import annotations

from pathlib import Path

import pytest

from ci_sessions import baseline
from ci_sessions._fs import atomic_write_text
from ci_sessions.baseline import accepted
from ci_sessions.config import load_config
from ci_sessions.errors import ConfigError
from ci_sessions.results import CheckResult, Finding, Status

SOURCE = "import os\nimport sys\n\n\ndef f():\n    return 1\n"


def _finding(line: int, rule: str = "F401", message: str = "`os` imported but unused") -> Finding:
    return Finding(tool="ruff", rule=rule, message=message, path="pkg/mod.py", line=line)


def _result(*findings: Finding, check: str = "lint", status: Status = Status.FAIL) -> CheckResult:
    return CheckResult(check=check, session=check, status=status, findings=list(findings))


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "mod.py").write_text(SOURCE, encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "demo"\n', encoding="utf-8")
    return tmp_path


def _write_baseline(root: Path, *results: CheckResult) -> None:
    atomic_write_text(
        root / "ci-sessions-baseline.json", baseline.from_results(root, results).render()
    )


def test_accepted_findings_are_removed_and_counted(project: Path) -> None:
    _write_baseline(project, _result(_finding(1)))
    config = load_config(project, environ={})
    out = baseline.apply(
        project, config, _result(_finding(1), _finding(2, message="`sys` imported but unused"))
    )
    assert [f.line for f in out.findings] == [2]
    assert out.metrics["baselined"] == 1


def test_fingerprint_survives_edits_elsewhere(project: Path) -> None:
    _write_baseline(project, _result(_finding(1)))
    # three new lines above: the same finding is now on line 4
    (project / "pkg" / "mod.py").write_text("# a\n# b\n# c\n" + SOURCE, encoding="utf-8")
    out = baseline.apply(project, load_config(project, environ={}), _result(_finding(4)))
    assert out.findings == []
    assert out.metrics["baselined"] == 1


def test_multiset_a_second_identical_finding_is_new(project: Path) -> None:
    _write_baseline(project, _result(_finding(1)))
    out = baseline.apply(
        project, load_config(project, environ={}), _result(_finding(1), _finding(1))
    )
    assert len(out.findings) == 1


def test_changed_source_line_is_a_new_finding(project: Path) -> None:
    _write_baseline(project, _result(_finding(1)))
    (project / "pkg" / "mod.py").write_text(
        SOURCE.replace("import os", "import os as o"), encoding="utf-8"
    )
    out = baseline.apply(project, load_config(project, environ={}), _result(_finding(1)))
    assert len(out.findings) == 1


def test_only_checks_declared_baselined_are_ever_baselined() -> None:
    from ci_sessions.baseline.record import baselined_checks
    from ci_sessions.checks.registry import load_check

    assert baselined_checks() == ["lint", "format", "typecheck", "sast", "secrets"]
    assert not load_check("audit").baselined  # a vulnerability found tomorrow is never old
    assert not load_check("tests").baselined  # a test failure is never accepted


def test_errors_and_disabled_baseline_are_untouched(project: Path) -> None:
    _write_baseline(project, _result(_finding(1)))
    config = load_config(project, environ={})
    errored = _result(_finding(1), status=Status.ERROR)
    assert baseline.apply(project, config, errored) is errored
    off = load_config(project, environ={"CI_SESSIONS_USE_BASELINE": "false"})
    assert len(baseline.apply(project, off, _result(_finding(1))).findings) == 1


def test_no_baseline_file_changes_nothing(project: Path) -> None:
    result = _result(_finding(1))
    assert baseline.apply(project, load_config(project, environ={}), result) is result


def test_compare_detects_growth_only(project: Path) -> None:
    old = baseline.from_results(project, [_result(_finding(1), _finding(2, message="`sys`"))])
    shrunk = baseline.from_results(project, [_result(_finding(1))])
    assert not baseline.compare(old, shrunk).grows
    grown = baseline.from_results(project, [_result(_finding(1), _finding(1))])
    change = baseline.compare(old, grown)
    assert change.grows
    assert sum(change.added.values()) == 1


def test_malformed_file_names_the_fix(project: Path) -> None:
    (project / "ci-sessions-baseline.json").write_text(
        '{"findings": [{"rule": "F401"}]}', encoding="utf-8"
    )
    with pytest.raises(ConfigError, match=r"findings\[0\]"):
        baseline.apply(project, load_config(project, environ={}), _result(_finding(1)))


def test_message_numbers_do_not_pin_lines() -> None:
    assert accepted.normalise_message(
        "redefinition of `x` from line 3"
    ) == accepted.normalise_message("redefinition of `x` from line 12")
