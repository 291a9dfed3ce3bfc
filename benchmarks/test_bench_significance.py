"""How long the performance gate's own statistics take per benchmark (500 rounds each)."""

from __future__ import annotations

import random

from ci_sessions.checks.bench.significance import compare, mann_whitney_u


def _rounds(seed: int, scale: float = 1.0) -> list[float]:
    rng = random.Random(seed)  # noqa: S311 - test data
    return [rng.lognormvariate(0, 0.2) * 1e-5 * scale for _ in range(500)]


def test_mann_whitney_500(benchmark) -> None:  # type: ignore[no-untyped-def]
    base, cur = _rounds(1), _rounds(2)
    result = benchmark(mann_whitney_u, cur, base)
    assert 0 <= result.p_slower <= 1


def test_compare_500(benchmark) -> None:  # type: ignore[no-untyped-def]
    base, cur = _rounds(1), _rounds(2, 2.0)
    result = benchmark(compare, "x", base, cur, resamples=200)
    assert result.verdict == "regressed"
