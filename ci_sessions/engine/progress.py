"""What a run is doing while its checks work, without breaking the ordered output.

A check's output is buffered and printed whole, in the tier's order (see ``runner``), so a long
check is silent until it ends. This board says what is still running:

- ``live`` (a terminal): a status line per running check under the output printed so far,
  redrawn a few times a second and erased before anything else is printed;
- ``log`` (CI logs, files): ``still running: tests-3.11 (2m05s, 120/382 tests)`` every
  ``interval`` seconds while something runs;
- ``off``: nothing.

Tests done / collected come from the ci-sessions pytest plugin (``checks/pytest_plugin``): the
runner hands a check that runs the test suite a file (``CheckContext.progress_file``) where the
plugin writes its counts, and this board polls it.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import threading
import time
from collections.abc import Callable, Generator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO, cast

MODES = ("auto", "live", "log", "off")
LIVE_REFRESH = 0.25  # seconds between redraws of the live status


def choose_mode(configured: str, stream: TextIO) -> str:
    """``auto``: live on an interactive terminal, a steady heartbeat anywhere else."""
    if configured != "auto":
        return configured
    interactive = _isatty(stream) and os.environ.get("TERM", "") != "dumb"
    in_ci = os.environ.get("CI", "").lower() in ("1", "true")
    return "live" if interactive and not in_ci else "log"


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def elapsed(seconds: float) -> str:
    """``35s``, ``2m05s``, ``1h02m``: short and steady in a log."""
    whole = int(seconds)
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return f"{whole // 60}m{whole % 60:02d}s"
    return f"{whole // 3600}h{whole % 3600 // 60:02d}m"


@dataclass
class _Running:
    label: str
    started: float
    doing: str = ""
    counts_file: Path | None = None


class Progress:
    """The board of one run. Thread-safe: workers call ``start``/``doing``/``finish``, the
    ordered output goes through ``write``; ``with board:`` runs the ticker."""

    def __init__(
        self,
        mode: str,
        *,
        interval: float = 15.0,
        emit: Callable[[str], None] = print,
        stream: TextIO | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.mode = mode
        self.interval = interval
        self.emit = emit
        self.stream = stream if stream is not None else sys.stdout
        self.clock = clock
        self._running: dict[str, _Running] = {}
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None
        self._drawn = 0  # status lines currently on the terminal
        self._frame = 0

    # -- what the runner reports --------------------------------------------------------------

    def start(self, label: str, counts_file: Path | None = None) -> None:
        with self._lock:
            self._running[label] = _Running(label, self.clock(), counts_file=counts_file)

    def doing(self, label: str, what: str) -> None:
        with self._lock:
            if label in self._running:
                self._running[label].doing = what

    def finish(self, label: str) -> None:
        with self._lock:
            self._running.pop(label, None)

    def write(self, text: str) -> None:
        """Print ordered output: the live status is erased first and drawn again after."""
        with self._lock, self._paused():
            self.emit(text)

    def around(self, log: Callable[[str], None]) -> Callable[[str], None]:
        """``log`` made safe to call while the live status is drawn (environment messages)."""

        def wrapped(message: str) -> None:
            with self._lock, self._paused():
                log(message)

        return wrapped

    # -- what is shown ------------------------------------------------------------------------

    def describe(self, running: _Running, now: float) -> str:
        parts = [elapsed(now - running.started)]
        counts = read_counts(running.counts_file)
        if counts is not None:
            done, collected, failed = counts
            tests = f"{done}/{collected} tests" if collected else f"{done} tests"
            parts.append(tests + (f", {failed} failed" if failed else ""))
        elif running.doing:
            parts.append(running.doing)
        return f"{running.label} ({', '.join(parts)})"

    def heartbeat(self) -> str | None:
        """``still running: tests-3.11 (2m05s, 120/382 tests), typecheck (35s)`` or None."""
        with self._lock:
            now = self.clock()
            running = sorted(self._running.values(), key=lambda r: r.started)
            if not running:
                return None
            return "still running: " + ", ".join(self.describe(r, now) for r in running)

    def tick(self) -> None:
        """One beat of the ticker: a heartbeat line (log) or a redraw (live)."""
        if self.mode == "log":
            line = self.heartbeat()
            if line is not None:
                with self._lock:
                    self.emit(line)
        elif self.mode == "live":
            with self._lock:
                self._erase()
                self._draw()

    # -- the ticker ---------------------------------------------------------------------------

    def __enter__(self) -> Progress:
        if self.mode in ("log", "live"):
            self._stop.clear()
            self._ticker = threading.Thread(target=self._run, name="ci-sessions-progress", daemon=True)  # fmt: skip
            self._ticker.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join()
            self._ticker = None
        with self._lock:
            self._erase()

    def _run(self) -> None:
        period = self.interval if self.mode == "log" else LIVE_REFRESH
        while not self._stop.wait(period):
            self.tick()

    # -- the live status ----------------------------------------------------------------------

    @contextmanager
    def _paused(self) -> Generator[None, None, None]:
        if self.mode != "live":
            yield
            return
        self._erase()
        try:
            yield
        finally:
            self._flush_all()
            if not self._stop.is_set():
                self._draw()

    def _erase(self) -> None:
        if self._drawn:
            self.stream.write(f"\x1b[{self._drawn}F\x1b[J")
            self.stream.flush()
            self._drawn = 0

    def _draw(self) -> None:
        now = self.clock()
        running = sorted(self._running.values(), key=lambda r: r.started)
        if not running:
            return
        width = max(20, shutil.get_terminal_size((100, 24)).columns - 1)
        spinner = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"[self._frame % 10]
        self._frame += 1
        lines = [f"{spinner} {self.describe(r, now)}"[:width] for r in running]
        self.stream.write("".join(f"\x1b[2m{line}\x1b[0m\n" for line in lines))
        self.stream.flush()
        self._drawn = len(lines)

    def _flush_all(self) -> None:
        for stream in (sys.stdout, sys.stderr):
            with suppress(OSError, ValueError):
                stream.flush()


def read_counts(path: Path | None) -> tuple[int, int, int] | None:
    """(done, collected, failed) the pytest plugin last wrote, or None before it wrote any."""
    if path is None:
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    fields = cast("dict[str, object]", data)
    values = [fields.get(key) for key in ("done", "collected", "failed")]
    numbers = [v for v in values if isinstance(v, int)]
    if len(numbers) != len(values):
        return None
    return numbers[0], numbers[1], numbers[2]
