"""Allow-lists: matching by id, alias and path; expiry; validation errors that name key and fix."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import pytest

from ci_sessions.checks.security import allowlist
from ci_sessions.config import load_config
from ci_sessions.errors import ConfigError
from ci_sessions.results import Finding, Status

TODAY = dt.date(2026, 6, 1)


def finding(rule: str, path: str = "src/pkg/a.py") -> Finding:
    return Finding(tool="bandit", rule=rule, message="m", path=path, line=3)


def entry(ident: str, expires: str = "2027-01-01", path: str = "") -> allowlist.AllowEntry:
    return allowlist.parse_entry(
        {"id": ident, "reason": "accepted", "expires": expires, "path": path},
        "pyproject.toml",
        "sast.allow[0]",
    )


def test_active_entry_hides_its_finding_and_only_that_one() -> None:
    outcome = allowlist.apply([finding("B602"), finding("B608")], [entry("B602")], today=TODAY)
    assert [f.rule for f in outcome.kept] == ["B608"]
    assert [(f.rule, e.id) for f, e in outcome.allowed] == [("B602", "B602")]
    assert outcome.gate().status is Status.PASS


def test_expired_entry_hides_nothing_and_fails_with_a_message_naming_it() -> None:
    outcome = allowlist.apply([finding("B602")], [entry("B602", "2026-05-31")], today=TODAY)
    assert [f.rule for f in outcome.kept] == ["B602"]
    gate = outcome.gate()
    assert gate.status is Status.FAIL
    assert gate.value == 1
    assert "B602" in gate.message and "2026-05-31" in gate.message and "renew" in gate.message


def test_entry_valid_through_its_expiry_day() -> None:
    outcome = allowlist.apply([finding("B602")], [entry("B602", "2026-06-01")], today=TODAY)
    assert outcome.kept == [] and outcome.expired == []


def test_path_glob_limits_an_entry() -> None:
    allow = [entry("B101", path="tests/*")]
    outcome = allowlist.apply(
        [finding("B101", "tests/t.py"), finding("B101", "src/x.py")], allow, today=TODAY
    )
    assert [f.path for f in outcome.kept] == ["src/x.py"]


def test_ids_of_lets_an_alias_match() -> None:
    outcome = allowlist.apply(
        [finding("PYSEC-2024-1")],
        [entry("cve-2024-9")],
        today=TODAY,
        ids_of=lambda f: [f.rule, "CVE-2024-9"],
    )
    assert outcome.kept == []


def test_toml_date_and_string_date_both_work(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        textwrap.dedent(
            """
            [project]
            name = "x"
            version = "1"

            [[tool.ci-sessions.audit.allow]]
            id = "PYSEC-1"
            reason = "not reachable from our code"
            expires = 2027-01-01

            [[tool.ci-sessions.audit.allow]]
            id = "GHSA-1"
            reason = "dev-only dependency"
            expires = "2027-02-01"
            path = "requirements-dev.txt"
            """
        ),
        encoding="utf-8",
    )
    entries = allowlist.entries(load_config(tmp_path, environ={}), "audit")
    assert [(e.id, e.expires) for e in entries] == [
        ("PYSEC-1", dt.date(2027, 1, 1)),
        ("GHSA-1", dt.date(2027, 2, 1)),
    ]
    assert entries[1].path == "requirements-dev.txt"


@pytest.mark.parametrize(
    ("row", "key", "words"),
    [
        ('id = "B1"\nreason = "r"', "sast.allow[0].expires", "is required"),
        ('id = "B1"\nreason = "r"\nexpires = "next year"', "sast.allow[0].expires", "not a date"),
        (
            'id = "B1"\nreason = "r"\nexpires = "2027-01-01"\nwhy = "x"',
            "sast.allow[0].why",
            "unknown key",
        ),
    ],
)
def test_bad_entries_are_config_errors_naming_the_key(
    tmp_path: Path, row: str, key: str, words: str
) -> None:
    (tmp_path / "pyproject.toml").write_text(
        f'[project]\nname = "x"\nversion = "1"\n\n[[tool.ci-sessions.sast.allow]]\n{row}\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as caught:
        allowlist.entries(load_config(tmp_path, environ={}), "sast")
    assert caught.value.key == key
    assert words in caught.value.render()
    assert "pyproject.toml" in caught.value.render()


def test_allow_must_be_a_list_of_tables(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\nversion = "1"\n\n[tool.ci-sessions.secrets]\nallow = "B1"\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="list of tables"):
        load_config(tmp_path, environ={})


def test_an_entry_that_is_not_a_table_is_a_config_error_naming_it() -> None:
    with pytest.raises(ConfigError) as caught:
        allowlist.parse_entry("B105", "pyproject.toml", "sast.allow[0]")
    assert caught.value.key == "sast.allow[0]" and "not a table" in caught.value.render()
