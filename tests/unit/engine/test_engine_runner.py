"""The runner: dependency order, exclusive checks after the pool, crashes as ERROR rows."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from pathlib import Path

from ci_sessions.checks.base import CheckBase, CheckContext, Environment, EnvSpec
from ci_sessions.config import load_config
from ci_sessions.config.project import load_project
from ci_sessions.engine.environments import EnvManager
from ci_sessions.engine.runner import Invocation, RunOptions, _dependency_order, run_checks
from ci_sessions.results import Checked, CheckResult, Status

LOG: list[tuple[str, str, float]] = []
LOCK = threading.Lock()


class _Timed(CheckBase):
    """Records when it started and finished; optionally crashes or waits for others."""

    def __init__(self, name: str, *, after: tuple[str, ...] = (), exclusive: bool = False,
                 crash: bool = False, seconds: float = 0.2) -> None:  # fmt: skip
        self.name = name
        self.after = after
        self.exclusive = exclusive
        self.crash = crash
        self.seconds = seconds

    def environments(self, ctx: CheckContext) -> dict[str, EnvSpec]:
        return {}

    def run(self, ctx: CheckContext, envs: Mapping[str, Environment]) -> CheckResult:
        with LOCK:
            LOG.append((self.name, "start", time.perf_counter()))
        time.sleep(self.seconds)
        with LOCK:
            LOG.append((self.name, "end", time.perf_counter()))
        if self.crash:
            raise RuntimeError("tool exploded")
        return CheckResult(self.name, ctx.session, Status.PASS, checked=Checked("files", 1))

    def evaluate(self, ctx: CheckContext, result: CheckResult) -> CheckResult:
        return result


def _run(tmp_path: Path, checks: list[_Timed], jobs: int = 4) -> list[CheckResult]:
    LOG.clear()
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "p"\nversion = "1"\n')
    return run_checks(
        root=tmp_path,
        config=load_config(tmp_path, environ={}),
        project=load_project(tmp_path),
        session="tier",
        invocations=[Invocation(c, "3.11") for c in checks],  # type: ignore[arg-type]
        options=RunOptions(jobs=jobs, use_cache=False),
        manager=EnvManager(tmp_path, backend="virtualenv"),
        emit=lambda _text: None,
    )


def _when(name: str, event: str) -> float:
    return next(t for n, e, t in LOG if n == name and e == event)


def test_submission_follows_dependency_depth_not_tier_order() -> None:
    checks = [
        _Timed("report", after=("coverage",)),
        _Timed("coverage", after=("tests",)),
        _Timed("tests"),
        _Timed("lint"),
    ]
    order = [
        inv.check.name for _, inv in _dependency_order([Invocation(c, "3.11") for c in checks])
    ]  # type: ignore[arg-type]
    assert order == ["tests", "lint", "coverage", "report"]


def test_a_check_waits_for_the_checks_it_needs_even_when_listed_first(tmp_path: Path) -> None:
    results = _run(tmp_path, [_Timed("coverage", after=("tests",)), _Timed("tests", seconds=0.4)])
    assert [r.check for r in results] == ["coverage", "tests"]  # reported in tier order
    assert _when("coverage", "start") >= _when("tests", "end")


def test_exclusive_checks_run_alone_after_every_other_check(tmp_path: Path) -> None:
    results = _run(
        tmp_path,
        [_Timed("bench", exclusive=True), _Timed("lint"), _Timed("typecheck", seconds=0.4)],
    )
    assert [r.status for r in results] == [Status.PASS] * 3
    assert _when("bench", "start") >= max(_when("lint", "end"), _when("typecheck", "end"))
    # the others really ran side by side
    assert _when("typecheck", "start") < _when("lint", "end")


def test_a_crashing_check_is_an_error_row_and_the_others_still_report(tmp_path: Path) -> None:
    results = _run(tmp_path, [_Timed("lint"), _Timed("sast", crash=True), _Timed("tests")])
    statuses = {r.check: r.status for r in results}
    assert statuses == {"lint": Status.PASS, "sast": Status.ERROR, "tests": Status.PASS}
    crashed = next(r for r in results if r.check == "sast")
    assert "tool exploded" in crashed.summary
    assert "Traceback" in crashed.output
