"""Terminal robustness: a closed pipe ends any command quietly, project text is never markup."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ci_sessions.reports.table import render_table
from ci_sessions.results import CheckResult, Gate, Status


@pytest.mark.parametrize(
    "argv",
    [[], ["config", "--json"], ["history", "stats"], ["history", "stats", "--json"], ["packages"],
     ["validate"], ["config", "--help"]],
)  # fmt: skip
def test_a_closed_pipe_ends_the_command_quietly(argv: list[str], tmp_path: Path) -> None:
    """``ci-sessions history stats | head -1``: the reader is gone before the first write."""
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "p"\nversion = "1"\n')
    process = subprocess.Popen(
        [sys.executable, "-m", "ci_sessions.cli", *argv],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()
    stderr = process.stderr.read().decode()
    code = process.wait()
    assert "Traceback" not in stderr and "BrokenPipeError" not in stderr, stderr
    assert code in (0, 141), stderr


def test_head_minus_one_through_a_shell(tmp_path: Path) -> None:
    done = subprocess.run(  # noqa: S602 - a fixed pipeline through a shell is the point here
        f"{sys.executable} -m ci_sessions.cli config --json | head -1",
        shell=True, cwd=tmp_path, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.stdout == "{\n"
    assert done.stderr == ""


def test_project_text_in_the_gate_table_is_shown_as_written() -> None:
    results = [
        CheckResult(check="lint", session="s", status=Status.FAIL, python="3.12",
                    summary="[tool.ci-sessions] is missing"),
        CheckResult(check="tests", session="s", status=Status.PASS, python="3.12",
                    gates=[Gate("odd [/] name", Status.PASS, 0, 0, "<=")]),
    ]  # fmt: skip
    text = render_table(results, "ci-sessions · [bold]x[/]")
    assert "[tool.ci-sessions] is missing" in text
    assert "odd [/] name" in text
    assert "[bold]x[/]" in text
