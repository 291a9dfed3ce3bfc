"""The git helpers: one default-branch finder (found, never assumed to be ``main``), the work
tree's state, and failures that come with the fix that matches them."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from gitrepo import git as run

from ci_sessions._git import default_branch, git, worktree_state
from ci_sessions.errors import GitError

GIT = ["git", "-c", "user.email=t@t", "-c", "user.name=t"]


def _repo(root: Path, branch: str) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    subprocess.run([*GIT, "init", "-q", "-b", branch], cwd=root, check=True)
    (root / "a.txt").write_text("a\n")
    subprocess.run([*GIT, "add", "-A"], cwd=root, check=True)
    subprocess.run([*GIT, "commit", "-qm", "init"], cwd=root, check=True)
    return root


@pytest.fixture(autouse=True)
def _not_on_github(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("GITHUB_BASE_REF", "GITHUB_REF_NAME", "GITHUB_REF_TYPE", "GITHUB_HEAD_REF"):
        monkeypatch.delenv(name, raising=False)


def test_without_a_remote_the_branch_checked_out_is_the_default(tmp_path: Path) -> None:
    assert default_branch(_repo(tmp_path / "r", "master")) == "master"


def test_the_remotes_head_wins_over_the_branch_checked_out(tmp_path: Path) -> None:
    upstream = _repo(tmp_path / "upstream", "trunk")
    subprocess.run(["git", "clone", "-q", str(upstream), str(tmp_path / "clone")], check=True)
    clone = tmp_path / "clone"
    subprocess.run([*GIT, "switch", "-q", "-c", "feature"], cwd=clone, check=True)
    assert default_branch(clone) == "trunk"


def test_a_detached_head_without_a_remote_has_no_default(tmp_path: Path) -> None:
    root = _repo(tmp_path / "r", "master")
    subprocess.run([*GIT, "checkout", "-q", "--detach"], cwd=root, check=True)
    assert default_branch(root) is None
    assert default_branch(tmp_path / "not-a-repository") is None


def test_a_detached_pull_request_checkout_compares_with_its_target(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _repo(tmp_path / "r", "master")
    subprocess.run([*GIT, "checkout", "-q", "--detach"], cwd=root, check=True)
    monkeypatch.setenv("GITHUB_BASE_REF", "develop")
    assert default_branch(root) == "develop"


def test_the_work_tree_state_names_uncommitted_content(tmp_path: Path) -> None:
    """Clean: "" (the commit says it all); an edit, a staged edit, a new file: a digest of the
    content, the same for the same content, "" again once reverted."""
    root = _repo(tmp_path / "r", "main")
    assert worktree_state(root) == ""
    (root / "a.txt").write_text("b\n")
    edited = worktree_state(root)
    assert edited
    subprocess.run([*GIT, "add", "a.txt"], cwd=root, check=True)
    assert worktree_state(root) == edited  # staged or not, the same content
    (root / "a.txt").write_text("c\n")
    assert worktree_state(root) not in ("", edited)
    (root / "a.txt").write_text("a\n")
    subprocess.run([*GIT, "add", "a.txt"], cwd=root, check=True)
    assert worktree_state(root) == ""
    (root / "new.txt").write_text("n\n")
    added = worktree_state(root)
    (root / "new.txt").write_text("m\n")
    assert "" != added != worktree_state(root)  # an untracked file's content counts
    (root / "new.txt").unlink()
    # what ci-sessions and nox write never changes the state, ignored or not
    (root / ".ci-sessions").mkdir()
    (root / ".ci-sessions" / "results.json").write_text("{}")
    (root / ".nox").mkdir()
    (root / ".nox" / "x").write_text("x")
    assert worktree_state(root) == ""
    assert worktree_state(tmp_path / "not-a-repository") == ""


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
