"""Reports written at the end of every session run.

``finalize`` calls every writer; a writer that fails is reported and never loses the others.
The run history is not a report: the sessions record the run there after the reports.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from ci_sessions.results import RunRecord


def writers() -> list[tuple[str, Callable[[Path, RunRecord], object]]]:
    """The report writers of every run, each taking ``(root, run)``."""
    # (``from ci_sessions.reports import annotations`` would find this module's ``annotations``,
    # the __future__ feature, so each writer is imported by its function's name)
    from ci_sessions.reports.annotations import write as write_annotations
    from ci_sessions.reports.results_json import write as write_results
    from ci_sessions.reports.sarif import write as write_sarif
    from ci_sessions.reports.summary import write as write_summary

    return [
        ("results.json", write_results),
        ("SARIF", write_sarif),
        ("summary", write_summary),
        ("annotations", write_annotations),
    ]


def finalize(root: Path, run: RunRecord) -> None:
    """Write every report for a finished run; a writer that fails is reported on stderr and
    never stops the others."""
    for name, write in writers():
        try:
            write(root, run)
        except Exception as exc:
            print(f"ci-sessions: the {name} report was not written: {exc}", file=sys.stderr)


__all__ = ["finalize", "writers"]
