"""The suite's two speeds: fast tests everywhere, slow end-to-end tests on CI or when asked.

Tests marked ``slow`` run real nox, uv, pyright and pytest on fixture projects and take minutes
together. A run on a laptop (``pytest``, ``nox -s essential``, the pre-commit hook) leaves them
out, and says how many it left; CI (``CI`` set to a true value, as GitHub Actions and ``.ci/run``
do) and ``--run-slow`` run every test. Nothing is dropped from CI: the same selection rule holds
in every CI cell.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

SLOW = "slow"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--run-slow",
        action="store_true",
        default=False,
        help="also run the tests marked slow (end-to-end runs of real nox; CI runs them always)",
    )


#: what pytest-xdist tells its workers' code; a pytest started inside a test (every nested nox
#: run) would take it for its own and, for one, pytest-benchmark would disable itself
XDIST_VARIABLES = ("PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT", "PYTEST_XDIST_TESTRUNUID")


def pytest_configure(config: pytest.Config) -> None:
    if hasattr(config, "workerinput"):  # an xdist worker: the tests it runs start fresh pytests
        for name in XDIST_VARIABLES:
            os.environ.pop(name, None)


def _on_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no", "off")


def runs_slow_tests(config: pytest.Config) -> bool:
    """Whether this run includes the slow tests: on CI, or when asked with ``--run-slow``."""
    return bool(config.getoption("--run-slow")) or _on_ci()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if runs_slow_tests(config):
        return
    slow = [item for item in items if item.get_closest_marker(SLOW) is not None]
    if not slow:
        return
    config.hook.pytest_deselected(items=slow)
    items[:] = [item for item in items if item.get_closest_marker(SLOW) is None]
    config.stash[_DESELECTED] = len(slow)


_DESELECTED = pytest.StashKey[int]()


def pytest_report_header(config: pytest.Config) -> str:
    if runs_slow_tests(config):
        return "slow tests: included (CI or --run-slow)"
    return "slow tests: left out (--run-slow or CI=true runs them)"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    left = terminalreporter.config.stash.get(_DESELECTED, 0)
    if left:
        terminalreporter.write_line(
            f"{left} slow test(s) left out: `pytest --run-slow` (or CI=true) runs them"
        )


# -- timing tests alone on the machine ------------------------------------------------------------
# A test that measures speed (the performance gate's) must not share the two cores with another
# pytest-xdist worker: on this machine a busy sibling core stretches even CPU time by half, so the
# same code measured a minute apart read 1.54x slower. Every test holds the machine shared; a
# module that measures holds it alone (``machine_alone``) from its first fixture to its last.
_ALONE = {"held": False}


def _machine_lock(request: pytest.FixtureRequest) -> str | None:
    """The lock file every xdist worker of this run shares (None: one process, nothing to share)."""
    if not hasattr(request.config, "workerinput"):
        return None
    factory: pytest.TempPathFactory = request.getfixturevalue("tmp_path_factory")
    return str(factory.getbasetemp().parent / "machine.lock")


@pytest.fixture(autouse=True)
def _machine_shared(request: pytest.FixtureRequest) -> Iterator[None]:
    path = _machine_lock(request)
    if path is None or _ALONE["held"]:
        yield
        return
    import fcntl

    with open(path, "a", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@pytest.fixture(scope="module")
def machine_alone(request: pytest.FixtureRequest) -> Iterator[None]:
    """No test of another worker runs while the module that asks for this measures."""
    path = _machine_lock(request)
    if path is None:
        yield
        return
    import fcntl

    with open(path, "a", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        _ALONE["held"] = True
        try:
            yield
        finally:
            _ALONE["held"] = False
            fcntl.flock(handle, fcntl.LOCK_UN)
