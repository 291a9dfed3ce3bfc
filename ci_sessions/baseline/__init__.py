"""The findings baseline: findings accepted on adoption day, so only new ones fail."""

from ci_sessions.baseline.accepted import (
    Baseline,
    Change,
    apply,
    baseline_path,
    compare,
    fingerprint,
    from_results,
    load,
)

__all__ = [
    "Baseline",
    "Change",
    "apply",
    "baseline_path",
    "compare",
    "fingerprint",
    "from_results",
    "load",
]
