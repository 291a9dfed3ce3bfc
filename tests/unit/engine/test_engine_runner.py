"""The runner: dependency order, exclusive checks after the pool, crashes as ERROR rows."""

from __future__ import annotations

import dataclasses
import io
import os
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import pytest

from ci_sessions._fs import state_dir
from ci_sessions.checks.base import (
    CheckBase,
    CheckContext,
    Environment,
    EnvSpec,
    IncrementalBase,
    ProjectFiles,
    RunPlan,
    Shard,
)
from ci_sessions.config import load_config
from ci_sessions.config.project import load_project
from ci_sessions.engine.environments import EnvManager
from ci_sessions.engine.runner import (
    Invocation,
    RunOptions,
    _dependency_order,
    _EnvPool,
    _render_block,
    _Run,
    effective_jobs,
    run_checks,
    run_one,
)
from ci_sessions.errors import ConfigError, EnvError
from ci_sessions.results import UNAVAILABLE, Checked, CheckResult, Status

LOG: list[tuple[str, str]] = []
LOCK = threading.Lock()
#: how long a check gives a wrongly scheduled check the chance to start (never waited for in a
#: correct run: it only bounds how long a broken runner takes to be caught)
GRACE = 0.3


class _Step(CheckBase):
    """Records its start and end in LOG; may wait on a barrier shared with the checks it must
    run beside, watch for a check that must not start while it runs, or crash."""

    def __init__(self, name: str, *, after: tuple[str, ...] = (), exclusive: bool = False,
                 crash: bool = False, beside: threading.Barrier | None = None,
                 not_during: str = "") -> None:  # fmt: skip
        self.name = name
        self.after = after
        self.exclusive = exclusive
        self.crash = crash
        self.beside = beside
        self.not_during = not_during

    def environments(self, ctx: CheckContext) -> dict[str, EnvSpec]:
        return {}

    def run(self, ctx: CheckContext, envs: Mapping[str, Environment]) -> CheckResult:
        with LOCK:
            LOG.append((self.name, "start"))
            STARTED.setdefault(self.name, threading.Event()).set()
        if self.beside is not None:
            self.beside.wait()  # BrokenBarrierError (an ERROR row) unless they run side by side
        if self.not_during:
            early = STARTED.setdefault(self.not_during, threading.Event()).wait(GRACE)
            if early:
                raise RuntimeError(f"{self.not_during} started while {self.name} ran")
        with LOCK:
            LOG.append((self.name, "end"))
        if self.crash:
            raise RuntimeError("tool exploded")
        return CheckResult(self.name, ctx.session, Status.PASS, checked=Checked("files", 1))

    def evaluate(self, ctx: CheckContext, result: CheckResult) -> CheckResult:
        return result


STARTED: dict[str, threading.Event] = {}


def _run(tmp_path: Path, checks: list[_Step], jobs: int = 4) -> list[CheckResult]:
    LOG.clear()
    STARTED.clear()
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "p"\nversion = "1"\n')
    return run_checks(
        root=tmp_path,
        config=load_config(tmp_path, environ={}),
        project=load_project(tmp_path),
        session="tier",
        invocations=[Invocation(c, "3.11") for c in checks],  # type: ignore[arg-type]
        options=RunOptions(jobs=jobs, use_cache=False, progress="off"),
        manager=EnvManager(tmp_path, backend="virtualenv"),
        emit=lambda _text: None,
    )


def _position(name: str, event: str) -> int:
    return LOG.index((name, event))


def test_submission_follows_dependency_depth_not_tier_order() -> None:
    checks = [
        _Step("report", after=("coverage",)),
        _Step("coverage", after=("tests",)),
        _Step("tests"),
        _Step("lint"),
    ]
    order = [
        inv.check.name
        for _, inv in _dependency_order([Invocation(c, "3.11") for c in checks])  # type: ignore[arg-type]
    ]
    assert order == ["tests", "lint", "coverage", "report"]


def test_a_check_waits_for_the_checks_it_needs_even_when_listed_first(tmp_path: Path) -> None:
    results = _run(
        tmp_path, [_Step("coverage", after=("tests",)), _Step("tests", not_during="coverage")]
    )
    assert [r.check for r in results] == ["coverage", "tests"]  # reported in tier order
    assert [r.status for r in results] == [Status.PASS, Status.PASS], results[1].summary
    assert _position("coverage", "start") > _position("tests", "end")


def test_exclusive_checks_run_alone_after_every_other_check(tmp_path: Path) -> None:
    together = threading.Barrier(2, timeout=10)
    results = _run(
        tmp_path,
        [
            _Step("bench", exclusive=True),
            _Step("lint", beside=together, not_during="bench"),
            _Step("typecheck", beside=together, not_during="bench"),
        ],
    )
    # lint and typecheck met at the barrier: they really ran side by side; bench never ran
    # beside them, and started after both had finished
    assert [r.status for r in results] == [Status.PASS] * 3, [r.summary for r in results]
    assert _position("bench", "start") > max(
        _position("lint", "end"), _position("typecheck", "end")
    )


