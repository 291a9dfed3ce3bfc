"""The end of a run: one table (or JSON), the collected step summaries, the failing logs' tails."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ci_sessions._fs import atomic_write_text
from ci_sessions._secrets import Secrets
from ci_sessions.ci.model import CANCELLED, CANNOT_RUN, FAILURE, SKIPPED, SUCCESS, CellResult

_STYLE = {
    SUCCESS: "green",
    FAILURE: "bold red",
    CANCELLED: "yellow",
    SKIPPED: "dim",
    CANNOT_RUN: "bold magenta",
}


def masked(rows: list[CellResult], secrets: Secrets) -> list[CellResult]:
    """The rows with every secret masked in all they show: the table, the JSON, the failing
    steps' tails and summary.md are made from these rows only (a value a step masked with
    ``::add-mask::`` after it was printed is masked here too)."""
    return [
        dataclasses.replace(
            row,
            name=secrets.mask(row.name),
            cell=secrets.mask(row.cell),
            note=secrets.mask(row.note),
            failed_step=secrets.mask(row.failed_step),
            tail=[secrets.mask(line) for line in row.tail],
            outputs={k: secrets.mask(v) for k, v in row.outputs.items()},
            summaries=[secrets.mask(text) for text in row.summaries],
        )
        for row in rows
    ]


def sort_rows(results: list[CellResult], order: list[str]) -> list[CellResult]:
    """Rows in workflow order, cells in matrix order."""
    position = {job: index for index, job in enumerate(order)}
    return sorted(results, key=lambda r: (position.get(r.job_id, len(position)), r.index))


def succeeded(results: list[CellResult]) -> bool:
    """Whether GitHub would have marked the run green (cells skipped locally are not failures)."""
    return all(r.counts_as in (SUCCESS, SKIPPED) for r in results) and not any(
        r.result == CANNOT_RUN for r in results
    )


def result_text(row: CellResult) -> str:
    if row.result == FAILURE and row.continue_on_error:
        return "failure (continue-on-error)"
    return row.result


def table(rows: list[CellResult], title: str) -> Table:
    # cells are Text, never markup: a job id or note with "[...]" shows as written
    grid = Table(title=Text(title), title_justify="left", show_edge=False, pad_edge=False)
    for column, justify in (
        ("job", "left"),
        ("cell", "left"),
        ("result", "left"),
        ("time", "right"),
        ("note", "left"),
    ):
        grid.add_column(column, justify=justify)  # pyright: ignore[reportArgumentType]
    for row in rows:
        grid.add_row(
            Text(row.job_id),
            Text(row.cell or "-"),
            Text(result_text(row), style=_STYLE.get(row.result, "")),
            f"{row.seconds:.1f} s",
            Text(_note(row)),
        )
    return grid


def _note(row: CellResult) -> str:
    if row.failed_step and row.result == FAILURE:
        first = f"step {row.failed_step!r} failed"
        return first + (f": {row.note}" if row.note else "")
    return row.note


def print_table(console: Console, rows: list[CellResult], title: str) -> None:
    console.print(table(rows, title))


def as_json(rows: list[CellResult], *, workflow: str, event: str, ok: bool) -> str:
    return json.dumps(
        {
            "workflow": workflow,
            "event": event,
            "result": SUCCESS if ok else FAILURE,
            "jobs": [
                {
                    "job": r.job_id,
                    "name": r.name,
                    "cell": r.cell,
                    "result": result_text(r),
                    "seconds": round(r.seconds, 2),
                    "note": _note(r),
                    "failed_step": r.failed_step,
                    "outputs": dict(sorted(r.outputs.items())),
                    "log": str(r.log) if r.log else "",
                }
                for r in rows
            ],
        },
        indent=2,
    )


def write_summary(
    path: Path, rows: list[CellResult], *, workflow: str, event: str, ok: bool
) -> None:
    """``summary.md``: the result table, then every step summary under its job and cell."""
    lines = [
        f"# {workflow}: {'success' if ok else 'failure'} ({event}, run locally by ci-sessions)",
        "",
        "| job | cell | result | time | note |",
        "|---|---|---|---|---|",
    ]
    for row in rows:
        note = _note(row).replace("|", "\\|").replace("\n", " ")
        lines.append(
            f"| {row.job_id} | {row.cell or '-'} | {result_text(row)} | {row.seconds:.1f} s | {note} |"
        )
    for row in rows:
        for text in row.summaries:
            heading = f"{row.job_id} ({row.cell})" if row.cell else row.job_id
            lines.extend(["", f"## {heading}", "", text.rstrip()])
    atomic_write_text(path, "\n".join(lines) + "\n")


def failure_tails(rows: list[CellResult], write: Callable[[str], object]) -> None:
    """The end of each failing step's output, so the reason is on screen without opening a log."""
    for row in rows:
        if row.result != FAILURE or not row.tail:
            continue
        who = f"{row.job_id} ({row.cell})" if row.cell else row.job_id
        step = f", step {row.failed_step!r}" if row.failed_step else ""
        write(f"\n--- {who}{step}: last lines (full log: {row.log}) ---\n")
        write("\n".join(row.tail) + "\n")
