"""Security levels: each level is at least as strict as the one below."""

from __future__ import annotations

from ci_sessions.checks.security.levels import load_levels


def test_levels_get_stricter_from_low_to_critical() -> None:
    levels = load_levels()
    assert list(levels) == ["low", "medium", "high", "critical"]
    b602 = ("HIGH", "HIGH")
    b608 = ("MEDIUM", "MEDIUM")
    b404 = ("LOW", "HIGH")
    assert [levels[n].sast.blocks(*b602) for n in levels] == [True, True, True, True]
    assert [levels[n].sast.blocks(*b608) for n in levels] == [False, False, True, True]
    assert [levels[n].sast.blocks(*b404) for n in levels] == [False, False, False, True]
    # a vulnerability without a severity counts as HIGH; without a fix it fails only at critical
    assert [levels[n].audit.blocks("", True) for n in levels] == [False, True, True, True]
    assert [levels[n].audit.blocks("", False) for n in levels] == [False, False, False, True]
    assert levels["low"].audit.blocks("CRITICAL", True)
    assert not levels["medium"].audit.blocks("MODERATE", True)
