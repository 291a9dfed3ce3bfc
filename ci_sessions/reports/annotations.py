"""GitHub Actions workflow annotations: ``::error file=...,line=...::message`` on stdout.

Printed only when ``GITHUB_ACTIONS=true``; GitHub then shows each finding on the pull request's
diff. At most ``CAP`` per check (GitHub itself keeps only a few per step), and each check once per
nox invocation even though the writers run after every session of it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from ci_sessions.reports.table import gate_detail
from ci_sessions.results import CheckResult, Finding, RunRecord, Status

CAP = 50
_COMMANDS = {"error": "error", "warning": "warning", "note": "notice"}
#: run id -> labels already annotated
_DONE: dict[str, set[str]] = {}


def enabled() -> bool:
    return os.environ.get("GITHUB_ACTIONS", "").lower() == "true"


def write(root: Path, run: RunRecord) -> None:
    """Print the annotations of the checks not annotated yet in this run."""
    if not enabled():
        return
    done = _DONE.setdefault(run.run_id, set())
    lines: list[str] = []
    for result in run.results:
        if result.label in done:
            continue
        done.add(result.label)
        lines += check_annotations(result)
    if lines:
        sys.stdout.write("\n".join(lines) + "\n")
        sys.stdout.flush()


def check_annotations(result: CheckResult, cap: int = CAP) -> list[str]:
    """The annotation lines of one check: its findings, else why it failed or could not check."""
    if result.status is Status.SKIP:
        return []
    blocking = result.status.blocking
    lines = [line(f, result.label, blocking) for f in result.findings[:cap]]
    hidden = len(result.findings) - cap
    if hidden > 0:
        lines.append(
            command("warning", {"title": f"ci-sessions {result.label}"},
                    f"{hidden} more finding(s) not annotated; see .ci-sessions/reports/summary.md")
        )  # fmt: skip
    if blocking and not result.findings:  # a failed gate (coverage) or a check that could not check
        title = f"ci-sessions {result.label}"
        if result.status is Status.ERROR:
            title += ": could not check"
        lines.append(command("error", {"title": title}, gate_detail(result) or result.summary))
    return lines


def line(finding: Finding, label: str, blocking: bool) -> str:
    """One finding as an annotation; findings of passing checks are never errors."""
    level = _COMMANDS.get(finding.severity, "warning")
    if not blocking and level == "error":
        level = "warning"
    properties: dict[str, str] = {}
    if finding.path:
        properties["file"] = finding.path
        if finding.line > 0:
            properties["line"] = str(finding.line)
            if finding.column > 0:
                properties["col"] = str(finding.column)
    properties["title"] = f"{label}: {finding.rule}" if finding.rule else label
    return command(level, properties, finding.message or finding.rule)


def command(level: str, properties: dict[str, str], message: str) -> str:
    """``::level k=v,k=v::message`` with GitHub's escaping of data and property values."""
    props = ",".join(f"{key}={_escape_property(value)}" for key, value in properties.items())
    return (
        f"::{level} {props}::{_escape_data(message)}"
        if props
        else f"::{level}::{_escape_data(message)}"
    )


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")
