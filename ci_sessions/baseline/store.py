"""The findings baseline: hold the line on adoption day, fail only on NEW findings.

A mature project carries findings it never gated on. ``init`` records them in a committed file;
the runner then calls :func:`apply` on every lint/format/typecheck result, which removes findings
the baseline already accepts. Findings are matched by (check, rule, path, fingerprint) as a
multiset, and the fingerprint never contains a line number, so edits elsewhere in a file do not
invalidate it. Test failures are never baselined.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import os
import re
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any, cast

from ci_sessions.config.loader import Config, ConfigError
from ci_sessions.results import CheckResult, Finding, Status

FORMAT_VERSION = 1
#: Checks whose findings may be baselined, and the sessions that produce them.
BASELINED_CHECKS = ("lint", "format", "typecheck")
NEVER_BASELINED = frozenset({"tests"})

Key = tuple[str, str, str, str]  # check, rule, path, fingerprint

_NUMBER = re.compile(r"\d+")
_SPACE = re.compile(r"\s+")


class BaselineError(Exception):
    """The baseline could not be recorded (a check could not check, nox failed to run)."""


# -- fingerprints -------------------------------------------------------------------------------


class SourceLines:
    """Reads each source file once; a missing or binary file has no lines."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._cache: dict[str, list[str]] = {}

    def line(self, path: str, number: int) -> str:
        if not path or number <= 0:
            return ""
        if path not in self._cache:
            try:
                text = (self.root / path).read_text(encoding="utf-8", errors="replace")
            except OSError:
                text = ""
            self._cache[path] = text.splitlines()
        lines = self._cache[path]
        return lines[number - 1] if number <= len(lines) else ""


def normalise_message(message: str) -> str:
    """The message without numbers and extra blanks ("from line 3" must not pin a line)."""
    return _SPACE.sub(" ", _NUMBER.sub("#", message)).strip()


def fingerprint(finding: Finding, sources: SourceLines) -> str:
    """A line-independent identity: the tool's own fingerprint, else a hash of what the finding is."""
    if finding.fingerprint:
        return finding.fingerprint
    source = _SPACE.sub(" ", sources.line(finding.path, finding.line)).strip()
    parts = [finding.tool, finding.rule, finding.path, normalise_message(finding.message), source]
    return hashlib.sha1("\x1f".join(parts).encode("utf-8"), usedforsecurity=False).hexdigest()[:16]


def key_of(check: str, finding: Finding, sources: SourceLines) -> Key:
    return (check, finding.rule, finding.path, fingerprint(finding, sources))


# -- the file -----------------------------------------------------------------------------------


@dataclasses.dataclass
class Baseline:
    """Accepted findings as a multiset, plus a message per key for the humans reading diffs."""

    counts: Counter[Key] = dataclasses.field(default_factory=Counter[Key])
    messages: dict[Key, str] = dataclasses.field(default_factory=dict[Key, str])

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def to_json(self) -> dict[str, Any]:
        from ci_sessions import __version__

        entries = [
            {
                "check": k[0],
                "rule": k[1],
                "path": k[2],
                "fingerprint": k[3],
                "count": n,
                "message": self.messages.get(k, ""),
            }
            for k, n in sorted(self.counts.items())
            if n > 0
        ]
        return {
            "version": FORMAT_VERSION,
            "generated-by": f"ci-sessions {__version__}",
            "findings": entries,
        }

    def render(self) -> str:
        return json.dumps(self.to_json(), indent=2, sort_keys=False) + "\n"


def from_results(root: Path, results: Iterable[CheckResult]) -> Baseline:
    """The baseline that accepts every finding of these results (tests excluded)."""
    sources = SourceLines(root)
    baseline = Baseline()
    for result in results:
        if result.check in NEVER_BASELINED:
            continue
        for finding in result.findings:
            key = key_of(result.check, finding, sources)
            baseline.counts[key] += 1
            baseline.messages.setdefault(key, finding.message)
    return baseline


def load(path: Path) -> Baseline:
    """Read a baseline file; a malformed one is a configuration error naming the fix."""
    display = path.name
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ConfigError(
            display, "", f"unreadable baseline: {exc}", fix="run `ci-sessions baseline --update`"
        ) from None
    if not isinstance(data, dict) or not isinstance(
        cast("dict[str, Any]", data).get("findings"), list
    ):
        raise ConfigError(
            display,
            "findings",
            "not a ci-sessions baseline",
            expected='{"version": 1, "findings": [...]}',
            fix="run `ci-sessions baseline --update --allow-growth` to rewrite it",
        )
    baseline = Baseline()
    for index, raw in enumerate(cast("list[Any]", cast("dict[str, Any]", data)["findings"])):
        if not isinstance(raw, dict):
            raise ConfigError(display, f"findings[{index}]", "must be an object")
        entry = cast("dict[str, Any]", raw)
        try:
            key: Key = (
                str(entry["check"]),
                str(entry["rule"]),
                str(entry["path"]),
                str(entry["fingerprint"]),
            )
            count = int(entry.get("count", 1))
        except (KeyError, TypeError, ValueError):
            raise ConfigError(
                display,
                f"findings[{index}]",
                "needs check, rule, path, fingerprint and an integer count",
            ) from None
        baseline.counts[key] += count
        baseline.messages.setdefault(key, str(entry.get("message", "")))
    return baseline


