"""The secrets check never carries a secret's value or hash."""

from __future__ import annotations

import json
from pathlib import Path

from ci_sessions.checks.security import secrets


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


def test_files_scanned_come_from_the_verbose_log_once_each() -> None:
    log = (
        "[scan]\tINFO\tChecking file: src/pdemo/__init__.py\n"
        "[scan]\tINFO\tChecking file: pyproject.toml\n"
        "[scan]\tINFO\tChecking file: src/pdemo/__init__.py\n"
        "some other line\n"
    )
    assert secrets.scanned_files(log) == 2
    assert secrets.scanned_files("") == 0
