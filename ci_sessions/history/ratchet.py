"""``ci-sessions ratchet``: raise thresholds the project already beats; never lower them.

Quality that was reached should not slide back unnoticed. The ratchet reads the worst value of
the latest recorded runs from the history and, when it beats a threshold by at least the margin,
writes the tighter threshold into ``[tool.ci-sessions]`` of pyproject.toml (tomlkit keeps every
comment). ``--check`` changes nothing and fails when the commit lowered a threshold by hand.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from ci_sessions._args import add_base, add_json, add_root, command_parser, root_of
from ci_sessions._git import try_git
from ci_sessions.config import load_config, load_toml
from ci_sessions.errors import ConfigError, InstallError
from ci_sessions.history.stats import COVERAGE_METRICS


def _first(names: tuple[str, ...]) -> Callable[[Mapping[str, float]], float | None]:
    return lambda metrics: next((metrics[n] for n in names if n in metrics), None)


def _failures(metrics: Mapping[str, float]) -> float | None:
    if "failed" not in metrics and "tests_failed" not in metrics:
        return None
    if "failed" in metrics:
        return metrics["failed"] + metrics.get("errors", 0.0)
    return metrics["tests_failed"]


@dataclass(frozen=True)
class Threshold:
    """A config key the ratchet manages, and how to read the measured value from history."""

    section: str
    key: str
    check: str
    read: Callable[[Mapping[str, float]], float | None]
    higher_is_better: bool

    @property
    def dotted(self) -> str:
        return f"{self.section}.{self.key}"

    def tighter(self, measured: float, current: float, margin: float) -> float | None:
        """The new threshold when ``measured`` beats ``current`` by ``margin``, else None."""
        if self.higher_is_better:
            if measured - current < margin or measured <= current:
                return None
            return math.floor(measured * 10) / 10
        if current - measured < margin or measured >= current:
            return None
        return math.ceil(measured)

    def weaker(self, new: float, old: float) -> bool:
        return new < old if self.higher_is_better else new > old


THRESHOLDS: tuple[Threshold, ...] = (
    Threshold("coverage", "min", "coverage", _first(COVERAGE_METRICS), higher_is_better=True),
    Threshold("lint", "max-findings", "lint", _first(("findings",)), higher_is_better=False),
    Threshold("typecheck", "max-errors", "typecheck", _first(("errors",)), higher_is_better=False),
    Threshold(
        "format", "max-files", "format", _first(("files", "unformatted")), higher_is_better=False
    ),
    Threshold("tests", "max-failures", "tests", _failures, higher_is_better=False),
)


def managed(values: Mapping[str, Any]) -> list[Threshold]:
    """The thresholds this installation's schema knows (coverage only where a coverage table exists)."""
    return [
        t
        for t in THRESHOLDS
        if isinstance(values.get(t.section), Mapping) and t.key in values[t.section]
    ]


@dataclass(frozen=True)
class Change:
    threshold: Threshold
    current: float
    measured: float | None
    new: float | None
    note: str = ""


def measured_values(root: Path, threshold: Threshold, runs: int) -> list[float]:
    """The threshold's measured value in the latest ``runs`` results of its check, newest first."""
    from ci_sessions.history.store import open_history

    values: list[float] = []
    with open_history(root) as db:
        rows = db.execute(
            "SELECT c.id FROM checks c JOIN runs r ON c.run = r.id WHERE c.check_name = ?"
            " AND c.status NOT IN ('ERROR', 'SKIP') ORDER BY r.started DESC, c.id DESC",
            (threshold.check,),
        ).fetchall()
        for row in rows:
            metrics = {
                str(m[0]): float(m[1])
                for m in db.execute(
                    "SELECT name, value FROM metrics WHERE check_id = ? AND value IS NOT NULL",
                    (row[0],),
                )
            }
            value = threshold.read(metrics)
            if value is not None:
                values.append(value)
            if len(values) == runs:
                break
    return values


