"""Answers from the history: pass rates, trends, slowest checks, failure groups.

Each function takes an open history database and the start of the window (epoch seconds) and
returns plain data, so the CLI, the dashboard and the digest show the same numbers.
A check "passes" when its status is PASS or WARN; SKIP results are not counted.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

COVERAGE_METRICS = ("coverage", "percent_covered", "percent", "line_rate")
PASSING = ("PASS", "WARN")

#: check -> what usually makes it faster
SPEEDUPS: dict[str, str] = {
    "typecheck": "enable the result cache (cache = true) and limit typecheck.paths to the package",
    "tests": "run only affected tests (ci-sessions changes), or split the suite across CI cells"
    " ([tool.ci-sessions.tests] shards)",
    "lint": "exclude generated and vendored folders from ruff",
    "format": "exclude generated and vendored folders from ruff format",
    "coverage": "measure coverage in the tests run instead of a second run",
    "docs": "build docs only when docs/ changed (ci-sessions changes)",
    "build": "use uv build (build[uv]) instead of pip",
}
#: check -> the idea when the result cache is on (the project's config says so, or it served runs)
WHEN_CACHED: dict[str, str] = {
    "typecheck": "limit typecheck.paths to the package and exclude tests it need not check",
}


#: a whole test run this long (seconds) is worth spreading over cores: the history suggests workers
LONG_SUITE = 60.0


def cache_enabled(root: Path) -> bool:
    """Whether the project's result cache is on (``cache``, default true): advice to enable it
    would then be wrong."""
    from ci_sessions.config import load_config

    return load_config(root).top.bool("cache")


def since_days(days: float | None, now: float | None = None) -> float:
    """The window start for the last ``days`` days (0 or None: everything)."""
    if not days:
        return 0.0
    return (time.time() if now is None else now) - days * 86400


@dataclass(frozen=True)
class CheckStats:
    label: str
    runs: int
    passed: int
    failed: int  # FAIL or ERROR
    pass_rate: float
    mean_duration: float


@dataclass(frozen=True)
class Stats:
    runs: int
    passed_runs: int
    pass_rate: float
    checks: list[CheckStats] = field(default_factory=list[CheckStats])


def stats(db: sqlite3.Connection, since: float = 0.0) -> Stats:
    run_rows = db.execute(
        "SELECT status FROM runs WHERE started >= ? AND status != 'SKIP'", (since,)
    ).fetchall()
    runs = len(run_rows)
    passed_runs = sum(str(r[0]) in PASSING for r in run_rows)
    checks: list[CheckStats] = []
    for row in db.execute(
        "SELECT c.label, COUNT(*), SUM(c.status IN ('PASS', 'WARN')),"
        " SUM(c.status IN ('FAIL', 'ERROR')), AVG(c.duration)"
        " FROM checks c JOIN runs r ON c.run = r.id"
        " WHERE r.started >= ? AND c.status != 'SKIP' GROUP BY c.label ORDER BY c.label",
        (since,),
    ):
        count, passed = int(row[1]), int(row[2])
        checks.append(
            CheckStats(str(row[0]), count, passed, int(row[3]), passed / count, float(row[4]))
        )
    return Stats(runs, passed_runs, passed_runs / runs if runs else 0.0, checks)


def limit_stats(data: Stats, limit: int | None) -> Stats:
    """The run totals and the ``limit`` checks that ran most (all checks when None)."""
    if limit is None:
        return data
    busiest = sorted(data.checks, key=lambda c: (-c.runs, c.label))[:limit]
    return replace(data, checks=sorted(busiest, key=lambda c: c.label))


@dataclass(frozen=True)
class TrendPoint:
    day: str  # YYYY-MM-DD (UTC)
    runs: int
    pass_rate: float
    mean_duration: float


@dataclass(frozen=True)
class Trends:
    runs: list[TrendPoint]  # whole runs per day
    durations: dict[str, list[TrendPoint]]  # per check label per day
    coverage: list[tuple[str, float]]  # day, mean coverage percent


_DAY = "strftime('%Y-%m-%d', r.started, 'unixepoch')"


def trends(db: sqlite3.Connection, since: float = 0.0) -> Trends:
    run_points = [
        TrendPoint(str(row[0]), int(row[1]), int(row[2]) / int(row[1]), float(row[3]))
        for row in db.execute(
            f"SELECT {_DAY}, COUNT(*), SUM(r.status IN ('PASS', 'WARN')), AVG(r.finished - r.started)"  # noqa: S608 - constant SQL
            " FROM runs r WHERE r.started >= ? AND r.status != 'SKIP' GROUP BY 1 ORDER BY 1",
            (since,),
        )
    ]
    durations: dict[str, list[TrendPoint]] = {}
    for row in db.execute(
        f"SELECT c.label, {_DAY}, COUNT(*), SUM(c.status IN ('PASS', 'WARN')), AVG(c.duration)"  # noqa: S608 - constant SQL
        " FROM checks c JOIN runs r ON c.run = r.id WHERE r.started >= ? AND c.status != 'SKIP'"
        " GROUP BY 1, 2 ORDER BY 1, 2",
        (since,),
    ):
        point = TrendPoint(str(row[1]), int(row[2]), int(row[3]) / int(row[2]), float(row[4]))
        durations.setdefault(str(row[0]), []).append(point)
    coverage = [
        (str(row[0]), float(row[1]))
        for row in db.execute(
            f"SELECT {_DAY}, AVG(m.value) FROM metrics m JOIN checks c ON m.check_id = c.id"  # noqa: S608 - constant SQL
            " JOIN runs r ON c.run = r.id"
            f" WHERE r.started >= ? AND m.name IN ({','.join('?' * len(COVERAGE_METRICS))})"
            " AND m.value IS NOT NULL GROUP BY 1 ORDER BY 1",
            (since, *COVERAGE_METRICS),
        )
    ]
    return Trends(run_points, durations, coverage)


def limit_trends(data: Trends, limit: int | None) -> Trends:
    """The latest ``limit`` days of every series (all days when None)."""
    if limit is None:
        return data
    return Trends(
        data.runs[-limit:],
        {label: points[-limit:] for label, points in data.durations.items()},
        data.coverage[-limit:],
    )


@dataclass(frozen=True)
class SlowCheck:
    label: str
    session: str
    runs: int
    mean_duration: float
    max_duration: float
    share: float  # of the summed check time of its session
    cached_rate: float
    suggestion: str


def slowest(
    db: sqlite3.Connection, since: float = 0.0, limit: int = 10, *, cache: bool | None = None
) -> list[SlowCheck]:
    """The checks with the longest mean time, each with one idea to make it cheaper. ``cache``
    is whether the project's result cache is on (None: unknown, judged from the history)."""
    totals = {
        str(row[0]): float(row[1] or 0.0)
        for row in db.execute(
            "SELECT c.session, SUM(c.duration) FROM checks c JOIN runs r ON c.run = r.id"
            " WHERE r.started >= ? GROUP BY 1",
            (since,),
        )
    }
    gains = workers_gain(db, since)
    rows = db.execute(
        "SELECT c.label, c.session, c.check_name, COUNT(*), AVG(c.duration), MAX(c.duration),"
        " SUM(c.duration), AVG(c.cached) FROM checks c JOIN runs r ON c.run = r.id"
        " WHERE r.started >= ? AND c.status != 'SKIP' GROUP BY 1, 2 ORDER BY 5 DESC, 1 LIMIT ?",
        (since, limit),
    ).fetchall()
    result: list[SlowCheck] = []
    for row in rows:
        label, session, check = str(row[0]), str(row[1]), str(row[2])
        total = totals.get(session, 0.0)
        share = float(row[6]) / total if total else 0.0
        cached_rate = float(row[7] or 0.0)
        result.append(
            SlowCheck(
                label,
                session,
                int(row[3]),
                float(row[4]),
                float(row[5]),
                share,
                cached_rate,
                suggest(
                    label,
                    check,
                    session,
                    share,
                    cache=cached_rate > 0 if cache is None else cache,
                    gain=gains.get(label),
                ),
            )
        )
    return result


