"""Tiers: nested tiers expand in order, without repeats."""

from __future__ import annotations

from ci_sessions.config.tiers import expand_tier, tiers_of


def test_tiers_expand_nested_tiers_in_order_without_repeats() -> None:
    tiers = {
        "essential": ["lint", "format", "typecheck", "tests"],
        "extended": ["essential", "sast", "lint"],
        "full": ["extended", "coverage"],
    }
    assert expand_tier(tiers, "full") == [
        "lint",
        "format",
        "typecheck",
        "tests",
        "sast",
        "coverage",
    ]
    tier_map = {name: expand_tier(tiers, name) for name in tiers}
    assert tiers_of(tier_map, "sast") == ["extended", "full"]
    assert tiers_of(tier_map, "lint") == ["essential", "extended", "full"]
