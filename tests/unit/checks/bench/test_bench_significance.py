"""The performance gate's statistics against hand-computed values and scipy's reference output."""

from __future__ import annotations

import random

import pytest

from ci_sessions.checks.bench.significance import (
    MannWhitney,
    bootstrap_ratio_ci,
    compare,
    decide,
    mann_whitney_u,
    median,
    quantile,
    rank,
    thin,
)


def lognormal(seed: int, n: int = 300, scale: float = 1.0, sigma: float = 0.15) -> list[float]:
    rng = random.Random(seed)  # noqa: S311 - test data
    return [rng.lognormvariate(0, sigma) * 1e-5 * scale for _ in range(n)]


def test_median_and_quantile_by_hand() -> None:
    assert median([3, 1, 2]) == 2
    assert median([4, 1, 3, 2]) == 2.5
    assert quantile([1, 2, 3, 4, 10], 0.3) == pytest.approx(2.2)  # numpy: 2.2
    assert quantile([1, 2, 3, 4, 10], 0.0) == 1
    assert quantile([1, 2, 3, 4, 10], 1.0) == 10
    with pytest.raises(ValueError, match="no values"):
        median([])


def test_rank_gives_ties_their_mean_rank() -> None:
    ranks, ties = rank([10, 20, 20, 30, 20])
    assert ranks == [1, 3, 3, 5, 3]
    assert ties == [3]


@pytest.mark.parametrize(
    ("current", "baseline", "u", "p_slower", "p_faster"),
    [
        # scipy.stats.mannwhitneyu(current, baseline, method="asymptotic", use_continuity=True)
        ([1, 2, 3, 4, 5], [6, 7, 8, 9, 10], 0.0, 0.9966923245172357, 0.006092890177672406),
        ([3, 4, 2, 6, 2, 5], [9, 7, 5, 10, 6, 8], 2.0, 0.9960472777460493, 0.006295955745189852),
        (
            [1, 1, 2, 2, 3, 3, 4],
            [2, 3, 3, 4, 5, 5, 6, 6],
            8.5,
            0.9906804120890433,
            0.012707481450146052,
        ),
        ([6, 7, 8, 9, 10], [1, 2, 3, 4, 5], 25.0, 0.006092890177672406, 0.9966923245172357),
    ],
)
def test_mann_whitney_matches_scipy(
    current: list[float], baseline: list[float], u: float, p_slower: float, p_faster: float
) -> None:
    result = mann_whitney_u(current, baseline)
    assert result.u == u
    assert result.p_slower == pytest.approx(p_slower, rel=1e-9)
    assert result.p_faster == pytest.approx(p_faster, rel=1e-9)


def test_mann_whitney_all_tied_is_no_evidence() -> None:
    result = mann_whitney_u([1.0] * 5, [1.0] * 5)
    assert (result.u, result.p_slower, result.p_faster) == (12.5, 1.0, 1.0)


def test_bootstrap_is_seeded_and_covers_the_true_ratio() -> None:
    base, cur = lognormal(1), lognormal(2, scale=1.5)
    first = bootstrap_ratio_ci(base, cur, seed=7, resamples=500)
    assert first == bootstrap_ratio_ci(base, cur, seed=7, resamples=500)
    assert first[0] < 1.5 < first[1]
    assert first[1] - first[0] < 0.2
    with pytest.raises(ValueError, match="confidence"):
        bootstrap_ratio_ci(base, cur, confidence=1.0)


def test_thin_keeps_a_seeded_subset() -> None:
    values = [float(i) for i in range(1, 1001)]
    assert thin(values, 2000, 1) == values
    subset = thin(values, 100, 1)
    assert len(subset) == 100 and set(subset) <= set(values)
    assert subset == thin(values, 100, 1)


def test_same_distribution_is_never_regressed_over_many_seeds() -> None:
    verdicts = [
        compare("b", lognormal(2 * s), lognormal(2 * s + 1), resamples=400).verdict
        for s in range(30)
    ]
    assert "regressed" not in verdicts
    assert (
        verdicts.count("same") >= 25
    )  # alpha = 1% per direction: false 'slower'/'faster' are rare


def test_twice_as_slow_is_regressed() -> None:
    result = compare("b", lognormal(1), lognormal(2, scale=2.0), resamples=400)
    assert result.verdict == "regressed"
    assert result.ci_low > 1.8 and result.ratio == pytest.approx(2.0, rel=0.1)
    assert result.p_slower < 1e-6


def test_three_percent_under_a_ten_percent_threshold_is_not_regressed() -> None:
    for seed in range(10):
        base = lognormal(seed, n=500)
        result = compare("b", base, [v * 1.03 for v in lognormal(seed + 100, n=500)], resamples=400)
        assert result.verdict in ("same", "slower"), seed
        assert result.ci_low < 1.1


def test_twenty_percent_depends_on_the_threshold() -> None:
    base, cur = lognormal(1), lognormal(2, scale=1.2)
    assert compare("b", base, cur, threshold=0.10, resamples=400).verdict == "regressed"
    assert compare("b", base, cur, threshold=0.25, resamples=400).verdict == "slower"


def test_faster() -> None:
    assert compare("b", lognormal(1), lognormal(2, scale=0.5), resamples=400).verdict == "faster"


def test_a_busy_machine_slowing_most_rounds_but_not_the_fastest_is_not_a_regression() -> None:
    """Preemption makes many rounds slow; the code did not change, so the fastest rounds did not."""
    rng = random.Random(5)  # noqa: S311 - test data
    base = lognormal(1, n=400)
    busy = [v * (1.6 if rng.random() < 0.5 else 1.0) for v in lognormal(2, n=400)]
    result = compare("b", base, busy, resamples=400)
    assert result.ci_low > 1.1  # the medians alone would call it a regression
    assert result.fast_ratio < 1.1
    assert result.verdict == "slower"


def test_decide_needs_every_condition() -> None:
    slower = MannWhitney(u=0, z=3, p_slower=0.001, p_faster=0.999)
    unsure = MannWhitney(u=0, z=1, p_slower=0.2, p_faster=0.8)
    faster = MannWhitney(u=0, z=-3, p_slower=0.999, p_faster=0.001)
    common = {"threshold": 0.1, "alpha": 0.01}
    assert decide(ci_low=1.2, ci_high=1.3, fast_ratio=1.2, mwu=slower, **common) == "regressed"
    assert decide(ci_low=1.05, ci_high=1.3, fast_ratio=1.2, mwu=slower, **common) == "slower"
    assert decide(ci_low=1.2, ci_high=1.3, fast_ratio=1.02, mwu=slower, **common) == "slower"
    assert decide(ci_low=1.2, ci_high=1.3, fast_ratio=1.2, mwu=unsure, **common) == "same"
    assert decide(ci_low=0.7, ci_high=0.8, fast_ratio=0.8, mwu=faster, **common) == "faster"
    assert decide(ci_low=0.95, ci_high=1.04, fast_ratio=1.0, mwu=unsure, **common) == "same"


def test_compare_rejects_empty_and_non_positive_rounds() -> None:
    with pytest.raises(ValueError, match="no rounds"):
        compare("b", [], [1.0])
    with pytest.raises(ValueError, match="non-positive"):
        compare("b", [1.0, 0.0], [1.0])
