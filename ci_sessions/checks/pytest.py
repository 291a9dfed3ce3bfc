"""pytest, once per Python, in the project environment; verdict from the exit code and JUnit XML."""

from __future__ import annotations

import contextlib
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from ci_sessions.checks.base import CheckContext, Environment, EnvSpec, error_result, pending_result
from ci_sessions.checks.projectenv import project_env
from ci_sessions.checks.tooling import tool_requirement
from ci_sessions.gates import apply_gates, at_most
from ci_sessions.results import CheckResult, Finding, Gate, Status

#: pytest exit codes
OK, TESTS_FAILED, INTERRUPTED, INTERNAL_ERROR, USAGE_ERROR, NO_TESTS = 0, 1, 2, 3, 4, 5


@dataclass
class JUnitCounts:
    tests: int = 0
    failures: int = 0
    errors: int = 0
    skipped: int = 0
    failed_cases: list[tuple[str, str, str]] = field(default_factory=list[tuple[str, str, str]])

    @property
    def passed(self) -> int:
        return self.tests - self.failures - self.errors - self.skipped


def parse_junit(path: Path) -> JUnitCounts:
    """Counts and failed cases (classname, name, message) from a JUnit XML file."""
    root = ET.parse(path).getroot()  # noqa: S314 - our own file
    suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
    counts = JUnitCounts()
    for suite in suites:
        for case in suite.iter("testcase"):
            counts.tests += 1
            for tag, attr in (("failure", "failures"), ("error", "errors")):
                element = case.find(tag)
                if element is not None:
                    setattr(counts, attr, getattr(counts, attr) + 1)
                    message = (element.get("message") or element.text or "").strip().splitlines()
                    counts.failed_cases.append(
                        (
                            case.get("classname", ""),
                            case.get("name", ""),
                            message[0] if message else tag,
                        )
                    )
                    break
            else:
                if case.find("skipped") is not None:
                    counts.skipped += 1
    return counts


def node_id(root: Path, classname: str, name: str) -> str:
    """Rebuild a pytest node id (``tests/test_x.py::TestA::test_b``) from JUnit names."""
    parts = classname.split(".") if classname else []
    for cut in range(len(parts), 0, -1):
        candidate = Path(*parts[:cut]).with_suffix(".py")
        if (root / candidate).is_file():
            return "::".join([candidate.as_posix(), *parts[cut:], name])
    return "::".join([*parts, name]) if parts else name


class TestsCheck:
    """``pytest`` in the project environment, JUnit XML written, failures fail the gate."""

    name: ClassVar[str] = "tests"
    per_python: ClassVar[bool] = True
    after: ClassVar[tuple[str, ...]] = ()

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
                return result
            return error_result(ctx, self.name, "pytest wrote no JUnit report", run.tail())
        counts = parse_junit(junit)
        result.artifacts["junit"] = junit.relative_to(ctx.root).as_posix()
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
        for classname, name, message in counts.failed_cases:
            identifier = node_id(ctx.root, classname, name)
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
        self, ctx: CheckContext, env: Environment, counts: JUnitCounts, result: CheckResult
    ) -> set[str]:
        """Rerun failed tests the history knows as flaky, once; return those that then passed.

        A test never seen flaking is never rerun: a new failure always fails the gate.
        """
        if not counts.failed_cases or "history" not in ctx.config.values:
            return set()
        if not ctx.config.section("history").bool("rerun-flaky"):
            return set()
        from ci_sessions.history.flaky import known_flaky

        failed_ids = [node_id(ctx.root, c, n) for c, n, _ in counts.failed_cases]
        flaky = known_flaky(ctx.root, failed_ids)
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
        still_failing = {
            node_id(ctx.root, c, n) for c, n, _ in parse_junit(rerun_junit).failed_cases
        }
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
