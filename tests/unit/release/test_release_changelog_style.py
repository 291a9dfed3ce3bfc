"""The changelog a project keeps is the one written, in its own style."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from packaging.version import Version

from ci_sessions.errors import UsageError
from ci_sessions.release.changelog_style import find, insert, render, style_of
from ci_sessions.release.commits import parse_message

DAY = dt.date(2026, 12, 1)
V = Version("8.1.0")
COMMITS = [
    parse_message("b" * 40, "fix: a leak"),
    parse_message("a" * 40, "feat(api): a cache"),
]


@pytest.mark.parametrize(
    ("present", "found"),
    [
        ([], "CHANGELOG.md"),
        (["CHANGELOG.rst"], "CHANGELOG.rst"),
        (["CHANGES.md", "NEWS"], "CHANGES.md"),
        (["NEWS"], "NEWS"),
        (["History.rst"], "History.rst"),
        (["CHANGELOG.md", "CHANGES.rst"], "CHANGELOG.md"),
    ],
)
def test_an_existing_changelog_is_found(tmp_path: Path, present: list[str], found: str) -> None:
    for name in present:
        (tmp_path / name).write_text("x\n")
    assert find(tmp_path, "CHANGELOG.md", default=True) == found
    assert find(tmp_path, "docs/changes.md", default=False) == "docs/changes.md"


CACHETOOLS = """\
v8.0.0 (2026-11-06)
===================

- Drop Python 3.10 support (breaking change).

v7.0.0 (2026-01-01)
===================

- Older.
"""


def test_an_rst_changelog_gets_a_section_in_its_own_style() -> None:
    style = style_of("CHANGELOG.rst", CACHETOOLS)
    assert (style.rst, style.heading, style.level, style.flat) == (
        True,
        "v{version} ({date})",
        "=",
        True,
    )
    section = render(style, V, DAY, COMMITS)
    assert section == (
        "v8.1.0 (2026-12-01)\n===================\n\n"
        "- **api:** a cache (aaaaaaa)\n- a leak (bbbbbbb)\n\n"
    )
    assert insert(CACHETOOLS, section, V, style) == section + CACHETOOLS
    with pytest.raises(UsageError, match=r"already has a section for 8\.0\.0"):
        insert(CACHETOOLS, section, Version("8.0.0"), style)


def test_sub_headings_are_kept_when_the_file_has_them() -> None:
    text = "Changes\n=======\n\n1.0 (2026-01-01)\n----------------\n\nFixed\n~~~~~\n\n- x\n"
    style = style_of("CHANGES.rst", text)
    assert (style.level, style.sub, style.flat) == ("-", "~", False)
    section = render(style, Version("1.1"), DAY, COMMITS)
    assert section.startswith("1.1 (2026-12-01)\n----------------\n\nAdded\n~~~~~\n\n")
    new = insert(text, section, Version("1.1"), style)
    assert new == "Changes\n=======\n\n" + section + text[len("Changes\n=======\n\n") :]


def test_markdown_headings_are_learnt_too() -> None:
    text = "# History\n\n## 1.0.0 (2026-01-01)\n\n- old\n"
    style = style_of("HISTORY.md", text)
    section = render(style, Version("1.1.0"), DAY, COMMITS)
    assert section.startswith("## 1.1.0 (2026-12-01)\n\n- **api:** a cache")
    assert insert(text, section, Version("1.1.0"), style) == (
        "# History\n\n" + section + "## 1.0.0 (2026-01-01)\n\n- old\n"
    )


def test_a_new_file_gets_keep_a_changelog() -> None:
    style = style_of("CHANGELOG.md", None)
    assert render(style, V, DAY, COMMITS).startswith("## [8.1.0] - 2026-12-01\n\n### Added\n")
    assert style_of("NEWS.rst", None).heading == "{version} ({date})"
