"""``.ci-sessions/reports/results.json``: the machine-readable record of the latest run."""

from __future__ import annotations

import json
from pathlib import Path

from ci_sessions._fs import atomic_write_text, reports_dir
from ci_sessions.results import RunRecord


def path_for(root: Path) -> Path:
    return reports_dir(root) / "results.json"


def write(root: Path, run: RunRecord) -> None:
    """Write the run atomically; sessions of the same nox invocation share one run id."""
    atomic_write_text(path_for(root), json.dumps(run.to_json(), indent=2, sort_keys=False) + "\n")


def read(path: Path) -> RunRecord:
    return RunRecord.from_json(json.loads(path.read_text(encoding="utf-8")))
