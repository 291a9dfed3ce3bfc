"""What one run is made of: the facts every cell shares, a cell's spec and its result.

The result words are GitHub's (success, failure, cancelled, skipped) plus ``cannot-run``: a job
that uses something this machine cannot do (another action, Docker) is never reported as passed.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ci_sessions._secrets import Secrets
from ci_sessions.ci.event import RunFacts
from ci_sessions.ci.install import INSTALL_VARIABLES, is_local
from ci_sessions.ci.values import Value
from ci_sessions.ci.workflow import Job, Workflow
from ci_sessions.ci.workspace import Source
from ci_sessions.errors import CiSessionsError

_LOCK = threading.Lock()

#: the caller's variables a step sees: where things are and how text is read, never a credential
#: (a token, SSH_AUTH_SOCK, a cloud key, a proxy or index URL with a password in it). Anything
#: else only with ``--env NAME`` (or ``--secret NAME``, masked). A fork's pull request on GitHub
#: gets none of the maintainer's secrets either.
ALLOWED = frozenset({
    "PATH", "HOME", "USER", "LOGNAME", "SHELL", "TMPDIR", "TERM", "LANG", "LANGUAGE", "TZ",
    # where tools keep their interpreters and caches (a runner image has them in fixed places)
    "PYENV_ROOT", "UV_CACHE_DIR", "UV_PYTHON_INSTALL_DIR", "UV_PYTHON_DOWNLOADS", "PIP_CACHE_DIR",
    "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME",
    # which certificate authorities to trust (a file name, not a secret)
    "SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE",
})  # fmt: skip
ALLOWED_PREFIXES = ("LC_",)
#: a variable name a step can be given
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

SUCCESS, FAILURE, CANCELLED, SKIPPED, CANNOT_RUN = (
    "success",
    "failure",
    "cancelled",
    "skipped",
    "cannot-run",
)


def inherited_environment(environ: Mapping[str, str], passed: Iterable[str] = ()) -> dict[str, str]:
    """What a step sees of the caller's environment: :data:`ALLOWED`, plus the names ``passed``
    with ``--env``; the active virtual environment's ``bin`` is taken off PATH."""
    venv = environ.get("VIRTUAL_ENV")
    wanted = set(passed)
    result = {
        k: v
        for k, v in environ.items()
        if k in ALLOWED or k.startswith(ALLOWED_PREFIXES) or k in wanted
    }
    if venv and "PATH" in result:
        bin_dir = str(Path(venv) / "bin")
        result["PATH"] = os.pathsep.join(
            p for p in environ.get("PATH", "").split(os.pathsep) if p != bin_dir
        )
    return result


class Printer:
    """Progress lines from concurrent cells, one whole line at a time, secrets masked."""

    def __init__(self, write: Callable[[str], object], secrets: Secrets | None = None) -> None:
        self._write = write
        self._lock = threading.Lock()
        self.secrets = secrets or Secrets()

    def line(self, text: str) -> None:
        with self._lock:
            self._write(self.secrets.mask(text) + "\n")


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
    #: ``--secret`` values by name (the ``secrets`` context); masked everywhere with the others
    secret_values: dict[str, str] = field(default_factory=dict[str, str])
    interrupted: threading.Event = field(default_factory=threading.Event)
    #: set when a cell met a name that would leave the sandbox (or input it cannot read): every
    #: other cell stops at its next step and the run ends with that error, exit 2
    refused: threading.Event = field(default_factory=threading.Event)
    errors: list[CiSessionsError] = field(default_factory=list[CiSessionsError])

    @property
    def secrets(self) -> Secrets:
        """Every value masked in this run's output (``--secret``, ``::add-mask::``)."""
        return self.printer.secrets

    def refuse(self, error: CiSessionsError) -> None:
        with _LOCK:
            self.errors.append(error)
        self.refused.set()

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
