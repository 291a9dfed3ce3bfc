"""``ci-sessions changes``: classify what changed and decide which sessions must run.

Every changed file falls into one category (docs, source, tests, config, ci, other) by configurable
patterns; each category names the sessions it needs. Safety first: a file no pattern explains
(``other``), a CI or config file, or a ``run-all`` file (lock files, the noxfile) runs everything.
Only a change made of docs alone skips the tests.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ci_sessions._args import add_base, add_head, add_json, add_root, command_parser, root_of
from ci_sessions._git import printable
from ci_sessions._patterns import PathMatcher
from ci_sessions.changes.diff import ChangedFile, changed_files

MATCH_ORDER = ("ci", "config", "tests", "docs", "source")
CATEGORIES = ("docs", "source", "tests", "config", "ci", "other")
ALL = "*"


@dataclass(frozen=True)
class Rules:
    """The configured patterns of one project, compiled."""

    matchers: Mapping[str, PathMatcher]
    run_all: PathMatcher
    ignore: PathMatcher
    sessions: Mapping[str, tuple[str, ...]]
    package_dirs: tuple[str, ...] = ()

    @classmethod
    def load(cls, root: Path) -> Rules:
        """Rules from the project's merged configuration (packaged defaults -> pyproject -> env)."""
        from ci_sessions.config import load_config
        from ci_sessions.config.project import load_project

        section = load_config(root).section("changes")
        matchers = {name: PathMatcher(section.str_list(name)) for name in MATCH_ORDER}
        sessions = {name: tuple(items) for name, items in section.values["sessions"].items()}
        return cls(
            matchers=matchers,
            run_all=PathMatcher(section.str_list("run-all")),
            ignore=PathMatcher(section.str_list("ignore")),
            sessions=sessions,
            package_dirs=tuple(load_project(root).packages),
        )

    def category(self, path: str) -> str:
        """The first category whose patterns match; files inside the project's packages are source."""
        for name in MATCH_ORDER:
            if self.matchers[name].match(path):
                return name
        if any(path == d or path.startswith(d.rstrip("/") + "/") for d in self.package_dirs):
            return "source"
        return "other"

    def all_sessions(self) -> list[str]:
        """Every session a change can ask for: the registered checks, then any the config names."""
        from ci_sessions.checks.registry import CHECKS

        names = list(CHECKS)
        for items in self.sessions.values():
            names += [name for name in items if name != ALL and name not in names]
        return names


@dataclass(frozen=True)
class ClassifiedFile:
    change: ChangedFile
    category: str


@dataclass(frozen=True)
class ChangeReport:
    """What changed and what must run because of it."""

    base: str
    head: str
    working_tree: bool
    files: tuple[ClassifiedFile, ...]
    run_all: bool
    reasons: tuple[str, ...]
    sessions: tuple[str, ...]
    packages: tuple[str, ...] = field(default=())

    @property
    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = dict.fromkeys(CATEGORIES, 0)
        for item in self.files:
            counts[item.category] += 1
        return counts

    @property
    def docs_only(self) -> bool:
        return bool(self.files) and all(item.category == "docs" for item in self.files)

    @property
    def source_changed(self) -> bool:
        return any(item.category == "source" for item in self.files)

    def to_json(self) -> dict[str, Any]:
        return {
            "base": self.base,
            "head": self.head,
            "working_tree": self.working_tree,
            "files": [
                {
                    "path": printable(item.change.path),
                    "status": item.change.status,
                    "old_path": printable(item.change.old_path) if item.change.old_path else None,
                    "category": item.category,
                }
                for item in self.files
            ],
            "categories": self.counts,
            "docs_only": self.docs_only,
            "source_changed": self.source_changed,
            "run_all": self.run_all,
            "reasons": list(self.reasons),
            "sessions": list(self.sessions),
            "packages": list(self.packages),
        }

    def github_outputs(self) -> dict[str, str]:
        """The ``key=value`` lines a workflow step reads from ``$GITHUB_OUTPUT``."""
        return {
            "docs-only": str(self.docs_only).lower(),
            "source-changed": str(self.source_changed).lower(),
            "run-all": str(self.run_all).lower(),
            "sessions": json.dumps(list(self.sessions), separators=(",", ":")),
            "packages": json.dumps(list(self.packages), separators=(",", ":")),
        }


def classify_changes(rules: Rules, changes: Iterable[ChangedFile]) -> tuple[ClassifiedFile, ...]:
    """Each change with its category; a rename takes the stricter category of its two names."""
    result: list[ClassifiedFile] = []
    for change in changes:
        categories = [rules.category(path) for path in change.paths]
        chosen = next((c for c in categories if c != "docs"), categories[0])
        result.append(ClassifiedFile(change, chosen))
    return tuple(result)


