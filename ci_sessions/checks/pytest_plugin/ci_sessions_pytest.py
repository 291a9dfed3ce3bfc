"""The pytest plugin of ci-sessions: outcomes, progress, shards, and what each test file reached.

The tests check loads it with ``-p ci_sessions_pytest`` from this folder (put on ``PYTHONPATH``),
so nothing is installed into the project's environment. Every option is off unless given:

``--ci-sessions-outcomes=FILE``: each test's node id, outcome, duration and failure message,
written once as one JSON document when the session ends. On a big suite that costs a fraction
of JUnit XML. Outcomes follow pytest's JUnit report: a failed setup or teardown is an error, an
xfail is xfailed (an xpass passed), a failed collection is an error named by its file, a
module that skipped itself is one skip. Under pytest-xdist only the controller writes (the
workers' reports reach it).

``--ci-sessions-progress=FILE``: tests done, collected and failed, for the progress board of a
run, stored in place in a file mapped into memory as each test reports. The outcomes and the counts
come from one hook per report: on a suite of 60,000 tests every call counts.

``--ci-sessions-shard=K/N`` with ``--ci-sessions-durations=FILE``: after collection, keep the
K-th of N groups of tests balanced by recorded duration (longest first, each to the group with
the least time so far; a test without a record counts as the mean, and with no records at all
every test counts the same). The split depends only on the collected node ids and the durations,
so every shard computes the same groups: their union is the suite, no test twice. It is the
``least_duration`` algorithm of pytest-split, kept here so sharding needs no install.

``CI_SESSIONS_PYTEST_REACH=SETTINGS`` (a variable, so tracking starts before conftest files load):
what each test file's tests reached (``ci_sessions_pytest_reach``), for incremental runs.
``--ci-sessions-only=FILE``: collect only the files it lists (one absolute path a line), by
pytest's own collection rules otherwise.
"""

from __future__ import annotations

import heapq
import json
import mmap
import os
from pathlib import Path
from typing import Any

import pytest

FORMAT = 1
MESSAGE_CHARS = 2000


def _start_reach() -> Any:
    """The tracker, started now, before conftest files and plugins load (what they run at
    import time counts too); None unless ``CI_SESSIONS_PYTEST_REACH`` asks for it."""
    if not os.environ.get("CI_SESSIONS_PYTEST_REACH"):
        return None
    from ci_sessions_pytest_reach import from_environment

    return from_environment()


_REACH = _start_reach()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("ci-sessions")
    group.addoption("--ci-sessions-outcomes", default=None, help="write outcomes to this file")
    group.addoption("--ci-sessions-progress", default=None, help="write test counts to this file")
    group.addoption("--ci-sessions-shard", default=None, help="run shard K/N of the suite")
    group.addoption("--ci-sessions-durations", default=None, help="JSON of recorded test durations")
    group.addoption(
        "--ci-sessions-only", default=None, help="collect only the files listed in this file"
    )


def pytest_configure(config: pytest.Config) -> None:
    worker = hasattr(config, "workerinput")  # an xdist worker reports to the controller
    outcomes = config.getoption("ci_sessions_outcomes")
    progress = config.getoption("ci_sessions_progress")
    if (outcomes or progress) and not worker:
        recorder = Recorder(
            config,
            Path(str(outcomes)) if outcomes else None,
            Progress(str(progress)) if progress else None,
        )
        config.pluginmanager.register(recorder, "ci-sessions-recorder")
    shard = config.getoption("ci_sessions_shard")
    if shard:
        index, total = parse_shard(str(shard))
        durations = load_durations(config.getoption("ci_sessions_durations"), config.rootpath)
        config.pluginmanager.register(Sharder(index, total, durations), "ci-sessions-sharder")
    only = config.getoption("ci_sessions_only")
    if only:
        config.pluginmanager.register(Only(Path(str(only))), "ci-sessions-only")
    if _REACH is not None:
        if not worker and _controls_workers(config):
            _REACH.stop()
        else:
            config.pluginmanager.register(_REACH, "ci-sessions-reach")


def _controls_workers(config: pytest.Config) -> bool:
    """This process hands the tests to pytest-xdist workers (it runs none itself)."""
    dist = getattr(config.option, "dist", "no")
    return bool(getattr(config.option, "numprocesses", None)) and dist != "no"


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


class Only:
    """Collects only the listed files; folders, conftest files and pytest's own rules as usual,
    so the files that run are collected exactly as a whole run collects them."""

    def __init__(self, listing: Path) -> None:
        lines = listing.read_text(encoding="utf-8").splitlines()
        self.files = {os.path.normcase(os.path.abspath(line)) for line in lines if line.strip()}

    def pytest_ignore_collect(self, collection_path: Path) -> bool | None:
        if collection_path.is_dir():
            return None
        if os.path.normcase(str(collection_path)) in self.files:
            return None
        return True


