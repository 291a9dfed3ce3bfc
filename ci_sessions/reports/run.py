"""A run: one nox invocation's checks with the facts needed to compare runs later."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ci_sessions.results import CheckResult, Status, worst

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
            branch=str(data.get("branch", "")),
            os=str(data.get("os", "")),
            ci=bool(data.get("ci", False)),
            finished=float(data.get("finished", 0.0)),
        )


def new_run(root: Path, project: str) -> RunRecord:
    commit, branch = git_facts(root)
    return RunRecord(
        run_id=uuid.uuid4().hex[:12],
        project=project,
        started=time.time(),
        commit=commit,
        branch=branch,
    )


def git_facts(root: Path) -> tuple[str, str]:
    """The current commit and branch, or empty strings outside a git work tree."""

    def git(*args: str) -> str:
        try:
            completed = subprocess.run(  # noqa: S603
                ["git", *args],  # noqa: S607 - git from PATH, fixed arguments
                cwd=root,
                capture_output=True,
                text=True,
                timeout=10,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired):
            return ""
        return completed.stdout.strip() if completed.returncode == 0 else ""

    commit = git("rev-parse", "HEAD")
    branch = (
        os.environ.get("GITHUB_HEAD_REF")
        or os.environ.get("GITHUB_REF_NAME")
        or git("rev-parse", "--abbrev-ref", "HEAD")
    )
    return commit, branch
