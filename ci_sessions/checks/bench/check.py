"""The performance gate: pytest-benchmark rounds compared with a saved baseline, statistically.

``nox -s bench`` runs the project's benchmarks and compares them with the baseline of
``bench.baseline-branch`` (unset: the repository's default branch, found by ``_git``); ``-- --save-baseline[=NAME]`` stores this run as the baseline of the
current branch (or NAME); ``-- --compare REF|FILE`` compares with another branch's baseline or a
saved JSON file. Other arguments go to pytest. The verdicts come from ci_sessions.checks.bench.significance.
"""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from ci_sessions._fs import state_dir
from ci_sessions.checks import tooljson
from ci_sessions.checks.base import (
    CheckBase,
    CheckContext,
    Environment,
    EnvSpec,
    ToolRun,
    error_result,
)
from ci_sessions.checks.bench.options import (
    NO_BRANCH,
    BenchOptions,
    baseline_branch,
    missing_reference,
    parse_posargs,
    validate_settings,
)
from ci_sessions.results import Checked, CheckResult, Gate, Status

if TYPE_CHECKING:
    from ci_sessions.checks.bench.data import BenchRun

#: pytest exit codes the check understands
OK, TESTS_FAILED, NO_TESTS = 0, 1, 5
#: bench.timer -> pytest-benchmark --benchmark-timer
TIMERS = {"cpu": "time.process_time", "wall": "time.perf_counter"}


def bench_env(ctx: CheckContext) -> EnvSpec:
    """The project environment (project + test deps) plus pytest-benchmark; never the linters."""
    from ci_sessions.checks.projectenv import project_env
    from ci_sessions.checks.tooling import requires, tool_requirement

    spec = project_env(ctx, extra_requirements=tuple(ctx.settings("bench").str_list("deps")))
    requirements = list(spec.requirements)
    if not any(requires(r, "pytest-benchmark") for r in requirements):
        requirements.append(tool_requirement(ctx, "pytest-benchmark")[0])
    return replace(spec, name="bench", requirements=tuple(requirements))


def bench_paths(ctx: CheckContext) -> list[str]:
    """Configured paths, else ``benchmarks/``, else the test directories (pytest's ``testpaths``
    when the project sets them)."""
    from ci_sessions.config.project import option_words, pytest_options

    configured = ctx.settings("bench").str_list("paths")
    if configured:
        return configured
    if (ctx.root / "benchmarks").is_dir():
        return ["benchmarks"]
    options = pytest_options(ctx.root, ctx.project.pyproject)
    testpaths = [p for p in option_words(options.get("testpaths")) if (ctx.root / p).is_dir()]
    return testpaths or ctx.project.test_dirs


def bench_file_patterns(ctx: CheckContext, paths: list[str]) -> list[str]:
    """pytest's ``python_files`` widened by the names of files named like benchmarks that it
    would not collect (``testing/benchmark.py``, ``benchmarks/bench_sort.py``); empty when there
    are none. (Naming such a file beside its folder does not work: pytest drops the file.)"""
    from ci_sessions.config.project import PYTEST_PYTHON_FILES, option_words, pytest_options

    options = pytest_options(ctx.root, ctx.project.pyproject)
    patterns = list(option_words(options.get("python_files"))) or list(PYTEST_PYTHON_FILES)
    extra: set[str] = set()
    for directory in paths:
        folder = ctx.root / directory
        for path in folder.rglob("*.py") if folder.is_dir() else ():
            hidden = any(part.startswith(".") for part in path.relative_to(ctx.root).parts)
            collected = any(fnmatch.fnmatch(path.name, p) for p in patterns)
            if "bench" in path.name and not hidden and not collected:
                extra.add(path.name)
    return [*patterns, *sorted(extra)] if extra else []


def pytest_argv(
    ctx: CheckContext, env: Environment, targets: list[str], json_path: Path, extra: tuple[str, ...]
) -> list[str]:
    """pytest with pytest-benchmark measuring only benchmarks, raw rounds written to ``json_path``."""
    settings = ctx.settings("bench")
    json_path.unlink(missing_ok=True)
    argv = [
        str(env.python), "-m", "pytest", *targets,
        "--benchmark-only", f"--benchmark-json={json_path}", "--benchmark-sort=name",
        # pytest-benchmark's own storage (.benchmarks/) stays out of the project's tree
        f"--benchmark-storage=file://{state_dir(ctx.root) / 'cache' / 'benchmarks'}",
        f"--benchmark-min-rounds={settings.int('min-rounds')}",
        f"--benchmark-max-time={settings.float('max-time')}",
        f"--benchmark-timer={TIMERS[settings.str('timer')]}", "--benchmark-warmup=on",
        "-p", "no:cacheprovider",
        # pytest-benchmark warns when nothing was measured; a project's `filterwarnings = error`
        # must not turn "no benchmarks" (SKIP) into a crash (ERROR)
        "-W", "ignore::pytest_benchmark.logger.PytestBenchmarkWarning",
    ]  # fmt: skip
    if settings.str("marker"):
        argv += ["-m", settings.str("marker")]
    patterns = bench_file_patterns(ctx, targets)
    if patterns:
        argv += ["-o", f"python_files={' '.join(patterns)}"]
    return [*argv, *settings.str_list("args"), *extra]


