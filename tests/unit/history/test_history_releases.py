"""Release events in the run history: written, read back newest first, listed by the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ci_sessions.history.cli import main
from ci_sessions.history.releases import ReleaseEvent, record_release, releases
from ci_sessions.history.store import open_history


def test_events_round_trip_newest_first(tmp_path: Path) -> None:
    first = ReleaseEvent("publish", "1.0.0", "ok", stage="staging", url="http://i/", hashes={"a.whl": "f" * 64}, time=10.0)  # fmt: skip
    second = ReleaseEvent("health", "1.0.0", "failed", stage="staging", detail="smoke\nexit 3", time=20.0)  # fmt: skip
    record_release(tmp_path, first)
    record_release(tmp_path, second)
    with open_history(tmp_path) as db:
        assert releases(db) == [second, first]
        assert releases(db, since=15.0) == [second]
        assert releases(db, limit=1) == [second]


def test_history_releases_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    record_release(tmp_path, ReleaseEvent("rollback", "2.0.0", "ok", stage="production", detail="removed demo 2.0.0\nmore"))  # fmt: skip
    assert main(["--root", str(tmp_path), "releases"]) == 0
    out = capsys.readouterr().out
    assert "rollback" in out and "production" in out and "removed demo 2.0.0" in out
    assert "more" not in out  # one line per event
    assert main(["--root", str(tmp_path), "releases", "--json"]) == 0
    (event,) = json.loads(capsys.readouterr().out)
    assert (event["kind"], event["version"], event["outcome"]) == ("rollback", "2.0.0", "ok")
