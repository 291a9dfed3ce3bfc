"""pytest, once per Python, in the project environment; verdict from the exit code and outcomes.

Outcomes come from the ci-sessions pytest plugin (``checks/pytest_plugin``), loaded from a folder
put on ``PYTHONPATH``: one compact file per run, much cheaper than JUnit XML on a big suite.
JUnit XML is still written where CI systems read it (``tests.junit``: on CI by default). The
same plugin runs one shard of the suite (``--shard K/N``); pytest-xdist runs the tests on
several cores when ``tests.workers`` asks for it.
"""

from __future__ import annotations

import contextlib
import json
import os
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path, PurePosixPath
from typing import Any, ClassVar
from xml.etree.ElementTree import ParseError as ET_ParseError

from ci_sessions._fs import state_dir
from ci_sessions.checks import asbuilt, tooljson
from ci_sessions.checks.base import (
    RUNTIME,
    CheckContext,
    Environment,
    EnvSpec,
    IncrementalBase,
    Observed,
    ProjectFiles,
    UnitPayload,
    error_result,
    pending_result,
)
from ci_sessions.checks.projectenv import project_env, workers
from ci_sessions.checks.pytest_reach import collected_counts, observed_from, reach_documents
from ci_sessions.checks.tooling import tool_requirement
from ci_sessions.gates import apply_gates, at_most
from ci_sessions.junit import JUnitReport, parse_junit, parse_outcomes, read_outcomes
from ci_sessions.results import Checked, CheckResult, Finding, Gate, Status

#: pytest exit codes
OK, TESTS_FAILED, INTERRUPTED, INTERNAL_ERROR, USAGE_ERROR, NO_TESTS = 0, 1, 2, 3, 4, 5
#: the folder holding the plugin module ``ci_sessions_pytest``
PLUGIN_DIR = Path(__file__).resolve().parent / "pytest_plugin"
PLUGIN = "ci_sessions_pytest"
#: an incremental rerun of fewer test files than this runs in one process, whatever workers says
FEW_FILES = 8
#: the variable that tells the plugin where its tracking settings are (see ``observed``)
REACH_VARIABLE = "CI_SESSIONS_PYTEST_REACH"
#: the first Python whose test runs track what they reach (sys.monitoring)
TRACKED_FROM = (3, 12)
#: outcomes a kept test file may hold (one with any other runs again)
_KEPT_OUTCOMES = frozenset({"passed", "skipped", "xfailed"})
#: pytest arguments that choose tests from pytest's own cache: never incremental
_STATEFUL_ARGS = frozenset({"--lf", "--last-failed", "--ff", "--failed-first", "--sw",
                            "--stepwise", "--nf", "--new-first", "--sw-skip"})  # fmt: skip
_STATEFUL_PREFIXES = ("--lfnf", "--last-failed-no-failures")


def kept_outcomes(payload: object) -> list[str]:
    """The outcome of each test a file's kept payload holds (rows of ``[test id, outcome,
    duration]``); a row of another shape reads as ``unknown``: never reused, never a pass."""
    rows = payload if tooljson.is_list(payload) else []
    return [
        row[1] if tooljson.is_list(row) and len(row) > 1 and isinstance(row[1], str) else "unknown"
        for row in rows
    ]


def _failure_findings(counts: JUnitReport, passed_on_rerun: set[str]) -> list[Finding]:
    """A finding per failed test: a note for a known flaky test that passed on rerun."""
    findings: list[Finding] = []
    for test in counts.failed:
        identifier, message = test.test_id, _first_line(test.message) or test.outcome
        if identifier in passed_on_rerun:
            findings.append(
                Finding(
                    tool="pytest", rule="flaky-test", severity="note",
                    message=f"{identifier}: known flaky, passed on rerun ({message})",
                )
            )  # fmt: skip
            continue
        path = identifier.split("::", 1)[0] if ".py" in identifier else ""
        findings.append(
            Finding(
                tool="pytest",
                rule="test-failure",
                message=f"{identifier}: {message}",
                path=path,
            )
        )
    return findings


