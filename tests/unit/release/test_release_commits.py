"""Conventional Commits parsing: header, scope, `!`, BREAKING CHANGE footers, non-conventional."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from release_repo import Repo

from ci_sessions.release.commits import commits_since, parse_message


def test_header_with_scope_and_description() -> None:
    commit = parse_message("abcdef123", "feat(cli): add --json\n\nbody text")
    assert (commit.type, commit.scope, commit.description) == ("feat", "cli", "add --json")
    assert commit.conventional and not commit.breaking
    assert commit.short == "abcdef1"


def test_type_is_case_insensitive() -> None:
    assert parse_message("a", "FIX: crash").type == "fix"


@pytest.mark.parametrize(
    "message",
    [
        "feat!: drop python 3.9",
        "feat(api)!: drop python 3.9",
        "refactor: rename\n\nBREAKING CHANGE: `old()` is gone",
        "fix: x\n\nBREAKING-CHANGE: y",
        "chore: x\n\nRefs: #1\nBREAKING CHANGE:",
    ],
)
def test_breaking_markers(message: str) -> None:
    assert parse_message("a", message).breaking


def test_breaking_footer_text_runs_on_until_the_next_footer() -> None:
    commit = parse_message(
        "a", "feat: x\n\nbody\n\nBREAKING CHANGE: the flag\nis gone\nRefs: #12\nReviewed-by: z"
    )
    assert commit.breaking_notes == ("the flag is gone",)


@pytest.mark.parametrize(
    "message",
    [
        "breaking change: lower case is not a footer",
        "feat: x\n\nbreaking change: lower case footer",
        "feat: x\n\nSee BREAKING CHANGE: in the middle of a line",
    ],
)
def test_not_breaking(message: str) -> None:
    assert not parse_message("a", message).breaking


@pytest.mark.parametrize(
    "message",
    ["Merge branch 'main'", "feat:no space", "feat(x: unclosed", "WIP", "", "feat: "],
)
def test_not_conventional(message: str) -> None:
    commit = parse_message("a", message)
    assert not commit.conventional
    assert not commit.breaking


def test_commits_since_a_tag_newest_first(make_repo: Callable[..., Repo]) -> None:
    repo = make_repo()
    repo.tag("v1.2.0")
    repo.commit("fix: one")
    repo.commit("feat: two\n\nwith a body\n\nBREAKING CHANGE: three")
    commits = commits_since(repo.root, "v1.2.0")
    assert [c.description for c in commits] == ["two", "one"]
    assert commits[0].breaking_notes == ("three",)
    assert len(commits_since(repo.root, None)) == 3
