"""The structured outcome of a check: what every report, gate and history record is built from."""

from __future__ import annotations

import enum
import os
import platform
import sys
import time
import uuid
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, cast

from ci_sessions._git import head_facts, worktree_state

#: the artifact a check names to add a Markdown section of its own to the run summary
SUMMARY_SECTION = "summary-section"
#: the metric of a SKIP because something it needed is missing here (a Python, a tool): nothing
#: was checked, which a run made only of such rows must not call green
UNAVAILABLE = "unavailable"


class Status(str, enum.Enum):
    """Verdict of a check or gate. ERROR means the check could not check; it never counts as PASS."""

    PASS = "PASS"  # noqa: S105 - a verdict, not a password
    FAIL = "FAIL"
    ERROR = "ERROR"
    WARN = "WARN"
    SKIP = "SKIP"

    @property
    def blocking(self) -> bool:
        """Whether this status fails the session."""
        return self in (Status.FAIL, Status.ERROR)


def worst(statuses: list[Status]) -> Status:
    """The most severe of several statuses (ERROR > FAIL > WARN > PASS > SKIP)."""
    order = [Status.ERROR, Status.FAIL, Status.WARN, Status.PASS, Status.SKIP]
    for status in order:
        if status in statuses:
            return status
    return Status.SKIP


@dataclass(frozen=True)
class Finding:
    """One problem a tool reported, located by a path relative to the project root."""

    tool: str
    rule: str
    message: str
    path: str = ""
    line: int = 0
    column: int = 0
    severity: str = "error"  # error | warning | note
    fingerprint: str = ""

    def location(self) -> str:
        if not self.path:
            return ""
        if self.line:
            return (
                f"{self.path}:{self.line}:{self.column}"
                if self.column
                else f"{self.path}:{self.line}"
            )
        return self.path

    def to_json(self) -> dict[str, Any]:
        return {
            "tool": self.tool,
            "rule": self.rule,
            "message": self.message,
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "severity": self.severity,
            "fingerprint": self.fingerprint,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Finding:
        return cls(
            tool=str(data.get("tool", "")),
            rule=str(data.get("rule", "")),
            message=str(data.get("message", "")),
            path=str(data.get("path", "")),
            line=int(data.get("line", 0) or 0),
            column=int(data.get("column", 0) or 0),
            severity=str(data.get("severity", "error")),
            fingerprint=str(data.get("fingerprint", "")),
        )


@dataclass(frozen=True)
class Gate:
    """One row of the gate table: a measured value compared with its threshold."""

    name: str
    status: Status
    value: float | int | str | None = None
    threshold: float | int | str | None = None
    comparison: str = "<="  # how value must relate to threshold to pass: "<=", ">=", "=="
    message: str = ""

    def describe(self) -> str:
        """``findings 3 > 0`` / ``coverage 91.20 >= 85.00``: the relation that actually holds."""
        if self.value is None:
            return f"{self.name}: {self.message}" if self.message else self.name
        if self.threshold is None:
            return f"{self.name} {_fmt(self.value)}"
        relation = self.comparison
        if self.status is Status.FAIL:
            relation = {"<=": ">", ">=": "<", "==": "!="}.get(self.comparison, self.comparison)
        return f"{self.name} {_fmt(self.value)} {relation} {_fmt(self.threshold)}"

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status.value,
            "value": self.value,
            "threshold": self.threshold,
            "comparison": self.comparison,
            "message": self.message,
        }


@dataclass(frozen=True)
class Checked:
    """What a check can show it checked: ``files 76``, ``tests 382``, ``hooks 4``.

    A check PASSes only when it checked something (``count > 0``): the runner turns a PASS with
    no figure, or a zero one, into ERROR or SKIP (see ``checks.base.enforce_checked``).
    """

    what: str
    count: int

    def __str__(self) -> str:
        return f"{self.what} {self.count}"

    def to_json(self) -> dict[str, Any]:
        return {"what": self.what, "count": self.count}

    @classmethod
    def from_json(cls, data: object) -> Checked | None:
        if not isinstance(data, dict):
            return None
        item = cast("dict[str, Any]", data)
        try:
            return cls(str(item["what"]), int(item["count"]))
        except (KeyError, TypeError, ValueError):
            return None


def _named_per_python(data: dict[str, Any]) -> bool:
    """Records written before ``per_python`` was stored: the label names a Python."""
    label = str(data.get("label", "")).rpartition("/")[2]
    return bool(data.get("python")) and label == f"{data.get('check')}-{data.get('python')}"


def _fmt(value: float | int | str) -> str:
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


