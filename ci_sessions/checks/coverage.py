"""coverage.py across the test run(s): combine the parallel data, write XML + JSON, gate on percent.

In a tier the ``tests`` check runs pytest under ``coverage run --parallel-mode`` (the runner sets
``ctx.coverage_data``) and this check combines what every Python wrote. Alone (``nox -s
coverage``) it runs the tests itself first. The project's ``[tool.coverage]`` config is respected:
every coverage command runs from the project root.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import ClassVar, TypedDict

from ci_sessions.checks import tooljson
from ci_sessions.checks.base import (
    CheckBase,
    CheckContext,
    Environment,
    EnvSpec,
    RunPlan,
    error_result,
    pending_result,
)
from ci_sessions.checks.coverage_omit import omit_argument
from ci_sessions.gates import apply_gates, at_least
from ci_sessions.results import Checked, CheckResult, Gate, Status

#: coverage exit codes: fail_under is 2 after any report command (not a crash)
OK, FAIL_UNDER = 0, 2


def data_file(ctx: CheckContext) -> Path:
    """Where the combined data lives (the runner's choice, or the same default)."""
    return ctx.coverage_data or ctx.root / ".ci-sessions" / "coverage" / ".coverage"


def reset_data(path: Path) -> int:
    """Remove stale coverage data (combined and parallel files) before a run; return how many."""
    removed = 0
    if not path.parent.is_dir():
        return removed
    for stale in path.parent.glob(path.name + "*"):
        with contextlib.suppress(OSError):
            stale.unlink()
            removed += 1
    return removed


def project_fail_under(ctx: CheckContext) -> float | None:
    """``[tool.coverage.report] fail_under`` of the project, if set."""
    report = tooljson.member(tooljson.member(ctx.project.tool, "coverage"), "report")
    value = report.get("fail_under")
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def threshold(ctx: CheckContext) -> tuple[float, str]:
    """The minimum percent and where it came from: ci-sessions config wins over coverage's own."""
    configured = ctx.settings("coverage").float("min")
    if ctx.config.is_default("coverage.min"):
        own = project_fail_under(ctx)
        if own is not None:
            return own, "[tool.coverage.report] fail_under"
    return configured, ctx.config.source_of("coverage.min")


class CoverageTotals(TypedDict):
    """The ``totals`` of ``coverage json`` (the members the check reads); ``num_branches`` is
    None when the data was measured without branch coverage."""

    percent_covered: float
    num_statements: int
    covered_lines: int
    missing_lines: int
    num_branches: int | None
    covered_branches: int


class CoverageReport(TypedDict):
    totals: CoverageTotals
    files: int  # how many files the report lists


def read_report(document: object, where: str) -> CoverageReport:
    """A ``coverage json`` report; ``ValueError`` naming ``where`` when it is not an object."""
    data = tooljson.as_object(document, where)
    totals = tooljson.member(data, "totals")
    return CoverageReport(
        totals=CoverageTotals(
            percent_covered=tooljson.number(totals, "percent_covered"),
            num_statements=tooljson.integer(totals, "num_statements"),
            covered_lines=tooljson.integer(totals, "covered_lines"),
            missing_lines=tooljson.integer(totals, "missing_lines"),
            num_branches=tooljson.integer(totals, "num_branches")
            if "num_branches" in totals
            else None,
            covered_branches=tooljson.integer(totals, "covered_branches"),
        ),
        files=len(tooljson.member(data, "files")),
    )


def parse_totals(path: Path) -> dict[str, float | int]:
    """The totals of a ``coverage json`` report (percent, statements, branches)."""
    report = read_report(tooljson.load(path), path.name)
    totals = report["totals"]
    metrics: dict[str, float | int] = {
        "percent": round(totals["percent_covered"], 2),
        "statements": totals["num_statements"],
        "covered_lines": totals["covered_lines"],
        "missing_lines": totals["missing_lines"],
        "files": report["files"],
    }
    if totals["num_branches"] is not None:
        metrics["branches"] = totals["num_branches"]
        metrics["covered_branches"] = totals["covered_branches"]
    return metrics


def standalone_pythons(ctx: CheckContext) -> list[str]:
    """The Pythons the suite runs on when coverage runs alone, the check's own Python first.

    ``coverage.all-pythons``: every declared Python that is installed here, combined into one
    number (code behind ``sys.version_info`` branches counts once any Python ran it).
    """
    if not ctx.settings("coverage").bool("all-pythons"):
        return [ctx.python]
    from ci_sessions._interpreters import find_interpreter
    from ci_sessions.config import pythons

    declared, _origin = pythons.declared_versions(ctx.config.python, ctx.project.pyproject)
    others = [v for v in declared if v != ctx.python and find_interpreter(v) is not None]
    return [ctx.python, *others]


class CoverageCheck(CheckBase):
    """coverage.py over the test run(s): combined data, XML + JSON reports, a minimum percent."""

    name: ClassVar[str] = "coverage"
    tools: ClassVar[tuple[str, ...]] = ("coverage",)
    after: ClassVar[tuple[str, ...]] = ("tests",)

    def plan(self, plan: RunPlan) -> None:
        """The run's test runs collect data for this check; data an interrupted run left goes."""
        if "tests" in plan.checks:
            plan.coverage_data = plan.root / ".ci-sessions" / "coverage" / ".coverage"
            reset_data(plan.coverage_data)

    def environments(self, ctx: CheckContext) -> dict[str, EnvSpec]:
        # The project env with coverage: the one the tests ran in, so coverage plugins the
        # project configures are importable when reporting.
        from ci_sessions.checks.pytest import TestsCheck

        ctx = self._ctx(ctx)
        envs = TestsCheck().environments(ctx)
        if "tests" not in ctx.run_checks:
            for version in standalone_pythons(ctx)[1:]:
                spec = TestsCheck().environments(replace(ctx, python=version))["project"]
                envs[f"project-{version}"] = spec
        return envs

    @staticmethod
    def _ctx(ctx: CheckContext) -> CheckContext:
        return ctx if ctx.coverage_data is not None else replace(ctx, coverage_data=data_file(ctx))

    def run(self, ctx: CheckContext, envs: Mapping[str, Environment]) -> CheckResult:
        ctx = self._ctx(ctx)
        env = envs["project"]
        data = data_file(ctx)
        output: list[str] = []
        tests_gate: Gate | None = None
        if "tests" not in ctx.run_checks:
            tests_gate, tests_output, crashed = self._run_tests(ctx, envs, data)
            output.append(tests_output)
            if crashed is not None:
                return crashed
        python = str(env.python)
        combine = ctx.exec([python, "-m", "coverage", "combine", f"--data-file={data}"], env)
        text = (combine.stdout + combine.stderr).strip()
        if combine.returncode != OK:
            if "No data to combine" in text:
                # never report an older run's numbers as this run's
                return error_result(
                    ctx, self.name, "no coverage data from this run: the tests wrote none", text
                )
            return error_result(
                ctx,
                self.name,
                f"coverage combine failed (exit {combine.returncode})",
                combine.tail(),
            )
        output.append(text)
        omitted = omit_argument(ctx, env)
        if omitted is None:
            return error_result(ctx, self.name, "could not read coverage.py's configuration")
        reports = ctx.reports_dir
        xml_path, json_path = reports / "coverage.xml", reports / "coverage.json"
        for stale in (xml_path, json_path):
            with contextlib.suppress(FileNotFoundError):
                stale.unlink()
        commands = [
            [
                python,
                "-m",
                "coverage",
                "json",
                f"--data-file={data}",
                omitted,
                "-o",
                str(json_path),
            ],
            [python, "-m", "coverage", "xml", f"--data-file={data}", omitted, "-o", str(xml_path)],
            [
                python,
                "-m",
                "coverage",
                "report",
                f"--data-file={data}",
                omitted,
                "--show-missing",
                "--skip-covered",
            ],
        ]
        for argv in commands:
            run = ctx.exec(argv, env)
            if "No data to report" in run.stdout + run.stderr:
                return error_result(
                    ctx, self.name,
                    "coverage measured no file: [tool.coverage.run] source/include (or omit) "
                    "select nothing the tests ran",
                    "\n".join([*output, run.tail()]),
                )  # fmt: skip
            if run.returncode not in (OK, FAIL_UNDER):
                return error_result(
                    ctx, self.name, f"coverage {argv[3]} failed (exit {run.returncode})", run.tail()
                )
            if argv[3] == "report":
                output.append(run.stdout.strip())
        if not json_path.is_file():
            return error_result(ctx, self.name, "coverage json wrote no report", "\n".join(output))
        try:
            metrics = parse_totals(json_path)
        except (OSError, ValueError) as exc:
            return error_result(ctx, self.name, f"unreadable coverage JSON: {exc}")
        result = pending_result(
            ctx,
            self.name,
            metrics=dict(metrics),
            checked=Checked("files", int(metrics["files"])),
            command=commands[-1],
            output="\n".join(part for part in output if part),
            artifacts={
                "coverage_json": json_path.relative_to(ctx.root).as_posix(),
                "coverage_xml": xml_path.relative_to(ctx.root).as_posix(),
            },
        )
        if tests_gate is not None:
            result.gates = [tests_gate]
        return result

    def _run_tests(
        self, ctx: CheckContext, envs: Mapping[str, Environment], data: Path
    ) -> tuple[Gate | None, str, CheckResult | None]:
        """Standalone mode: the suite under coverage on each Python, on fresh data."""
        from ci_sessions.checks.pytest import TestsCheck

        reset_data(data)
        tests = TestsCheck()
        failed = 0
        outputs: list[str] = []
        summaries: list[str] = []
        for version in standalone_pythons(ctx):
            env = envs["project"] if version == ctx.python else envs[f"project-{version}"]
            run_ctx = ctx if version == ctx.python else replace(ctx, python=version)
            outcome = tests.run(run_ctx, {"project": env})
            outputs.append(outcome.output)
            if outcome.status is Status.ERROR:
                summary = f"tests could not run on Python {version}: {outcome.summary}"
                return None, outcome.output, error_result(ctx, self.name, summary, outcome.output)
            if outcome.status is not Status.SKIP:
                outcome = tests.evaluate(run_ctx, outcome)
            if outcome.status.blocking:
                failed += int(outcome.metrics.get("failed", 0)) + int(
                    outcome.metrics.get("errors", 0)
                )
                summaries.append(f"Python {version}: {outcome.summary}")
        gate = (
            Gate("failed tests", Status.FAIL, failed, 0, "<=", "; ".join(summaries))
            if summaries
            else None
        )
        return gate, "\n".join(o for o in outputs if o), None

    def evaluate(self, ctx: CheckContext, result: CheckResult) -> CheckResult:
        minimum, origin = threshold(ctx)
        percent = float(result.metrics.get("percent", 0.0))
        result.metrics["min"] = minimum
        result.metrics["min_source"] = origin
        gates = [at_least("coverage", percent, minimum, unit="%")]
        gates += [g for g in result.gates if g.name == "failed tests"]
        statements = result.metrics.get("statements", 0)
        result.summary = f"{percent:.2f}% of {statements} statements (min {minimum:.2f})"
        return apply_gates(result, gates)
