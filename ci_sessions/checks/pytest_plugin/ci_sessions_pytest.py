"""pytest plugin of ci-sessions: records every test's outcome, and runs one shard of the suite.

The tests check loads it with ``-p ci_sessions_pytest`` from this folder (put on ``PYTHONPATH``),
so nothing is installed into the project's environment.

``--ci-sessions-outcomes=FILE``: each test's node id, outcome, duration and failure message,
written once as one JSON document when the session ends. On a big suite that costs a fraction
of JUnit XML. Outcomes follow pytest's JUnit report: a failed setup or teardown is an error, an
xfail is xfailed (an xpass passed), a failed collection is an error named by its file, a
module that skipped itself is one skip. Under pytest-xdist only the controller writes (the
workers' reports reach it).

``--ci-sessions-shard=K/N`` with ``--ci-sessions-durations=FILE``: after collection, keep the
K-th of N groups of tests balanced by recorded duration (longest first, each to the group with
the least time so far; a test without a record counts as the mean, and with no records at all
every test counts the same). The split depends only on the collected node ids and the durations,
so every shard computes the same groups: their union is the suite, no test twice. It is the
``least_duration`` algorithm of pytest-split, kept here so sharding needs no install.
"""

from __future__ import annotations

import heapq
import json
import os
from pathlib import Path
from typing import Any

import pytest

FORMAT = 1
MESSAGE_CHARS = 2000


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("ci-sessions")
    group.addoption("--ci-sessions-outcomes", default=None, help="write outcomes to this file")
    group.addoption("--ci-sessions-shard", default=None, help="run shard K/N of the suite")
    group.addoption("--ci-sessions-durations", default=None, help="JSON of recorded test durations")


def pytest_configure(config: pytest.Config) -> None:
    target = config.getoption("ci_sessions_outcomes")
    if target and not hasattr(config, "workerinput"):  # an xdist worker reports to the controller
        config.pluginmanager.register(Recorder(config, Path(str(target))), "ci-sessions-recorder")
    shard = config.getoption("ci_sessions_shard")
    if shard:
        index, total = parse_shard(str(shard))
        durations = load_durations(config.getoption("ci_sessions_durations"), config.rootpath)
        config.pluginmanager.register(Sharder(index, total, durations), "ci-sessions-sharder")


def parse_shard(text: str) -> tuple[int, int]:
    """``2/4`` -> (2, 4); a bad value is a pytest usage error."""
    index, _, total = text.partition("/")
    try:
        k, n = int(index), int(total)
    except ValueError:
        raise pytest.UsageError(f"--ci-sessions-shard {text!r}: expected K/N") from None
    if not 1 <= k <= n:
        raise pytest.UsageError(f"--ci-sessions-shard {text!r}: K must be between 1 and N")
    return k, n


def load_durations(path: object, rootdir: Path) -> dict[str, float]:
    """Recorded durations by node id relative to pytest's rootdir (the file's ``root`` is the
    project root its ids are relative to)."""
    if not path:
        return {}
    try:
        data: Any = json.loads(Path(str(path)).read_text(encoding="utf-8"))
        root = Path(str(data.get("root", rootdir))).resolve()
        recorded: dict[str, Any] = data["durations"]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}
    try:
        inner = rootdir.resolve().relative_to(root).as_posix()
    except ValueError:
        inner = "."
    prefix = "" if inner == "." else inner + "/"
    found: dict[str, float] = {}
    for test_id, seconds in recorded.items():
        if prefix and not test_id.startswith(prefix):
            continue
        found[test_id[len(prefix) :]] = float(seconds)
    return found


