"""The run history: a SQLite store of every run, failure categories, flaky tests, trends and
stats, imports of CI artifacts, and the ratchet that raises thresholds the project beats."""

from ci_sessions.history.flaky import flaky_tests, known_flaky
from ci_sessions.history.store import open_history, record_run

__all__ = ["flaky_tests", "known_flaky", "open_history", "record_run"]
