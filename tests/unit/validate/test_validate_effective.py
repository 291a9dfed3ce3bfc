"""`ci-sessions config`: the values the sessions use, with their real source (issue 12 items 13, 23)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ci_sessions.validate import effective

ROOT = Path(__file__).resolve().parents[3]

PYPROJECT = """\
[project]
name = "demo"
version = "1"
requires-python = ">=3.10"
classifiers = ["Programming Language :: Python :: 3.11", "Programming Language :: Python :: 3.12"]

[tool.coverage.report]
fail_under = 70

[[tool.ci-sessions.audit.allow]]
id = "PYSEC-2024-1"
reason = "the vulnerable function is never called"
expires = 2027-06-30
"""

PRECOMMIT = """\
repos:
  - repo: https://github.com/astral-sh/ruff-pre-commit
    rev: v0.15.2
    hooks: [{id: ruff}]
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    (tmp_path / ".pre-commit-config.yaml").write_text(PRECOMMIT, encoding="utf-8")
    for name in [n for n in __import__("os").environ if n.startswith("CI_SESSIONS_")]:
        monkeypatch.delenv(name)
    return tmp_path


def _text(project: Path, capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, str]:
    assert effective.main([str(project), *args]) == 0
    lines = capsys.readouterr().out.splitlines()
    return {line.split()[0]: line for line in lines}


def test_the_ruff_the_checks_install_is_shown_with_its_source(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shown = _text(project, capsys)
    assert shown["tools.ruff"].split(None, 1)[1] == '"ruff==0.15.2"  (.pre-commit-config.yaml)'
    # a tool the project does not pin: the packaged pin, from the defaults
    assert shown["tools.pyright"].endswith("(defaults)")


def test_derived_values_say_how_they_were_derived(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shown = _text(project, capsys)
    assert shown["python"].split(None, 1)[1] == '["3.11", "3.12"]  (classifiers)'
    assert shown["coverage.min"].split(None, 1)[1] == "70.0  ([tool.coverage.report] fail_under)"


def test_a_toml_date_in_an_allow_list_is_printed(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shown = _text(project, capsys)
    assert '"expires": "2027-06-30"' in shown["audit.allow"]
    assert effective.main([str(project), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["values"]["audit"]["allow"][0]["expires"] == "2027-06-30"
    assert data["sources"]["audit.allow"] == "pyproject.toml"
    assert data["values"]["tools"]["ruff"] == "ruff==0.15.2"


def test_environment_members_are_reported_with_their_variable(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CI_SESSIONS_TIERS_ESSENTIAL", "lint,format")
    monkeypatch.setenv("CI_SESSIONS_TIERS_QUICK", "lint")
    monkeypatch.setenv("CI_SESSIONS_CHANGES_SESSIONS_DOCS", "docs,lint")
    shown = _text(project, capsys)
    assert shown["tiers.essential"].endswith("(environment variable CI_SESSIONS_TIERS_ESSENTIAL)")
    assert shown["tiers.quick"].endswith("(environment variable CI_SESSIONS_TIERS_QUICK)")
    assert shown["tiers.full"].endswith("(defaults)")
    assert shown["changes.sessions.docs"].endswith(
        "(environment variable CI_SESSIONS_CHANGES_SESSIONS_DOCS)"
    )


def test_env_lists_the_closed_set_and_marks_what_is_set(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CI_SESSIONS_JOBS", "3")
    assert effective.main(["--env"]) == 0
    out = capsys.readouterr().out
    assert "CI_SESSIONS_LINT_MAX_FINDINGS" in out
    assert "CI_SESSIONS_TIERS_<NAME>" in out
    assert "CI_SESSIONS_JOBS" in out and "(set: '3')" in out
    assert "CI_SESSIONS_PUBLISH_INDEXES_STAGING_UPLOAD_URL" in out  # every depth


def test_the_configuration_page_lists_exactly_the_variables() -> None:
    page = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert effective.env_markdown() in page, (
        "docs/configuration.md: regenerate the table with `ci-sessions config --env --markdown`"
    )
