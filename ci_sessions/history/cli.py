"""``ci-sessions history``: import CI artifacts and ask the run history questions."""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import sys
from pathlib import Path
from typing import Any

from ci_sessions._args import add_json, add_root, command_parser, root_of
from ci_sessions.errors import HistoryError, HistoryImportError
from ci_sessions.history import flaky as flaky_mod
from ci_sessions.history import releases as releases_mod
from ci_sessions.history import stats as hs
from ci_sessions.history.store import open_history

QUESTIONS = {
    "stats": "pass rates of the runs and of each check",
    "trends": "runs, pass rate and time per day, per check, and coverage",
    "slowest": "the checks that take the most time, with what would make them faster",
    "failures": "failures grouped by cause (test, lint, environment, infrastructure)",
    "flaky": "tests that failed and passed on the same commit",
    "releases": "the recorded releases, publishes, health checks and rollbacks",
}
#: what --limit counts for each question
LIMITED = {
    "stats": "checks",
    "trends": "latest days",
    "slowest": "checks",
    "failures": "failure groups",
    "flaky": "tests",
    "releases": "events",
}


def build_parser() -> argparse.ArgumentParser:
    parser = command_parser(
        "history", "Import CI artifacts into the run history and ask it questions."
    )
    add_root(parser)
    sub = parser.add_subparsers(dest="command", required=True, metavar="QUESTION")
    imp = sub.add_parser(
        "import",
        help="merge results.json / JUnit XML files or folders of them",
        description="Merge results.json / JUnit XML files (or folders of them) into the history.",
    )
    add_root(imp, repeated=True)
    imp.add_argument("paths", nargs="+", type=Path, help="files or folders to import")
    imp.add_argument("--commit", default=None, help="commit of bare JUnit files (default: HEAD)")
    imp.add_argument("--branch", default=None, help="branch of bare JUnit files (default: current)")
    imp.add_argument("--python", default="", help="Python version of bare JUnit files, e.g. 3.12")
    imp.add_argument("--os", default="", help="OS of bare JUnit files (default: this machine's)")
    add_json(imp, "print what was imported as JSON")
    for name, what in QUESTIONS.items():
        question = sub.add_parser(name, help=what, description=what[0].upper() + what[1:] + ".")
        add_root(question, repeated=True)
        question.add_argument("--days", type=float, default=30.0, help="window in days (0: all)")
        add_json(question)
        question.add_argument(
            "--limit", type=int, default=10, help=f"{LIMITED[name]} to show (0: all)"
        )
    return parser


def main(argv: list[str]) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "limit", 0) < 0:
        parser.error("--limit must be >= 0")
    root = root_of(args, parser)
    try:
        if args.command == "import":
            return _import(root, args)
        return _question(root, args)
    except HistoryError as exc:
        print(f"ci-sessions history: {exc}", file=sys.stderr)
        return 2


def _import(root: Path, args: argparse.Namespace) -> int:
    from ci_sessions._git import head_facts as git_facts
    from ci_sessions.history.importer import RunFacts, import_paths

    commit, branch = args.commit, args.branch
    if commit is None or branch is None:
        head, current = git_facts(root)
        commit = head if commit is None else commit
        branch = current if branch is None else branch
    facts = RunFacts(commit=commit, branch=branch, python=args.python, os=args.os)
    try:
        with open_history(root) as db:
            report = import_paths(db, root, list(args.paths), facts)
    except HistoryImportError as exc:
        print(f"ci-sessions history import: {exc.message}", file=sys.stderr)
        return exc.exit_code
    if args.json:
        payload = {
            "runs": report.runs,
            "tests": report.tests,
            "known": report.known,
            "files": [str(f) for f in report.files],
            "ignored": [str(i) for i in report.ignored],
        }
        print(json.dumps(payload, indent=2))
        return 0
    known = f"; {report.known} run(s) already in the history" if report.known else ""
    print(
        f"imported {report.runs} run(s) with {report.tests} test outcome(s) "
        f"from {len(report.files)} file(s){known}"
    )
    for ignored in report.ignored:
        print(f"  ignored {ignored}: not a ci-sessions run nor a JUnit report")
    return 0