def test_a_crashing_check_is_an_error_row_and_the_others_still_report(tmp_path: Path) -> None:
    results = _run(tmp_path, [_Step("lint"), _Step("sast", crash=True), _Step("tests")])
    statuses = {r.check: r.status for r in results}
    assert statuses == {"lint": Status.PASS, "sast": Status.ERROR, "tests": Status.PASS}
    crashed = next(r for r in results if r.check == "sast")
    assert "tool exploded" in crashed.summary and "RuntimeError" in crashed.summary
    assert (crashed.session, crashed.python) == ("tier", "3.11")
    assert "Traceback" in crashed.output


class _Counting(_Step):
    """Counts its runs; may fail, raise a configuration error, or have its findings accepted."""

    baselined = True

    def __init__(self, name: str, *, status: Status = Status.PASS, raises: Exception | None = None,
                 env_error: Exception | None = None) -> None:  # fmt: skip
        super().__init__(name)
        self.status = status
        self.raises = raises
        self.env_error = env_error
        self.runs = 0

    def environments(self, ctx: CheckContext) -> dict[str, EnvSpec]:
        if self.env_error is not None:
            raise self.env_error
        return {}

    def run(self, ctx: CheckContext, envs: Mapping[str, Environment]) -> CheckResult:
        self.runs += 1
        if self.raises is not None:
            raise self.raises
        return CheckResult(self.name, ctx.session, self.status, checked=Checked("files", 1))


def _run_with(tmp_path: Path, checks: list[_Counting], **options: object) -> list[CheckResult]:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "p"\nversion = "1"\n')
    settings: dict[str, object] = {"jobs": 1, "use_cache": False, "progress": "off", **options}
    return run_checks(
        root=tmp_path,
        config=load_config(tmp_path, environ={}),
        project=load_project(tmp_path),
        session="tier",
        invocations=[Invocation(c, "3.11") for c in checks],  # type: ignore[arg-type]
        options=RunOptions(**settings),  # type: ignore[arg-type]
        manager=EnvManager(tmp_path, backend="virtualenv"),
        emit=lambda _text: None,
    )


def test_fail_fast_skips_the_checks_after_a_failure_and_only_with_fail_fast(
    tmp_path: Path,
) -> None:
    checks = [_Counting("lint", status=Status.FAIL), _Counting("tests")]
    results = _run_with(tmp_path, checks, fail_fast=True)
    assert [r.status for r in results] == [Status.FAIL, Status.SKIP]
    assert checks[1].runs == 0 and "fail-fast" in results[1].summary
    assert (results[1].check, results[1].session, results[1].python) == ("tests", "tier", "3.11")
    checks = [_Counting("lint", status=Status.FAIL), _Counting("tests")]
    results = _run_with(tmp_path, checks)
    assert [r.status for r in results] == [Status.FAIL, Status.PASS]


def test_a_configuration_error_from_a_check_ends_the_run(tmp_path: Path) -> None:
    bad = ConfigError("pyproject.toml", "tool.x.y", "not a number", fix="write a number")
    with pytest.raises(ConfigError, match="not a number"):
        _run_with(tmp_path, [_Counting("lint"), _Counting("tests", raises=bad)], jobs=2)
    with pytest.raises(ConfigError, match="not a number"):
        _run_with(tmp_path, [_Counting("tests", env_error=bad)])  # while preparing


def test_an_environment_error_is_an_error_row_a_missing_python_a_skip_off_ci(
    tmp_path: Path,
) -> None:
    broken = EnvError("pip install failed", fix="read the log")
    missing = EnvError("python3.99 not found", missing_interpreter=True)
    results = _run_with(
        tmp_path, [_Counting("lint", env_error=broken), _Counting("tests", env_error=missing)]
    )
    assert [r.status for r in results] == [Status.ERROR, Status.SKIP]
    assert results[0].summary == "pip install failed" and "read the log" in results[0].output
    assert results[1].metrics[UNAVAILABLE] == 1
    assert all(0 <= r.duration < 60 for r in results)  # timed from the check's start
    assert [(r.check, r.session, r.python) for r in results] == [
        ("lint", "tier", "3.11"),
        ("tests", "tier", "3.11"),
    ]
    [on_ci] = _run_with(tmp_path, [_Counting("tests", env_error=missing)], in_ci=True)
    assert on_ci.status is Status.ERROR


def test_a_cached_pass_is_served_without_running_the_check_again(tmp_path: Path) -> None:
    check = _Counting("lint")
    first = _run_with(tmp_path, [check], use_cache=True)
    second = _run_with(tmp_path, [check], use_cache=True)
    assert [r.status for r in first + second] == [Status.PASS, Status.PASS]
    assert check.runs == 1 and second[0].session == "tier"
    _run_with(tmp_path, [check], use_cache=False)  # --no-cache runs it
    assert check.runs == 2


def test_accepted_findings_apply_to_a_verdict_never_to_an_error(tmp_path: Path) -> None:
    seen: list[Status] = []

    def accept(result: CheckResult) -> CheckResult:
        seen.append(result.status)
        result.summary = "accepted"
        return result

    results = _run_with(
        tmp_path,
        [_Counting("lint", status=Status.FAIL), _Counting("tests", raises=RuntimeError("boom"))],
        accept_findings=accept,
    )
    assert seen == [Status.FAIL]
    assert results[0].summary == "accepted" and results[1].status is Status.ERROR


