"""The runner: dependency order, exclusive checks after the pool, crashes as ERROR rows."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from pathlib import Path

import pytest

from ci_sessions.checks.base import CheckBase, CheckContext, Environment, EnvSpec
from ci_sessions.config import load_config
from ci_sessions.config.project import load_project
from ci_sessions.engine.environments import EnvManager
from ci_sessions.engine.runner import Invocation, RunOptions, _dependency_order, run_checks
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
    assert "tool exploded" in crashed.summary
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