class Progress:
    """Tests done, collected and failed, kept current in a small file mapped into memory.

    Each count is stored in place as a test reports (a slice of the map: no system call, no
    object the garbage collector tracks), so the file is exact at every moment, before a slow
    test too. A writer thread that slept between writes cost a 60,000-test run about 2 s (6%):
    a thread in a timed wait slows the tests' own thread, one blocked without a timeout does
    not (``benchmarks/plugin_cost.py``). The text is JSON with space-padded numbers; a reader may
    catch a number half-stored, which is a courtesy display's only risk."""

    TEMPLATE = '{"done": %12d, "collected": %12d, "failed": %12d}\n'

    def __init__(self, path: str) -> None:
        self.path = path
        self.done = 0
        self.collected = 0
        self.failed = 0
        self.map: mmap.mmap | None = None
        # where each number sits in the text: after its key, padded to 12 places
        text = self.TEMPLATE % (0, 0, 0)
        self.at = [
            text.index(f'"{key}": ') + len(key) + 4 for key in ("done", "collected", "failed")
        ]

    def update(self) -> None:
        """Store the three counts in place (the map is made at the first call)."""
        view = self.map
        if view is None:
            view = self.map = self._mapped()
            if view is None:
                return
        at_done, at_collected, at_failed = self.at
        view[at_done : at_done + 12] = b"%12d" % self.done
        view[at_collected : at_collected + 12] = b"%12d" % self.collected
        view[at_failed : at_failed + 12] = b"%12d" % self.failed

    def _mapped(self) -> mmap.mmap | None:
        """The file, written whole and moved into place, then mapped; None where that fails
        (progress is a courtesy: never fail a test run over it)."""
        data = (self.TEMPLATE % (self.done, self.collected, self.failed)).encode()
        temporary = f"{self.path}.{os.getpid()}.tmp"
        try:
            with open(temporary, "wb") as written:
                written.write(data)
            os.replace(temporary, self.path)
            descriptor = os.open(self.path, os.O_RDWR)
            try:
                return mmap.mmap(descriptor, len(data))
            finally:
                os.close(descriptor)
        except (OSError, ValueError):
            return None

    def close(self) -> None:
        """The final counts stored, and the map let go (the file stays for its reader)."""
        self.update()
        if self.map is not None:
            self.map.close()
            self.map = None


PASSED, FAILED, SKIPPED, XFAILED, ERROR = "passed", "failed", "skipped", "xfailed", "error"


class Recorder:
    """Outcomes by node id (written once, when the session ends) and the progress counts, both
    from one hook per report. Every test has its seconds (in the order first reported); only a
    test that did not pass has an outcome and a message: a passing test adds one float to one
    dict, and nothing the garbage collector tracks."""

    def __init__(self, config: pytest.Config, target: Path | None, progress: Progress | None):
        self.rootdir = str(config.rootpath)
        self.target = target
        self.progress = progress
        self.seconds: dict[str, float] = {}
        self.outcomes: dict[str, str] = {}
        self.messages: dict[str, str] = {}

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        if self.progress is not None:
            self.progress.collected = len(session.items)
            self.progress.update()

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node: object, ids: list[str]) -> None:
        del node
        if self.progress is not None:
            self.progress.collected = max(self.progress.collected, len(ids))
            self.progress.update()

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        node = report.nodeid
        seconds = self.seconds
        seconds[node] = seconds.get(node, 0.0) + report.duration
        when = report.when
        if report.outcome == "passed":
            if when == "call" and self.progress is not None:
                self.progress.done += 1
                self.progress.update()
            return
        was = self.outcomes.get(node, PASSED)
        outcome = was
        if when == "call":
            if report.failed:
                outcome = FAILED
            else:
                outcome = XFAILED if hasattr(report, "wasxfail") else SKIPPED
        elif report.failed:
            if outcome in (PASSED, SKIPPED):
                outcome = ERROR  # a fixture failed around the test
        elif when == "setup":
            outcome = XFAILED if hasattr(report, "wasxfail") else SKIPPED
        if outcome in (FAILED, ERROR) and outcome != was:
            self.messages[node] = _message(report)
        self.outcomes[node] = outcome
        progress = self.progress
        if progress is not None and (when == "call" or when == "setup"):
            progress.done += 1
            progress.failed += report.failed
            progress.update()

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self._collected(report.nodeid or "<collection>", ERROR, _message(report))
        elif report.skipped:  # a module that skipped itself: one skip, as pytest counts it
            self._collected(report.nodeid or "<collection>", SKIPPED, "")

    def _collected(self, node: str, outcome: str, message: str) -> None:
        self.seconds[node] = 0.0
        self.outcomes[node] = outcome
        self.messages[node] = message

    def pytest_sessionfinish(self) -> None:
        if self.progress is not None:
            self.progress.close()
        if self.target is None:
            return
        outcomes, messages = self.outcomes, self.messages
        rows = [
            [node, outcomes.get(node, PASSED), round(seconds, 6), messages.get(node, "")]
            for node, seconds in self.seconds.items()
        ]
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