@dataclass
class CheckResult:
    """What one check produced on one Python: status, gates, metrics, findings, artifacts."""

    check: str
    session: str
    status: Status
    summary: str = ""
    python: str | None = None
    duration: float = 0.0
    gates: list[Gate] = field(default_factory=list[Gate])
    metrics: dict[str, float | int | str] = field(default_factory=dict[str, float | int | str])
    findings: list[Finding] = field(default_factory=list[Finding])
    artifacts: dict[str, str] = field(default_factory=dict[str, str])
    output: str = ""
    command: list[str] = field(default_factory=list[str])
    cached: bool = False
    package: str = ""  # the monorepo package the check ran in, "" for the root
    #: the check runs once per Python, so its label names the Python (``tests-3.12``)
    per_python: bool = False
    #: the tools the check ran (reports name them even when they found nothing)
    tools: list[str] = field(default_factory=list[str])
    #: what the check checked (``files 76``); required for a PASS
    checked: Checked | None = None
    #: when a cached result was first stored (epoch seconds), 0.0 for a result of this run
    cached_at: float = 0.0

    @property
    def label(self) -> str:
        """The check name with its Python, as shown in tables (e.g. ``tests-3.12``, ``core/lint``)."""
        base = f"{self.check}-{self.python}" if self.python and self.per_python else self.check
        return f"{self.package}/{base}" if self.package else base

    def rerooted(self, package: str, path: str) -> CheckResult:
        """This result of a monorepo package, its paths made relative to the repository root."""
        if not package:
            return self
        self.package = package
        if path not in ("", "."):
            self.findings = [
                replace(f, path=f"{path}/{f.path}") if f.path else f for f in self.findings
            ]
            self.artifacts = {k: f"{path}/{v}" for k, v in self.artifacts.items()}
        return self

    def to_json(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "session": self.session,
            "label": self.label,
            "status": self.status.value,
            "summary": self.summary,
            "python": self.python,
            "duration": round(self.duration, 3),
            "cached": self.cached,
            "cached_at": self.cached_at,
            "checked": self.checked.to_json() if self.checked else None,
            "package": self.package,
            "per_python": self.per_python,
            "tools": self.tools,
            "gates": [g.to_json() for g in self.gates],
            "metrics": self.metrics,
            "findings": [f.to_json() for f in self.findings],
            "artifacts": self.artifacts,
            "command": self.command,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CheckResult:
        gates = [
            Gate(
                name=str(g["name"]),
                status=Status(g["status"]),
                value=g.get("value"),
                threshold=g.get("threshold"),
                comparison=str(g.get("comparison", "<=")),
                message=str(g.get("message", "")),
            )
            for g in data.get("gates", [])
        ]
        return cls(
            check=str(data["check"]),
            session=str(data.get("session", data["check"])),
            status=Status(data["status"]),
            summary=str(data.get("summary", "")),
            python=data.get("python"),
            duration=float(data.get("duration", 0.0)),
            gates=gates,
            metrics=dict(data.get("metrics", {})),
            findings=[Finding.from_json(f) for f in data.get("findings", [])],
            artifacts=dict(data.get("artifacts", {})),
            command=list(data.get("command", [])),
            cached=bool(data.get("cached", False)),
            cached_at=float(data.get("cached_at", 0.0) or 0.0),
            checked=Checked.from_json(data.get("checked")),
            package=str(data.get("package", "")),
            per_python=bool(data.get("per_python", _named_per_python(data))),
            tools=[str(t) for t in data.get("tools", [])],
        )


#: version of the run record's JSON form (results.json, history imports)
SCHEMA_VERSION = 1


@dataclass
class RunRecord:
    """The checks of one nox invocation (several sessions of it merge into one record)."""

    run_id: str
    project: str
    started: float
    sessions: list[str] = field(default_factory=list[str])
    results: list[CheckResult] = field(default_factory=list[CheckResult])
    commit: str = ""
    branch: str = ""
    #: the uncommitted content of the work tree ("" when clean): part of a run's inputs
    worktree: str = ""
    os: str = field(default_factory=lambda: platform.system().lower())
    ci: bool = field(default_factory=lambda: os.environ.get("CI", "").lower() in ("1", "true"))
    finished: float = 0.0

    @property
    def status(self) -> Status:
        return worst([r.status for r in self.results]) if self.results else Status.SKIP

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA_VERSION,
            "run_id": self.run_id,
            "project": self.project,
            "status": self.status.value,
            "started": self.started,
            "finished": self.finished,
            "sessions": self.sessions,
            "commit": self.commit,
            "worktree": self.worktree,
            "branch": self.branch,
            "os": self.os,
            "ci": self.ci,
            "python_running_nox": f"{sys.version_info.major}.{sys.version_info.minor}",
            "results": [r.to_json() for r in self.results],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RunRecord:
        return cls(
            run_id=str(data["run_id"]),
            project=str(data.get("project", "")),
            started=float(data.get("started", 0.0)),
            sessions=list(data.get("sessions", [])),
            results=[CheckResult.from_json(r) for r in data.get("results", [])],
            commit=str(data.get("commit", "")),
            worktree=str(data.get("worktree", "")),
            branch=str(data.get("branch", "")),
            os=str(data.get("os", "")),
            ci=bool(data.get("ci", False)),
            finished=float(data.get("finished", 0.0)),
        )


def new_run(root: Path, project: str) -> RunRecord:
    commit, branch = head_facts(root)
    return RunRecord(
        run_id=uuid.uuid4().hex[:12],
        project=project,
        started=time.time(),
        commit=commit,
        branch=branch,
        worktree=worktree_state(root) if commit else "",
    )