def split(node_ids: list[str], durations: dict[str, float], shards: int) -> list[list[int]]:
    """Indices of ``node_ids`` per shard: longest first, each to the least-loaded shard."""
    known = [durations[n] for n in node_ids if n in durations]
    default = sum(known) / len(known) if known else 1.0
    weights = [durations.get(n, default) for n in node_ids]
    order = sorted(range(len(node_ids)), key=lambda i: (-weights[i], node_ids[i]))
    heap = [(0.0, shard) for shard in range(shards)]
    groups: list[list[int]] = [[] for _ in range(shards)]
    for i in order:
        load, shard = heapq.heappop(heap)
        groups[shard].append(i)
        heapq.heappush(heap, (load + weights[i], shard))
    return [sorted(group) for group in groups]


class Sharder:
    """Keeps this shard's tests, in their collected order."""

    def __init__(self, index: int, total: int, durations: dict[str, float]) -> None:
        self.index = index
        self.total = total
        self.durations = durations
        self.summary = ""

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(
        self, config: pytest.Config, items: list[pytest.Item]
    ) -> None:
        ids = [item.nodeid for item in items]
        groups = split(ids, self.durations, self.total)
        keep = set(groups[self.index - 1])
        selected = [item for i, item in enumerate(items) if i in keep]
        deselected = [item for i, item in enumerate(items) if i not in keep]
        known = sum(1 for n in ids if n in self.durations)
        self.summary = (
            f"ci-sessions shard {self.index}/{self.total}: {len(selected)} of {len(items)} tests"
            f" ({known} with a recorded duration)"
        )
        items[:] = selected
        if deselected:
            config.hook.pytest_deselected(items=deselected)

    def pytest_report_collectionfinish(self) -> str:
        return self.summary


class Entry:
    """One test's outcome so far: its phases (setup, call, teardown) arrive one by one."""

    __slots__ = ("message", "outcome", "seconds")

    def __init__(self, outcome: str = "passed", seconds: float = 0.0, message: str = "") -> None:
        self.outcome = outcome
        self.seconds = seconds
        self.message = message


class Recorder:
    """Collects reports by node id and writes them once, when the session ends."""

    def __init__(self, config: pytest.Config, target: Path) -> None:
        self.rootdir = str(config.rootpath)
        self.target = target
        self.tests: dict[str, Entry] = {}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        entry = self.tests.get(report.nodeid)
        if entry is None:
            entry = self.tests[report.nodeid] = Entry()
        entry.seconds += report.duration
        outcome = entry.outcome
        if report.when == "call":
            if report.failed:
                outcome = "failed"
            elif report.skipped:
                outcome = "xfailed" if hasattr(report, "wasxfail") else "skipped"
        elif report.failed and outcome in ("passed", "skipped"):
            outcome = "error"  # a fixture failed around the test
        elif report.skipped and report.when == "setup":
            outcome = "xfailed" if hasattr(report, "wasxfail") else "skipped"
        if outcome in ("failed", "error") and outcome != entry.outcome:
            entry.message = _message(report)
        entry.outcome = outcome

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.tests[report.nodeid or "<collection>"] = Entry("error", 0.0, _message(report))
        elif report.skipped:  # a module that skipped itself: one skip, as pytest counts it
            self.tests[report.nodeid or "<collection>"] = Entry("skipped")

    def pytest_sessionfinish(self) -> None:
        rows = [[node, e.outcome, round(e.seconds, 6), e.message] for node, e in self.tests.items()]
        document = {"format": FORMAT, "rootdir": self.rootdir, "tests": rows}
        self.target.parent.mkdir(parents=True, exist_ok=True)
        partial = self.target.with_name(f".{self.target.name}.{os.getpid()}.tmp")
        partial.write_text(json.dumps(document, separators=(",", ":")), encoding="utf-8")
        os.replace(partial, self.target)


def _message(report: pytest.TestReport | pytest.CollectReport) -> str:
    """The crash line pytest's JUnit report uses as the failure message."""
    crash = getattr(report.longrepr, "reprcrash", None)
    text = str(getattr(crash, "message", "") or "") or str(report.longrepr or "")
    return text.strip()[:MESSAGE_CHARS]
