"""A Markdown weekly digest: this week against the week before, for a team channel or an issue."""

from __future__ import annotations

import datetime
import sqlite3
import time
from pathlib import Path

from ci_sessions.history import stats as hs
from ci_sessions.history.flaky import flaky_tests

WEEK = 7 * 86400


def _day(epoch: float) -> str:
    return datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc).strftime("%Y-%m-%d")


def _delta(now: float, before: float, *, percent: bool) -> str:
    change = now - before
    if abs(change) < 1e-9:
        return "unchanged"
    sign = "+" if change > 0 else "-"
    return f"{sign}{abs(change):.1%}" if percent else f"{sign}{abs(change):.2f}"


def render(
    db: sqlite3.Connection, *, project: str, now: float | None = None, cache: bool | None = None
) -> str:
    """The digest of the 7 days before ``now`` compared with the 7 days before those."""
    end = time.time() if now is None else now
    start, previous = end - WEEK, end - 2 * WEEK
    this = hs.stats(db, start)
    last = _stats_between(db, previous, start)
    lines = [
        f"# ci-sessions weekly digest: {project}",
        "",
        f"Week {_day(start)} to {_day(end)} (UTC), compared with the week before.",
        "",
        f"- **Runs:** {this.runs} (week before: {last.runs})",
        f"- **Pass rate:** {this.pass_rate:.1%} ({_delta(this.pass_rate, last.pass_rate, percent=True)})",
    ]
    coverage = hs.trends(db, start).coverage
    if coverage:
        earlier = hs.trends(db, previous).coverage
        before = next((v for d, v in reversed(earlier) if d < _day(start)), None)
        change = (
            f" ({_delta(coverage[-1][1], before, percent=False)} points)"
            if before is not None
            else ""
        )
        lines.append(f"- **Coverage:** {coverage[-1][1]:.1f}%{change}")
    slow = hs.slowest(db, start, limit=3, cache=cache)
    if slow:
        lines += ["", "## Slowest checks", ""]
        lines += [
            f"- `{s.label}`: {s.mean_duration:.2f} s on average. {s.suggestion}" for s in slow
        ]
    failures = hs.failures(db, start, limit=5)
    lines += ["", "## Top failures", ""]
    if failures.groups:
        lines += ["| count | category | check | message |", "|---:|---|---|---|"]
        lines += [
            f"| {g.count} | {g.category} | {g.check} | {g.message[:100].replace('|', '/')} |"
            for g in failures.groups
        ]
    else:
        lines.append("No failed checks this week.")
    flaky = flaky_tests(db, start)
    lines += ["", "## Flaky tests", ""]
    if flaky:
        known_before = {t.test_id for t in flaky_tests(db, previous) if t.first_seen < start}
        for test in flaky[:10]:
            new = "" if test.test_id in known_before else " **(new this week)**"
            lines.append(
                f"- `{test.test_id}`: flip rate {test.flip_rate:.0%}, {test.failures} failures{new}"
            )
    else:
        lines.append("No flaky tests this week.")
    return "\n".join(lines) + "\n"


def _stats_between(db: sqlite3.Connection, start: float, end: float) -> hs.Stats:
    rows = db.execute(
        "SELECT status FROM runs WHERE started >= ? AND started < ? AND status != 'SKIP'",
        (start, end),
    ).fetchall()
    passed = sum(str(r[0]) in hs.PASSING for r in rows)
    return hs.Stats(len(rows), passed, passed / len(rows) if rows else 0.0)


def write(root: Path, out: Path, *, now: float | None = None) -> Path:
    from ci_sessions._fs import atomic_write_text
    from ci_sessions.config.project import load_project
    from ci_sessions.history.store import open_history

    with open_history(root) as db:
        text = render(db, project=load_project(root).name, now=now, cache=hs.cache_enabled(root))
    atomic_write_text(out, text)
    return out
