"""Merge CI artifacts into the history: results.json files, JUnit XML files, or folders of both.

Each cell of a CI matrix keeps its own ``.ci-sessions/``; downloading their artifacts and importing
them gives one history for the whole matrix. Importing the same file twice changes nothing: runs
are keyed by their run id (JUnit files by the hash of their content).
"""

from __future__ import annotations

import datetime
import hashlib
import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from ci_sessions.errors import HistoryImportError
from ci_sessions.history.store import (
    JUNIT_ARTIFACTS,
    find_file,
    has_run,
    store_run,
    test_outcomes,
)
from ci_sessions.junit import read_junit
from ci_sessions.results import CheckResult, RunRecord


@dataclass(frozen=True)
class RunFacts:
    """What a bare JUnit file cannot say about itself: supplied on the command line."""

    commit: str = ""
    branch: str = ""
    python: str = ""
    os: str = ""


@dataclass
class ImportReport:
    """What an import added: ``runs`` and ``tests`` count only runs new to the history; ``known``
    counts the runs it already held (imported before), which change nothing."""

    runs: int = 0
    tests: int = 0
    known: int = 0
    files: list[str] = field(default_factory=list[str])
    ignored: list[str] = field(default_factory=list[str])


def import_paths(
    db: sqlite3.Connection, root: Path, paths: list[Path], facts: RunFacts
) -> ImportReport:
    """Import every run file and JUnit report found in ``paths`` (files or folders)."""
    report = ImportReport()
    for path in paths:
        if path.is_dir():
            _import_dir(db, root, path, facts, report)
        elif path.is_file():
            if not _import_file(db, root, path, facts, report, set()):
                raise HistoryImportError(
                    f"{path}: not a ci-sessions results.json nor a JUnit XML report"
                )
        else:
            raise HistoryImportError(f"{path}: no such file or folder")
    return report


def _import_dir(
    db: sqlite3.Connection, root: Path, folder: Path, facts: RunFacts, report: ImportReport
) -> None:
    consumed: set[Path] = set()
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    # run files first: the JUnit files they reference belong to them, not to a run of their own
    for path in [p for p in files if p.suffix == ".json"]:
        _import_file(db, root, path, facts, report, consumed)
    for path in [p for p in files if p.suffix == ".xml"]:
        if path.resolve() not in consumed and not _import_file(
            db, root, path, facts, report, consumed
        ):
            report.ignored.append(str(path))


def _import_file(
    db: sqlite3.Connection,
    root: Path,
    path: Path,
    facts: RunFacts,
    report: ImportReport,
    consumed: set[Path],
) -> bool:
    if path.suffix == ".json":
        run = _read_run(path)
        if run is None:
            return False
        search = tuple(path.parents)[:4]
        outcomes = 0
        for result in run.results:
            outcomes += len(test_outcomes(result, root, search)[0])
            for key in JUNIT_ARTIFACTS:  # both spellings of a run's outcomes belong to it
                relative = result.artifacts.get(key, "")
                found = find_file(relative, root, search) if relative else None
                if found is not None:
                    consumed.add(found.resolve())
                    result.artifacts[key] = str(found.resolve())
    elif path.suffix == ".xml":
        tests = read_junit(path, root)
        if not tests.outcomes:
            return False
        run = junit_run(root, path, facts)
        outcomes = tests.tests
    else:
        return False
    report.files.append(str(path))
    if has_run(db, run.run_id):
        report.known += 1  # imported before: storing it again would change nothing
        return True
    store_run(db, run, root=root, source="import")
    report.runs += 1
    report.tests += outcomes
    return True


def _read_run(path: Path) -> RunRecord | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or "run_id" not in data or "results" not in data:
        return None
    try:
        return RunRecord.from_json(cast("dict[str, Any]", data))
    except (KeyError, ValueError, TypeError):
        return None


def junit_run(root: Path, path: Path, facts: RunFacts) -> RunRecord:
    """A one-check run made from a bare JUnit report."""
    tests = read_junit(path, root)
    content = path.read_bytes()
    started = _junit_timestamp(path) or path.stat().st_mtime
    python = facts.python or None
    result = CheckResult(
        check="tests",
        session=f"tests-{python}" if python else "tests",
        status=tests.status,
        python=python,
        per_python=True,
        duration=sum(t.duration for t in tests.outcomes),
        summary=f"{tests.tests} tests from {path.name}",
        artifacts={"junit": str(path.resolve())},
    )
    run = RunRecord(
        run_id="junit-" + hashlib.sha256(content).hexdigest()[:12],
        project=root.name,
        started=started,
        results=[result],
        commit=facts.commit,
        branch=facts.branch,
    )
    if facts.os:
        run.os = facts.os
    run.finished = started + result.duration
    return run


def _junit_timestamp(path: Path) -> float | None:
    import xml.etree.ElementTree as ElementTree

    try:
        root = ElementTree.parse(path).getroot()  # noqa: S314 - a test report, not untrusted input
    except (ElementTree.ParseError, OSError):
        return None
    suite = root if root.tag == "testsuite" else root.find("testsuite")
    stamp = suite.get("timestamp") if suite is not None else None
    if not stamp:
        return None
    try:
        moment = datetime.datetime.fromisoformat(stamp)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.astimezone()
    return moment.timestamp()
