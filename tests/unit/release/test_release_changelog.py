"""Keep a Changelog sections from commits, and prepending that keeps the rest byte for byte."""

from __future__ import annotations

import datetime as dt

import pytest
from packaging.version import Version

from ci_sessions.errors import UsageError
from ci_sessions.release.changelog import HEADER, prepend, render_section
from ci_sessions.release.commits import parse_message

DAY = dt.date(2026, 12, 1)
V = Version("1.3.0")


def commits(*messages: str):  # type: ignore[no-untyped-def]
    # git log order: newest first; shas make the short ids readable
    return [parse_message(f"{i:07d}" + "f" * 33, m) for i, m in enumerate(messages)]


def test_section_groups_by_heading_breaking_first() -> None:
    section = render_section(
        V,
        DAY,
        commits(
            "fix(security): escape the path",
            "feat(cli)!: rename --out\n\nBREAKING CHANGE: --out is now --output",
            "docs: typo",
            "perf: faster scan",
            "fix: crash on empty input",
            "feat: add --json",
        ),
    )
    assert section == (
        "## [1.3.0] - 2026-12-01\n\n"
        "### Breaking changes\n\n- **cli:** --out is now --output (0000001)\n\n"
        "### Added\n\n- add --json (0000005)\n- **cli:** rename --out (0000001)\n\n"
        "### Changed\n\n- faster scan (0000003)\n\n"
        "### Fixed\n\n- crash on empty input (0000004)\n\n"
        "### Security\n\n- **security:** escape the path (0000000)\n\n"
    )


def test_section_without_notable_commits() -> None:
    assert "No user-facing changes" in render_section(V, DAY, commits("chore: bump deps"))


def test_new_changelog_gets_the_keep_a_changelog_header() -> None:
    text = prepend(None, "## [1.3.0] - x\n\n", V)
    assert text.startswith(HEADER) and text.endswith("## [1.3.0] - x\n\n")


def test_prepend_goes_above_the_newest_release_below_unreleased() -> None:
    existing = (
        "# Changelog\n\nintro\n\n## [Unreleased]\n\n- wip\n\n"
        "## [1.2.0] - 2026-01-01\n\n### Fixed\n\n- old\n\n[1.2.0]: https://x/1.2.0\n"
    )
    new = prepend(existing, "## [1.3.0] - 2026-12-01\n\n- new\n\n", V)
    at = existing.index("## [1.2.0]")
    assert new == existing[:at] + "## [1.3.0] - 2026-12-01\n\n- new\n\n" + existing[at:]


def test_prepend_keeps_crlf_and_bytes() -> None:
    existing = "# Changelog\r\n\r\n## 1.2.0\r\n\r\n- old\r\n"
    new = prepend(existing, "## [1.3.0]\n\n- new\n\n", V)
    assert new == "# Changelog\r\n\r\n## [1.3.0]\r\n\r\n- new\r\n\r\n## 1.2.0\r\n\r\n- old\r\n"


def test_prepend_to_a_changelog_without_releases() -> None:
    assert prepend("# Changes", "## [1.3.0]\n", V) == "# Changes\n\n## [1.3.0]\n"
    assert prepend("# Changes\n\n", "## [1.3.0]\n", V) == "# Changes\n\n## [1.3.0]\n"


def test_a_second_section_for_the_same_version_is_refused() -> None:
    with pytest.raises(UsageError, match=r"already has a section for 1\.3\.0"):
        prepend("# C\n\n## [1.3.0] - 2026-01-01\n", "## [1.3.0]\n", V)
