"""What one run is made of: the facts every cell shares, a cell's spec and its result.

The result words are GitHub's (success, failure, cancelled, skipped) plus ``cannot-run``: a job
that uses something this machine cannot do (another action, Docker) is never reported as passed.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ci_sessions.ci.event import RunFacts
from ci_sessions.ci.install import INSTALL_VARIABLES, is_local
from ci_sessions.ci.values import Value
from ci_sessions.ci.workflow import Job, Workflow
from ci_sessions.ci.workspace import Source

#: variables of the caller's environment a runner would not have (they would change the run)
NOT_INHERITED_PREFIXES = ("GITHUB_", "RUNNER_", "ACTIONS_", "CI_SESSIONS_")
NOT_INHERITED = frozenset({
    "VIRTUAL_ENV", "CONDA_PREFIX", "PYTHONHOME", "PYTHONPATH",
    # the caller's colour preferences: a runner has none, and NO_COLOR beside a workflow's
    # FORCE_COLOR makes nox refuse to start ("Can not specify both --no-color and --force-color")
    "NO_COLOR", "FORCE_COLOR", "CLICOLOR", "CLICOLOR_FORCE", "PY_COLORS",
})  # fmt: skip

SUCCESS, FAILURE, CANCELLED, SKIPPED, CANNOT_RUN = (
    "success",
    "failure",
    "cancelled",
    "skipped",
    "cannot-run",
)


def inherited_environment(environ: dict[str, str]) -> dict[str, str]:
    """The caller's environment without what would make the local run differ from GitHub's."""
    venv = environ.get("VIRTUAL_ENV")
    result = {
        k: v
        for k, v in environ.items()
        if k not in NOT_INHERITED and not k.startswith(NOT_INHERITED_PREFIXES)
    }
    if venv:
        bin_dir = str(Path(venv) / "bin")
        result["PATH"] = os.pathsep.join(
            p for p in environ.get("PATH", "").split(os.pathsep) if p != bin_dir
        )
    return result


class Printer:
    """Progress lines from concurrent cells, one whole line at a time."""

    def __init__(self, write: Callable[[str], object]) -> None:
        self._write = write
        self._lock = threading.Lock()

    def line(self, text: str) -> None:
        with self._lock:
            self._write(text + "\n")


@dataclass
class RunSetup:
    """Facts shared by every cell of one run."""

    workflow: Workflow
    source: Source
    facts: RunFacts
    github: dict[str, Value]
    inputs: dict[str, Value]
    workflow_env: dict[str, str]
    substitute: str | None  # what the install variables are set to, if anything
    out_dir: Path  # <project>/.ci-sessions/ci: logs, artifacts, summary
    work_dir: Path  # the copies, outside the project (see workspace.py)
    keep: bool
    environ: dict[str, str]
    printer: Printer
    interrupted: threading.Event = field(default_factory=threading.Event)

    def install_env(self, env: dict[str, str]) -> dict[str, str]:
        """Swap an index spec of ci-sessions for the running one (INSTALL_VARIABLES)."""
        if self.substitute is None:
            return env
        return {
            k: (self.substitute if k in INSTALL_VARIABLES and not is_local(v) else v)
            for k, v in env.items()
        }


@dataclass(frozen=True)
class CellSpec:
    """What the scheduler decided for one cell before it runs."""

    job: Job
    matrix: dict[str, Value] | None
    label: str  # the matrix values, "" without a matrix
    slug: str
    index: int
    needs: dict[str, Value]
    strategy: dict[str, Value]


@dataclass
class CellResult:
    job_id: str
    name: str
    cell: str
    result: str
    seconds: float = 0.0
    note: str = ""
    outputs: dict[str, str] = field(default_factory=dict[str, str])
    log: Path | None = None
    failed_step: str = ""
    tail: list[str] = field(default_factory=list[str])
    summaries: list[str] = field(default_factory=list[str])
    continue_on_error: bool = False
    index: int = 0

    @property
    def counts_as(self) -> str:
        """The result as needs.<job>.result and the workflow see it."""
        if self.result == FAILURE and self.continue_on_error:
            return SUCCESS
        return FAILURE if self.result == CANNOT_RUN else self.result
