"""Reports written at the end of every session run.

``finalize`` calls each writer in ``WRITERS`` (``"module:function"``, each taking
``(root: Path, run: RunRecord)``); a writer that fails is reported and never loses the others.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ci_sessions.results import RunRecord

WRITERS: list[str] = [
    "ci_sessions.reports.results_json:write",
    "ci_sessions.reports.sarif:write",
    "ci_sessions.reports.summary:write",
    "ci_sessions.reports.annotations:write",
    "ci_sessions.history.store:record_run",
]


def finalize(root: Path, run: RunRecord) -> None:
    """Write every report for a finished run; report writer failures on stderr."""
    for spec in WRITERS:
        module_name, _, function_name = spec.partition(":")
        try:
            writer = getattr(importlib.import_module(module_name), function_name)
            writer(root, run)
        except Exception as exc:  # a broken report must not hide the verdict
            print(f"ci-sessions: report writer {spec} failed: {exc}", file=sys.stderr)
