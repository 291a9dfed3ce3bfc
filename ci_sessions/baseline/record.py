"""Recording the baseline: run the baselined checks with the baseline off, write what they found.

``ci-sessions baseline --update`` and ``init`` use this. The checks run through nox in a
subprocess, exactly as a user would run them, and a check that could not check stops the
recording: a baseline is never written from a crashed tool.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from ci_sessions._args import add_json, add_root, command_parser, root_of
from ci_sessions.baseline.accepted import Baseline, baseline_path, compare, from_results, load
from ci_sessions.config import Config
from ci_sessions.errors import BaselineError
from ci_sessions.results import CheckResult, Status


def baselined_checks() -> list[str]:
    """The checks whose findings the baseline may accept (declared on each check)."""
    from ci_sessions.checks.registry import CHECKS, load_check

    return [name for name in CHECKS if load_check(name).baselined]


def session_names(config: Config) -> list[str]:
    """The nox sessions that produce baselined findings, honouring exclude and renames."""
    excluded = set(config.top.str_list("exclude"))
    renames = config.top.str_map("session-names")
    return [renames.get(c, c) for c in baselined_checks() if c not in excluded]


def run_checks(root: Path, sessions: list[str], *, stream: bool = False) -> list[CheckResult]:
    """Run the sessions with the baseline switched off and return their results."""
    from ci_sessions._fs import reports_dir
    from ci_sessions.results import RunRecord

    results_file = reports_dir(root) / "results.json"
    started = time.time()
    env = dict(os.environ)
    env["CI_SESSIONS_USE_BASELINE"] = "false"
    env["CI_SESSIONS_CACHE"] = "false"
    # a recording run is not a run of the project's gates: its findings are being accepted,
    # so it must not enter the history as failed lint and typecheck runs
    env["CI_SESSIONS_HISTORY_ENABLED"] = "false"
    argv = [sys.executable, "-m", "nox", "-s", *sessions]
    try:
        completed = subprocess.run(  # noqa: S603 - argv list
            argv,
            cwd=root,
            env=env,
            capture_output=not stream,
            text=True,
            timeout=3600,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BaselineError(f"could not run nox: {exc}") from None
    if not results_file.is_file() or results_file.stat().st_mtime < started - 1:
        tail = "\n".join(
            ((completed.stdout or "") + (completed.stderr or "")).strip().splitlines()[-20:]
        )
        raise BaselineError(
            f"`nox -s {' '.join(sessions)}` (exit {completed.returncode}) wrote no results.json:\n{tail}"
        )
    record = RunRecord.from_json(json.loads(results_file.read_text(encoding="utf-8")))
    wanted = set(baselined_checks())
    results = [r for r in record.results if r.check in wanted]
    broken = [r for r in results if r.status is Status.ERROR]
    if broken:
        names = ", ".join(f"{r.label} ({r.summary})" for r in broken)
        raise BaselineError(f"a check could not check, so nothing was recorded: {names}")
    return results


def record(
    root: Path,
    config: Config,
    *,
    allow_growth: bool,
    dry_run: bool = False,
    never_accept: frozenset[str] = frozenset(),
) -> tuple[int, str]:
    """Run the checks, write the baseline; (exit code, what happened).

    Findings in ``never_accept`` (the files ``init`` itself wrote) are left out of the baseline
    and listed, so a file ci-sessions wrote can never have its findings accepted silently.
    """
    from ci_sessions._fs import atomic_write_text

    path = baseline_path(root, config)
    results = run_checks(root, session_names(config))
    refused = [
        f"{result.check} {finding.rule} {finding.location()}"
        for result in results
        for finding in result.findings
        if finding.path in never_accept
    ]
    if refused:
        results = [
            dataclasses.replace(
                result, findings=[f for f in result.findings if f.path not in never_accept]
            )
            for result in results
        ]
    new = from_results(root, results)
    old = load(path) if path.is_file() else Baseline()
    change = compare(old, new)
    shown = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
    if path.is_file() and change.grows and not allow_growth:
        lines = [
            f"{shown}: refusing to grow the baseline by {sum(change.added.values())} finding(s) "
            "(fix them, or pass --allow-growth):"
        ]
        lines += [f"  + {k[0]} {k[1]} {k[2]}" for k in sorted(change.added)][:50]
        return 1, "\n".join(lines)
    summary = (
        f"{shown}: {new.total} finding(s) accepted "
        f"(+{sum(change.added.values())} / -{sum(change.removed.values())})"
    )
    if refused:
        summary += (
            f"; {len(refused)} finding(s) in files ci-sessions wrote are NOT accepted (fix them, "
            "or configure your tools for them): " + ", ".join(refused[:10])
        )
    if dry_run:
        return 0, "would write " + summary
    if not path.is_file() or path.read_text(encoding="utf-8") != new.render():
        atomic_write_text(path, new.render())
    return 0, summary


def build_parser() -> argparse.ArgumentParser:
    parser = command_parser(
        "baseline",
        "Record the current lint/format/typecheck/sast/secrets findings as accepted (only new ones fail).",
    )
    add_root(parser, positional_alias=True)
    parser.add_argument(
        "--update", action="store_true", help="run the checks and rewrite the baseline"
    )
    parser.add_argument(
        "--allow-growth", action="store_true", help="let --update accept findings that are new"
    )
    parser.add_argument("--dry-run", action="store_true", help="show what --update would write")
    add_json(parser, "print the accepted findings per check as JSON (without --update)")
    return parser


def main(argv: list[str]) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    root = root_of(args, parser)
    from ci_sessions.config import load_config

    config = load_config(root)
    path = baseline_path(root, config)
    if not args.update:
        counts = Counter[str]()
        if path.is_file():
            for key, n in load(path).counts.items():
                counts[key[0]] += n
        if args.json:
            print(json.dumps({"baseline": config.top.str("baseline"), "exists": path.is_file(),
                              "accepted": dict(sorted(counts.items()))}, indent=2))  # fmt: skip
            return 0
        if not path.is_file():
            print(f"no baseline at {config.top.str('baseline')}; record one with --update")
            return 0
        for check, n in sorted(counts.items()):
            print(f"{check}: {n} accepted finding(s)")
        return 0
    try:
        code, message = record(root, config, allow_growth=args.allow_growth, dry_run=args.dry_run)
    except BaselineError as exc:
        print(f"ci-sessions baseline: {exc}", file=sys.stderr)
        return 2
    print(message, file=sys.stderr if code else sys.stdout)
    return code