def _question(root: Path, args: argparse.Namespace) -> int:
    since = hs.since_days(args.days)
    with open_history(root) as db:
        data: Any
        limit: int | None = args.limit or None
        if args.command == "stats":
            data = hs.limit_stats(hs.stats(db, since), limit)
        elif args.command == "trends":
            data = hs.limit_trends(hs.trends(db, since), limit)
        elif args.command == "slowest":
            data = hs.slowest(db, since, limit or -1, cache=hs.cache_enabled(root))
        elif args.command == "failures":
            data = hs.failures(db, since, limit or -1)
        elif args.command == "releases":
            data = releases_mod.releases(db, since, limit or 0)
        else:
            data = flaky_mod.flaky_tests(db, since)[:limit]
    if args.json:
        print(json.dumps(_plain(data), indent=2))
        return 0
    window = f"last {args.days:g} days" if args.days else "all time"
    print(f"{args.command} ({window}, {root / '.ci-sessions' / 'history.db'})")
    print(render(args.command, data))
    return 0


def _plain(data: object) -> object:
    if isinstance(data, list):
        items: list[object] = list(data)  # pyright: ignore[reportUnknownArgumentType]
        return [_plain(item) for item in items]
    if dataclasses.is_dataclass(data) and not isinstance(data, type):
        return dataclasses.asdict(data)
    return data


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


def when(epoch: float) -> str:
    return datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M")


def table(headers: list[str], rows: list[list[str]]) -> str:
    """A plain aligned text table (readable in any CI log)."""
    if not rows:
        return "(no data in this window)"
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    return "\n".join(line.rstrip() for line in lines)


def render(command: str, data: Any) -> str:
    if command == "stats":
        s: hs.Stats = data
        head = f"runs: {s.runs}  passed: {s.passed_runs}  pass rate: {s.pass_rate:.1%}\n"
        rows = [
            [
                c.label,
                str(c.runs),
                str(c.passed),
                str(c.failed),
                f"{c.pass_rate:.1%}",
                f"{c.mean_duration:.2f}s",
            ]
            for c in s.checks
        ]
        return head + table(["check", "runs", "passed", "failed", "pass rate", "mean time"], rows)
    if command == "trends":
        t: hs.Trends = data
        parts = ["runs per day:", table(
            ["day", "runs", "pass rate", "mean run time"],
            [[p.day, str(p.runs), f"{p.pass_rate:.1%}", f"{p.mean_duration:.2f}s"] for p in t.runs],
        )]  # fmt: skip
        rows = [
            [label, p.day, str(p.runs), f"{p.pass_rate:.1%}", f"{p.mean_duration:.2f}s"]
            for label, points in t.durations.items()
            for p in points
        ]
        parts += [
            "",
            "checks per day:",
            table(["check", "day", "runs", "pass rate", "mean time"], rows),
        ]
        if t.coverage:
            parts += [
                "",
                "coverage:",
                table(["day", "coverage"], [[d, f"{v:.1f}%"] for d, v in t.coverage]),
            ]
        return "\n".join(parts)
    if command == "slowest":
        rows = [
            [
                c.label,
                c.session,
                str(c.runs),
                f"{c.mean_duration:.2f}s",
                f"{c.max_duration:.2f}s",
                f"{c.share:.0%}",
                c.suggestion,
            ]
            for c in data
        ]
        return table(["check", "session", "runs", "mean", "max", "share", "suggestion"], rows)
    if command == "failures":
        f: hs.Failures = data
        head = "categories: " + ", ".join(f"{k} {v}" for k, v in f.categories.items()) + "\n"
        rows = [
            [g.signature, g.category, g.check, str(g.count), when(g.last_seen), g.message[:80]]
            for g in f.groups
        ]
        return head + table(
            ["signature", "category", "check", "count", "last seen", "message"], rows
        )
    if command == "releases":
        return table(
            ["time", "step", "version", "stage", "outcome", "detail"],
            [
                [when(e.time), e.kind, e.version, e.stage, e.outcome, _first_line(e.detail)[:80]]
                for e in data
            ],
        )
    rows = [
        [
            t.test_id,
            str(t.runs),
            str(t.failures),
            f"{t.flip_rate:.0%}",
            when(t.first_seen),
            when(t.last_seen),
        ]
        for t in data
    ]
    return table(["test", "runs", "failures", "flip rate", "first seen", "last seen"], rows)
