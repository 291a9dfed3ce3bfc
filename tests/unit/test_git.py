"""git's failures come with the fix that matches them, not a generic one."""

from __future__ import annotations

from pathlib import Path

import pytest
from gitrepo import git as run

from ci_sessions._git import git
from ci_sessions.errors import GitError


def test_a_missing_identity_says_how_to_set_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run(tmp_path, "init", "-q")
    for name in (
        "GIT_AUTHOR_NAME",
        "GIT_AUTHOR_EMAIL",
        "GIT_COMMITTER_NAME",
        "GIT_COMMITTER_EMAIL",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CONFIG_COUNT", "1")
    monkeypatch.setenv("GIT_CONFIG_KEY_0", "user.useConfigOnly")
    monkeypatch.setenv("GIT_CONFIG_VALUE_0", "true")
    with pytest.raises(GitError) as raised:
        git(tmp_path, "commit", "--allow-empty", "-m", "x", what="commit the release", fix="other")
    assert "git config --global user.email" in raised.value.fix


def test_a_fix_given_wins_over_the_fetch_hint(tmp_path: Path) -> None:
    run(tmp_path, "init", "-q")
    with pytest.raises(GitError) as raised:
        git(tmp_path, "tag", "-d", "nope", what="delete the tag nope", fix="nothing to delete")
    assert raised.value.fix == "nothing to delete"
    with pytest.raises(GitError) as unknown:
        git(tmp_path, "rev-parse", "--verify", "nope^{commit}", what="--base nope")
    assert "fetch the ref first" in unknown.value.fix
