"""The gate table printed at the end of every session: one row per check."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Sequence

from ci_sessions.results import CheckResult, Status

_STYLE = {
    Status.PASS: "bold green",
    Status.FAIL: "bold red",
    Status.ERROR: "bold magenta",
    Status.WARN: "bold yellow",
    Status.SKIP: "dim",
}


def gate_detail(result: CheckResult) -> str:
    """``findings 0 <= 0; F/E9 0 <= 0`` or the summary when the check has no gates."""
    if result.gates:
        return "; ".join(g.describe() for g in result.gates)
    return result.summary


def status_label(result: CheckResult) -> str:
    """``PASS``, or ``PASS (cached 14:02)`` for a result served from the cache, with when it ran."""
    if not result.cached:
        return result.status.value
    if not result.cached_at:
        return f"{result.status.value} (cached)"
    stamp = time.localtime(result.cached_at)
    fmt = (
        "%H:%M"
        if time.strftime("%Y-%m-%d", stamp) == time.strftime("%Y-%m-%d")
        else "%Y-%m-%d %H:%M"
    )
    return f"{result.status.value} (cached {time.strftime(fmt, stamp)})"


def checked_label(result: CheckResult) -> str:
    """What the check checked (``files 76``), empty when it did not get that far."""
    return str(result.checked) if result.checked is not None else ""


def render_table(results: Sequence[CheckResult], title: str) -> str:
    """Render with rich (colours only on a terminal); wide enough for CI logs."""
    from rich import box
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    # every cell is Text, never markup: project text like "[tool.ci-sessions]" or "[/]" shows as is
    table = Table(title=Text(title), box=box.SIMPLE_HEAD, title_justify="left")
    table.add_column("check")
    table.add_column("status")
    table.add_column("checked")
    table.add_column("value vs threshold", overflow="fold")
    table.add_column("time", justify="right")
    for result in results:
        table.add_row(
            Text(result.label),
            Text(status_label(result), style=_STYLE[result.status]),
            Text(checked_label(result)),
            Text(gate_detail(result)),
            Text(f"{result.duration:.1f} s"),
        )
    width = None if sys.stdout.isatty() else int(os.environ.get("COLUMNS", "120"))
    console = Console(width=width, highlight=False, soft_wrap=False, record=False)
    with console.capture() as capture:
        console.print(table)
    return capture.get()


def plain_rows(results: Sequence[CheckResult]) -> list[str]:
    """``PASS | lint | files 12 | findings 0 <= 0 | 0.3 s`` lines, stable for logs and tests."""
    return [
        f"{r.status.value} | {r.label} | {checked_label(r)} | {gate_detail(r)} | {r.duration:.1f} s"
        for r in results
    ]