def _first_line(text: str) -> str:
    lines = text.strip().splitlines()
    return lines[0] if lines else ""


def _version(python: str) -> tuple[int, ...]:
    """``3.12`` -> (3, 12); anything else sorts first (``pypy3.10``: not tracked)."""
    try:
        return tuple(int(part) for part in python.split(".")[:2])
    except ValueError:
        return (0,)


def _in_paths(path: str, paths: Sequence[str]) -> bool:
    for raw in paths:
        folder = raw.strip().removeprefix("./").rstrip("/")
        if folder in ("", ".") or path == folder or path.startswith(folder + "/"):
            return True
    return False


class TestsCheck(IncrementalBase):
    """``pytest`` in the project environment, outcomes recorded, failures fail the gate.

    Incremental: a test file's outcome depends on its text, on what it imports, and on what its
    tests were seen to reach as they ran (code run through a computed import or an entry point,
    files read, processes started: the plugin records it); after an edit only the test files
    for which one of those changed run, and files that passed last time keep their outcomes.
    """

    name: ClassVar[str] = "tests"
    tools: ClassVar[tuple[str, ...]] = ("pytest",)
    runs_tests: ClassVar[bool] = True
    per_python: ClassVar[bool] = True
    incremental_inputs: ClassVar[str] = RUNTIME

    def environments(self, ctx: CheckContext) -> dict[str, EnvSpec]:
        if ctx.coverage_data is None and ctx.shard is None:
            return {"project": project_env(ctx)}
        extra = [tool_requirement(ctx, "coverage")[0]]
        if workers(ctx):
            extra.append(tool_requirement(ctx, "pytest-cov")[0])  # coverage of xdist workers
        spec = project_env(ctx, extra_requirements=tuple(extra))
        return {"project": replace(spec, name="project-cov")}

    def _report_paths(self, ctx: CheckContext) -> tuple[Path, Path, Path]:
        """Where this run's outcomes, JUnit XML and (on a shard) coverage JSON go."""
        suffix = f"tests-{ctx.python}"
        if ctx.shard is not None:
            suffix += f"-shard{ctx.shard.index}of{ctx.shard.total}"
        reports = ctx.reports_dir
        return (
            reports / f"outcomes-{suffix}.json",
            reports / f"junit-{suffix}.xml",
            reports / f"coverage-{suffix}.json",
        )

    def _wants_junit(self, ctx: CheckContext) -> bool:
        mode = ctx.settings("tests").str("junit")
        return mode == "always" or (mode == "ci" and ctx.ci)

    def _runner(self, ctx: CheckContext, env: Environment) -> tuple[list[str], list[str]]:
        """(the command up to ``pytest``'s arguments, arguments that collect coverage)."""
        runner = [str(env.python), "-m"]
        if ctx.coverage_data is None:
            return [*runner, "pytest"], []
        ctx.coverage_data.parent.mkdir(parents=True, exist_ok=True)
        if workers(ctx):
            # coverage.py alone sees nothing of xdist's workers: pytest-cov collects them
            return [*runner, "pytest"], ["--cov", "--cov-report="]
        data = f"--data-file={ctx.coverage_data}"
        return [*runner, "coverage", "run", "--parallel-mode", data, "-m", "pytest"], []

    def _imports_file(self, ctx: CheckContext) -> Path:
        """Where the as-built finder writes what it imported (``checks/asbuilt.py``)."""
        return (
            ctx.reports_dir
            / f"imports-{self._report_paths(ctx)[0].stem.removeprefix('outcomes-')}.jsonl"
        )

    def _plugin_path(self, ctx: CheckContext, env: Environment) -> str:
        """``PYTHONPATH`` with the plugin's folder first."""
        existing = ctx.tool_env(env).get("PYTHONPATH", "")
        return os.pathsep.join([str(PLUGIN_DIR), existing]) if existing else str(PLUGIN_DIR)

    def _plugin_env(self, ctx: CheckContext, env: Environment) -> dict[str, str]:
        extra = {"PYTHONPATH": self._plugin_path(ctx, env)}
        if env.spec.as_built:
            extra[asbuilt.IMPORTS_VARIABLE] = str(self._imports_file(ctx))
        if ctx.coverage_data is not None and workers(ctx):
            extra["COVERAGE_FILE"] = f"{ctx.coverage_data}.xdist-{ctx.python}"
        if ctx.observe:
            extra[REACH_VARIABLE] = str(self._reach_settings(ctx))
        return extra

    def _reach_paths(self, ctx: CheckContext) -> tuple[Path, Path]:
        """(the tracker's settings, what it writes: one file per xdist worker beside it)."""
        folder = state_dir(ctx.root) / "cache" / "reach"
        return folder / f"settings-tests-{ctx.python}.json", folder / f"tests-{ctx.python}.json"

    def _reach_settings(self, ctx: CheckContext) -> Path:
        """Tell the plugin to track what each test file reaches (see ``observed``)."""
        settings, output = self._reach_paths(ctx)
        output.parent.mkdir(parents=True, exist_ok=True)
        for stale in output.parent.glob(f"{output.name}*"):
            stale.unlink(missing_ok=True)
        packages = sorted({PurePosixPath(p).stem for p in ctx.project.packages})
        document = {"root": str(ctx.root), "output": str(output), "packages": packages}
        settings.write_text(json.dumps(document), encoding="utf-8")
        return settings

    def _only(self, ctx: CheckContext, files: Sequence[str]) -> list[str]:
        """Arguments that make pytest collect only ``files`` (an incremental run), each as a
        whole run collects it: the same paths, conftest files and collection rules."""
        listing = state_dir(ctx.root) / "cache" / "reach" / f"only-tests-{ctx.python}.txt"
        listing.parent.mkdir(parents=True, exist_ok=True)
        listing.write_text("".join(f"{ctx.root / f}\n" for f in files), encoding="utf-8")
        return [f"--ci-sessions-only={listing}"]

    def _shard_args(self, ctx: CheckContext) -> list[str]:
        if ctx.shard is None:
            return []
        durations = ctx.reports_dir / f"test-durations-{ctx.python}.json"
        document = {"root": str(ctx.root), "durations": dict(ctx.shard.durations)}
        durations.write_text(json.dumps(document), encoding="utf-8")
        return [f"--ci-sessions-shard={ctx.shard.label}", f"--ci-sessions-durations={durations}"]

    def _shard_data(self, ctx: CheckContext) -> Path:
        """Where a shard's coverage data goes (CI combines every shard's report into one)."""
        data = ctx.root / ".ci-sessions" / "coverage" / f"shard-{ctx.python}" / ".coverage"
        if data.parent.is_dir():
            for stale in data.parent.glob(".coverage*"):
                stale.unlink()
        return data

    def _shard_coverage(
        self, ctx: CheckContext, env: Environment, data: Path, result: CheckResult
    ) -> None:
        """This shard's coverage as a JSON report (``ci-sessions report --combine`` merges them)."""
        from ci_sessions.checks.coverage_omit import omit_argument

        report = self._report_paths(ctx)[2]
        python = str(env.python)
        omitted = omit_argument(ctx, env)  # not ci-sessions' own plugins
        steps = [
            [python, "-m", "coverage", "combine", f"--data-file={data}", str(data.parent)],
            [python, "-m", "coverage", "json", f"--data-file={data}", *([omitted] if omitted else []),
             "-o", str(report)],
        ]  # fmt: skip
        for argv in steps:
            run = ctx.exec(argv, env)
            if run.returncode != 0:
                result.output += f"\nshard coverage not written: {run.tail(3)}"
                return
        result.artifacts["coverage-shard"] = report.relative_to(ctx.root).as_posix()

    def run(self, ctx: CheckContext, envs: Mapping[str, Environment]) -> CheckResult:
        """Run pytest with this run's own outcomes and JUnit files, published once read.

        Two runs of one project at once (two terminals, a hook and a tier) each read what their
        own pytest wrote: the shared names are only ever replaced whole, after reading.
        """
        outcomes, junit, coverage = self._report_paths(ctx)
        for stale in (outcomes, junit, coverage, self._imports_file(ctx)):
            with contextlib.suppress(FileNotFoundError):
                stale.unlink()
        token = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        own = {final: final.with_name(f".{final.name}.{token}") for final in (outcomes, junit)}
        try:
            result = self._run_pytest(ctx, envs, own[outcomes], own[junit])
        finally:
            for final, private in own.items():
                with contextlib.suppress(FileNotFoundError):
                    os.replace(private, final)
        renamed = {
            private.relative_to(ctx.root).as_posix(): final.relative_to(ctx.root).as_posix()
            for final, private in own.items()
        }
        result.artifacts = {k: renamed.get(v, v) for k, v in result.artifacts.items()}
        return result

    def _run_pytest(
        self, ctx: CheckContext, envs: Mapping[str, Environment], outcomes: Path, junit: Path
    ) -> CheckResult:
        env = envs["project"]
        shard_data: Path | None = None
        if ctx.shard is not None and ctx.coverage_data is None:
            shard_data = self._shard_data(ctx)
            ctx = replace(ctx, coverage_data=shard_data)
        if ctx.selected_tests is not None and not ctx.selected_tests:
            return CheckResult(
                check=self.name, session=ctx.session, status=Status.SKIP, python=ctx.python,
                summary="no affected tests",
            )  # fmt: skip
        argv, parallel = self._argv(ctx, env, outcomes, junit)
        run = ctx.exec(argv, env, stream=ctx.stream, extra_env=self._plugin_env(ctx, env))
        result = pending_result(
            ctx,
            self.name,
            command=argv,
            output="" if ctx.stream else (run.stdout + run.stderr).rstrip(),
            metrics={"exit_code": run.returncode},
        )
        if env.spec.as_built:
            bypassed = self._as_built(ctx, result)
            if bypassed is not None:
                return bypassed
        if parallel:
            result.metrics["workers"] = workers(ctx)
        if ctx.shard is not None:
            result.metrics["shard"] = ctx.shard.label
        if (
            run.returncode in (INTERNAL_ERROR, USAGE_ERROR)
            or run.returncode > NO_TESTS
            or run.returncode < 0
        ):
            failed = error_result(
                ctx, self.name, f"pytest could not run (exit {run.returncode})", run.tail()
            )
            failed.output = result.output or failed.output
            failed.command = argv
            return failed
        try:
            counts = self._read(ctx, outcomes, junit)
        except (OSError, ValueError, ET_ParseError) as exc:
            return error_result(ctx, self.name, f"pytest wrote unreadable outcomes: {exc}")
        if counts is None:
            if run.returncode == NO_TESTS:
                result.metrics.update(
                    {"tests": 0, "passed": 0, "failed": 0, "errors": 0, "skipped": 0, "xfailed": 0}
                )
                result.checked = Checked("tests", 0)
                return result
            return error_result(ctx, self.name, "pytest wrote no outcomes", run.tail())
        self._record(ctx, result, counts, outcomes, junit)
        if shard_data is not None:
            self._shard_coverage(ctx, env, shard_data, result)
        passed_on_rerun = self._rerun_known_flaky(ctx, env, counts, result)
        result.findings.extend(_failure_findings(counts, passed_on_rerun))
        return result

    def _argv(
        self, ctx: CheckContext, env: Environment, outcomes: Path, junit: Path
    ) -> tuple[list[str], bool]:
        """The pytest command, and whether it runs on pytest-xdist workers."""
        settings = ctx.settings("tests")
        runner, coverage_args = self._runner(ctx, env)
        only: list[str] = []
        if ctx.selected_tests is not None:
            targets = list(ctx.selected_tests)
        else:
            targets = settings.str_list("paths")
        if ctx.only_files is not None:
            only = self._only(ctx, ctx.only_files)
        reports = [f"--junitxml={junit}", "-o", f"junit_suite_name=tests-{ctx.python}"]
        # an incremental rerun of a few test files does not pay pytest-xdist's start-up
        few = ctx.only_files is not None and len(ctx.only_files) < FEW_FILES
        parallel = ["-n", workers(ctx)] if workers(ctx) and not few else []
        argv = [
            *runner,
            "-p",
            PLUGIN,
            f"--ci-sessions-outcomes={outcomes}",
            *([f"--ci-sessions-progress={ctx.progress_file}"] if ctx.progress_file else []),
            *only,
            *(reports if self._wants_junit(ctx) else []),
            *parallel,
            *coverage_args,
            *self._shard_args(ctx),
            *settings.str_list("args"),
            *targets,
            *ctx.posargs,
        ]
        return argv, bool(parallel)

    def _record(
        self,
        ctx: CheckContext,
        result: CheckResult,
        counts: JUnitReport,
        outcomes: Path,
        junit: Path,
    ) -> None:
        """The run's counts as metrics and ``checked``, and the files it left as artifacts."""
        if outcomes.is_file():
            result.artifacts["outcomes"] = outcomes.relative_to(ctx.root).as_posix()
        reach = self._reach_paths(ctx)[1]
        if ctx.observe and reach.parent.is_dir():
            result.artifacts["reach"] = reach.relative_to(ctx.root).as_posix()
        if junit.is_file():
            result.artifacts["junit"] = junit.relative_to(ctx.root).as_posix()
        result.checked = Checked("tests", counts.tests - counts.skipped)  # tests that ran
        result.metrics.update(
            {
                "tests": counts.tests,
                "passed": counts.passed,
                "failed": counts.failures,
                "errors": counts.errors,
                "skipped": counts.skipped,
                "xfailed": counts.xfailed,  # ran and failed as expected (pytest's own count)
            }
        )

    def _as_built(self, ctx: CheckContext, result: CheckResult) -> CheckResult | None:
        """Say where a compiled project's modules were imported from; ERROR when a compiled
        module came from the tree (the build was not what the tests ran)."""
        imports = asbuilt.read_imports(self._imports_file(ctx))
        lines = asbuilt.describe_imports(ctx.root, imports)
        if not any(asbuilt.is_extension(origin) for origin in imports.values()):
            lines.append("as built: the tests imported no compiled module of the project")
        result.output = "\n".join([result.output, *lines]).strip()
        stale = asbuilt.in_tree(ctx.root, imports)
        if not stale:
            return None
        failed = error_result(
            ctx, self.name,
            f"compiled module(s) imported from the tree, not the build: {', '.join(stale)}",
        )  # fmt: skip
        failed.output, failed.command = result.output, result.command
        return failed

    @staticmethod
    def _read(ctx: CheckContext, outcomes: Path, junit: Path) -> JUnitReport | None:
        """The run's outcomes: the plugin's file, else the JUnit report, else None."""
        if outcomes.is_file():
            return parse_outcomes(outcomes, ctx.root)
        if junit.is_file():
            return parse_junit(junit, ctx.root)
        return None

    def _rerun_known_flaky(
        self, ctx: CheckContext, env: Environment, counts: JUnitReport, result: CheckResult
    ) -> set[str]:
        """Rerun failed tests the history knows as flaky, once; return those that then passed.

        A test never seen flaking is never rerun: a new failure always fails the gate.
        """
        if not counts.failed or "history" not in ctx.config.values:
            return set()
        if not ctx.config.section("history").bool("rerun-flaky"):
            return set()
        failed_ids = [test.test_id for test in counts.failed]
        flaky = ctx.known_flaky(failed_ids)
        if not flaky:
            return set()
        rerun_outcomes = ctx.reports_dir / f"outcomes-rerun-tests-{ctx.python}.json"
        with contextlib.suppress(FileNotFoundError):
            rerun_outcomes.unlink()
        rerun = ctx.exec(
            [
                str(env.python),
                "-m",
                "pytest",
                "-p",
                PLUGIN,
                f"--ci-sessions-outcomes={rerun_outcomes}",
                "-p",
                "no:cacheprovider",
                *flaky,
            ],
            env,
            extra_env={"PYTHONPATH": self._plugin_path(ctx, env)},
        )
        result.output += (
            f"\n\nrerun of known-flaky tests (exit {rerun.returncode}):\n{rerun.tail(5)}"
        )
        if not rerun_outcomes.is_file():
            return set()
        result.artifacts["outcomes-rerun"] = rerun_outcomes.relative_to(ctx.root).as_posix()
        # only a test the rerun ran and passed: one it could not find or skipped did not pass
        again = {
            test.test_id: test.outcome for test in read_outcomes(rerun_outcomes, ctx.root).outcomes
        }
        first = {test.test_id: test.outcome for test in counts.failed}
        passed = {test for test in flaky if test in first and again.get(test) == "passed"}
        result.metrics["flaky_reruns"] = len(flaky)
        result.metrics["flaky_passed"] = len(passed)
        errors = sum(1 for test in passed if first[test] == "error")
        result.metrics["errors"] = int(result.metrics.get("errors", 0)) - errors
        result.metrics["failed"] = int(result.metrics.get("failed", 0)) - (len(passed) - errors)
        result.metrics["passed"] = int(result.metrics.get("passed", 0)) + len(passed)
        return passed

    # -- incremental runs ---------------------------------------------------------------------

    def units(self, ctx: CheckContext, files: ProjectFiles) -> list[str] | str:
        """The files pytest may collect: test files by its ``python_files`` patterns, every
        module when it collects doctests from modules, and its doctest text files. A file it
        does not collect stays without tests; one it collects that is not counted makes the
        run disown the list (``unit_results``)."""
        if _version(ctx.python) < TRACKED_FROM:
            return (
                f"tests on Python {ctx.python} run whole: tracking what each test file reaches "
                "needs Python 3.12's sys.monitoring (earlier, it costs more than it saves); "
                "a Python 3.12 or later in [tool.ci-sessions] python runs incrementally"
            )
        if ctx.coverage_data is not None:
            return "coverage is measured in this run: it needs every test"
        if ctx.selected_tests is not None:
            return "the affected-test selection chose the test files"
        if ctx.shard is not None:
            return "a shard of the suite runs"
        if ctx.posargs:
            return f"the session arguments ({' '.join(ctx.posargs)}) choose what pytest runs"
        args = ctx.settings("tests").str_list("args")
        if any(a in _STATEFUL_ARGS or a.startswith(_STATEFUL_PREFIXES) for a in args):
            return "tests.args makes pytest choose tests from its own cache (--lf, --ff, --sw)"
        units = set(files.tests) | set(files.doctest_files)
        if files.doctests or "--doctest-modules" in args:
            units.update(p for p in files.python if p.endswith(".py"))
        paths = ctx.settings("tests").str_list("paths")
        return sorted(u for u in units if not paths or _in_paths(u, paths))

    def unit_results(
        self, ctx: CheckContext, result: CheckResult, units: Sequence[str]
    ) -> dict[str, UnitPayload] | str:
        """Each test file's outcomes; a file with a failing test, or one whose collected tests
        did not all run (an interrupted run, ``-x``), keeps nothing (it runs again)."""
        path = result.artifacts.get("outcomes")
        try:
            collected = collected_counts(reach_documents(self._reach_paths(ctx)[1]), ctx.root)
        except ValueError as error:
            return f"the record of what the tests reached cannot be read ({error})"
        if path is None:
            if int(result.metrics.get("tests", 0)):
                return "pytest wrote no per-test outcomes"
            return {unit: [] for unit in units}
        report = read_outcomes(ctx.root / path, ctx.root)
        kept: dict[str, list[Any]] = {unit: [] for unit in units}
        failing: set[str] = set()
        for test in report.outcomes:
            file = test.test_id.split("::", 1)[0]
            rows = kept.get(file)
            if rows is None:
                return (
                    f"pytest ran {file}, which ci-sessions does not count as a test file "
                    "(set python_files in [tool.pytest.ini_options] to the patterns your test "
                    "files follow)"
                )
            if test.failed:
                failing.add(file)
            rows.append([test.test_id, test.outcome, round(test.duration, 4)])
        for file, count in collected.items():
            if file in kept and len({row[0] for row in kept[file]}) < count:
                failing.add(file)  # not every test of it ran: it runs again
        return {unit: None if unit in failing else rows for unit, rows in kept.items()}

    def reusable(self, payload: UnitPayload) -> bool:
        """A test file whose kept outcomes hold a failure is never reused: it runs again."""
        return all(outcome in _KEPT_OUTCOMES for outcome in kept_outcomes(payload))

    def observed(self, ctx: CheckContext, result: CheckResult) -> Observed | None:
        """What each test file's tests reached, from the plugin's record (its xdist workers'
        records merged)."""
        if "reach" not in result.artifacts:
            return None
        try:
            documents = reach_documents(self._reach_paths(ctx)[1])
        except ValueError:
            return None  # a record read wrongly could select too few tests: none is used
        if not documents or any(not d["how"].startswith("sys.") for d in documents):
            return None
        return observed_from(documents, ctx.root, ctx.project.packages)

    def merge(
        self, ctx: CheckContext, result: CheckResult, reused: Mapping[str, UnitPayload]
    ) -> CheckResult:
        """This run's counts plus the reused files' outcomes, each counted as what it was."""
        metrics = result.metrics
        ran = int(metrics.get("tests", 0))
        metrics["tests_rerun"] = ran
        if not reused:
            return result
        outcomes = [outcome for payload in reused.values() for outcome in kept_outcomes(payload)]
        skipped, xfailed = outcomes.count("skipped"), outcomes.count("xfailed")
        bad = len(outcomes) - skipped - xfailed - outcomes.count("passed")
        metrics["tests"] = ran + len(outcomes)
        metrics["passed"] = int(metrics.get("passed", 0)) + outcomes.count("passed")
        metrics["skipped"] = int(metrics.get("skipped", 0)) + skipped
        metrics["xfailed"] = int(metrics.get("xfailed", 0)) + xfailed
        metrics["failed"] = int(metrics.get("failed", 0)) + bad  # never, but never a pass
        metrics.setdefault("errors", 0)
        result.checked = Checked("tests", int(metrics["tests"]) - int(metrics["skipped"]))
        if int(metrics.get("exit_code", NO_TESTS)) == NO_TESTS and outcomes:
            metrics["exit_code"] = OK  # nothing to rerun is not "no tests"
        if bad:
            metrics["exit_code"] = TESTS_FAILED
        note = f"{len(outcomes)} test(s) in {len(reused)} unchanged file(s) kept from the last run"
        result.output = f"{result.output}\n{note}" if result.output else note
        return result

    def evaluate(self, ctx: CheckContext, result: CheckResult) -> CheckResult:
        settings = ctx.settings("tests")
        code = int(result.metrics.get("exit_code", 0))
        failed = int(result.metrics.get("failed", 0)) + int(result.metrics.get("errors", 0))
        tests = int(result.metrics.get("tests", 0))
        if code == NO_TESTS or tests == 0:
            result.summary = "no tests collected"
            if settings.bool("allow-no-tests"):
                result.status = Status.SKIP
                return result
            return apply_gates(result, [Gate("tests collected", Status.FAIL, 0, 1, ">=")])
        gates = [at_most("failed tests", failed, settings.int("max-failures"))]
        # pytest's exit 1 is excused only when known-flaky failures passed again; an interrupted
        # run (2: also a failed collection) never: not every test ran
        excused = code == TESTS_FAILED and result.metrics.get("flaky_passed")
        if code != OK and failed == 0 and not excused:
            gates.append(Gate("pytest exit code", Status.FAIL, code, 0, "=="))
        result.summary = (
            f"{result.metrics.get('passed', 0)} passed, {failed} failed, "
            f"{result.metrics.get('skipped', 0)} skipped"
        )
        if int(result.metrics.get("xfailed", 0)):
            result.summary += f", {result.metrics['xfailed']} xfailed"
        rerun = result.metrics.get("tests_rerun")
        if rerun is not None and int(rerun) != tests:
            result.summary += f" ({rerun} run now, the rest kept)"
        return apply_gates(result, gates)
