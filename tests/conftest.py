"""Shared test configuration: integration tests run real nox with every Python found here."""

from __future__ import annotations