def read_run(path: Path, commit: str, branch: str, max_rounds: int) -> BenchRun:
    from ci_sessions.checks.bench.data import from_pytest_benchmark

    raw = tooljson.as_object(tooljson.load(path), path.name)
    return from_pytest_benchmark(raw, commit=commit, branch=branch, max_rounds=max_rounds)


def load_per_cpu() -> float | None:
    """The 1-minute load average per CPU (None where the OS has none): > 1 means a busy machine."""
    try:
        return os.getloadavg()[0] / (os.cpu_count() or 1)
    except (AttributeError, OSError):
        return None


def _failures(output: str) -> int:
    """Failed and erroring tests from pytest's last summary line."""
    counts = re.findall(
        r"(\d+) (?:failed|errors?)\b", output.strip().splitlines()[-1] if output.strip() else ""
    )
    return sum(int(c) for c in counts)


def baseline_label(options: BenchOptions, branch: str, reference: str) -> str:
    """The name ``--save-baseline`` saves under: the one given, else the branch checked out,
    else (detached HEAD) the reference compared with."""
    label = options.save_baseline or branch
    if not label or label == "HEAD":
        label = reference
    return label


def _save_baseline(ctx: CheckContext, result: CheckResult, current: BenchRun, label: str) -> None:
    from ci_sessions.checks.bench import data as benchdata

    target = benchdata.baseline_path(ctx.root, label)
    benchdata.save_run(target, current)
    result.artifacts["baseline"] = target.relative_to(ctx.root).as_posix()
    result.summary += f"; saved as baseline {label!r}"


class _Remeasure:
    """Measure some benchmarks again (node ids): a regression must show twice. What the second
    run prints is added to the result's output."""

    def __init__(
        self,
        ctx: CheckContext,
        env: Environment,
        options: BenchOptions,
        base: CheckResult,
        head: tuple[str, str],
    ) -> None:
        self.ctx, self.env, self.options, self.base = ctx, env, options, base
        self.commit, self.branch = head

    def __call__(self, fullnames: list[str]) -> BenchRun | None:
        ctx = self.ctx
        again_path = ctx.reports_dir / "bench-pytest-again.json"
        again_argv = pytest_argv(ctx, self.env, fullnames, again_path, self.options.pytest_args)
        again = ctx.exec(again_argv, self.env, stream=ctx.stream)
        self.base.output += "\n\n" + (again.stdout + again.stderr).rstrip()
        if again.returncode not in (OK, TESTS_FAILED) or not again_path.is_file():
            return None
        try:
            max_rounds = ctx.settings("bench").int("max-rounds")
            return read_run(again_path, self.commit, self.branch, max_rounds)
        except ValueError:
            return None


