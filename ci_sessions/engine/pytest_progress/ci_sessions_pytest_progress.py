"""A pytest plugin that writes how many tests ran, out of how many, for ci-sessions' progress.

Loaded through PYTEST_PLUGINS by the runner (never installed into the project environment). On
import it restores PYTHONPATH and PYTEST_PLUGINS, so the tests, and any pytest they start, see
the environment they would have had without it. Under pytest-xdist it counts in the controller.
"""

from __future__ import annotations

import json
import os
import threading
import time
from typing import Protocol

import pytest

_COUNTS = os.environ.pop("PYTEST_CI_SESSIONS_PROGRESS", "")
_RESTORE = os.environ.pop("PYTEST_CI_SESSIONS_RESTORE", "{}")
try:
    _saved: object = json.loads(_RESTORE)
except ValueError:
    _saved = {}
if isinstance(_saved, dict):
    for _name, _value in _saved.items():  # pyright: ignore[reportUnknownVariableType]
        if not isinstance(_name, str):
            continue
        if isinstance(_value, str):
            os.environ[_name] = _value
        else:
            os.environ.pop(_name, None)

_PERIOD = 0.5  # seconds between writes while tests run


class _Report(Protocol):
    when: str
    outcome: str


class _Session(Protocol):
    items: list[object]


class _Counts:
    """Counts updated by the hooks, written by a daemon thread twice a second when they changed
    (one write per test would cost a large fast suite; a throttle alone would lose the counts
    before a slow test)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.done = 0
        self.collected = 0
        self.failed = 0
        self.changed = threading.Event()
        self.lock = threading.Lock()
        self.writer: threading.Thread | None = None

    def update(self) -> None:
        self.changed.set()
        if self.writer is None and self.path:
            self.writer = threading.Thread(
                target=self._write_changes, name="ci-sessions-progress", daemon=True
            )
            self.writer.start()

    def _write_changes(self) -> None:
        while True:
            self.changed.wait()
            self.changed.clear()
            self.write()
            time.sleep(_PERIOD)

    def write(self) -> None:
        if not self.path:
            return
        with self.lock:
            data = {"done": self.done, "collected": self.collected, "failed": self.failed}
            temporary = f"{self.path}.{os.getpid()}.tmp"
            try:
                with open(temporary, "w", encoding="utf-8") as handle:
                    json.dump(data, handle)
                os.replace(temporary, self.path)
            except OSError:
                pass  # progress is a courtesy: never fail a test run over it


_counts = _Counts(_COUNTS)


def pytest_collection_finish(session: _Session) -> None:
    _counts.collected = len(session.items)
    _counts.update()


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_node_collection_finished(node: object, ids: list[str]) -> None:
    del node
    _counts.collected = max(_counts.collected, len(ids))
    _counts.update()


def pytest_runtest_logreport(report: _Report) -> None:
    if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
        _counts.done += 1
        _counts.failed += report.outcome == "failed"
        _counts.update()


def pytest_sessionfinish() -> None:
    _counts.write()
