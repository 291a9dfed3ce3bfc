"""One self-contained HTML dashboard of the run history: plots, flaky tests, failure groups.

Everything is inline (CSS and SVG, no script, no font, no image link), so the file opens from a
CI artifact or an air-gapped machine and fetches nothing.
"""

from __future__ import annotations

import datetime
import sqlite3
from html import escape
from pathlib import Path

from ci_sessions.history import stats as hs
from ci_sessions.history.flaky import flaky_tests
from ci_sessions.reports.svgplot import line_chart

PASS_RATE_COLOR = "#2e7d32"  # noqa: S105 - a colour, not a secret
COVERAGE_COLOR = "#1565c0"
STYLE = """
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:24px;color:#222;background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}
.meta{color:#666;font-size:13px}.cards{display:flex;gap:12px;flex-wrap:wrap;margin:16px 0}
.card{border:1px solid #ddd;border-radius:6px;padding:10px 14px;min-width:120px}
.card b{display:block;font-size:22px}.plots{display:flex;flex-wrap:wrap;gap:16px}
.plots svg{border:1px solid #eee;border-radius:6px;background:#fff}
table{border-collapse:collapse;font-size:13px}th,td{border-bottom:1px solid #eee;padding:4px 10px;
text-align:left;vertical-align:top}th{background:#f6f6f6}code{font-size:12px}
"""


def _when(epoch: float) -> str:
    return datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M")


def _table(headers: list[str], rows: list[list[str]], empty: str) -> str:
    if not rows:
        return f"<p class='meta'>{escape(empty)}</p>"
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render(
    db: sqlite3.Connection,
    *,
    project: str,
    since: float = 0.0,
    now: float | None = None,
    cache: bool | None = None,
) -> str:
    """The dashboard HTML for the runs started at or after ``since``."""
    stats = hs.stats(db, since)
    trends = hs.trends(db, since)
    slow = hs.slowest(db, since, cache=cache)
    failures = hs.failures(db, since, limit=15)
    flaky = flaky_tests(db, since)[:20]
    generated = _when(now if now is not None else datetime.datetime.now().timestamp())
    plots = [
        line_chart(
            "Pass rate of runs per day",
            {"pass rate": [(p.day, p.pass_rate * 100) for p in trends.runs]},
            unit="%", y_min=0, y_max=100, colors={"pass rate": PASS_RATE_COLOR},
        ),
        line_chart(
            "Mean check duration per day (s)",
            {label: [(p.day, p.mean_duration) for p in points] for label, points in trends.durations.items()},
            unit="s", y_min=0,
        ),
        line_chart(
            "Coverage per day",
            {"coverage": trends.coverage},
            unit="%", colors={"coverage": COVERAGE_COLOR},
        ),
    ]  # fmt: skip
    cards = [
        ("runs", str(stats.runs)),
        ("pass rate", f"{stats.pass_rate:.0%}"),
        ("flaky tests", str(len(flaky))),
        ("failure groups", str(len(failures.groups))),
    ]
    if trends.coverage:
        cards.append(("coverage", f"{trends.coverage[-1][1]:.1f}%"))
    flaky_rows = [
        [f"<code>{escape(t.test_id)}</code>", str(t.runs), str(t.failures), f"{t.flip_rate:.0%}",
         _when(t.first_seen), _when(t.last_seen)]
        for t in flaky
    ]  # fmt: skip
    failure_rows = [
        [f"<code>{g.signature}</code>", escape(g.category), escape(g.check), str(g.count),
         _when(g.last_seen), escape(g.message[:160])]
        for g in failures.groups
    ]  # fmt: skip
    slow_rows = [
        [
            escape(s.label),
            escape(s.session),
            f"{s.mean_duration:.2f} s",
            f"{s.share:.0%}",
            escape(s.suggestion),
        ]
        for s in slow
    ]
    check_rows = [
        [escape(c.label), str(c.runs), f"{c.pass_rate:.0%}", f"{c.mean_duration:.2f} s"]
        for c in stats.checks
    ]
    window = f"since {_when(since)}" if since else "all recorded runs"
    return "".join(
        [
            "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
            f"<title>ci-sessions dashboard: {escape(project)}</title><style>{STYLE}</style></head><body>",
            f"<h1>ci-sessions: {escape(project)}</h1>",
            f"<p class='meta'>{escape(window)}; generated {generated} UTC from .ci-sessions/history.db</p>",
            "<div class='cards'>",
            *(f"<div class='card'>{escape(k)}<b>{escape(v)}</b></div>" for k, v in cards),
            "</div><h2>Trends</h2><div class='plots'>",
            *plots,
            "</div><h2>Checks</h2>",
            _table(["check", "runs", "pass rate", "mean time"], check_rows, "no checks recorded"),
            "<h2>Flaky tests</h2>",
            _table(["test", "runs", "failures", "flip rate", "first seen", "last seen"], flaky_rows,
                   "no test both passed and failed on the same commit"),
            "<h2>Failure groups</h2>",
            _table(["signature", "category", "check", "count", "last seen", "message"], failure_rows,
                   "no failures"),
            "<h2>Slowest checks</h2>",
            _table(["check", "session", "mean", "share", "suggestion"], slow_rows, "no checks recorded"),
            "</body></html>\n",
        ]
    )  # fmt: skip


def write(root: Path, out: Path, *, since: float = 0.0) -> Path:
    """Render the project's history into ``out`` atomically."""
    from ci_sessions._fs import atomic_write_text
    from ci_sessions.config.project import load_project
    from ci_sessions.history.store import open_history

    with open_history(root) as db:
        text = render(
            db, project=load_project(root).name, since=since, cache=hs.cache_enabled(root)
        )
    atomic_write_text(out, text)
    return out