def plan(root: Path, margin: float, runs: int) -> list[Change]:
    """What the ratchet would do to each managed threshold."""
    config = load_config(root)
    changes: list[Change] = []
    for threshold in managed(config.values):
        current = _effective(root, config.values, config.source_of(threshold.dotted), threshold)
        source = config.source_of(threshold.dotted)
        if source.startswith("environment"):
            changes.append(Change(threshold, current, None, None, f"set by {source}: left alone"))
            continue
        values = measured_values(root, threshold, runs)
        if len(values) < runs:
            changes.append(
                Change(threshold, current, None, None, f"{len(values)} of {runs} runs recorded")
            )
            continue
        worst = min(values) if threshold.higher_is_better else max(values)
        new = threshold.tighter(worst, current, margin)
        changes.append(Change(threshold, current, worst, new))
    return changes


def _effective(root: Path, values: Mapping[str, Any], source: str, threshold: Threshold) -> float:
    """The threshold in force; coverage.min falls back to [tool.coverage.report] fail_under."""
    current = float(cast("Mapping[str, Any]", values[threshold.section])[threshold.key])
    if threshold.dotted == "coverage.min" and source == "defaults":
        fail_under = _fail_under(root / "pyproject.toml")
        if fail_under is not None:
            return fail_under
    return current


def _fail_under(pyproject: Path) -> float | None:
    if not pyproject.is_file():
        return None
    data: object = load_toml(pyproject)
    for key in ("tool", "coverage", "report"):
        data = cast("dict[str, object]", data).get(key, {}) if isinstance(data, dict) else {}
    value = cast("dict[str, object]", data).get("fail_under") if isinstance(data, dict) else None
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def apply(pyproject: Path, changes: list[Change]) -> None:
    """Write the raised thresholds into [tool.ci-sessions], keeping comments and layout."""
    import tomlkit

    from ci_sessions._fs import atomic_write_text

    text = pyproject.read_text(encoding="utf-8") if pyproject.is_file() else ""
    document: Any = tomlkit.parse(text)
    tool: Any = document.setdefault("tool", tomlkit.table(is_super_table=True))
    table: Any = tool.setdefault("ci-sessions", tomlkit.table(is_super_table=True))
    for change in changes:
        if change.new is None:
            continue
        section: Any = table.setdefault(change.threshold.section, tomlkit.table())
        section[change.threshold.key] = (
            int(change.new) if not change.threshold.higher_is_better else change.new
        )
    atomic_write_text(pyproject, tomlkit.dumps(document))


# -- check mode --------------------------------------------------------------------------------


def lowered(root: Path, base: str) -> list[str] | None:
    """Thresholds the working tree sets weaker than ``base`` did; None when base has no pyproject.

    Both sides are compared by the value in force, not the value written: a key absent on one
    side counts as its default (and ``coverage.min`` as ``[tool.coverage.report] fail_under``
    where that stands in for it), so adding ``coverage.min = 80`` under the default 85 loosens.
    """
    old_data = _pyproject_at(root, base)
    if old_data is None:
        return None
    pyproject = root / "pyproject.toml"
    new_data = load_toml(pyproject) if pyproject.is_file() else {}
    defaults = load_config(root, environ={}, table={}).values
    problems: list[str] = []
    for threshold in THRESHOLDS:
        old = _in_force(old_data, threshold, defaults)
        new = _in_force(new_data, threshold, defaults)
        if old is None or new is None:
            continue
        if threshold.weaker(new, old):
            problems.append(f"{threshold.dotted} loosened from {old:g} to {new:g} (at {base})")
    return problems


def _in_force(
    pyproject: Mapping[str, Any], threshold: Threshold, defaults: Mapping[str, Any]
) -> float | None:
    """The threshold a pyproject's configuration puts in force."""
    tool = _table(pyproject, "tool")
    written = _value(_table(tool, "ci-sessions"), threshold)
    if written is not None:
        return written
    if threshold.dotted == "coverage.min":
        fail_under = _table(_table(tool, "coverage"), "report").get("fail_under")
        if isinstance(fail_under, (int, float)) and not isinstance(fail_under, bool):
            return float(fail_under)
    section = _table(defaults, threshold.section)
    return float(section[threshold.key]) if threshold.key in section else None


