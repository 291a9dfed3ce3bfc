"""Which checks make each tier. A tier lists checks and other tiers; order is kept, no repeats."""

from __future__ import annotations

from collections.abc import Mapping

from ci_sessions.errors import ConfigError


def expand_tier(
    tiers: Mapping[str, list[str]], tier: str, _stack: tuple[str, ...] = ()
) -> list[str]:
    """The ordered checks of ``tier`` with nested tiers expanded (``extended`` = essential + ...)."""
    if tier in _stack:
        cycle = " -> ".join([*_stack, tier])
        raise ConfigError(
            "pyproject.toml [tool.ci-sessions]",
            f"tiers.{tier}",
            f"tiers include each other: {cycle}",
        )
    checks: list[str] = []
    for member in tiers[tier]:
        expanded = expand_tier(tiers, member, (*_stack, tier)) if member in tiers else [member]
        checks.extend(c for c in expanded if c not in checks)
    return checks


def tiers_of(tier_map: Mapping[str, list[str]], check: str) -> list[str]:
    """The tiers that run ``check``, in tier order."""
    return [tier for tier, checks in tier_map.items() if check in checks]
