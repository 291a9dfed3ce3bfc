"""Fixtures for integration tests; the helpers live in fixture_projects.py (importable by tests)."""

from __future__ import annotations

from fixture_projects import make_project, nox_runner

__all__ = ["make_project", "nox_runner"]