@dataclass(frozen=True)
class WorkersGain:
    """Whole test runs of one label with pytest-xdist workers and without, as recorded."""

    workers: str  # the -n value of the runs with workers ("" when none was tried)
    runs_with: int
    mean_with: float
    runs_without: int
    mean_without: float

    def describe(self) -> str:
        if not self.runs_with:
            return (
                f"a whole test run takes {self.mean_without:.0f} s: run it on every core with"
                ' [tool.ci-sessions.tests] workers = "auto" (pytest-xdist)'
            )
        if not self.runs_without:
            return f"runs with workers = {self.workers}: {self.mean_with:.1f} s on average"
        return (
            f"workers = {self.workers}: {self.mean_with:.1f} s against {self.mean_without:.1f} s"
            f" without ({self.mean_without / self.mean_with:.1f}x, {self.runs_with} and"
            f" {self.runs_without} whole runs)"
        )


def workers_gain(db: sqlite3.Connection, since: float = 0.0) -> dict[str, WorkersGain]:
    """Per tests label: mean time of whole, uncached runs with workers and without.

    Runs that reused earlier results (incremental) or ran a shard are left out: they ran part
    of the suite. A label appears when a run used workers, or when its whole runs are long.
    """
    rows = db.execute(
        "SELECT c.label, w.text, w.value, COUNT(*), AVG(c.duration) FROM checks c"
        " JOIN runs r ON c.run = r.id"
        " LEFT JOIN metrics w ON w.check_id = c.id AND w.name = 'workers'"
        " LEFT JOIN metrics f ON f.check_id = c.id AND f.name = 'files_reused'"
        " LEFT JOIN metrics s ON s.check_id = c.id AND s.name = 'shard'"
        " WHERE r.started >= ? AND c.check_name = 'tests' AND c.cached = 0"
        " AND c.status IN ('PASS', 'FAIL', 'WARN') AND COALESCE(f.value, 0) = 0 AND s.check_id IS NULL"
        " GROUP BY 1, 2, 3",
        (since,),
    ).fetchall()
    found: dict[str, WorkersGain] = {}
    for label, text, value, count, mean in rows:
        known = found.get(str(label), WorkersGain("", 0, 0.0, 0, 0.0))
        workers = text if text is not None else (f"{value:g}" if value is not None else "")
        if workers:
            total = known.mean_with * known.runs_with + float(mean) * int(count)
            runs = known.runs_with + int(count)
            known = WorkersGain(
                str(workers), runs, total / runs, known.runs_without, known.mean_without
            )
        else:
            known = WorkersGain(
                known.workers, known.runs_with, known.mean_with, int(count), float(mean)
            )
        found[str(label)] = known
    return {
        label: gain
        for label, gain in found.items()
        if gain.runs_with or gain.mean_without >= LONG_SUITE
    }


