"""What a check is: the environments it needs, the command it runs, how it reads the output.

Checks know nothing of nox: they get a :class:`CheckContext` and return a
:class:`~ci_sessions.results.CheckResult`.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from ci_sessions.results import CheckResult, Status

if TYPE_CHECKING:
    from ci_sessions.config import Config, Section
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


#: variables that force colour on whatever the output is (a workflow's FORCE_COLOR: "1")
FORCED_COLOUR = ("FORCE_COLOR", "CLICOLOR_FORCE", "PY_COLORS", "TTY_COMPATIBLE")


def plain_output(env: Mapping[str, str]) -> dict[str, str]:
    """The environment for a tool whose output is read: no forced colour, so escape codes never
    reach a parser (ruff, pyright and pytest all honour NO_COLOR)."""
    plain = {k: v for k, v in env.items() if k not in FORCED_COLOUR}
    plain["NO_COLOR"] = "1"
    return plain


@dataclass
class RunPlan:
    """What the checks of one run agree on before any of them starts (see ``Check.plan``)."""

    root: Path
    checks: tuple[str, ...]
    #: when set, the test runs collect coverage data beside this file
    coverage_data: Path | None = None


def no_known_flaky(test_ids: Sequence[str]) -> list[str]:
    """The default flaky lookup: no test is known to be flaky, so none is ever rerun."""
    del test_ids
    return []


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
    #: which of these failed tests the run history knows to be flaky (given by the caller, so a
    #: check never opens the history itself)
    known_flaky: Callable[[Sequence[str]], list[str]] = no_known_flaky

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
        if not stream:
            env = plain_output(env)
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
    """A quality check: everything the engine, the cache, the sessions and the reports need to
    know about it is declared here, never probed or inferred from its name.

    Implementations inherit :class:`CheckBase` for the defaults and override what differs.
    """

    #: the session and table name (``lint``, ``tests``)
    name: ClassVar[str]
    #: runs once for each Python version (``tests-3.12``)
    per_python: ClassVar[bool]
    #: checks that must finish first when both are in one run (coverage after tests)
    after: ClassVar[tuple[str, ...]]
    #: measures time, so it runs alone after every other check has finished (benchmarks)
    exclusive: ClassVar[bool]
    #: a PASS may be served from the result cache while its inputs are unchanged (False when
    #: the verdict depends on more than files, like a vulnerability database)
    cacheable: ClassVar[bool]
    #: its findings may be accepted by the adoption-day findings baseline
    baselined: ClassVar[bool]
    #: runs the project's test suite: unknown session arguments go to the test runner, and it
    #: honours affected-test selection and known-flaky reruns
    runs_tests: ClassVar[bool]
    #: the tools it runs, named in reports (a SARIF run per tool); a check whose tool depends
    #: on the project (mkdocs or Sphinx) sets ``CheckResult.tools`` itself
    tools: ClassVar[tuple[str, ...]]

    def environments(self, ctx: CheckContext) -> dict[str, EnvSpec]:
        """The environments to prepare, by the role the check gives them."""
        ...

    def plan(self, plan: RunPlan) -> None:
        """Called once per run, before any check starts, with every check of the run.

        A check that reads what another leaves behind asks for it here (coverage makes the
        tests collect data into its file and clears data an interrupted run left).
        """
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

    def cache_salt(self, ctx: CheckContext) -> str:
        """Inputs of the verdict that are not files or settings (a date an allow-list expires)."""
        ...


class CheckBase:
    """Defaults for the :class:`Check` protocol: a once-per-run, cacheable, independent check."""

    name: ClassVar[str]
    per_python: ClassVar[bool] = False
    after: ClassVar[tuple[str, ...]] = ()
    exclusive: ClassVar[bool] = False
    cacheable: ClassVar[bool] = True
    baselined: ClassVar[bool] = False
    runs_tests: ClassVar[bool] = False
    tools: ClassVar[tuple[str, ...]] = ()

    def plan(self, plan: RunPlan) -> None:
        del plan

    def cache_salt(self, ctx: CheckContext) -> str:
        del ctx
        return ""


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
