"""Progress while checks run: a heartbeat in logs, a live status on a terminal, test counts from
the pytest plugin; the ordered output is the same with or without it."""

from __future__ import annotations

import io
import json
import re
import threading
from collections.abc import Mapping
from pathlib import Path

import pytest

from ci_sessions.checks.base import CheckBase, CheckContext, Environment, EnvSpec
from ci_sessions.config import load_config
from ci_sessions.config.project import load_project
from ci_sessions.engine.environments import EnvManager, describe_requirements
from ci_sessions.engine.progress import Progress, elapsed
from ci_sessions.engine.runner import Invocation, RunOptions, run_checks
from ci_sessions.results import Checked, CheckResult, Status


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_elapsed_is_short() -> None:
    assert [elapsed(s) for s in (0.4, 35, 125, 3725)] == ["0s", "35s", "2m05s", "1h02m"]


def test_heartbeat_names_every_running_check_with_its_time_and_counts(tmp_path: Path) -> None:
    clock = _Clock()
    lines: list[str] = []
    board = Progress("log", interval=15, emit=lines.append, clock=clock)
    counts = tmp_path / "tests.json"
    board.start("tests-3.11", counts)
    clock.now += 5
    board.start("typecheck")
    board.doing("typecheck", "preparing environments")
    clock.now += 120
    board.tick()
    counts.write_text(json.dumps({"done": 120, "collected": 382, "failed": 2}))
    board.tick()
    board.finish("tests-3.11")
    board.finish("typecheck")
    board.tick()  # nothing running: nothing said
    assert lines == [
        "still running: tests-3.11 (2m05s), typecheck (2m00s, preparing environments)",
        "still running: tests-3.11 (2m05s, 120/382 tests, 2 failed), "
        "typecheck (2m00s, preparing environments)",
    ]


class _Waits(CheckBase):
    """Runs until the run said it is still running (an event, never a sleep)."""

    def __init__(self, name: str, heard: threading.Event | None = None) -> None:
        self.name = name
        self.heard = heard

    def environments(self, ctx: CheckContext) -> dict[str, EnvSpec]:
        return {}

    def run(self, ctx: CheckContext, envs: Mapping[str, Environment]) -> CheckResult:
        if self.heard is not None:
            assert self.heard.wait(10), "no progress line within 10 s"
        return CheckResult(
            self.name, ctx.session, Status.PASS, output=f"{self.name} output",
            checked=Checked("files", 1),
        )  # fmt: skip

    def evaluate(self, ctx: CheckContext, result: CheckResult) -> CheckResult:
        return result


def _tier(
    tmp_path: Path, checks: list[_Waits], progress: str, emit: object, stream: object
) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "p"\nversion = "1"\n')
    results = run_checks(
        root=tmp_path,
        config=load_config(tmp_path, environ={}),
        project=load_project(tmp_path),
        session="tier",
        invocations=[Invocation(c, "3.11") for c in checks],  # type: ignore[arg-type]
        options=RunOptions(jobs=3, use_cache=False, progress=progress, progress_interval=0.05),
        manager=EnvManager(tmp_path, backend="virtualenv"),
        emit=emit,  # type: ignore[arg-type]
        stream=stream,  # type: ignore[arg-type]
    )
    assert [r.status for r in results] == [Status.PASS] * len(checks)


def _blocks(lines: list[str]) -> list[str]:
    return [re.sub(r"\(\d+\.\d s\)", "(T)", line) for line in lines]


def test_log_mode_says_what_still_runs_and_leaves_the_ordered_output_alone(tmp_path: Path) -> None:
    heard = threading.Event()
    said: list[str] = []

    def emit(text: str) -> None:
        said.append(text)
        if text.startswith("still running: ") and "slow" in text:
            heard.set()

    _tier(tmp_path, [_Waits("slow", heard), _Waits("quick")], "log", emit, io.StringIO())
    quiet: list[str] = []
    _tier(tmp_path, [_Waits("slow"), _Waits("quick")], "off", quiet.append, io.StringIO())
    beats = [line for line in said if line.startswith("still running: ")]
    assert beats and all(re.fullmatch(r"still running: slow \(\d+s\)", b) for b in beats), beats
    assert _blocks([line for line in said if line not in beats]) == _blocks(quiet)
    assert [b.splitlines()[0][:10] for b in quiet] == ["── slow ──", "── quick ─"]


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_live_mode_draws_a_status_and_erases_it_before_any_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CI", raising=False)  # auto is live only on a terminal outside CI
    heard = threading.Event()
    screen = _Terminal()

    def emit(text: str) -> None:
        screen.write(text + "\n")

    original_write = screen.write

    def watch(text: str) -> int:
        if "\x1b[2m" in text and "slow" in text:
            heard.set()
        return original_write(text)

    screen.write = watch  # type: ignore[method-assign]
    _tier(tmp_path, [_Waits("slow", heard), _Waits("quick")], "auto", emit, screen)
    raw = screen.getvalue()
    assert "\x1b[2m⠋ slow (0s)\x1b[0m" in raw or re.search(r"\x1b\[2m. slow \(\d+s\)", raw)
    # replaying the terminal: every status line is erased, what remains is the ordered output
    shown = _replay(raw)
    quiet: list[str] = []
    _tier(tmp_path, [_Waits("slow"), _Waits("quick")], "off", quiet.append, io.StringIO())
    assert _blocks([shown]) == _blocks(["".join(q + "\n" for q in quiet)])


def _replay(raw: str) -> str:
    """The lines left on a terminal after cursor-up-and-erase (ESC[nF ESC[J) sequences."""
    screen: list[str] = []
    pieces = re.split(r"(\x1b\[\d+F\x1b\[J)", raw)
    for piece in pieces:
        erase = re.fullmatch(r"\x1b\[(\d+)F\x1b\[J", piece)
        if erase:
            del screen[len(screen) - int(erase.group(1)) :]
            continue
        screen.extend(piece.splitlines(keepends=True))
    joined = "".join(screen)
    assert "\x1b" not in joined, joined
    return joined


def test_installs_say_what_they_install() -> None:
    assert describe_requirements(("ruff==0.17.6",)) == "ruff==0.17.6"
    many = ("-e", ".", "pytest", "a", "b", "c", "d", "e", "f")
    assert describe_requirements(many) == "-e ., pytest, a, b, c, d (+2 more)"