def suggest(
    label: str,
    check: str,
    session: str,
    share: float,
    *,
    cache: bool,
    gain: WorkersGain | None = None,
) -> str:
    """One concrete idea to make a slow check cheaper; never to enable a cache that is on."""
    idea = SPEEDUPS.get(check, "look at its output for the slow step")
    if cache:  # the advice is about what the cache cannot skip
        idea = WHEN_CACHED.get(check, idea)
    if gain is not None:
        idea = gain.describe()
    if label != session and share >= 0.4:
        return f"{label} is {share:.0%} of {session}: {idea}"
    return idea


@dataclass(frozen=True)
class FailureGroup:
    signature: str
    category: str
    check: str
    count: int
    first_seen: float
    last_seen: float
    message: str


@dataclass(frozen=True)
class Failures:
    categories: dict[str, int]
    groups: list[FailureGroup]


def failures(db: sqlite3.Connection, since: float = 0.0, limit: int = 10) -> Failures:
    categories = {
        str(row[0]): int(row[1])
        for row in db.execute(
            "SELECT c.category, COUNT(*) FROM checks c JOIN runs r ON c.run = r.id"
            " WHERE r.started >= ? AND c.signature != '' GROUP BY 1 ORDER BY 2 DESC, 1",
            (since,),
        )
    }
    groups = [
        FailureGroup(
            str(row[0]),
            str(row[1]),
            str(row[2]),
            int(row[3]),
            float(row[4]),
            float(row[5]),
            str(row[6]),
        )
        for row in db.execute(
            "SELECT c.signature, MIN(c.category), MIN(c.check_name), COUNT(*), MIN(r.started),"
            " MAX(r.started), MAX(c.message) FROM checks c JOIN runs r ON c.run = r.id"
            " WHERE r.started >= ? AND c.signature != '' GROUP BY 1 ORDER BY 4 DESC, 6 DESC LIMIT ?",
            (since, limit),
        )
    ]
    return Failures(categories, groups)