def decide(rules: Rules, files: Iterable[ClassifiedFile]) -> tuple[bool, list[str], list[str]]:
    """(run everything?, why, sessions to run) for a set of classified changes."""
    everything = rules.all_sessions()
    reasons: list[str] = []
    wanted: set[str] = set()
    for item in files:
        for path in item.change.paths:
            pattern = rules.run_all.first(path)
            if pattern is not None:
                reasons.append(f"{printable(path)} changed (run-all pattern {pattern!r})")
        sessions = rules.sessions.get(item.category, (ALL,))
        if ALL in sessions:
            if item.category != "docs":
                reasons.append(
                    f"{printable(item.change.path)} is in category {item.category!r}, "
                    "which runs every session"
                )
            wanted.update(everything)
        else:
            wanted.update(sessions)
    run_all = bool(reasons)
    if run_all:
        wanted.update(everything)
    ordered = [name for name in everything if name in wanted]
    ordered += sorted(wanted - set(ordered))
    return run_all, reasons, ordered


def relevant_paths(
    root: Path, changes: Iterable[ChangedFile], rules: Rules | None = None
) -> list[str]:
    """Changed paths that can affect a package's checks: docs and ignored files left out."""
    rules = rules or Rules.load(root)
    paths: list[str] = []
    for item in classify_changes(rules, changes):
        if item.category == "docs":
            continue
        paths += [p for p in item.change.paths if not rules.ignore.match(p)]
    return paths


def detect_changes(
    root: Path, base: str, head: str | None = None, *, working_tree: bool = False
) -> ChangeReport:
    """The change report of ``root`` between the merge base of ``base`` and ``head``."""
    rules = Rules.load(root)
    changes = changed_files(root, base, head, working_tree=working_tree)
    files = classify_changes(rules, changes)
    run_all, reasons, sessions = decide(rules, files)
    packages = _affected_packages(root, rules, changes)
    return ChangeReport(
        base=base,
        head="working tree" if working_tree else head or "HEAD",
        working_tree=working_tree,
        files=files,
        run_all=run_all,
        reasons=tuple(reasons),
        sessions=tuple(sessions),
        packages=tuple(packages),
    )


def _affected_packages(root: Path, rules: Rules, changes: list[ChangedFile]) -> list[str]:
    from ci_sessions.changes.monorepo import discover_packages, packages_for_paths

    paths = relevant_paths(root, changes, rules)
    if not paths:
        return []
    packages = discover_packages(root)
    return [package.name for package in packages_for_paths(packages, paths)]


# -- output -------------------------------------------------------------------------------------

MAX_LISTED = 100
_MARK = {
    "added": "A",
    "modified": "M",
    "deleted": "D",
    "renamed": "R",
    "copied": "C",
    "untracked": "?",
}


def render_text(report: ChangeReport) -> str:
    """What a person reads: the files by category, why everything runs (if it does), the sessions."""
    lines = [f"changes: {len(report.files)} file(s), merge base of {report.base} .. {report.head}"]
    for item in report.files[:MAX_LISTED]:
        shown = printable(item.change.path)
        if item.change.old_path:
            shown = f"{printable(item.change.old_path)} -> {shown}"
        lines.append(f"  {item.category:<7} {_MARK.get(item.change.status, '?')} {shown}")
    if len(report.files) > MAX_LISTED:
        lines.append(f"  ... and {len(report.files) - MAX_LISTED} more (use --json for all)")
    counts = ", ".join(f"{name} {count}" for name, count in report.counts.items() if count)
    lines.append(f"categories: {counts or 'none'}")
    if report.docs_only:
        lines.append("docs-only change: tests and checks are skipped")
    for reason in report.reasons[:10]:
        lines.append(f"runs everything: {reason}")
    if len(report.reasons) > 10:
        lines.append(f"runs everything: ... and {len(report.reasons) - 10} more reasons")
    lines.append(f"sessions: {', '.join(report.sessions) or 'none'}")
    if report.packages:
        lines.append(f"packages: {', '.join(report.packages)}")
    return "\n".join(lines)


def write_github_output(
    report: ChangeReport, environ: Mapping[str, str] | None = None
) -> Path | None:
    """Append the outputs to ``$GITHUB_OUTPUT`` when set (GitHub gives each step its own file)."""
    target = (os.environ if environ is None else environ).get("GITHUB_OUTPUT")
    if not target:
        return None
    path = Path(target)
    text = "".join(f"{key}={value}\n" for key, value in report.github_outputs().items())
    with path.open("a", encoding="utf-8") as handle:
        handle.write(text)
    return path


def build_parser() -> argparse.ArgumentParser:
    parser = command_parser(
        "changes",
        "Classify changed files (git diff from the merge base) and decide which sessions must run.",
    )
    add_root(parser)
    add_base(parser, help_text="the branch or commit the change is compared with (required)")
    add_head(parser)
    parser.add_argument(
        "--working-tree", action="store_true", help="include uncommitted and untracked files"
    )
    add_json(parser)
    return parser


def main(argv: list[str]) -> int:
    """``ci-sessions changes --base REF [--head REF] [--working-tree] [--json] [--root DIR]``."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.base is None:
            parser.error("the following arguments are required: --base")
    except SystemExit as exc:
        return 0 if exc.code == 0 else 2
    report = detect_changes(
        root_of(args, parser), args.base, args.head, working_tree=args.working_tree
    )
    if args.json:
        print(json.dumps(report.to_json(), indent=2))
    else:
        print(render_text(report))
    written = write_github_output(report)
    if written is not None and not args.json:
        print(f"outputs appended to {written}", file=sys.stderr)
    return 0