def baseline_path(root: Path, config: Config) -> Path:
    return root / config.top.str("baseline")


# -- the runner hook ----------------------------------------------------------------------------


def apply(root: Path, config: Config, result: CheckResult) -> CheckResult:
    """Remove the findings the baseline accepts; ``metrics["baselined"]`` says how many.

    Called by the runner for every result that is not ERROR/SKIP and not ``tests``, before the
    check's ``evaluate()`` sets the gates. Without a baseline file the result is returned as is.
    """
    if result.check in NEVER_BASELINED or result.status in (Status.ERROR, Status.SKIP):
        return result
    if not config.top.bool("use-baseline"):
        return result
    path = baseline_path(root, config)
    if not path.is_file():
        return result
    remaining = Counter({k: n for k, n in load(path).counts.items() if k[0] == result.check})
    sources = SourceLines(root)
    kept: list[Finding] = []
    removed = 0
    for finding in result.findings:
        key = key_of(result.check, finding, sources)
        if remaining[key] > 0:
            remaining[key] -= 1
            removed += 1
        else:
            kept.append(finding)
    metrics = dict(result.metrics)
    metrics["baselined"] = removed
    return dataclasses.replace(result, findings=kept, metrics=metrics)


# -- recording ----------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Change:
    """How a new baseline differs from the committed one."""

    added: Counter[Key]
    removed: Counter[Key]

    @property
    def grows(self) -> bool:
        return sum(self.added.values()) > 0


def compare(old: Baseline, new: Baseline) -> Change:
    return Change(added=new.counts - old.counts, removed=old.counts - new.counts)


def session_names(config: Config) -> list[str]:
    """The nox sessions that produce baselined findings, honouring exclude and renames."""
    excluded = set(config.top.str_list("exclude"))
    renames = config.top.str_map("session-names")
    return [renames.get(c, c) for c in BASELINED_CHECKS if c not in excluded]


def run_checks(root: Path, sessions: list[str], *, stream: bool = False) -> list[CheckResult]:
    """Run the sessions with the baseline switched off and return their results."""
    from ci_sessions._fs import reports_dir
    from ci_sessions.reports.run import RunRecord

    results_file = reports_dir(root) / "results.json"
    started = time.time()
    env = dict(os.environ)
    env["CI_SESSIONS_USE_BASELINE"] = "false"
    env["CI_SESSIONS_CACHE"] = "false"
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
    results = [r for r in record.results if r.check not in NEVER_BASELINED]
    broken = [r for r in results if r.status is Status.ERROR]
    if broken:
        names = ", ".join(f"{r.label} ({r.summary})" for r in broken)
        raise BaselineError(f"a check could not check, so nothing was recorded: {names}")
    return results


def record(
    root: Path, config: Config, *, allow_growth: bool, dry_run: bool = False
) -> tuple[int, str]:
    """Run the checks, write the baseline; (exit code, what happened)."""
    from ci_sessions._fs import atomic_write_text

    path = baseline_path(root, config)
    results = run_checks(root, session_names(config))
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
    if dry_run:
        return 0, "would write " + summary
    if not path.is_file() or path.read_text(encoding="utf-8") != new.render():
        atomic_write_text(path, new.render())
    return 0, summary


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="ci-sessions baseline",
        description="Record the current lint/format/typecheck findings as accepted (only new ones fail).",
    )
    parser.add_argument("dir", nargs="?", default=".", help="project root (default: .)")
    parser.add_argument(
        "--update", action="store_true", help="run the checks and rewrite the baseline"
    )
    parser.add_argument(
        "--allow-growth", action="store_true", help="let --update accept findings that are new"
    )
    parser.add_argument("--dry-run", action="store_true", help="show what --update would write")
    args = parser.parse_args(argv)
    root = Path(args.dir).resolve()
    from ci_sessions.config.loader import load_config

    config = load_config(root)
    path = baseline_path(root, config)
    if not args.update:
        if not path.is_file():
            print(f"no baseline at {config.top.str('baseline')}; record one with --update")
            return 0
        counts = Counter[str]()
        for key, n in load(path).counts.items():
            counts[key[0]] += n
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
