"""A regression as a finding located at the benchmark's ``def`` line (annotations, SARIF)."""

from __future__ import annotations

import re
from pathlib import Path

from ci_sessions.results import Finding


def regression_finding(root: Path, name: str, path: str, message: str) -> Finding:
    """A finding at the benchmark's ``def`` line, for annotations and SARIF."""
    return Finding(
        tool="pytest-benchmark",
        rule="performance-regression",
        message=message,
        path=path,
        line=line_of(root, path, name) if path else 0,
        fingerprint=f"bench:{name}",
    )


def line_of(root: Path, path: str, name: str) -> int:
    """The line of ``def <test>`` so annotations point at the benchmark."""
    function = name.split("[", 1)[0]
    try:
        lines = (root / path).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return 0
    for number, line in enumerate(lines, 1):
        if re.match(rf"\s*(async\s+)?def {re.escape(function)}\b", line):
            return number
    return 0
