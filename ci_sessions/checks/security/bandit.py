"""``sast``: bandit over the project's packages (tests excluded), JSON parsed, SARIF kept.

bandit reports every severity; the security level decides which findings block (``error``) and
which are only reported. The SARIF file has its source snippets removed, so a report never carries
a line of code that might hold a credential.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar, TypedDict

from ci_sessions._fs import atomic_write_text
from ci_sessions.checks import tooljson
from ci_sessions.checks.base import (
    CheckBase,
    CheckContext,
    Environment,
    EnvSpec,
    error_result,
    pending_result,
    python_files,
    relative,
    skip_result,
)
from ci_sessions.checks.security import gate as secgate
from ci_sessions.checks.security.levels import SastPolicy, level_for, rank
from ci_sessions.checks.tooling import tool_env
from ci_sessions.results import Checked, CheckResult, Finding

#: bandit tests whose message quotes the suspected password itself
QUOTES_VALUE = ("B105", "B106", "B107")


class SastCheck(CheckBase):
    """bandit: findings at or above the security level fail the gate."""

    name: ClassVar[str] = "sast"
    tools: ClassVar[tuple[str, ...]] = ("bandit",)
    #: what bandit finds in a project on adoption day is accepted by the baseline like lint's
    baselined: ClassVar[bool] = True

    def environments(self, ctx: CheckContext) -> dict[str, EnvSpec]:
        return {"bandit": tool_env(ctx, "bandit")}

    def run(self, ctx: CheckContext, envs: Mapping[str, Environment]) -> CheckResult:
        settings = ctx.settings("sast")
        paths = settings.str_list("paths") or ctx.project.packages
        if not paths:
            return skip_result(
                ctx, self.name, "no packages found: nothing to scan (set sast.paths)"
            )
        policy = level_for(ctx.config, "sast").sast
        bandit = str(envs["bandit"].bin_dir / "bandit")
        base = [bandit, "-r", *paths, "-q", *exclude_args(settings.str_list("exclude"))]
        if "bandit" in ctx.project.tool:
            base += ["-c", "pyproject.toml"]
        base += settings.str_list("args")
        json_path = ctx.reports_dir / "bandit.json"
        sarif_path = ctx.reports_dir / "bandit.sarif"
        for stale in (json_path, sarif_path):
            stale.unlink(missing_ok=True)
        run = ctx.exec([*base, "-f", "json", "-o", str(json_path)], envs["bandit"])
        report = _read_json(json_path) if run.returncode in (0, 1) else None
        if report is None:
            return error_result(
                ctx, self.name, f"bandit failed (exit {run.returncode})", run.tail()
            )
        _drop_key(report, "code")  # source lines stay out of reports
        for item in tooljson.objects(report.get("results")):
            item["issue_text"] = redact(
                tooljson.text(item, "test_id"), tooljson.text(item, "issue_text")
            )
        atomic_write_text(json_path, json.dumps(report, indent=2) + "\n")
        errors = read_errors(report)
        if errors:
            lines = [f"{relative(ctx.root, e['filename'])}: {e['reason']}" for e in errors]
            return error_result(
                ctx, self.name, f"bandit could not scan {len(errors)} file(s)", "\n".join(lines)
            )
        scanned = scanned_files(report)
        if scanned == 0:
            return _nothing_scanned(ctx, self.name, paths, run.tail())
        findings = parse_results(ctx.root, report, policy)
        result = pending_result(
            ctx,
            self.name,
            findings=findings,
            command=run.argv,
            artifacts={"bandit-json": json_path.relative_to(ctx.root).as_posix()},
            metrics={"level": f"{policy.severity}/{policy.confidence}", "files": scanned},
            checked=Checked("files", scanned),
        )
        sarif_run = ctx.exec([*base, "-f", "sarif", "-o", str(sarif_path)], envs["bandit"])
        if sarif_run.returncode in (0, 1) and strip_snippets(sarif_path):
            result.artifacts["sarif"] = sarif_path.relative_to(ctx.root).as_posix()
        lines = [f"{f.location()}: {f.rule} {f.message}" for f in findings]
        lines.append(
            f"bandit: {len(findings)} finding(s); blocking at this level: severity >= {policy.severity} "
            f"and confidence >= {policy.confidence}"
        )
        result.output = "\n".join(lines)
        return result

    def evaluate(self, ctx: CheckContext, result: CheckResult) -> CheckResult:
        return secgate.evaluate(ctx, result, check="sast", noun="blocking findings")

    def cache_salt(self, ctx: CheckContext) -> str:
        """What else a cached PASS depends on (see secgate.cache_salt)."""
        return secgate.cache_salt(ctx, "sast")


def scanned_files(report: Mapping[str, object]) -> int:
    """Files bandit scanned: its ``metrics`` has one entry per file besides ``_totals``."""
    return sum(1 for name in tooljson.member(report, "metrics") if name != "_totals")


def _nothing_scanned(ctx: CheckContext, check: str, paths: list[str], tail: str) -> CheckResult:
    """bandit scanned no file: SKIP without Python files, else ERROR (paths or excludes select
    none of them)."""
    if python_files(ctx.root) == 0:
        return skip_result(ctx, check, "no Python files to scan", checked=Checked("files", 0))
    result = error_result(
        ctx,
        check,
        f"bandit scanned 0 files under {' '.join(paths)}: sast.paths or sast.exclude select "
        "none of the project's Python files",
        tail,
    )
    result.checked = Checked("files", 0)
    return result


def exclude_args(excludes: list[str]) -> list[str]:
    """bandit ``-x`` globs: a bare directory name excludes it at any depth."""
    patterns: list[str] = []
    for item in excludes:
        if any(ch in item for ch in "*?["):
            patterns.append(item)
        else:
            name = item.strip("/")
            patterns += [f"*/{name}/*", f"{name}/*"]
    return ["-x", ",".join(patterns)] if patterns else []


class BanditIssue(TypedDict):
    """One of ``results`` in ``bandit -f json`` (the members the check reads)."""

    test_id: str
    issue_text: str
    issue_severity: str  # upper case; UNDEFINED when missing
    issue_confidence: str
    filename: str
    line_number: int
    col_offset: int


class BanditError(TypedDict):
    """One of ``errors``: a file bandit could not scan."""

    filename: str
    reason: str


def read_issues(report: Mapping[str, object]) -> list[BanditIssue]:
    return [
        BanditIssue(
            test_id=tooljson.text(item, "test_id", "bandit"),
            issue_text=tooljson.text(item, "issue_text"),
            issue_severity=tooljson.text(item, "issue_severity", "UNDEFINED").upper(),
            issue_confidence=tooljson.text(item, "issue_confidence", "UNDEFINED").upper(),
            filename=tooljson.text(item, "filename"),
            line_number=tooljson.integer(item, "line_number"),
            col_offset=tooljson.integer(item, "col_offset"),
        )
        for item in tooljson.objects(report.get("results"))
    ]


def read_errors(report: Mapping[str, object]) -> list[BanditError]:
    """The files bandit could not scan (an entry that is not an object still counts)."""
    return [
        BanditError(
            filename=tooljson.text(item, "filename") if tooljson.is_object(item) else "",
            reason=tooljson.text(item, "reason") if tooljson.is_object(item) else "",
        )
        for item in tooljson.members(report, "errors")
    ]


def parse_results(root: Path, report: Mapping[str, object], policy: SastPolicy) -> list[Finding]:
    """Findings from bandit's JSON; ``error`` when the level blocks them."""
    findings: list[Finding] = []
    for item in read_issues(report):
        severity, confidence = item["issue_severity"], item["issue_confidence"]
        if policy.blocks(severity, confidence):
            level = "error"
        else:
            level = "warning" if rank(severity) >= rank("MEDIUM") else "note"
        rule = item["test_id"]
        findings.append(
            Finding(
                tool="bandit",
                rule=rule,
                message=f"{redact(rule, item['issue_text'])} "
                f"[severity {severity}, confidence {confidence}]",
                path=relative(root, item["filename"]),
                line=item["line_number"],
                column=item["col_offset"] + 1,
                severity=level,
            )
        )
    findings.sort(key=lambda f: (f.path, f.line, f.rule))
    return findings


