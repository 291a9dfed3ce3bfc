"""pytest, once per Python, in the project environment; verdict from the exit code and JUnit XML."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import ClassVar
from xml.etree.ElementTree import ParseError as ET_ParseError

from ci_sessions.checks.base import (
    CheckBase,
    CheckContext,
    Environment,
    EnvSpec,
    error_result,
    pending_result,
)
from ci_sessions.checks.projectenv import project_env
from ci_sessions.checks.tooling import tool_requirement
from ci_sessions.gates import apply_gates, at_most
from ci_sessions.junit import JUnitReport, parse_junit, read_junit
from ci_sessions.results import Checked, CheckResult, Finding, Gate, Status

#: pytest exit codes
OK, TESTS_FAILED, INTERRUPTED, INTERNAL_ERROR, USAGE_ERROR, NO_TESTS = 0, 1, 2, 3, 4, 5


def _first_line(text: str) -> str:
    lines = text.strip().splitlines()
    return lines[0] if lines else ""


class TestsCheck(CheckBase):
    """``pytest`` in the project environment, JUnit XML written, failures fail the gate."""

    name: ClassVar[str] = "tests"
    tools: ClassVar[tuple[str, ...]] = ("pytest",)
    runs_tests: ClassVar[bool] = True
    per_python: ClassVar[bool] = True

    def environments(self, ctx: CheckContext) -> dict[str, EnvSpec]:
        if ctx.coverage_data is None:
            return {"project": project_env(ctx)}
        spec = project_env(ctx, extra_requirements=(tool_requirement(ctx, "coverage")[0],))
        return {"project": EnvSpec("project-cov", spec.python, spec.requirements, spec.inputs)}

    def run(self, ctx: CheckContext, envs: Mapping[str, Environment]) -> CheckResult:
        settings = ctx.settings("tests")
        env = envs["project"]
        junit = ctx.reports_dir / f"junit-tests-{ctx.python}.xml"
        with contextlib.suppress(FileNotFoundError):
            junit.unlink()
        if ctx.selected_tests is not None and not ctx.selected_tests:
            return CheckResult(
                check=self.name, session=ctx.session, status=Status.SKIP, python=ctx.python,
                summary="no affected tests",
            )  # fmt: skip
        runner = [str(env.python), "-m"]
        if ctx.coverage_data is not None:
            ctx.coverage_data.parent.mkdir(parents=True, exist_ok=True)
            runner += [
                "coverage",
                "run",
                "--parallel-mode",
                f"--data-file={ctx.coverage_data}",
                "-m",
            ]
        targets = (
            ctx.selected_tests if ctx.selected_tests is not None else settings.str_list("paths")
        )
        argv = [
            *runner,
            "pytest",
            f"--junitxml={junit}",
            "-o",
            f"junit_suite_name=tests-{ctx.python}",
            *settings.str_list("args"),
            *targets,
            *ctx.posargs,
        ]
        run = ctx.exec(argv, env, stream=ctx.stream)
        result = pending_result(
            ctx,
            self.name,
            command=argv,
            output="" if ctx.stream else (run.stdout + run.stderr).rstrip(),
            metrics={"exit_code": run.returncode},
        )
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
        if not junit.is_file():
            if run.returncode == NO_TESTS:
                result.metrics.update(
                    {"tests": 0, "passed": 0, "failed": 0, "errors": 0, "skipped": 0}
                )
                result.checked = Checked("tests", 0)
                return result
            return error_result(ctx, self.name, "pytest wrote no JUnit report", run.tail())
        try:
            counts = parse_junit(junit, ctx.root)
        except (OSError, ET_ParseError) as exc:
            return error_result(ctx, self.name, f"pytest wrote an unreadable JUnit report: {exc}")
        result.artifacts["junit"] = junit.relative_to(ctx.root).as_posix()
        result.checked = Checked("tests", counts.tests - counts.skipped)  # tests that ran
        result.metrics.update(
            {
                "tests": counts.tests,
                "passed": counts.passed,
                "failed": counts.failures,
                "errors": counts.errors,
                "skipped": counts.skipped,
            }
        )
        passed_on_rerun = self._rerun_known_flaky(ctx, env, counts, result)
        for test in counts.failed:
            identifier, message = test.test_id, _first_line(test.message) or test.outcome
            if identifier in passed_on_rerun:
                result.findings.append(
                    Finding(
                        tool="pytest", rule="flaky-test", severity="note",
                        message=f"{identifier}: known flaky, passed on rerun ({message})",
                    )
                )  # fmt: skip
                continue
            path = identifier.split("::", 1)[0] if ".py" in identifier else ""
            result.findings.append(
                Finding(
                    tool="pytest",
                    rule="test-failure",
                    message=f"{identifier}: {message}",
                    path=path,
                )
            )
        return result

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
        rerun_junit = ctx.reports_dir / f"junit-rerun-tests-{ctx.python}.xml"
        rerun = ctx.exec(
            [
                str(env.python),
                "-m",
                "pytest",
                f"--junitxml={rerun_junit}",
                "-p",
                "no:cacheprovider",
                *flaky,
            ],
            env,
        )
        result.output += (
            f"\n\nrerun of known-flaky tests (exit {rerun.returncode}):\n{rerun.tail(5)}"
        )
        if not rerun_junit.is_file():
            return set()
        result.artifacts["junit-rerun"] = rerun_junit.relative_to(ctx.root).as_posix()
        still_failing = {test.test_id for test in read_junit(rerun_junit, ctx.root).failed}
        passed = {test for test in flaky if test not in still_failing}
        result.metrics["flaky_reruns"] = len(flaky)
        result.metrics["flaky_passed"] = len(passed)
        remaining = len(passed)
        for key in ("failed", "errors"):
            taken = min(remaining, int(result.metrics.get(key, 0)))
            result.metrics[key] = int(result.metrics.get(key, 0)) - taken
            remaining -= taken
        result.metrics["passed"] = int(result.metrics.get("passed", 0)) + len(passed)
        return passed

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
        if code != OK and failed == 0 and not result.metrics.get("flaky_passed"):
            gates.append(Gate("pytest exit code", Status.FAIL, code, 0, "=="))
        result.summary = (
            f"{result.metrics.get('passed', 0)} passed, {failed} failed, "
            f"{result.metrics.get('skipped', 0)} skipped"
        )
        return apply_gates(result, gates)
