"""The sast check: bandit findings, excludes, and SARIF without secrets in it."""

from __future__ import annotations

import json
from pathlib import Path

from ci_sessions.checks.security import bandit
from ci_sessions.checks.security.levels import load_levels

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


def test_files_scanned_come_from_bandits_per_file_metrics() -> None:
    report = {"metrics": {"_totals": {"loc": 3}, "src/a.py": {"loc": 1}, "src/b.py": {"loc": 2}}}
    assert bandit.scanned_files(report) == 2
    assert bandit.scanned_files({"metrics": {"_totals": {"loc": 0}}}) == 0
    assert bandit.scanned_files({}) == 0