def _table(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    found = data.get(key)
    empty: dict[str, Any] = {}
    return cast("Mapping[str, Any]", found) if isinstance(found, Mapping) else empty


def _value(table: Mapping[str, Any], threshold: Threshold) -> float | None:
    section = table.get(threshold.section)
    if not isinstance(section, Mapping):
        return None
    value = cast("Mapping[str, Any]", section).get(threshold.key)
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _pyproject_at(root: Path, ref: str) -> dict[str, Any] | None:
    """pyproject.toml as committed at ``ref``; None when there is none (or it does not parse)."""
    from ci_sessions.config.toml import parse_toml

    text = try_git(root, "show", f"{ref}:pyproject.toml")
    if text is None:
        return None
    try:
        return parse_toml(text, f"{ref}:pyproject.toml")
    except ConfigError:
        return None


def default_base() -> str:
    """The pull request's base branch in GitHub Actions, else the previous commit."""
    base_ref = os.environ.get("GITHUB_BASE_REF")
    return f"origin/{base_ref}" if base_ref else "HEAD~1"


# -- command -----------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = command_parser(
        "ratchet", "Raise thresholds the project already beats; never lower them."
    )
    add_root(parser)
    parser.add_argument(
        "--check", action="store_true", help="change nothing; fail if a threshold was lowered"
    )
    parser.add_argument(
        "--margin", type=float, default=None, help="how far the project must beat a threshold"
    )
    parser.add_argument(
        "--runs", type=int, default=None, help="judge on the worst of this many latest runs"
    )
    add_base(parser, help_text="git ref to compare with in --check (default: PR base or HEAD~1)")
    add_json(parser, "print the thresholds, measurements and changes as JSON")
    return parser


def main(argv: list[str]) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    root = root_of(args, parser)
    settings = load_config(root).section("ratchet")
    margin = settings.float("margin") if args.margin is None else args.margin
    runs = settings.int("runs") if args.runs is None else args.runs
    if margin < 0 or runs < 1:
        raise ConfigError(
            "command line", "--margin/--runs", "out of range", expected="margin >= 0, runs >= 1"
        )
    changes = plan(root, margin, runs)
    if not args.json:
        for change in changes:
            print(_describe(change, check=args.check))
    if args.check:
        base = args.base or default_base()
        problems = lowered(root, base)
        if problems is None and args.base:
            print(f"ci-sessions ratchet: cannot read pyproject.toml at {base}", file=sys.stderr)
            return 2
        if args.json:
            _print_json(changes, base=base, lowered=problems)
        elif problems is None:
            print(f"no pyproject.toml at {base}: nothing to compare")
        for problem in [] if args.json else problems or []:
            print(f"FAIL {problem}: thresholds only get stricter; restore it")
        return 1 if problems else 0
    if args.json:
        _print_json(changes)
    if any(c.new is not None for c in changes):
        try:
            apply(root / "pyproject.toml", changes)
        except ModuleNotFoundError as exc:  # pragma: no cover - tomlkit is a dependency
            raise InstallError(
                f"ratchet needs {exc.name}, which cannot be imported",
                fix="reinstall ci-sessions: pip install --force-reinstall ci-sessions",
            ) from None
        print("pyproject.toml [tool.ci-sessions] updated")
    return 0


def _print_json(
    changes: list[Change], *, base: str | None = None, lowered: list[str] | None = None
) -> None:
    import json

    rows = [
        {"key": c.threshold.dotted, "current": c.current, "measured": c.measured,
         "new": c.new, "note": c.note}
        for c in changes
    ]  # fmt: skip
    payload: dict[str, object] = {"thresholds": rows}
    if base is not None:
        payload.update({"base": base, "lowered": lowered})
    print(json.dumps(payload, indent=2))


def _describe(change: Change, *, check: bool) -> str:
    name = change.threshold.dotted
    if change.note:
        return f"  {name} = {change.current:g}: {change.note}"
    measured = f"{change.measured:g}" if change.measured is not None else "-"
    if change.new is None:
        return f"  {name} = {change.current:g}: measured {measured}, kept"
    verb = "would tighten" if check else "tightened"
    return f"  {name}: {verb} {change.current:g} -> {change.new:g} (measured {measured})"