# -- the parts of a run, one by one (the mutation run of engine/runner.py found them untested) --


class _Manager:
    """An environment manager that makes no environment: it records each build (and the
    thread that made it), whether the run released it, and what its log became."""

    def __init__(self, root: Path, *, broken: bool = False, delay: float = 0.0,
                 beside: threading.Barrier | None = None) -> None:  # fmt: skip
        self.root = root
        self.beside = beside
        self.broken = broken
        self.delay = delay
        self.built: list[tuple[EnvSpec, str]] = []
        self.finished = 0
        self.released = 0
        self.messages: list[str] = []
        self.log = self.original_log

    def original_log(self, text: str) -> None:
        self.messages.append(text)

    def ensure(self, spec: EnvSpec) -> Environment:
        with LOCK:
            self.built.append((spec, threading.current_thread().name))
        self.log(f"building {spec.key}")
        time.sleep(self.delay)
        if self.beside is not None:
            self.beside.wait()  # BrokenBarrierError unless another build runs at the same time
        with LOCK:
            self.finished += 1
        if self.broken:
            raise EnvError(f"cannot build {spec.key}\nsecond line", fix="retry")
        return Environment(spec, self.root / spec.key, self.root / spec.key / "bin" / "python")

    def release(self) -> None:
        self.released += 1


class _Seeing(CheckBase):
    """Records the context and environments it was given; needs the environments it is told."""

    def __init__(self, name: str, *, specs: dict[str, EnvSpec] | None = None,
                 runs_tests: bool = False, per_python: bool = False,
                 result: CheckResult | None = None, tools: tuple[str, ...] = (),
                 cacheable: bool = True, env_crash: int = 0) -> None:  # fmt: skip
        self.name = name
        self.specs = specs or {}
        self.runs_tests = runs_tests
        self.per_python = per_python
        self.result = result
        self.tools = tools
        self.cacheable = cacheable
        self.env_crash = env_crash
        self.contexts: list[CheckContext] = []
        self.envs: list[Mapping[str, Environment]] = []
        self.progress_dir_existed: list[bool] = []
        self.pause = 0.0  # seconds the check takes

    def environments(self, ctx: CheckContext) -> dict[str, EnvSpec]:
        if self.env_crash > 0:  # the next `env_crash` calls fail
            self.env_crash -= 1
            raise RuntimeError("environments exploded")
        return {
            role: dataclasses.replace(spec, python=ctx.python) for role, spec in self.specs.items()
        }

    def run(self, ctx: CheckContext, envs: Mapping[str, Environment]) -> CheckResult:
        self.contexts.append(ctx)
        self.envs.append(envs)
        time.sleep(self.pause)
        if ctx.progress_file is not None:
            self.progress_dir_existed.append(ctx.progress_file.parent.is_dir())
            ctx.progress_file.write_text("{}")
        if self.result is not None:
            return self.result
        return CheckResult(self.name, ctx.session, Status.PASS, checked=Checked("files", 2))

    def evaluate(self, ctx: CheckContext, result: CheckResult) -> CheckResult:
        return result


def _project(tmp_path: Path, settings: str = "") -> None:
    (tmp_path / "pyproject.toml").write_text(
        f'[project]\nname = "p"\nversion = "1"\n\n[tool.ci-sessions]\n{settings}\n'
    )


def _run_seeing(tmp_path: Path, checks: list[_Seeing], *, manager: _Manager | None = None,
                python: str = "3.11", emit: Callable[[str], None] | None = None,
                stream: io.StringIO | None = None, **options: object) -> list[CheckResult]:  # fmt: skip
    if not (tmp_path / "pyproject.toml").exists():
        _project(tmp_path)
    settings: dict[str, object] = {"jobs": 1, "use_cache": False, "progress": "off", **options}
    return run_checks(
        root=tmp_path,
        config=load_config(tmp_path, environ={}),
        project=load_project(tmp_path),
        session="tier",
        invocations=[Invocation(c, python) for c in checks],  # type: ignore[arg-type]
        options=RunOptions(**settings),  # type: ignore[arg-type]
        manager=manager or _Manager(tmp_path),  # type: ignore[arg-type]
        emit=emit or (lambda _text: None),
        stream=stream,
    )


