"""`ci-sessions ci` integration tests run real bash steps in real git repositories."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _no_downloads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UV_PYTHON_DOWNLOADS", "never")
