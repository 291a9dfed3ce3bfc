"""The gate table: its columns, and the copies of it the docs show."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ci_sessions.reports import table
from ci_sessions.results import Checked, CheckResult, Gate, Status

ROOT = Path(__file__).resolve().parents[3]
PAGES = sorted([ROOT / "README.md", *(ROOT / "docs").rglob("*.md")])
#: a gate table's header line as the terminal shows it (``  check   status   ...   time``)
HEADER = re.compile(r"^\s+check\s+status\b.*\btime\s*$")


def columns(line: str) -> list[str]:
    """The column names of a header line: cells are at least two spaces apart."""
    return [cell for cell in re.split(r"\s{2,}", line.strip()) if cell]


def rendered_header() -> str:
    lint = CheckResult(
        "lint", "essential", Status.PASS, duration=0.1,
        gates=[Gate("findings", Status.PASS, 0, 0, "<=")], checked=Checked("files", 4),
    )  # fmt: skip
    text = table.render_table([lint], "ci-sessions · essential")
    return next(line for line in text.splitlines() if HEADER.match(line))


def test_the_table_shows_what_each_check_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    text = table.render_table(
        [
            CheckResult(
                "lint", "essential", Status.PASS, duration=0.1,
                gates=[Gate("findings", Status.PASS, 0, 0, "<=")], checked=Checked("files", 4),
            )
        ],
        "ci-sessions · essential",
    )  # fmt: skip
    row = next(line for line in text.splitlines() if line.strip().startswith("lint"))
    assert columns(row)[:3] == ["lint", "PASS", "files 4"]


def docs_headers() -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for page in PAGES:
        for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), start=1):
            if HEADER.match(line):
                found.append((f"{page.relative_to(ROOT)}:{number}", line))
    return found


def test_the_docs_show_gate_tables() -> None:
    pages = {where.split(":")[0] for where, _ in docs_headers()}
    assert {"README.md", "docs/index.md", "docs/quick-start.md", "docs/tiers/full.md"} <= pages


@pytest.mark.parametrize(("where", "line"), docs_headers())
def test_every_gate_table_in_the_docs_has_the_real_columns(
    where: str, line: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    assert columns(line) == columns(rendered_header()), f"{where}: {line.strip()!r}"
