"""Statistics over 60 synthetic runs, each compared with a value computed by hand here."""

from __future__ import annotations

import datetime
import json
import shutil
from pathlib import Path

import pytest

from ci_sessions.history import cli as history_cli
from ci_sessions.history import stats as hs
from ci_sessions.history import store as history
from ci_sessions.results import CheckResult, Finding, RunRecord, Status

BASE = datetime.datetime(2026, 11, 1, tzinfo=datetime.timezone.utc).timestamp()
N = 60  # 10 runs a day over 6 days


def _plan(n: int) -> dict[str, tuple[Status, float]]:
    return {
        "lint": (Status.FAIL if n % 7 == 0 else Status.PASS, 0.1 + (n % 3) * 0.01),
        "typecheck": (Status.ERROR if n % 11 == 0 else Status.PASS, 2.0 + (n % 4) * 0.5),
        "tests-3.12": (Status.FAIL if n % 5 == 0 else Status.PASS, 1.0 + (n % 5) * 0.2),
    }


def _started(n: int) -> float:
    return BASE + (n // 10) * 86400 + (n % 10) * 600


def _coverage(n: int) -> float:
    return 80.0 + n * 0.1


def _build(root: Path) -> None:
    with history.open_history(root) as db:
        for n in range(N):
            plan = _plan(n)
            lint_status, lint_time = plan["lint"]
            type_status, type_time = plan["typecheck"]
            test_status, test_time = plan["tests-3.12"]
            results = [
                CheckResult(
                    "lint", "essential", lint_status, duration=lint_time,
                    findings=[Finding("ruff", "F401", "unused")] if lint_status is Status.FAIL else [],
                ),
                CheckResult(
                    "typecheck", "essential", type_status, duration=type_time,
                    output="ConnectionError: Name or service not known (pypi)" if type_status is Status.ERROR else "",
                ),
                CheckResult(
                    "tests", "essential", test_status, python="3.12", per_python=True, duration=test_time,
                    output=f"E       assert {n} == {n + 1}" if test_status is Status.FAIL else "",
                    metrics={"coverage": _coverage(n), "tests": 40},
                ),
            ]  # fmt: skip
            run = RunRecord(
                run_id=f"r{n}", project="p", started=_started(n), results=results, commit=f"c{n}"
            )
            run.finished = run.started + 5.0
            history.store_run(db, run, root=root)


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("history")
    _build(path)
    return path


def _mean(values: list[float]) -> float:
    return sum(values) / len(values)


def test_stats_match_hand_computed_values(root: Path) -> None:
    passed_runs = sum(all(s is Status.PASS for s, _ in _plan(n).values()) for n in range(N))
    with history.open_history(root) as db:
        stats = hs.stats(db)
    assert (stats.runs, stats.passed_runs) == (N, passed_runs)
    assert stats.pass_rate == pytest.approx(passed_runs / N)
    by_label = {c.label: c for c in stats.checks}
    assert set(by_label) == {"lint", "typecheck", "tests-3.12"}
    for label in by_label:
        outcomes = [_plan(n)[label] for n in range(N)]
        passed = sum(s is Status.PASS for s, _ in outcomes)
        assert by_label[label].passed == passed
        assert by_label[label].failed == N - passed
        assert by_label[label].pass_rate == pytest.approx(passed / N)
        assert by_label[label].mean_duration == pytest.approx(_mean([d for _, d in outcomes]))
    # the numbers the plan implies, spelled out: 9 lint failures (0, 7, ..., 56), 6 typecheck errors
    assert by_label["lint"].failed == 9
    assert by_label["typecheck"].failed == 6
    assert by_label["tests-3.12"].failed == 12


def test_window_keeps_only_recent_runs(root: Path) -> None:
    since = BASE + 4 * 86400  # days 4 and 5: runs 40..59
    with history.open_history(root) as db:
        stats = hs.stats(db, since)
    expected = sum(all(s is Status.PASS for s, _ in _plan(n).values()) for n in range(40, 60))
    assert (stats.runs, stats.passed_runs) == (20, expected)
    assert hs.since_days(2, now=BASE + 6 * 86400) == since


def test_trends_per_day(root: Path) -> None:
    with history.open_history(root) as db:
        trends = hs.trends(db)
    assert [p.day for p in trends.runs] == [f"2026-11-0{d}" for d in range(1, 7)]
    for day, point in enumerate(trends.runs):
        runs = range(day * 10, day * 10 + 10)
        passed = sum(all(s is Status.PASS for s, _ in _plan(n).values()) for n in runs)
        assert (point.runs, point.pass_rate) == (10, pytest.approx(passed / 10))
        assert point.mean_duration == pytest.approx(5.0)
        typecheck = trends.durations["typecheck"][day]
        assert typecheck.mean_duration == pytest.approx(
            _mean([_plan(n)["typecheck"][1] for n in runs])
        )
        assert trends.coverage[day][1] == pytest.approx(_mean([_coverage(n) for n in runs]))
    assert trends.coverage[-1][1] > trends.coverage[0][1]


def test_slowest_with_share_and_suggestion(root: Path) -> None:
    with history.open_history(root) as db:
        slow = hs.slowest(db)
    assert [s.label for s in slow] == ["typecheck", "tests-3.12", "lint"]
    total = sum(d for n in range(N) for _, d in _plan(n).values())
    typecheck_total = sum(_plan(n)["typecheck"][1] for n in range(N))
    assert slow[0].share == pytest.approx(typecheck_total / total)
    assert slow[0].max_duration == pytest.approx(3.5)
    assert slow[0].suggestion.startswith(
        f"typecheck is {typecheck_total / total:.0%} of essential: enable"
    )


def test_failure_groups_and_categories(root: Path) -> None:
    with history.open_history(root) as db:
        found = hs.failures(db)
    assert found.categories == {"test assertion": 12, "lint": 9, "network": 6}
    groups = {g.category: g for g in found.groups}
    assert len(found.groups) == 3  # every recurring failure grouped under one signature
    assert groups["test assertion"].count == 12
    assert groups["test assertion"].first_seen == _started(0)
    assert groups["test assertion"].last_seen == _started(55)
    assert groups["network"].last_seen == _started(55)
    assert groups["lint"].message == "F401"


def test_cli_json_and_text(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert history_cli.main(["--root", str(root), "stats", "--days", "0", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["runs"] == N
    assert history_cli.main(["--root", str(root), "failures", "--days", "0"]) == 0
    text = capsys.readouterr().out
    assert "test assertion 12" in text
    assert history_cli.main(["--root", str(root), "slowest", "--days", "0", "--limit", "1"]) == 0
    assert "typecheck" in capsys.readouterr().out
    assert history_cli.main(["--root", str(root), "trends", "--days", "0"]) == 0
    assert "2026-11-06" in capsys.readouterr().out
    assert history_cli.main(["--root", str(root), "flaky", "--days", "0"]) == 0
    assert "(no data in this window)" in capsys.readouterr().out
    # the default window (30 days back from now) excludes these November 2026 runs only if old
    assert history_cli.main(["--root", str(root), "stats", "--days", "0.0001", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["runs"] == 0


def _tests_run(n: int, duration: float, metrics: dict[str, object]) -> RunRecord:
    result = CheckResult(
        "tests", "tests-3.12", Status.PASS, python="3.12", per_python=True, duration=duration,
        metrics=metrics,
    )  # fmt: skip
    return RunRecord(run_id=f"w{n}", project="p", started=BASE + n, results=[result], commit="c")


def test_a_long_suite_suggests_workers_then_shows_the_measured_gain(tmp_path: Path) -> None:
    with history.open_history(tmp_path) as db:
        for n in range(4):
            history.store_run(db, _tests_run(n, 80.0 + n, {"tests": 900}), root=tmp_path)
        for n in range(4, 6):  # incremental runs reran a part of the suite: not a whole run
            history.store_run(db, _tests_run(n, 5.0, {"files_reused": 40}), root=tmp_path)
        before = hs.slowest(db)[0].suggestion
        for n in range(6, 9):
            history.store_run(db, _tests_run(n, 45.0, {"workers": "2"}), root=tmp_path)
        after = hs.slowest(db)[0].suggestion
    assert before == (
        'a whole test run takes 82 s: run it on every core with [tool.ci-sessions.tests] workers = "auto" (pytest-xdist)'
    )
    assert after == "workers = 2: 45.0 s against 81.5 s without (1.8x, 3 and 4 whole runs)"


def test_a_short_suite_gets_no_workers_advice(tmp_path: Path) -> None:
    with history.open_history(tmp_path) as db:
        history.store_run(db, _tests_run(1, 3.0, {"tests": 9}), root=tmp_path)
        assert "workers" not in hs.slowest(db)[0].suggestion


def test_stats_and_trends_honour_limit(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def ask(*argv: str) -> object:
        capsys.readouterr()
        assert history_cli.main([*argv, "--root", str(root), "--days", "0", "--json"]) == 0
        return json.loads(capsys.readouterr().out)

    every: dict[str, list[dict[str, object]]] = ask("stats", "--limit", "0")  # type: ignore[assignment]
    assert len(every["checks"]) == 3
    one: dict[str, list[dict[str, object]]] = ask("stats", "--limit", "1")  # type: ignore[assignment]
    assert len(one["checks"]) == 1
    trends: dict[str, object] = ask("trends", "--limit", "2")  # type: ignore[assignment]
    days = [point["day"] for point in trends["runs"]]  # type: ignore[index, union-attr]
    assert days == ["2026-11-05", "2026-11-06"]  # the latest two of six
    for points in trends["durations"].values():  # type: ignore[union-attr]
        assert len(points) == 2
    assert len(trends["coverage"]) == 2  # type: ignore[arg-type]
    capsys.readouterr()
    assert history_cli.main(["stats", "--root", str(root), "--days", "0", "--limit", "1"]) == 0
    assert len(capsys.readouterr().out.strip().splitlines()) == 2 + 2 + 1  # head, table head, 1 row


def test_slowest_never_advises_enabling_a_cache_that_is_on(root: Path) -> None:
    with history.open_history(root) as db:
        on = hs.slowest(db, cache=True)[0].suggestion
        off = hs.slowest(db, cache=False)[0].suggestion
    assert "enable the result cache" not in on
    assert on.endswith(": " + hs.WHEN_CACHED["typecheck"])
    assert off.endswith(": " + hs.SPEEDUPS["typecheck"])


@pytest.mark.parametrize(("setting", "advised"), [("", False), ("cache = true", False), ("cache = false", True)])  # fmt: skip
def test_history_slowest_reads_the_projects_cache_setting(
    root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], setting: str, advised: bool
) -> None:
    """No run in this history was served from the cache; the advice follows the configuration."""
    shutil.copytree(root / ".ci-sessions", tmp_path / ".ci-sessions")
    root = tmp_path
    (root / "pyproject.toml").write_text(
        f'[project]\nname = "p"\nversion = "0"\n\n[tool.ci-sessions]\n{setting}\n', encoding="utf-8"
    )
    assert history_cli.main(["--root", str(root), "slowest", "--days", "0", "--json"]) == 0
    slow = json.loads(capsys.readouterr().out)
    assert slow[0]["cached_rate"] == 0
    assert ("enable the result cache" in slow[0]["suggestion"]) is advised
