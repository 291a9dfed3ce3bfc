"""``.ci-sessions/reports/ci-sessions.sarif``: every check's findings as one SARIF 2.1.0 log.

One run per tool (ruff, pyright, bandit, pip-audit, detect-secrets, ...), so GitHub code scanning
and other SARIF readers show each tool separately. Results come from the findings the gates
judged (after the baseline and allow-lists), never from raw tool output: a tool's own SARIF
(``result.artifacts["sarif"]``) only contributes its rule metadata (descriptions, help links,
tags), because its results may hold accepted findings or source snippets with secrets in them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, cast

from ci_sessions._fs import atomic_write_text, reports_dir
from ci_sessions.results import CheckResult, Finding, RunRecord, Status

FILENAME = "ci-sessions.sarif"
SCHEMA_URI = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
#: checks whose findings are not code-scanning alerts (a failed test is not a code location)
EXCLUDED_CHECKS = frozenset({"tests", "bench", "coverage"})
#: the tools a check runs: each gets a run even when clean (an empty run closes old alerts)
TOOL_URIS = {
    "ruff": "https://docs.astral.sh/ruff/",
    "pyright": "https://github.com/microsoft/pyright",
    "bandit": "https://bandit.readthedocs.io/",
    "pip-audit": "https://pypi.org/project/pip-audit/",
    "detect-secrets": "https://github.com/Yelp/detect-secrets",
    "twine": "https://twine.readthedocs.io/",
    "build": "https://build.pypa.io/",
    "mkdocs": "https://www.mkdocs.org/",
    "sphinx": "https://www.sphinx-doc.org/",
    "cyclonedx": "https://cyclonedx.org/",
    "pre-commit": "https://pre-commit.com/",
}
_LEVELS = {"error": "error", "warning": "warning", "note": "note", "info": "note"}
#: findings without a file (a vulnerable dependency) point at the file that declares dependencies
_DEPENDENCY_FILES = ("pyproject.toml", "setup.cfg", "setup.py", "requirements.txt")


def path_for(root: Path) -> Path:
    return reports_dir(root) / FILENAME


def write(root: Path, run: RunRecord) -> None:
    """Write the merged SARIF log of ``run`` atomically."""
    atomic_write_text(path_for(root), json.dumps(build_log(root, run.results), indent=2) + "\n")


def build_log(root: Path, results: list[CheckResult]) -> dict[str, Any]:
    """The SARIF log object: one run per tool, in the order tools first appear."""
    runs: dict[str, _RunBuilder] = {}
    for result in results:
        if result.check in EXCLUDED_CHECKS or result.status is Status.SKIP:
            continue
        native = _native_rules(root, result)
        tools = [*default_tools(result), *(f.tool for f in result.findings)]
        for tool in dict.fromkeys(tools):
            builder = runs.setdefault(tool, _RunBuilder(tool, root))
            builder.add_check(result, native)
        for finding in result.findings:
            runs[finding.tool].add_finding(finding, result.check)
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [b.build() for b in runs.values()]}


def default_tools(result: CheckResult) -> tuple[str, ...]:
    """The tools a check ran, whether or not they found something."""
    return tuple(result.tools) or (result.check,)


class _RunBuilder:
    """Accumulates the rules, results and invocation facts of one tool."""

    def __init__(self, tool: str, root: Path) -> None:
        self.tool = tool
        self.root = root
        self.rules: dict[str, dict[str, Any]] = {}
        self.native: dict[str, dict[str, Any]] = {}
        self.results: list[dict[str, Any]] = []
        self.checks: list[CheckResult] = []

    def add_check(self, result: CheckResult, native: dict[str, dict[str, Any]]) -> None:
        self.checks.append(result)
        self.native.update(native)

    def rule_index(self, rule: str) -> int:
        if rule not in self.rules:
            descriptor: dict[str, Any] = {"id": rule}
            known = self.native.get(rule)
            if known:
                for key in (
                    "name",
                    "shortDescription",
                    "fullDescription",
                    "helpUri",
                    "help",
                    "properties",
                ):
                    if key in known:
                        descriptor[key] = known[key]
            self.rules[rule] = descriptor
        return list(self.rules).index(rule)

    def add_finding(self, finding: Finding, check: str) -> None:
        rule = finding.rule or "finding"
        entry: dict[str, Any] = {
            "ruleId": rule,
            "ruleIndex": self.rule_index(rule),
            "level": _LEVELS.get(finding.severity, "warning"),
            "message": {"text": finding.message or rule},
            "properties": {"check": check},
        }
        location = self._location(finding)
        if location is not None:
            entry["locations"] = [location]
        if finding.fingerprint:
            entry["partialFingerprints"] = {"ciSessionsFingerprint/v1": finding.fingerprint}
        self.results.append(entry)

    def _location(self, finding: Finding) -> dict[str, Any] | None:
        path = finding.path
        if not path:
            path = next((f for f in _DEPENDENCY_FILES if (self.root / f).is_file()), "")
        if not path:
            return None
        physical: dict[str, Any] = {
            "artifactLocation": {"uri": _uri(path), "uriBaseId": "%SRCROOT%"}
        }
        if finding.line > 0:
            region: dict[str, Any] = {"startLine": finding.line}
            if finding.column > 0:
                region["startColumn"] = finding.column
            physical["region"] = region
        return {"physicalLocation": physical}

    def build(self) -> dict[str, Any]:
        driver: dict[str, Any] = {"name": self.tool, "rules": list(self.rules.values())}
        if self.tool in TOOL_URIS:
            driver["informationUri"] = TOOL_URIS[self.tool]
        failed = [c for c in self.checks if c.status is Status.ERROR]
        invocation: dict[str, Any] = {"executionSuccessful": not failed}
        if failed:
            invocation["toolExecutionNotifications"] = [
                {
                    "level": "error",
                    "message": {"text": f"{c.label}: {c.summary or 'could not run'}"},
                }
                for c in failed
            ]
        return {
            "tool": {"driver": driver},
            "automationDetails": {"id": f"ci-sessions/{self.tool}/"},
            "originalUriBaseIds": {"%SRCROOT%": {"uri": self.root.resolve().as_uri() + "/"}},
            "invocations": [invocation],
            "results": self.results,
            "columnKind": "unicodeCodePoints",
        }


def _uri(path: str) -> str:
    """A relative URI reference: forward slashes, spaces and ``%`` escaped."""
    from urllib.parse import quote

    return quote(path.replace("\\", "/"), safe="/")


def _native_rules(root: Path, result: CheckResult) -> dict[str, dict[str, Any]]:
    """Rule descriptors (by id) from a tool's own SARIF artifact, if it wrote one."""
    relative = result.artifacts.get("sarif")
    if not relative:
        return {}
    try:
        data = json.loads((root / relative).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    rules: dict[str, dict[str, Any]] = {}
    if not isinstance(data, dict):
        return rules
    for run in cast("list[Any]", cast("dict[str, Any]", data).get("runs") or []):
        if not isinstance(run, dict):
            continue
        tool = cast("dict[str, Any]", cast("dict[str, Any]", run).get("tool") or {})
        driver = cast("dict[str, Any]", tool.get("driver") or {})
        for rule in cast("list[Any]", driver.get("rules") or []):
            if isinstance(rule, dict) and isinstance(cast("dict[str, Any]", rule).get("id"), str):
                rules[str(cast("dict[str, Any]", rule)["id"])] = cast("dict[str, Any]", rule)
    return rules
