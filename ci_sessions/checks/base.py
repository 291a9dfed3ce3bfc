"""What a check is: the environments it needs, the command it runs, how it reads the output.

Checks know nothing of nox: they get a :class:`CheckContext` and return a
:class:`~ci_sessions.results.CheckResult`.
"""

from __future__ import annotations

import os
import subprocess
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, TypeGuard, runtime_checkable

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
    #: a tool's own environment, which need not share the project's Python: when the pinned
    #: tool does not install on ``python`` it is built on the newest Python it installs on
    any_python: bool = False
    #: installs a compiled project as built: its compiled modules are imported from the build,
    #: its Python from the tree (``checks/asbuilt.py``), so only ``inputs`` rebuild it
    as_built: bool = False
    #: with ``as_built``: the project files left out of ``inputs`` because they are read from the
    #: tree; any the build turns out not to serve from the tree becomes an input again
    from_tree: tuple[str, ...] = ()

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


@dataclass(frozen=True)
class ProjectFiles:
    """The project's files an incremental check picks its units from (see ``Check.units``)."""

    #: every ``.py`` and ``.pyi`` file of the project (relative POSIX paths)
    python: tuple[str, ...] = ()
    #: the files pytest's ``python_files`` patterns match in the test folders and packages
    tests: tuple[str, ...] = ()
    #: pytest collects doctests from the project's modules (every module is a test)
    doctests: bool = False
    #: the files pytest collects doctests from as text (its ``--doctest-glob`` patterns)
    doctest_files: tuple[str, ...] = ()


#: what an incremental check keeps of one file's results: plain JSON data
UnitPayload = Any
#: what a unit's result depends on beyond its import closure (``Check.incremental_inputs``)
TYPES, RUNTIME = "types", "runtime"


@dataclass(frozen=True)
class Reached:
    """What one part of a test run reached beyond the import graph (project-relative paths):
    files whose code ran, files read, folders listed (``dir/*.dist-info`` when only looked at
    for installed distributions), modules it tried to import, processes it started that may
    run project code, and the project modules whose first import it caused."""

    #: project file -> the first lines of the code objects that ran in it (an empty set: where
    #: in the file is not known, the file counts whole)
    code: Mapping[str, frozenset[int]] = field(default_factory=dict[str, frozenset[int]])
    read: frozenset[str] = frozenset()
    #: project files read only for the literal constants in them (hypothesis draws examples
    #: from the constants of every project module loaded): their constants count, not their text
    constants: frozenset[str] = frozenset()
    listed: frozenset[str] = frozenset()
    imports: frozenset[str] = frozenset()
    spawned: tuple[str, ...] = ()
    caused: frozenset[str] = frozenset()
    #: a first import: the project file whose code asked for it ("" when code outside the
    #: project did), and whether from a module's ``__getattr__`` (a lazily loaded submodule)
    via: str = ""
    lazy: bool = False
    #: project code here asked for a module by a computed name (``import_module``, an entry
    #: point's ``load``): it may get hold of any module loaded so, here or earlier
    computes: bool = False


@dataclass(frozen=True)
class Observed:
    """What a run of an incremental check saw its units reach (``Check.observed``): by unit, by
    the first import of each project module (it counts for every unit that imports it), what
    ran outside any unit (start-up, shared fixtures: it counts for every unit), and what a
    library read outside any unit for the units that use it."""

    units: Mapping[str, Reached] = field(default_factory=dict[str, Reached])
    imports: Mapping[str, Reached] = field(default_factory=dict[str, Reached])
    shared: Reached = field(default_factory=Reached)
    #: what a library read outside any unit for the units marked as its users (hypothesis
    #: harvests constants from every project module): marker -> (what it read, its units)
    marked: Mapping[str, tuple[Reached, frozenset[str]]] = field(
        default_factory=dict[str, tuple[Reached, frozenset[str]]]
    )
    #: where an exception raised in a finalizer failed a test ("the end of the session": one
    #: was left to collect then): the test it fails is wherever garbage happens to be collected,
    #: so a run with one cannot keep or give any file's result
    unraisable: tuple[str, ...] = ()


@dataclass(frozen=True)
class Shard:
    """Run the ``index``-th of ``total`` parts of the test suite (``--shard 2/4``), balanced by
    the recorded test durations (node id -> seconds; empty: by count)."""

    index: int
    total: int
    durations: Mapping[str, float] = field(default_factory=dict[str, float])

    @property
    def label(self) -> str:
        return f"{self.index}/{self.total}"


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
    #: an incremental check runs on these files only (its other files' results are reused)
    only_files: list[str] | None = None
    #: the run is on a CI system (``CI=true``): reports meant for CI are written
    ci: bool = False
    #: the part of the test suite a check that runs tests runs (None: all of it)
    shard: Shard | None = None
    #: an incremental run: the check records what its units reach (``Check.observed``)
    observe: bool = False
    #: where a check that runs tests writes its progress counts for the run's board (None: not
    #: asked for)
    progress_file: Path | None = None

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
        extra_env: Mapping[str, str] | None = None,
    ) -> ToolRun:
        """Run a tool without a shell; capture its output unless ``stream`` is set."""
        started = time.perf_counter()
        env = self.tool_env(environment)
        env.update(extra_env or {})
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


