"""What a check is: the environments it needs, the command it runs, how it reads the output.

Checks know nothing of nox: they get a :class:`CheckContext` and return a
:class:`~ci_sessions.results.CheckResult`.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from ci_sessions.results import CheckResult, Status

if TYPE_CHECKING:
    from ci_sessions.config.loader import Config, Section
    from ci_sessions.config.project import Project


@dataclass(frozen=True)
class EnvSpec:
    """An environment a check needs: what to install into it and which files decide its content.

    ``name`` is shared between checks that can use the same environment (lint and format share
    ``ruff``); ``python`` is a version like ``"3.12"``.
    """

    name: str
    python: str
    requirements: tuple[str, ...] = ()
    inputs: tuple[
        str, ...
    ] = ()  # project files (relative) whose content is part of the env's identity

    @property
    def key(self) -> str:
        return f"{self.name}-{self.python}"


@dataclass(frozen=True)
class Environment:
    """A ready virtual environment."""

    spec: EnvSpec
    location: Path
    python: Path

    @property
    def bin_dir(self) -> Path:
        return self.python.parent

    def env_vars(self, base: Mapping[str, str] | None = None) -> dict[str, str]:
        """Process environment with this venv activated (PATH, VIRTUAL_ENV)."""
        env = dict(os.environ if base is None else base)
        env["PATH"] = os.pathsep.join([str(self.bin_dir), env.get("PATH", "")])
        env["VIRTUAL_ENV"] = str(self.location)
        env.pop("PYTHONHOME", None)
        return env


@dataclass(frozen=True)
class ToolRun:
    """The outcome of one tool invocation."""

    argv: list[str]
    returncode: int
    stdout: str
    stderr: str
    duration: float

    def tail(self, lines: int = 15) -> str:
        """The last lines the tool printed, for ERROR rows."""
        text = (self.stdout + "\n" + self.stderr).strip()
        return "\n".join(text.splitlines()[-lines:])


@dataclass
class CheckContext:
    """Everything a check may read: project facts, its settings, the Python it runs for."""

    root: Path
    config: Config
    project: Project
    python: str
    session: str
    posargs: list[str] = field(default_factory=list[str])
    stream: bool = False
    env_overrides: dict[str, str] = field(default_factory=dict[str, str])
    #: other checks of the same run (coverage needs to know that tests collect data for it)
    run_checks: tuple[str, ...] = ()
    #: when set, the tests check runs pytest under ``coverage run -p`` writing data beside this file
    coverage_data: Path | None = None
    #: test files to run instead of the whole suite (affected-test selection), None for all
    selected_tests: list[str] | None = None

    def settings(self, check: str) -> Section:
        return self.config.section(check)

    @property
    def reports_dir(self) -> Path:
        from ci_sessions._fs import reports_dir

        return reports_dir(self.root)

    def tool_env(self, environment: Environment | None) -> dict[str, str]:
        env = environment.env_vars() if environment else dict(os.environ)
        env.update(self.env_overrides)
        return env

    def exec(
        self,
        argv: Sequence[str],
        environment: Environment | None = None,
        *,
        stream: bool = False,
        cwd: Path | None = None,
    ) -> ToolRun:
        """Run a tool without a shell; capture its output unless ``stream`` is set."""
        started = time.perf_counter()
        env = self.tool_env(environment)
        try:
            completed = subprocess.run(  # noqa: S603 - argv list, never a shell
                list(argv),
                cwd=cwd or self.root,
                env=env,
                capture_output=not stream,
                text=True,
                errors="replace",
                check=False,
            )
        except FileNotFoundError as exc:
            return ToolRun(
                list(argv), 127, "", f"{argv[0]}: not found ({exc})", time.perf_counter() - started
            )
        return ToolRun(
            list(argv),
            completed.returncode,
            completed.stdout or "",
            completed.stderr or "",
            time.perf_counter() - started,
        )


class Check(Protocol):
    """A quality check. ``per_python`` checks run once for each Python version.

    ``after`` names checks that must finish first when both are in one run (coverage after tests).
    """

    name: ClassVar[str]
    per_python: ClassVar[bool]
    after: ClassVar[tuple[str, ...]]

    def environments(self, ctx: CheckContext) -> dict[str, EnvSpec]:
        """The environments to prepare, by the role the check gives them."""
        ...

    def run(self, ctx: CheckContext, envs: Mapping[str, Environment]) -> CheckResult:
        """Run the tool and turn its output into findings and metrics (no verdict yet)."""
        ...

    def evaluate(self, ctx: CheckContext, result: CheckResult) -> CheckResult:
        """Set gates and status from the findings and metrics.

        Called by the runner after the findings baseline has removed known findings, so a check
        never decides its verdict from findings that were accepted on adoption day.
        """
        ...


def pending_result(ctx: CheckContext, check: str, **fields: Any) -> CheckResult:
    """A result whose verdict is still to come: ``evaluate`` sets its gates and status."""
    return CheckResult(
        check=check, session=ctx.session, status=Status.PASS, python=ctx.python, **fields
    )


def error_result(ctx: CheckContext, check: str, summary: str, output: str = "") -> CheckResult:
    """A result for a check that could not check: never a PASS."""
    return CheckResult(
        check=check,
        session=ctx.session,
        status=Status.ERROR,
        summary=summary,
        python=ctx.python,
        output=output,
    )


def relative(root: Path, path: str) -> str:
    """A tool-reported path made relative to the project root (paths in messages are relative)."""
    if not path:
        return path
    candidate = Path(path)
    if candidate.is_absolute():
        try:
            return candidate.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            return candidate.as_posix()
    return candidate.as_posix()
