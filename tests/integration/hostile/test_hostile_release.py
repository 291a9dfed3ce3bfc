"""The hostile corpus of ``ci-sessions release`` (cases follow)."""

from __future__ import annotations

CASES: list[object] = []