def redact(test_id: str, text: str) -> str:
    """bandit's message without a quoted password (B105-B107 print the value they suspect)."""
    if test_id in QUOTES_VALUE and ":" in text:
        return text.split(":", 1)[0] + " (value not shown)"
    return text


def strip_snippets(path: Path) -> bool:
    """Remove source snippets and quoted passwords from a SARIF file in place.

    False when the file is not valid JSON.
    """
    data = _read_json(path)
    if data is None:
        return False
    _drop_key(data, "snippet")
    for run in tooljson.objects(data.get("runs")):
        for result in tooljson.objects(run.get("results")):
            message = tooljson.member(result, "message")
            if "text" in message:
                message["text"] = redact(tooljson.text(result, "ruleId"), str(message["text"]))
    atomic_write_text(path, json.dumps(data, indent=2) + "\n")
    return True


def _drop_key(node: object, key: str) -> None:
    if tooljson.is_object(node):
        node.pop(key, None)
        for value in node.values():
            _drop_key(value, key)
    elif tooljson.is_list(node):
        for value in node:
            _drop_key(value, key)


def _read_json(path: Path) -> tooljson.JsonObject | None:
    try:
        data = tooljson.load(path)
    except (OSError, ValueError):
        return None
    return data if tooljson.is_object(data) else None
