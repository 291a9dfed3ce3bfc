"""Finalizer exceptions in a tracked run: which test-phase errors are one, whether garbage left at
the session's end would fail a test, and how the record reaches the engine."""

from __future__ import annotations

import gc
import sys
import warnings
from pathlib import Path

import pytest

from ci_sessions.checks.pytest import PLUGIN_DIR
from ci_sessions.checks.pytest_reach import observed_from, read_document
from ci_sessions.engine.incremental import unraisable_reason

sys.path.insert(0, str(PLUGIN_DIR))

from ci_sessions_pytest_reach import is_unraisable, left_to_collect

if sys.version_info >= (3, 11):
    from builtins import BaseExceptionGroup
else:  # pytest's own dependency before Python 3.11
    from exceptiongroup import BaseExceptionGroup


class _Raises:
    """A cycle whose finalizer raises: only the collector frees it, and it complains then."""

    def __init__(self) -> None:
        self.me = self

    def __del__(self) -> None:
        raise RuntimeError("left open")


def test_an_unraisable_warning_and_a_group_holding_one_are_unraisable() -> None:
    warning = pytest.PytestUnraisableExceptionWarning("Exception ignored in: ...")
    assert is_unraisable(warning)
    group = BaseExceptionGroup("multiple unraisable exception warnings", [ValueError(), warning])
    assert is_unraisable(group)
    assert not is_unraisable(BaseExceptionGroup("other", [ValueError(), KeyError()]))
    assert not is_unraisable(AssertionError("a test failed"))
    assert not is_unraisable(pytest.PytestUnhandledThreadExceptionWarning("a thread"))


def test_garbage_whose_finalizer_raises_counts_only_where_it_would_fail_a_test() -> None:
    hooked: list[object] = []
    previous = sys.unraisablehook
    sys.unraisablehook = hooked.append  # the hook in force is still called: pytest's own
    try:
        gc.collect()
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            _Raises()
            assert left_to_collect()
            assert len(hooked) == 1
            assert not left_to_collect()  # nothing left the second time
        with warnings.catch_warnings():
            warnings.simplefilter("default")  # a warning, not an error: no test would fail
            _Raises()
            assert not left_to_collect()
            assert len(hooked) == 2
    finally:
        sys.unraisablehook = previous


def test_the_record_reaches_the_engine_and_the_reason_names_where(tmp_path: Path) -> None:
    document = {
        "format": 1,
        "how": "sys.monitoring",
        "files": {},
        "buckets": {},
        "unraisable": ["tests/test_b.py::test_other (call)", "the end of the session"],
    }
    again = {**document, "unraisable": ["the end of the session"]}
    observed = observed_from(
        [read_document(document, "a.json"), read_document(again, "b.json")], tmp_path, []
    )
    assert observed.unraisable == ("tests/test_b.py::test_other (call)", "the end of the session")
    clean = observed_from([read_document({**document, "unraisable": []}, "c.json")], tmp_path, [])
    assert clean.unraisable == ()
    with pytest.raises(ValueError, match="unraisable"):
        read_document({**document, "unraisable": "tests/test_b.py"}, "d.json")
    reason = unraisable_reason(observed.unraisable)
    assert "tests/test_b.py::test_other (call) (and 1 more)" in reason
    assert "(and" not in unraisable_reason(["the end of the session"])