@runtime_checkable
class Check(Protocol):
    """A quality check, its core: what it is called, the environments it needs, how it runs and
    how it judges. Everything the engine, the cache, the sessions and the reports need to know
    about it is declared, never probed or inferred from its name.

    What only some checks do is a Protocol of its own, which the engine tests with
    ``isinstance``: :class:`PlanningCheck` (``plan``), :class:`SaltedCheck` (``cache_salt``),
    :class:`IncrementalCheck` (the per-file members). Implementations inherit
    :class:`CheckBase` (or :class:`IncrementalBase`) for the declarations' defaults.
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

    def run(self, ctx: CheckContext, envs: Mapping[str, Environment]) -> CheckResult:
        """Run the tool and turn its output into findings and metrics (no verdict yet)."""
        ...

    def evaluate(self, ctx: CheckContext, result: CheckResult) -> CheckResult:
        """Set gates and status from the findings and metrics.

        Called by the runner after the findings baseline has removed known findings, so a check
        never decides its verdict from findings that were accepted on adoption day.

        ``run`` or ``evaluate`` sets ``result.checked``, what the check can show it checked
        (``Checked("files", 76)``): the runner turns a PASS without it, or with a count of 0,
        into ERROR or SKIP (:func:`enforce_checked`). A check that checked nothing because the
        project has nothing to check returns SKIP with the reason; one whose tool was configured
        or pointed so that it could check nothing returns ERROR.
        """
        ...


@runtime_checkable
class PlanningCheck(Protocol):
    """A check that prepares for a run: the engine calls ``plan`` when it has one."""

    def plan(self, plan: RunPlan) -> None:
        """Called once per run, before any check starts, with every check of the run.

        A check that reads what another leaves behind asks for it here (coverage makes the
        tests collect data into its file and clears data an interrupted run left).
        """
        ...


@runtime_checkable
class SaltedCheck(Protocol):
    """A check whose verdict has inputs that are not files or settings."""

    def cache_salt(self, ctx: CheckContext) -> str:
        """Those inputs as text, part of the cache key (a date an allow-list expires)."""
        ...


@runtime_checkable
class IncrementalCheck(Check, Protocol):
    """A check that can run on some of its files and reuse the stored results of the others,
    file by file (the engine keys each file by its import closure); it is run so only while
    ``incremental`` is true."""

    #: run incrementally (a subclass may turn it off)
    incremental: ClassVar[bool]
    #: what a unit's result depends on beyond its import closure: ``types`` (nothing: a type
    #: checker reads the files it imports, stubs and its configuration), ``runtime`` (what the
    #: run observed its units reach: ``observed``; a run that cannot say disowns its units)
    incremental_inputs: ClassVar[str]

    def units(self, ctx: CheckContext, files: ProjectFiles) -> list[str] | str:
        """The files a whole run covers (an incremental check's units), or why it cannot tell."""
        ...

    def unit_results(
        self, ctx: CheckContext, result: CheckResult, units: Sequence[str]
    ) -> dict[str, UnitPayload] | str:
        """What to keep of each file of a run over ``units`` (None: nothing, run it next time),
        or why the run shows that the units were not what the tool checked."""
        ...

    def merge(
        self, ctx: CheckContext, result: CheckResult, reused: Mapping[str, UnitPayload]
    ) -> CheckResult:
        """The whole project's result: this run's plus the files' results kept from earlier runs."""
        ...

    def reusable(self, payload: UnitPayload) -> bool:
        """Whether a stored payload may stand for its unit (a failing test file never does)."""
        ...

    def observed(self, ctx: CheckContext, result: CheckResult) -> Observed | None:
        """What the run's units reached beyond the import graph (``incremental_inputs =
        "runtime"``), read from what the run left behind; None when it recorded nothing."""
        ...


def is_incremental(check: Check) -> TypeGuard[IncrementalCheck]:
    """Whether the engine may run ``check`` file by file."""
    return isinstance(check, IncrementalCheck) and check.incremental


def cache_salt(check: Check, ctx: CheckContext) -> str:
    """The check's verdict inputs that are not files or settings ("" for most checks)."""
    return check.cache_salt(ctx) if isinstance(check, SaltedCheck) else ""


#: what an incremental check built on :class:`CheckBase` was given by default before the
#: optional members became Protocols of their own (see :meth:`CheckBase.__init_subclass__`)
_INCREMENTAL_DEFAULTS = ("incremental_inputs", "reusable", "observed")


class CheckBase:
    """Defaults for the :class:`Check` declarations: a once-per-run, cacheable, independent
    check. It gives none of the optional members: a check that has one defines it (and so
    satisfies that Protocol), an incremental one inherits :class:`IncrementalBase`."""

    name: ClassVar[str]
    per_python: ClassVar[bool] = False
    after: ClassVar[tuple[str, ...]] = ()
    exclusive: ClassVar[bool] = False
    cacheable: ClassVar[bool] = True
    baselined: ClassVar[bool] = False
    runs_tests: ClassVar[bool] = False
    tools: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Compatibility: a check written before the optional Protocols, ``incremental = True``
        on ``CheckBase`` with ``units``, ``unit_results`` and ``merge`` of its own, still gets
        the defaults ``CheckBase`` gave it then (deprecated: inherit :class:`IncrementalBase`)."""
        super().__init_subclass__(**kwargs)
        missing = [member for member in _INCREMENTAL_DEFAULTS if not hasattr(cls, member)]
        if not missing or getattr(cls, "incremental", False) is not True:
            return
        warnings.warn(
            f"{cls.__qualname__}: incremental = True on CheckBase relies on its former defaults "
            f"for {', '.join(missing)}; inherit IncrementalBase instead (deprecated: docs/reference/api.md)",
            DeprecationWarning,
            stacklevel=2,
        )
        for member in missing:
            setattr(cls, member, IncrementalBase.__dict__[member])


class IncrementalBase(CheckBase):
    """Defaults for :class:`IncrementalCheck`: every stored file result may stand, and nothing
    beyond the import graph is observed (a type checker's model); ``units``, ``unit_results``
    and ``merge`` are the check's own."""

    incremental: ClassVar[bool] = True
    incremental_inputs: ClassVar[str] = TYPES

    def reusable(self, payload: UnitPayload) -> bool:
        del payload
        return True

    def observed(self, ctx: CheckContext, result: CheckResult) -> Observed | None:
        del ctx, result
        return None


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


def skip_result(ctx: CheckContext, check: str, reason: str, **fields: Any) -> CheckResult:
    """A result for a check with nothing to check here: SKIP, with the reason."""
    return CheckResult(
        check=check,
        session=ctx.session,
        status=Status.SKIP,
        python=ctx.python,
        summary=reason,
        **fields,
    )


def findings_text(lines: Sequence[str], total: str, result: CheckResult) -> str:
    """A check's output: the findings that count, its total line, then how many findings the
    adoption-day baseline accepted, said apart so they never read as if they failed."""
    accepted = int(result.metrics.get("baselined", 0) or 0)
    out = [*lines, total]
    if accepted:
        out.append(f"{accepted} more accepted by the baseline (not counted)")
    return "\n".join(out)


#: the summary of a PASS that did not say what it checked
UNCHECKED = "the check did not say what it checked (a ci-sessions bug): never a PASS"


def enforce_checked(result: CheckResult) -> CheckResult:
    """The rule of every check, applied by the runner: a PASS shows that it checked something.

    PASS or WARN without a ``checked`` figure is ERROR (the check forgot to say; a bug); PASS
    with ``checked.count == 0`` is SKIP, with what was not checked in the summary. FAIL, ERROR
    and SKIP are left as they are.
    """
    if result.status not in (Status.PASS, Status.WARN):
        return result
    if result.checked is None:
        result.status = Status.ERROR
        result.summary = UNCHECKED
        return result
    if result.checked.count <= 0 and result.status is Status.PASS:
        result.status = Status.SKIP
        result.gates = []
        note = f"nothing checked ({result.checked})"
        result.summary = f"{note}: {result.summary}" if result.summary else note
    return result


def python_files(root: Path) -> int:
    """How many Python files the project has (git's view when it is a repository, else a walk).

    Tells "nothing to check" (SKIP) from "the tool was pointed at nothing" (ERROR) when a tool
    reports 0 files.
    """
    from ci_sessions._git import try_git

    listed = try_git(root, "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--",
                     "*.py", "*.pyi")  # fmt: skip
    if listed is not None:
        return len([name for name in listed.split("\0") if name])
    skipped = {".git", ".nox", ".tox", ".venv", "venv", ".ci-sessions", "node_modules"}
    count = 0
    for _directory, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in skipped]
        count += sum(1 for name in files if name.endswith((".py", ".pyi")))
    return count


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
