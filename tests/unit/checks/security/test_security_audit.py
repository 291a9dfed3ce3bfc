"""The audit check: where a package is declared, aliases, and which findings block."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ci_sessions.checks.security import audit
from ci_sessions.checks.security.levels import load_levels


def test_audit_locates_the_declaring_line_and_reads_aliases(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\ndependencies = [\n  "Six==1.16.0",\n  "requests[socks]>=2",\n]\n'
    )
    (tmp_path / "requirements-dev.txt").write_text("# tools\nzope.interface==5\n")
    assert audit.locate(tmp_path, "six") == ("pyproject.toml", 4)
    assert audit.locate(tmp_path, "requests") == ("pyproject.toml", 5)
    assert audit.locate(tmp_path, "zope-interface") == ("requirements-dev.txt", 2)
    assert audit.locate(tmp_path, "idna") == ("pyproject.toml", 0)
    finding = audit.Finding(
        tool="pip-audit", rule="PYSEC-1", message="six 1.0: PYSEC-1 [aliases: CVE-9, GHSA-2] x"
    )
    assert audit.finding_ids(finding) == ["PYSEC-1", "CVE-9", "GHSA-2"]
    assert audit.unreachable_summary(3) == "vulnerability data unreachable for 3 packages"


@pytest.mark.parametrize("direct", ["", '{"url": "file:///src/dep", "dir_info": {}}'])
def test_installed_listing_keeps_direct_urls(direct: str) -> None:
    listing = audit._parse_installed(json.dumps([["Six", "1.16.0", direct]]))  # pyright: ignore[reportPrivateUsage]
    assert listing == {"Six": ("1.16.0", "file:///src/dep" if direct else "")}


def test_audit_reports_a_vulnerability_once_and_marks_only_blocking_ones(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\ndependencies = ["six==1.16.0"]\n'
    )
    policy = load_levels()["medium"].audit
    found = audit.Audit()
    audit._add(
        found,
        tmp_path,
        policy,
        "pip-audit",
        "PYSEC-1",
        "six",
        "1.16.0",
        ["1.17.0"],
        ["CVE-1"],
        "",
        "",
    )  # pyright: ignore[reportPrivateUsage]
    # the same vulnerability from the local advisories, known by its alias: not reported twice
    audit._add(
        found, tmp_path, policy, "osv-advisories", "CVE-1", "six", "1.16.0", ["1.17.0"], [], "", ""
    )  # pyright: ignore[reportPrivateUsage]
    # a low-severity one without a fix is reported, as a warning
    audit._add(
        found, tmp_path, policy, "osv-advisories", "GHSA-2", "six", "1.16.0", [], [], "LOW", "minor"
    )  # pyright: ignore[reportPrivateUsage]
    assert [(f.rule, f.severity, f.path, f.line) for f in found.findings] == [
        ("PYSEC-1", "error", "pyproject.toml", 3),
        ("GHSA-2", "warning", "pyproject.toml", 3),
    ]
    assert found.findings[0].message == "six 1.16.0: PYSEC-1 [aliases: CVE-1] fixed in 1.17.0"
    assert "no fixed version" in found.findings[1].message


def test_a_package_pip_audit_skipped_is_not_counted_as_audited_whatever_its_spelling() -> None:
    """pip-audit names packages as PyPI normalises them (``pygments``), the environment as their
    metadata spells them (``Pygments``): PEP 503 names compare, so none is counted audited."""
    audited = {"Pygments": "2.19.1", "zope.interface": "7.0", "six": "1.16.0"}
    report = {
        "dependencies": [
            {"name": "pygments", "version": "2.19.1", "skip_reason": "not found on PyPI"},
            {"name": "zope-interface", "version": "7.0", "skip_reason": "not found on PyPI"},
            {"name": "six", "version": "1.16.0", "vulns": []},
        ]
    }
    found = audit.Audit()
    audit.read_pip_audit_report(Path(), report, audited, load_levels()["medium"].audit, found)
    assert audit.audited_count(audited, found.unreachable) == 1  # six alone had data
    assert audit.audited_count({"Pygments": "2.19.1"}, {"pygments": "no data"}) == 0