def test_jobs_zero_or_less_means_one_per_cpu_and_never_none(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert effective_jobs(3) == 3
    assert effective_jobs(1) == 1
    monkeypatch.setattr(os, "cpu_count", lambda: 6)
    assert effective_jobs(0) == 6
    assert effective_jobs(-2) == 6
    monkeypatch.setattr(os, "cpu_count", lambda: None)  # the count is unknown
    assert effective_jobs(0) == 1


def test_a_per_python_check_is_labelled_with_its_python() -> None:
    assert Invocation(_Seeing("tests", per_python=True), "3.12").label == "tests-3.12"  # type: ignore[arg-type]
    assert Invocation(_Seeing("lint"), "3.12").label == "lint"  # type: ignore[arg-type]


def test_each_environment_is_built_once_however_many_checks_ask(tmp_path: Path) -> None:
    ruff = EnvSpec("ruff", "3.11", requirements=("ruff",))
    other_ruff = EnvSpec("ruff", "3.11", requirements=("ruff==0.1",))  # same key, other content
    project = EnvSpec("project", "3.11")
    manager = _Manager(tmp_path)
    pool = _EnvPool(manager)  # type: ignore[arg-type]
    first = pool.get(ruff)
    assert pool.get(ruff) is first
    assert pool.get(EnvSpec("ruff", "3.11", requirements=("ruff",))) is first  # an equal spec
    assert pool.get(other_ruff).spec == other_ruff
    assert pool.get(project).spec == project
    assert [spec for spec, _ in manager.built] == [ruff, other_ruff, project]


def test_what_a_check_is_told_about_its_run(tmp_path: Path) -> None:
    tests = _Seeing("tests", runs_tests=True)
    lint = _Seeing("lint")
    shard = Shard(1, 2)

    def flaky(names: Sequence[str]) -> list[str]:
        return list(names)

    _run_seeing(
        tmp_path, [tests, lint], posargs=["-k", "fast"], selected_tests=["tests/test_a.py"],
        shard=shard, in_ci=True, known_flaky=flaky,
    )  # fmt: skip
    [seen] = tests.contexts
    assert (seen.root, seen.python, seen.session) == (tmp_path, "3.11", "tier")
    assert seen.posargs == ["-k", "fast"]
    assert seen.run_checks == ("tests", "lint")
    assert seen.selected_tests == ["tests/test_a.py"] and seen.shard == shard
    assert seen.ci is True and seen.known_flaky is flaky
    assert seen.stream is False  # two checks: their output is buffered
    [other] = lint.contexts
    assert other.selected_tests is None and other.shard is None  # only for checks that run tests
    assert other.ci is True and other.posargs == ["-k", "fast"]
    assert other.config.top.bool("cache") and other.project.name == "p"


def test_the_posargs_a_check_gets_are_its_own_copy(tmp_path: Path) -> None:
    check = _Seeing("lint")
    posargs = ["-x"]
    _run_seeing(tmp_path, [check], posargs=posargs)
    assert check.contexts[0].posargs == posargs and check.contexts[0].posargs is not posargs


def test_a_single_check_streams_its_output(tmp_path: Path) -> None:
    check = _Seeing("lint")
    _run_seeing(tmp_path, [check])
    assert check.contexts[0].stream is True


def test_the_coverage_data_a_planning_check_asks_for_reaches_every_check(tmp_path: Path) -> None:
    data = tmp_path / ".coverage"

    class _Planning(_Seeing):
        planned = 0

        def plan(self, plan: RunPlan) -> None:
            assert plan.checks == ("coverage", "tests") and plan.root == tmp_path
            type(self).planned += 1
            plan.coverage_data = data

    coverage = _Planning("coverage")
    tests = _Seeing("tests", runs_tests=True)
    _run_seeing(tmp_path, [coverage, tests])
    assert tests.contexts[0].coverage_data == data and coverage.contexts[0].coverage_data == data
    assert _Planning.planned == 1


def test_a_check_that_runs_tests_gets_a_progress_file_the_run_removes(tmp_path: Path) -> None:
    tests = _Seeing("tests", runs_tests=True, per_python=True)
    lint = _Seeing("lint")
    _run_seeing(tmp_path, [tests, lint], progress="log")
    counts = tests.contexts[0].progress_file
    assert counts == state_dir(tmp_path) / "progress" / "tests-3.11.json"
    assert tests.progress_dir_existed == [True]
    assert not counts.exists()  # written by the check, removed after it
    assert lint.contexts[0].progress_file is None  # no tests, no counts
    off = _Seeing("tests", runs_tests=True)
    _run_seeing(tmp_path, [off, _Seeing("lint")], progress="off")
    assert off.contexts[0].progress_file is None  # no board, no counts


def test_a_stale_progress_file_is_removed_before_the_check_starts(tmp_path: Path) -> None:
    stale = state_dir(tmp_path) / "progress" / "tests.json"
    stale.parent.mkdir(parents=True)
    stale.write_text('{"passed": 99}')
    seen: list[bool] = []

    class _Reading(_Seeing):
        def run(self, ctx: CheckContext, envs: Mapping[str, Environment]) -> CheckResult:
            assert ctx.progress_file is not None
            seen.append(ctx.progress_file.exists())
            return super().run(ctx, envs)

    _run_seeing(tmp_path, [_Reading("tests", runs_tests=True), _Seeing("lint")], progress="log")
    assert seen == [False]


@pytest.mark.parametrize(("count", "drawn"), [(1, False), (2, True)])
def test_live_progress_is_off_for_a_single_check(tmp_path: Path, count: int, drawn: bool) -> None:
    checks = [_Seeing("tests", runs_tests=True)] + [_Seeing(f"c{n}") for n in range(count - 1)]
    _run_seeing(tmp_path, checks, progress="live", stream=io.StringIO())
    # a single check streams its own output: no board, so no counts file for it
    assert (checks[0].contexts[0].progress_file is not None) is drawn


def test_the_run_restores_the_environment_log_and_releases_the_builds(tmp_path: Path) -> None:
    manager = _Manager(tmp_path)
    original = manager.log
    _run_seeing(tmp_path, [_Seeing("lint")], manager=manager)
    assert manager.log == original and manager.released == 1
    bad = ConfigError("pyproject.toml", "tool.x", "bad", fix="fix it")
    with pytest.raises(ConfigError):
        _run_with_manager(tmp_path, manager, bad)
    assert manager.log == original and manager.released == 2


def _run_with_manager(tmp_path: Path, manager: _Manager, error: Exception) -> None:
    class _Raising(_Seeing):
        def run(self, ctx: CheckContext, envs: Mapping[str, Environment]) -> CheckResult:
            raise error

    _run_seeing(tmp_path, [_Raising("lint"), _Seeing("tests")], manager=manager, jobs=2)


def test_environments_are_prefetched_in_their_own_threads_when_checks_run_in_parallel(
    tmp_path: Path,
) -> None:
    ruff = EnvSpec("ruff", "3.11")
    pinned = EnvSpec("ruff", "3.11", requirements=("ruff==0.1",))  # same key, other content
    project = EnvSpec("project", "3.11")
    checks = [
        _Seeing("flaky", env_crash=1),  # fails while prefetching: the others still prefetch
        _Seeing("lint", specs={"tool": ruff}),
        _Seeing("format", specs={"tool": ruff}),
        _Seeing("pinned", specs={"tool": pinned}),
        _Seeing("tests", specs={"project": project}),
    ]
    manager = _Manager(tmp_path)
    results = _run_seeing(tmp_path, checks, manager=manager, jobs=2)
    assert [r.status for r in results] == [Status.PASS] * 5
    assert sorted((spec.key, spec.requirements, name) for spec, name in manager.built) == [
        ("project-3.11", (), "env-project-3.11"),
        ("ruff-3.11", (), "env-ruff-3.11"),
        ("ruff-3.11", ("ruff==0.1",), "env-ruff-3.11"),
    ]  # each built once, by its prefetch thread
    assert checks[1].envs[0]["tool"].spec == ruff and checks[3].envs[0]["tool"].spec == pinned
    assert sorted(manager.messages) == ["building project-3.11"] + ["building ruff-3.11"] * 2


def test_a_single_check_builds_its_environment_itself_whatever_the_jobs(tmp_path: Path) -> None:
    manager = _Manager(tmp_path)
    check = _Seeing("lint", specs={"tool": EnvSpec("ruff", "3.11")})
    _run_seeing(tmp_path, [check], manager=manager, jobs=4)
    [(_, builder)] = manager.built
    assert builder.startswith("ci-sessions")  # one worker, no prefetch thread
    assert check.contexts[0].stream is True


def test_one_job_builds_each_environment_when_its_check_runs(tmp_path: Path) -> None:
    ruff = EnvSpec("ruff", "3.11")
    manager = _Manager(tmp_path)
    _run_seeing(tmp_path, [_Seeing("lint", specs={"tool": ruff}), _Seeing("x")], manager=manager)
    [(_, builder)] = manager.built
    assert builder.startswith("ci-sessions")  # the check's own worker, no prefetch thread


def test_a_failed_prefetch_is_retried_and_reported_by_the_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    escaped: list[BaseException | None] = []
    monkeypatch.setattr(threading, "excepthook", lambda args: escaped.append(args.exc_value))
    manager = _Manager(tmp_path, broken=True)
    spec = EnvSpec("ruff", "3.11")
    results = _run_seeing(
        tmp_path, [_Seeing("lint", specs={"tool": spec}), _Seeing("x")], manager=manager, jobs=2
    )
    assert [r.status for r in results] == [Status.ERROR, Status.PASS]
    assert results[0].summary == "cannot build ruff-3.11" and "second line" in results[0].output
    assert len(manager.built) == 2  # the prefetch, then the check's own try
    assert escaped == []  # the prefetch thread kept its error to itself
    assert (results[0].check, results[0].session, results[0].python) == ("lint", "tier", "3.11")


def test_a_dependency_outside_the_run_or_on_itself_changes_no_order() -> None:
    checks = [_Step("report", after=("coverage", "report")), _Step("lint")]
    order = [
        inv.check.name for _, inv in _dependency_order([Invocation(c, "3.11") for c in checks])
    ]  # type: ignore[arg-type]
    assert order == ["report", "lint"]


def test_output_is_printed_in_tier_order_as_whole_blocks(tmp_path: Path) -> None:
    printed: list[str] = []
    fail = CheckResult("coverage", "tier", Status.FAIL, summary="62% < 80%", output="detail\n\n")
    fail.checked = Checked("files", 1)
    checks = [
        _Seeing("coverage", result=fail),
        _Seeing("tests", result=CheckResult("tests", "tier", Status.SKIP)),
    ]
    _run_seeing(tmp_path, checks, emit=printed.append, progress="log", jobs=2)
    blocks = [text for text in printed if text.startswith("──")]
    assert len(blocks) == 2
    first = blocks[0].splitlines()
    assert first[0].startswith("── coverage ─") and len(first[0]) == 72
    assert first[1:] == ["detail", "coverage: FAIL: 62% < 80% (0.0 s)"]
    assert blocks[0].endswith("\n") and not blocks[0].endswith("\n\n")
    assert blocks[1].splitlines()[1:] == ["tests: SKIP (0.0 s)"]


def test_a_long_label_still_gets_a_rule() -> None:
    name = "x" * 80
    result = CheckResult(name, "tier", Status.PASS, summary="ok")
    assert _render_block(result).splitlines()[0] == f"── {name} " + "─" * 4


def test_run_one_reports_what_the_check_is_busy_with_and_its_facts(tmp_path: Path) -> None:
    _project(tmp_path)
    check = _Seeing("tests", specs={"project": EnvSpec("project", "3.12")}, per_python=True,
                    tools=("pytest", "coverage"))  # fmt: skip
    doing: list[str] = []
    ctx = _context(tmp_path)
    result = run_one(Invocation(check, "3.12"), ctx, _EnvPool(_Manager(tmp_path)), RunOptions(),  # type: ignore[arg-type]
                     doing=doing.append)  # fmt: skip
    assert doing == ["preparing environments", ""]
    assert result.per_python is True and result.tools == ["pytest", "coverage"]
    assert result.duration >= 0
    own = CheckResult("tests", "tier", Status.PASS, checked=Checked("files", 1), tools=["own"])
    check.result = own
    kept = run_one(Invocation(check, "3.12"), ctx, _EnvPool(_Manager(tmp_path)), RunOptions())  # type: ignore[arg-type]
    assert kept.tools == ["own"]


def _context(tmp_path: Path) -> CheckContext:
    return CheckContext(
        root=tmp_path,
        config=load_config(tmp_path, environ={}),
        project=load_project(tmp_path),
        python="3.12",
        session="tier",
    )


def test_a_check_that_passes_without_checking_anything_is_not_a_pass(tmp_path: Path) -> None:
    empty = CheckResult("lint", "tier", Status.PASS)  # no `checked`: a bug of the check
    [result] = _run_seeing(tmp_path, [_Seeing("lint", result=empty)])
    assert result.status is Status.ERROR


def test_a_skipped_or_crashed_verdict_is_not_judged_again(tmp_path: Path) -> None:
    judged: list[Status] = []

    class _Judging(_Seeing):
        baselined = True

        def evaluate(self, ctx: CheckContext, result: CheckResult) -> CheckResult:
            assert ctx.session == "tier"
            judged.append(result.status)
            result.status = Status.FAIL
            return result

    results = _run_seeing(
        tmp_path,
        [_Judging("a", result=CheckResult("a", "tier", Status.SKIP, summary="nothing")),
         _Judging("b", result=CheckResult("b", "tier", Status.ERROR, summary="broken")),
         _Judging("c", result=CheckResult("c", "tier", Status.WARN, checked=Checked("files", 1)))],
        accept_findings=lambda r: r,
    )  # fmt: skip
    assert [r.status for r in results] == [Status.SKIP, Status.ERROR, Status.FAIL]
    assert judged == [Status.WARN]


def test_findings_are_accepted_only_for_a_baselined_check(tmp_path: Path) -> None:
    accepted: list[str] = []

    def accept(result: CheckResult) -> CheckResult:
        accepted.append(result.check)
        return result

    _run_seeing(tmp_path, [_Seeing("lint")], accept_findings=accept)
    assert accepted == []


def test_the_cached_pass_is_timed_as_served_and_a_fail_is_run_again(tmp_path: Path) -> None:
    check = _Seeing("lint")
    _run_seeing(tmp_path, [check], use_cache=True)
    [hit] = _run_seeing(tmp_path, [check], use_cache=True)
    assert len(check.contexts) == 1 and hit.status is Status.PASS and hit.cached
    assert 0 <= hit.duration < 5
    failing = _Seeing("typecheck", result=CheckResult("typecheck", "tier", Status.FAIL))
    _run_seeing(tmp_path, [failing], use_cache=True)
    _run_seeing(tmp_path, [failing], use_cache=True)
    assert len(failing.contexts) == 2


def test_no_cache_runs_the_check_but_refreshes_the_cache(tmp_path: Path) -> None:
    check = _Seeing("lint")
    _run_seeing(tmp_path, [check], use_cache=False)
    _run_seeing(tmp_path, [check], use_cache=False)
    assert len(check.contexts) == 2  # never read
    _run_seeing(tmp_path, [check], use_cache=True)
    assert len(check.contexts) == 2  # but written: the cached run is served


def _stored(tmp_path: Path) -> list[str]:
    """The check names of the cache's entries (``<check>-<python>-<key>.json``)."""
    folder = state_dir(tmp_path) / "cache"
    return sorted(path.name.split("-")[0] for path in folder.glob("*-*-*.json"))


def test_cache_false_neither_reads_nor_writes_the_cache(tmp_path: Path) -> None:
    _project(tmp_path, "cache = false")
    check = _Seeing("lint")
    _run_seeing(tmp_path, [check], use_cache=False)
    assert _stored(tmp_path) == []
    _project(tmp_path)
    _run_seeing(tmp_path, [check], use_cache=False)
    assert _stored(tmp_path) == ["lint"]  # --no-cache alone still refreshes it


def test_a_check_that_may_not_be_cached_always_runs(tmp_path: Path) -> None:
    check = _Seeing("audit", cacheable=False)
    _run_seeing(tmp_path, [check, _Seeing("lint")], use_cache=True)
    _run_seeing(tmp_path, [check, _Seeing("lint")], use_cache=True)
    assert len(check.contexts) == 2
    assert _stored(tmp_path) == ["lint"]


def test_a_broken_cache_never_stops_a_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ci_sessions.engine import cache

    def broken(**_kwargs: object) -> str:
        raise OSError("disk gone")

    monkeypatch.setattr(cache, "compute_key", broken)
    check = _Seeing("lint")
    [first] = _run_seeing(tmp_path, [check], use_cache=True)
    [second] = _run_seeing(tmp_path, [check], use_cache=True)
    assert first.status is second.status is Status.PASS and len(check.contexts) == 2


def test_a_check_whose_environments_crash_is_an_error_row(tmp_path: Path) -> None:
    """It vanished from the results and no block after it was printed: a run could look
    green with a check that never ran."""
    printed: list[str] = []
    results = _run_seeing(
        tmp_path, [_Seeing("broken", env_crash=9), _Seeing("lint")], emit=printed.append
    )
    assert [r.status for r in results] == [Status.ERROR, Status.PASS]
    assert "internal error" in results[0].summary
    assert len(printed) >= 2  # both blocks, the crashed one's too


class _Incremental(IncrementalBase, _Seeing):
    """An incremental check: run whole when the run is not incremental."""

    def units(self, ctx: CheckContext, files: ProjectFiles) -> list[str] | str:
        raise AssertionError("not an incremental run")

    def unit_results(
        self, ctx: CheckContext, result: CheckResult, units: Sequence[str]
    ) -> dict[str, object] | None:
        raise AssertionError("not an incremental run")

    def merge(
        self, ctx: CheckContext, result: CheckResult, reused: Mapping[str, object]
    ) -> CheckResult:
        raise AssertionError("not an incremental run")


def test_an_incremental_check_runs_whole_when_the_run_is_not_incremental(tmp_path: Path) -> None:
    check = _Incremental("typecheck")
    [result] = _run_seeing(tmp_path, [check])
    assert result.status is Status.PASS and len(check.contexts) == 1
    assert "incremental" not in result.metrics and not result.output  # no incremental note


class _Salted(_Seeing):
    """A check whose verdict depends on something that is not a file (a date, a database)."""

    salt = "2026-01-01"

    def cache_salt(self, ctx: CheckContext) -> str:
        return self.salt


def test_a_cached_pass_is_run_again_when_its_salt_or_the_tree_changes(tmp_path: Path) -> None:
    check = _Salted("audit")
    (tmp_path / "m.py").write_text("x = 1\n")
    _run_seeing(tmp_path, [check], use_cache=True)
    _run_seeing(tmp_path, [check], use_cache=True)
    assert len(check.contexts) == 1  # served
    check.salt = "2026-01-02"
    _run_seeing(tmp_path, [check], use_cache=True)
    assert len(check.contexts) == 2  # a new salt, a new key
    (tmp_path / "m.py").write_text("x = 2\n")
    _run_seeing(tmp_path, [check], use_cache=True)
    assert len(check.contexts) == 3  # an edited file, a new key


def test_no_environment_is_left_half_built_when_a_configuration_error_ends_the_run(
    tmp_path: Path,
) -> None:
    manager = _Manager(tmp_path, delay=0.5)
    bad = ConfigError("pyproject.toml", "tool.x", "bad", fix="fix it")

    class _Raising(_Seeing):
        def run(self, ctx: CheckContext, envs: Mapping[str, Environment]) -> CheckResult:
            raise bad

    bench = _Seeing("bench", specs={"bench": EnvSpec("bench", "3.11")})
    bench.exclusive = True  # never run: the error comes first
    with pytest.raises(ConfigError):
        _run_seeing(tmp_path, [_Raising("lint"), bench], manager=manager, jobs=2)
    assert manager.finished == 1 and bench.contexts == []


def test_no_environment_is_left_half_built_when_fail_fast_skips_its_check(tmp_path: Path) -> None:
    manager = _Manager(tmp_path, delay=0.5)
    failing = _Seeing("lint", result=CheckResult("lint", "tier", Status.FAIL))
    tests = _Seeing("tests", specs={"project": EnvSpec("project", "3.11")})
    tests.after = ("lint",)
    results = _run_seeing(tmp_path, [failing, tests], manager=manager, jobs=2, fail_fast=True)
    assert [r.status for r in results] == [Status.FAIL, Status.SKIP]
    assert manager.finished == 1 and tests.contexts == []


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _board_mode(tmp_path: Path, count: int, stream: io.StringIO | None, progress: str) -> str:
    _project(tmp_path)
    run = _Run(
        root=tmp_path, config=load_config(tmp_path, environ={}), project=load_project(tmp_path),
        session="tier", invocations=[Invocation(_Seeing(f"c{n}"), "3.11") for n in range(count)],  # type: ignore[arg-type]
        options=RunOptions(progress=progress), manager=_Manager(tmp_path),  # type: ignore[arg-type]
        emit=print, stream=stream,
    )  # fmt: skip
    return run.board.mode


def test_the_board_is_drawn_live_on_a_terminal_unless_one_check_streams(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TERM", "xterm")
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setattr(sys, "stdout", _Terminal())  # no stream given: the run's stdout
    assert _board_mode(tmp_path, 2, None, "auto") == "live"
    assert _board_mode(tmp_path, 1, None, "auto") == "off"
    assert _board_mode(tmp_path, 2, io.StringIO(), "auto") == "log"  # a given stream, no terminal
    assert _board_mode(tmp_path, 1, io.StringIO(), "log") == "log"


def test_different_environments_are_built_side_by_side(tmp_path: Path) -> None:
    manager = _Manager(tmp_path, beside=threading.Barrier(2, timeout=5))
    pool = _EnvPool(manager)  # type: ignore[arg-type]
    specs = [EnvSpec("ruff", "3.11"), EnvSpec("pyright", "3.11")]
    threads = [threading.Thread(target=pool.get, args=(spec,)) for spec in specs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert manager.finished == 2  # neither build waited for the other


def test_the_log_heartbeat_names_what_still_runs_and_what_it_is_busy_with(tmp_path: Path) -> None:
    printed: list[str] = []
    slow = _Seeing("slow", specs={"project": EnvSpec("project", "3.11")})
    slow.pause = 0.3
    later = _Seeing("later")
    later.after = ("slow",)
    later.pause = 0.5
    _run_seeing(tmp_path, [slow, later], manager=_Manager(tmp_path, delay=0.5),
                emit=printed.append, progress="log", progress_interval=0.05, jobs=2)  # fmt: skip
    beats = [line for line in printed if line.startswith("still running")]
    done = next(i for i, text in enumerate(printed) if text.startswith("── slow"))
    assert any("slow (" in line and "preparing environments" in line for line in beats)
    assert any("slow (" in line and "preparing" not in line for line in printed[:done])
    after = [line for line in printed[done + 1 :] if line.startswith("still running")]
    assert after and all("slow" not in line and "later (" in line for line in after)


def test_a_dependency_that_is_not_in_the_run_is_not_waited_for(tmp_path: Path) -> None:
    report = _Seeing("report")
    report.after = ("coverage",)  # not in this run
    bench = _Seeing("bench")
    bench.exclusive = True  # in the run, but never on the pool
    late = _Seeing("late")
    late.after = ("bench",)
    results = _run_seeing(tmp_path, [report, bench, late, _Seeing("lint")], jobs=2)
    assert [r.status for r in results] == [Status.PASS] * 4


def test_the_heartbeat_shows_the_test_counts_a_check_writes(tmp_path: Path) -> None:
    printed: list[str] = []

    class _Counting(_Seeing):
        def run(self, ctx: CheckContext, envs: Mapping[str, Environment]) -> CheckResult:
            assert ctx.progress_file is not None
            ctx.progress_file.write_text('{"done": 3, "collected": 7, "failed": 1}')
            time.sleep(0.4)
            return CheckResult(self.name, ctx.session, Status.PASS, checked=Checked("tests", 7))

    _run_seeing(tmp_path, [_Counting("tests", runs_tests=True), _Seeing("lint")],
                emit=printed.append, progress="log", progress_interval=0.05)  # fmt: skip
    assert any("tests (" in line and "3/7 tests, 1 failed" in line for line in printed)


class _Overlapping(_Step):
    """Counts how many checks run at once (each stays a moment, so a second one can join)."""

    active = 0
    most = 0

    def run(self, ctx: CheckContext, envs: Mapping[str, Environment]) -> CheckResult:
        with LOCK:
            _Overlapping.active += 1
            _Overlapping.most = max(_Overlapping.most, _Overlapping.active)
        time.sleep(0.05)
        with LOCK:
            _Overlapping.active -= 1
        return CheckResult(self.name, ctx.session, Status.PASS, checked=Checked("files", 1))


@pytest.mark.parametrize("jobs", [1, 2])
def test_never_more_checks_at_once_than_jobs(tmp_path: Path, jobs: int) -> None:
    _Overlapping.active = _Overlapping.most = 0
    results = _run(tmp_path, [_Overlapping(name) for name in ("a", "b", "c", "d")], jobs=jobs)
    assert [r.status for r in results] == [Status.PASS] * 4
    assert _Overlapping.most <= jobs


@pytest.mark.parametrize(
    "error", [RuntimeError("env boom"), EnvError("no interpreter 3.11")], ids=["crash", "env"]
)
def test_a_check_whose_environments_fail_is_an_error_row_timed_from_its_start(
    tmp_path: Path, error: Exception
) -> None:
    [result] = _run_with(tmp_path, [_Counting("lint", env_error=error)])
    assert result.status is Status.ERROR
    assert str(error).split(":")[0] in result.summary + result.output
    if isinstance(error, RuntimeError):
        assert result.summary == "internal error: RuntimeError: env boom"
    assert 0 <= result.duration < 60  # seconds since the check started, not a clock reading


def test_a_crashing_run_is_timed_from_its_start(tmp_path: Path) -> None:
    [result] = _run_with(tmp_path, [_Counting("lint", raises=RuntimeError("run boom"))])
    assert result.summary == "internal error: RuntimeError: run boom"
    assert 0 <= result.duration < 60
