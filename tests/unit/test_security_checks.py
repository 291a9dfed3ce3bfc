"""Pure parts of the security checks: security levels, output parsers, locating dependencies."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ci_sessions.checks import precommit
from ci_sessions.checks.security import audit, bandit, secrets
from ci_sessions.checks.security.levels import load_levels


def test_levels_get_stricter_from_low_to_critical() -> None:
    levels = load_levels()
    assert list(levels) == ["low", "medium", "high", "critical"]
    b602 = ("HIGH", "HIGH")
    b608 = ("MEDIUM", "MEDIUM")
    b404 = ("LOW", "HIGH")
    assert [levels[n].sast.blocks(*b602) for n in levels] == [True, True, True, True]
    assert [levels[n].sast.blocks(*b608) for n in levels] == [False, False, True, True]
    assert [levels[n].sast.blocks(*b404) for n in levels] == [False, False, False, True]
    # a vulnerability without a severity counts as HIGH; without a fix it fails only at critical
    assert [levels[n].audit.blocks("", True) for n in levels] == [False, True, True, True]
    assert [levels[n].audit.blocks("", False) for n in levels] == [False, False, False, True]
    assert levels["low"].audit.blocks("CRITICAL", True)
    assert not levels["medium"].audit.blocks("MODERATE", True)


BANDIT_JSON = {
    "errors": [],
    "results": [
        {
            "filename": "src/demo/shell.py",
            "line_number": 5,
            "col_offset": 11,
            "test_id": "B602",
            "issue_severity": "HIGH",
            "issue_confidence": "HIGH",
            "issue_text": "subprocess call with shell=True identified, security issue.",
            "code": "5 return subprocess.call(x, shell=True)\n",
        },
        {
            "filename": "src/demo/shell.py",
            "line_number": 1,
            "col_offset": 0,
            "test_id": "B404",
            "issue_severity": "LOW",
            "issue_confidence": "HIGH",
            "issue_text": "Consider possible security implications associated with the subprocess module.",
        },
    ],
}


def test_bandit_findings_carry_location_rule_and_level_severity(tmp_path: Path) -> None:
    policy = load_levels()["medium"].sast
    findings = bandit.parse_results(tmp_path, BANDIT_JSON, policy)
    assert [(f.rule, f.path, f.line, f.column, f.severity) for f in findings] == [
        ("B404", "src/demo/shell.py", 1, 1, "note"),
        ("B602", "src/demo/shell.py", 5, 12, "error"),
    ]
    assert "return subprocess" not in " ".join(f.message for f in findings)


def test_bandit_excludes_and_sarif_without_snippets(tmp_path: Path) -> None:
    assert bandit.exclude_args(["tests", "docs/*.py"]) == ["-x", "*/tests/*,tests/*,docs/*.py"]
    assert bandit.exclude_args([]) == []
    sarif = tmp_path / "b.sarif"
    region = {"startLine": 1, "snippet": {"text": "KEY = 'AKIA...'"}}
    sarif.write_text(json.dumps({"runs": [{"results": [{"locations": [{"region": region}]}]}]}))
    assert bandit.strip_snippets(sarif)
    assert "snippet" not in sarif.read_text() and "startLine" in sarif.read_text()
    (tmp_path / "broken.sarif").write_text("{")
    assert not bandit.strip_snippets(tmp_path / "broken.sarif")


PRECOMMIT_OUTPUT = """\
trim trailing whitespace.................................................Passed
no breakpoints...........................................................Failed
- hook id: no-breakpoint
- exit code: 1

src/demo/x.py:3:breakpoint()

check yaml...........................................(no files to check)Skipped
"""


def test_precommit_hook_rows_and_ids_are_parsed(tmp_path: Path) -> None:
    hooks = precommit.parse_hooks(PRECOMMIT_OUTPUT)
    assert [(h.name, h.hook_id, h.status) for h in hooks] == [
        ("trim trailing whitespace", "", "Passed"),
        ("no breakpoints", "no-breakpoint", "Failed"),
        ("check yaml", "", "Skipped"),
    ]
    (tmp_path / ".pre-commit-config.yaml").write_text(
        "repos:\n- repo: local\n  hooks:\n  - id: no-breakpoint\n    name: no breakpoints\n"
    )
    finding = precommit._hook_finding(tmp_path, hooks[1])  # pyright: ignore[reportPrivateUsage]
    assert (finding.path, finding.line, finding.rule) == (
        ".pre-commit-config.yaml",
        4,
        "no-breakpoint",
    )


def test_secret_findings_never_carry_the_value_or_its_hash(tmp_path: Path) -> None:
    raw = {
        "type": "AWS Access Key",
        "filename": "conf/settings.py",
        "hashed_secret": "25910f981e85ca04baf359199dd0bd4a3ae738b6",  # pragma: allowlist secret
        "line_number": 7,
    }
    finding = secrets.to_finding(tmp_path, raw)
    assert (finding.rule, finding.path, finding.line, finding.severity) == (
        "AWSKeyDetector",
        "conf/settings.py",
        7,
        "error",
    )
    assert "25910f98" not in json.dumps(finding.to_json())
    assert finding.fingerprint


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


def test_bandit_never_repeats_a_suspected_password(tmp_path: Path) -> None:
    report = {
        "results": [
            {
                "filename": "a.py",
                "line_number": 1,
                "test_id": "B105",
                "issue_severity": "LOW",
                "issue_confidence": "MEDIUM",
                "issue_text": "Possible hardcoded password: 'hunter2xyz'",  # pragma: allowlist secret
            }
        ]
    }
    (finding,) = bandit.parse_results(tmp_path, report, load_levels()["medium"].sast)
    assert "hunter2xyz" not in finding.message
    assert finding.message.startswith("Possible hardcoded password (value not shown)")
    sarif = tmp_path / "b.sarif"
    message = {"text": "Possible hardcoded password: 'hunter2xyz'"}  # pragma: allowlist secret
    sarif.write_text(json.dumps({"runs": [{"results": [{"ruleId": "B105", "message": message}]}]}))
    assert bandit.strip_snippets(sarif)
    assert "hunter2xyz" not in sarif.read_text()


def test_hooks_that_call_nox_are_found(tmp_path: Path) -> None:
    config = tmp_path / ".pre-commit-config.yaml"
    config.write_text(
        "repos:\n- repo: local\n  hooks:\n"
        "  - {id: lint, name: lint, entry: nox -s lint, language: system}\n"
        "  - {id: tests, name: tests, entry: python -m nox -s tests, language: system}\n"
        "  - {id: grep, name: grep, entry: 'breakpoint', language: pygrep}\n"
        "- repo: meta\n  hooks:\n  - id: check-hooks-apply\n"
    )
    assert precommit.nox_hooks(config) == ["lint", "tests"]
    config.write_text("repos: [")
    assert precommit.nox_hooks(config) == []