class BenchCheck(CheckBase):
    """pytest-benchmark runs, compared with a baseline by ci_sessions.checks.bench.significance."""

    name: ClassVar[str] = "bench"
    tools: ClassVar[tuple[str, ...]] = ("pytest-benchmark",)
    after: ClassVar[tuple[str, ...]] = ("tests",)
    #: a measurement is never replayed from the result cache: speed depends on more than files,
    #: and ``--save-baseline`` must really measure and save
    cacheable: ClassVar[bool] = False
    #: measure with no other check running: concurrent checks compete for the CPUs and caches
    exclusive: ClassVar[bool] = True

    def environments(self, ctx: CheckContext) -> dict[str, EnvSpec]:
        return {"bench": bench_env(ctx)}

    def run(self, ctx: CheckContext, envs: Mapping[str, Environment]) -> CheckResult:
        from ci_sessions._git import head_facts as git_facts
        from ci_sessions.checks.bench import data as benchdata

        options = parse_posargs(ctx.posargs)
        settings = ctx.settings("bench")
        validate_settings(settings.float("alpha"), settings.float("max-time"))
        if options.compare and benchdata.resolve_reference(ctx.root, options.compare) is None:
            return error_result(ctx, self.name, missing_reference(options.compare))
        raw_path = ctx.reports_dir / "bench-pytest.json"
        argv = pytest_argv(ctx, envs["bench"], bench_paths(ctx), raw_path, options.pytest_args)
        run = ctx.exec(argv, envs["bench"], stream=ctx.stream)
        load = load_per_cpu()
        output = (run.stdout + run.stderr).rstrip()
        base = CheckResult(
            check=self.name, session=ctx.session, status=Status.PASS, python=ctx.python,
            output=output, command=argv,
        )  # fmt: skip
        if run.returncode not in (OK, TESTS_FAILED, NO_TESTS):
            return self._error(ctx, base, f"pytest exited with {run.returncode}:\n{run.tail()}")
        if run.returncode == NO_TESTS or not raw_path.is_file():
            return self._nothing_measured(ctx, base, run, raw_path)
        commit, branch = git_facts(ctx.root)
        try:
            current = read_run(raw_path, commit, branch, settings.int("max-rounds"))
        except ValueError as exc:
            return self._error(ctx, base, f"cannot read {raw_path.name}: {exc}")
        failed = _failures(output) or (1 if run.returncode == TESTS_FAILED else 0)
        base.metrics = {"benchmarks": len(current.benchmarks), "failed": failed}
        base.checked = Checked("benchmarks", len(current.benchmarks))
        if load is not None:
            base.metrics["load-per-cpu"] = round(load, 2)
        base.artifacts["bench-pytest"] = raw_path.relative_to(ctx.root).as_posix()
        if not current.benchmarks:
            base.summary = "no benchmarks ran (tests skipped or failed)"
            return base
        reference = options.compare or baseline_branch(ctx)
        if reference is None:
            return self._error(ctx, base, NO_BRANCH)
        if not options.compare:
            base.metrics["baseline-branch"] = reference
        from ci_sessions.checks.bench.compare import compare_and_report

        remeasure = _Remeasure(ctx, envs["bench"], options, base, (commit, branch))
        confirm = remeasure if settings.bool("confirm") else None
        try:
            result, current = compare_and_report(
                ctx, base, current, options, reference, remeasure=confirm
            )
        except ValueError as exc:
            return self._error(ctx, base, str(exc))
        if options.save_baseline is not None:
            _save_baseline(ctx, result, current, baseline_label(options, branch, reference))
        return result

    def _nothing_measured(
        self, ctx: CheckContext, base: CheckResult, run: ToolRun, raw_path: Path
    ) -> CheckResult:
        """pytest collected no benchmark (or wrote no JSON): nothing to check, unless it failed."""
        # --benchmark-only skips every plain test: exit 0 and no JSON means no benchmark ran
        if run.returncode not in (NO_TESTS, OK):
            return self._error(ctx, base, f"pytest wrote no {raw_path.name}:\n{run.tail()}")
        base.metrics = {"benchmarks": 0}
        base.checked = Checked("benchmarks", 0)
        base.summary = "no benchmarks collected in " + (
            ", ".join(bench_paths(ctx)) or "the project"
        )
        return base

    def _error(self, ctx: CheckContext, base: CheckResult, message: str) -> CheckResult:
        lines = message.splitlines()
        detail = "\n".join(lines[1:])
        # the tool's tail is already in its output: print it once
        output = base.output if detail and detail in base.output else f"{base.output}\n{detail}"
        result = error_result(ctx, self.name, lines[0], output.strip())
        result.command = base.command
        return result

    def evaluate(self, ctx: CheckContext, result: CheckResult) -> CheckResult:
        from ci_sessions.gates import apply_gates, at_least, at_most

        metrics = result.metrics
        gates: list[Gate] = []
        if int(metrics.get("benchmarks", 0)) == 0:
            if ctx.settings("bench").bool("allow-no-benchmarks"):
                result.status = Status.SKIP
                return result
            return apply_gates(result, [at_least("benchmarks", 0, 1)])
        failed = int(metrics.get("failed", 0))
        if failed:
            gates.append(at_most("failed benchmarks", failed, 0))
        reference = str(metrics.get("reference", ""))
        if not reference:
            branch = str(metrics.get("baseline-branch", ""))
            gates.append(
                Gate(
                    "baseline",
                    Status.WARN,
                    message=f"none for {branch!r}: run `nox -s bench -- --save-baseline` on {branch}",
                )
            )
        if metrics.get("machine-differs"):
            gates.append(Gate("machine", Status.WARN, message=str(metrics["machine-differs"])))
        for key in sorted(k for k in metrics if k.startswith("verdict:")):
            name = key.partition(":")[2]
            verdict = str(metrics[key])
            evidence = float(metrics[f"evidence:{name}"])
            limit = 1 + float(metrics[f"threshold:{name}"])
            gates.append(
                Gate(
                    name,
                    Status.FAIL if verdict == "regressed" else Status.PASS,
                    value=round(evidence, 3),
                    threshold=round(limit, 3),
                    comparison="<=",
                    message=f"{verdict}: median ratio {float(metrics[f'ratio:{name}']):.3f}x "
                    f"({float(metrics[f'ci_low:{name}']):.3f}-{float(metrics[f'ci_high:{name}']):.3f})",
                )
            )
        return apply_gates(result, gates)
