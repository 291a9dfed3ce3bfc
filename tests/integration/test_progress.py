"""A long test run shows progress (a log line every interval; a live status on a terminal) and the
tier's ordered output is the same as without it. A short run and a 1 s interval stand in for a
2-minute run and the default 15 s."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from fixture_projects import NoxRun, nox_env

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PY = f"{sys.version_info.major}.{sys.version_info.minor}"
SLOW_TESTS = {
    "tests/test_slow.py": """
        import time


        def test_fast_1() -> None:
            assert True


        def test_fast_2() -> None:
            assert True


        def test_slow() -> None:
            time.sleep(4)
    """,
}
CONFIG = f"""
[tool.ci-sessions]
python = ["{PY}"]
progress-interval = 1

[tool.ci-sessions.tiers]
watch = ["lint", "tests"]
"""


def _project(make_project: Callable[..., Path]) -> Path:
    root = make_project(SLOW_TESTS)
    with (root / "pyproject.toml").open("a") as handle:
        handle.write(CONFIG)
    return root


def _ordered(text: str) -> list[str]:
    """The blocks and the table: progress lines dropped, times and timings normalised (and how
    an incremental run was made: the second run is asked to refresh its per-file state). The
    table's columns are as wide as their widest time ("9.8 s" or "10.2 s"), so runs of spaces
    and rules count as one."""
    dropped = ("still running: ", "incremental: ")
    kept = [line for line in text.splitlines() if not line.startswith(dropped)]
    timed = (re.sub(r"\d+\.\d+ ?s\b|\d+\.\d+s\b", "T", line).rstrip() for line in kept)
    return [re.sub(r"─+", "─", re.sub(r" {2,}", "  ", line)) for line in timed]


def test_a_log_gets_a_still_running_line_every_interval(
    make_project: Callable[..., Path], nox_runner: Callable[..., NoxRun]
) -> None:
    root = _project(make_project)
    run = nox_runner(root, "-s", "watch", env={"CI_SESSIONS_PROGRESS": "log"})
    assert run.returncode == 0, run.output
    beats = [line for line in run.stdout.splitlines() if line.startswith("still running: ")]
    assert len(beats) >= 2, run.output
    assert any(re.fullmatch(rf"still running: tests-{PY} \(\d+s, 3/4 tests\)", b) for b in beats), beats  # fmt: skip
    # environment creation says what it installs and how long it took
    assert re.search(r"environment ruff-[\d.]+: installing ruff==", run.stderr), run.stderr
    assert re.search(r"environment ruff-[\d.]+: ready in [\d.]+ s \(venv", run.stderr)
    quiet = nox_runner(root, "-s", "watch", "--", "--no-cache", env={"CI_SESSIONS_PROGRESS": "off"})
    assert quiet.returncode == 0, quiet.output
    assert "still running" not in quiet.stdout
    assert _ordered(run.stdout) == _ordered(quiet.stdout)


def test_a_terminal_gets_a_live_status_that_leaves_no_trace(
    make_project: Callable[..., Path],
) -> None:
    root = _project(make_project)
    main, child = pty.openpty()
    env = nox_env({"TERM": "xterm", "COLUMNS": "160"})
    process = subprocess.Popen(
        [sys.executable, "-m", "nox", "-s", "watch"],
        cwd=root, env=env, stdin=child, stdout=child, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    os.close(child)
    chunks: list[bytes] = []
    while True:
        ready, _, _ = select.select([main], [], [], 120)
        if not ready:
            break
        try:
            data = os.read(main, 65536)
        except OSError:  # the terminal closed: the child is gone
            break
        if not data:
            break
        chunks.append(data)
    process.wait(timeout=60)
    os.close(main)
    raw = b"".join(chunks).decode("utf-8", "replace")
    assert process.returncode == 0, raw
    assert re.search(rf"\x1b\[2m. tests-{PY} \(\d+s, 3/4 tests\)", raw), raw
    assert "\x1b[1F\x1b[J" in raw or "\x1b[2F\x1b[J" in raw  # erased before the output went on
