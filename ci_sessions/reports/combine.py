"""One test count and one coverage figure over every cell of a CI run (shards, Pythons, OSes).

``ci-sessions report --combine DIR`` reads what the cells uploaded: each cell's ``results.json``
with its test outcomes, and each shard's coverage JSON report. Tests are counted once per
Python and OS (a test two shards both ran is reported, never counted twice); coverage merges the
covered lines of every report file by file, so a line any shard ran counts as covered.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from ci_sessions.history.store import test_outcomes
from ci_sessions.results import RunRecord


@dataclass
class CellGroup:
    """The cells of one Python on one OS."""

    python: str
    os: str
    cells: int = 0
    outcomes: dict[str, str] = field(default_factory=dict[str, str])
    twice: set[str] = field(default_factory=set[str])

    def count(self, outcome: str) -> int:
        return sum(1 for o in self.outcomes.values() if o == outcome)


@dataclass
class Coverage:
    """Lines per file: covered by any report, and every statement seen."""

    reports: int = 0
    executed: dict[str, set[int]] = field(default_factory=dict[str, set[int]])
    statements: dict[str, set[int]] = field(default_factory=dict[str, set[int]])

    def add(self, data: dict[str, Any]) -> None:
        self.reports += 1
        for name, raw in cast("dict[str, Any]", data.get("files", {})).items():
            entry = cast("dict[str, Any]", raw)
            executed = {int(n) for n in cast("list[Any]", entry.get("executed_lines", []))}
            missing = {int(n) for n in cast("list[Any]", entry.get("missing_lines", []))}
            self.executed.setdefault(name, set()).update(executed)
            self.statements.setdefault(name, set()).update(executed | missing)

    @property
    def totals(self) -> tuple[int, int]:
        covered = sum(len(lines & self.statements[n]) for n, lines in self.executed.items())
        return covered, sum(len(lines) for lines in self.statements.values())


@dataclass
class Combined:
    groups: list[CellGroup]
    coverage: Coverage

    @property
    def tests(self) -> int:
        return sum(len(g.outcomes) for g in self.groups)

    @property
    def failed(self) -> int:
        return sum(g.count("failed") + g.count("error") for g in self.groups)


def combine(folders: list[Path]) -> Combined:
    """Everything the cells under ``folders`` reported."""
    groups: dict[tuple[str, str], CellGroup] = {}
    coverage = Coverage()
    files = sorted(p for folder in folders for p in folder.rglob("*") if p.is_file())
    for path in files:
        if path.name == "results.json":
            _add_run(path, groups)
        elif path.name.startswith("coverage-") and path.suffix == ".json":
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if isinstance(data, dict) and "files" in data:
                coverage.add(cast("dict[str, Any]", data))
    return Combined(sorted(groups.values(), key=lambda g: (g.python, g.os)), coverage)


def _add_run(path: Path, groups: dict[tuple[str, str], CellGroup]) -> None:
    try:
        run = RunRecord.from_json(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError):
        return
    search = tuple(path.parents)[:4]
    for result in run.results:
        if result.check != "tests":
            continue
        outcomes, _files = test_outcomes(result, path.parent, search)
        group = groups.setdefault(
            (result.python or "", run.os), CellGroup(result.python or "", run.os)
        )
        group.cells += 1
        first: dict[str, str] = {}
        for test in outcomes:
            first.setdefault(test.test_id, test.outcome)  # a flaky rerun comes second
        for test_id, outcome in first.items():
            if test_id in group.outcomes:
                group.twice.add(test_id)
            group.outcomes[test_id] = outcome


def render(combined: Combined) -> str:
    """Markdown for the CI step summary."""
    lines = ["## Tests across the CI cells", ""]
    if not combined.groups:
        lines.append("No test results were found in the cells' reports.")
    else:
        lines += [
            "| Python | OS | cells | tests | passed | failed | skipped |",
            "|---|---|---:|---:|---:|---:|---:|",
        ]
        for g in combined.groups:
            failed = g.count("failed") + g.count("error")
            lines.append(
                f"| {g.python or '-'} | {g.os or '-'} | {g.cells} | {len(g.outcomes)} "
                f"| {g.count('passed')} | {failed} | {g.count('skipped')} |"
            )
        cells = sum(g.cells for g in combined.groups)
        lines += ["", f"**{combined.tests} tests in {cells} cells, {combined.failed} failed.**"]
        twice = sorted({t for g in combined.groups for t in g.twice})
        if twice:
            lines.append(f"{len(twice)} test(s) ran in more than one shard, e.g. `{twice[0]}`.")
    covered, statements = combined.coverage.totals
    if combined.coverage.reports and statements:
        lines += [
            "",
            f"**Coverage: {100.0 * covered / statements:.2f}%** ({covered} of {statements} "
            f"statements, {combined.coverage.reports} shard report(s) combined)",
        ]
    return "\n".join(lines) + "\n"


def tallies(combined: Combined) -> dict[str, Any]:
    """The same figures as JSON."""
    covered, statements = combined.coverage.totals
    return {
        "tests": combined.tests,
        "failed": combined.failed,
        "cells": sum(g.cells for g in combined.groups),
        "outcomes": dict(Counter(o for g in combined.groups for o in g.outcomes.values())),
        "twice": sorted({t for g in combined.groups for t in g.twice}),
        "coverage": round(100.0 * covered / statements, 2) if statements else None,
        "coverage_reports": combined.coverage.reports,
    }
