"""Statistics of the performance gate, in pure Python (no numpy or scipy at runtime).

A benchmark's raw rounds from two runs are compared twice over: a Mann-Whitney U test says
whether the current rounds are *systematically* slower than the baseline rounds, and a seeded
bootstrap gives a confidence interval of the ratio of medians (current / baseline) that says *how
much* slower they are. A benchmark is ``regressed`` only when it is significantly slower AND we are
confident the slowdown is bigger than its threshold AND even its fastest rounds (the 5th
percentile) got slower by more than the threshold: a busy runner slows most rounds, rarely the
fastest ones, while slower code slows them all. See
docs/performance-gate.md for the same in plain words.
"""

from __future__ import annotations

import math
import random
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

#: Verdicts, from good to bad. Only ``regressed`` fails the gate.
VERDICTS = ("faster", "same", "slower", "regressed")
#: The "fastest rounds" a regression must also slow down: their 5th percentile.
FAST_QUANTILE = 0.05


def median(values: Sequence[float]) -> float:
    """The median; the mean of the two middle values for an even count."""
    if not values:
        raise ValueError("median of no values")
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def normal_sf(z: float) -> float:
    """P(Z > z) for a standard normal Z."""
    return 0.5 * math.erfc(z / math.sqrt(2))


def rank(values: Sequence[float]) -> tuple[list[float], list[int]]:
    """Ranks starting at 1 (ties get the mean of their ranks) and the sizes of the tie groups."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    ties: list[int] = []
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and values[order[end + 1]] == values[order[start]]:
            end += 1
        mean_rank = (start + end) / 2 + 1
        for position in range(start, end + 1):
            ranks[order[position]] = mean_rank
        if end > start:
            ties.append(end - start + 1)
        start = end + 1
    return ranks, ties


@dataclass(frozen=True)
class MannWhitney:
    """Mann-Whitney U of ``current`` against ``baseline`` with one-sided p-values."""

    u: float  # U statistic of the current sample: pairs where current > baseline (ties count 1/2)
    z: float  # standardised U, without continuity correction
    p_slower: float  # P-value of "current tends to be larger (slower) than baseline"
    p_faster: float  # P-value of "current tends to be smaller (faster) than baseline"


def mann_whitney_u(current: Sequence[float], baseline: Sequence[float]) -> MannWhitney:
    """Normal approximation with tie correction and continuity correction (as scipy 'asymptotic')."""
    n1, n2 = len(current), len(baseline)
    if n1 == 0 or n2 == 0:
        raise ValueError("Mann-Whitney U needs rounds in both samples")
    ranks, ties = rank([*current, *baseline])
    u = sum(ranks[:n1]) - n1 * (n1 + 1) / 2
    n = n1 + n2
    mean_u = n1 * n2 / 2
    tie_term = sum(t**3 - t for t in ties) / (n * (n - 1)) if n > 1 else 0.0
    variance = n1 * n2 / 12 * ((n + 1) - tie_term)
    if variance <= 0:  # every round identical: no evidence either way
        return MannWhitney(u, 0.0, 1.0, 1.0)
    sigma = math.sqrt(variance)
    z = (u - mean_u) / sigma
    p_slower = normal_sf((u - mean_u - 0.5) / sigma)
    p_faster = normal_sf((mean_u - u - 0.5) / sigma)
    return MannWhitney(u, z, min(1.0, p_slower), min(1.0, p_faster))


def quantile(ordered: Sequence[float], q: float) -> float:
    """Linear-interpolated quantile of already sorted values (numpy's default method)."""
    if not ordered:
        raise ValueError("quantile of no values")
    position = q * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def bootstrap_ratio_ci(
    baseline: Sequence[float],
    current: Sequence[float],
    *,
    confidence: float = 0.99,
    resamples: int = 2000,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile bootstrap interval of median(current) / median(baseline).

    Each resample draws both samples with replacement; the same seed gives the same interval,
    so a rerun of the gate on the same data gives the same verdict.
    """
    if not baseline or not current:
        raise ValueError("bootstrap needs rounds in both samples")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    rng = random.Random(seed)  # noqa: S311 - reproducible resampling, not secrets
    ratios: list[float] = []
    for _ in range(max(1, resamples)):
        base = median(rng.choices(baseline, k=len(baseline)))
        cur = median(rng.choices(current, k=len(current)))
        ratios.append(cur / base if base > 0 else math.inf)
    ratios.sort()
    tail = (1 - confidence) / 2
    return quantile(ratios, tail), quantile(ratios, 1 - tail)


def thin(values: Sequence[float], limit: int, seed: int) -> list[float]:
    """At most ``limit`` rounds, a seeded random subset: the same distribution, bounded cost."""
    if limit <= 0 or len(values) <= limit:
        return list(values)
    return random.Random(seed).sample(list(values), limit)  # noqa: S311 - not secrets


def seed_for(name: str) -> int:
    """A stable seed per benchmark name (Python's hash() is salted per process)."""
    return zlib.crc32(name.encode("utf-8"))


@dataclass(frozen=True)
class Comparison:
    """The verdict on one benchmark and every number it was decided from."""

    name: str
    baseline_median: float
    current_median: float
    ratio: float  # current median / baseline median; > 1 means slower
    ci_low: float
    ci_high: float
    fast_ratio: float  # 5th percentile of current rounds / 5th percentile of baseline rounds
    p_slower: float
    p_faster: float
    threshold: float  # allowed slowdown as a fraction (0.10 = 10 %)
    alpha: float
    rounds_baseline: int
    rounds_current: int
    verdict: str

    @property
    def limit(self) -> float:
        return 1 + self.threshold

    def to_json(self) -> dict[str, float | int | str]:
        return {
            "name": self.name,
            "baseline_median": self.baseline_median,
            "current_median": self.current_median,
            "ratio": self.ratio,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "fast_ratio": self.fast_ratio,
            "p_slower": self.p_slower,
            "p_faster": self.p_faster,
            "threshold": self.threshold,
            "alpha": self.alpha,
            "rounds_baseline": self.rounds_baseline,
            "rounds_current": self.rounds_current,
            "verdict": self.verdict,
        }


def decide(
    *,
    ci_low: float,
    ci_high: float,
    fast_ratio: float,
    mwu: MannWhitney,
    threshold: float,
    alpha: float,
) -> str:
    """faster / same / slower / regressed from the interval, the test and the fastest rounds."""
    limit = 1 + threshold
    if mwu.p_slower < alpha and ci_low > 1:
        if ci_low > limit and fast_ratio > limit:
            return "regressed"
        return "slower"
    if mwu.p_faster < alpha and ci_high < 1:
        return "faster"
    return "same"


def compare(
    name: str,
    baseline: Sequence[float],
    current: Sequence[float],
    *,
    threshold: float = 0.10,
    alpha: float = 0.01,
    resamples: int = 2000,
    max_rounds: int = 500,
) -> Comparison:
    """Compare the raw rounds (seconds) of one benchmark in two runs.

    The interval has confidence ``1 - alpha``; both tests use the same ``alpha``. Samples longer
    than ``max_rounds`` are thinned to a seeded random subset so the cost stays bounded.
    """
    if not baseline or not current:
        raise ValueError(f"benchmark {name!r} has no rounds to compare")
    if any(v <= 0 for v in baseline) or any(v <= 0 for v in current):
        raise ValueError(f"benchmark {name!r} has non-positive timings")
    seed = seed_for(name)
    base = thin(baseline, max_rounds, seed)
    cur = thin(current, max_rounds, seed + 1)
    mwu = mann_whitney_u(cur, base)
    ci_low, ci_high = bootstrap_ratio_ci(
        base, cur, confidence=1 - alpha, resamples=resamples, seed=seed
    )
    base_median, cur_median = median(base), median(cur)
    fast_ratio = quantile(sorted(cur), FAST_QUANTILE) / quantile(sorted(base), FAST_QUANTILE)
    verdict = decide(
        ci_low=ci_low,
        ci_high=ci_high,
        fast_ratio=fast_ratio,
        mwu=mwu,
        threshold=threshold,
        alpha=alpha,
    )
    return Comparison(
        name=name,
        baseline_median=base_median,
        current_median=cur_median,
        ratio=cur_median / base_median,
        ci_low=ci_low,
        ci_high=ci_high,
        fast_ratio=fast_ratio,
        p_slower=mwu.p_slower,
        p_faster=mwu.p_faster,
        threshold=threshold,
        alpha=alpha,
        rounds_baseline=len(baseline),
        rounds_current=len(current),
        verdict=verdict,
    )
