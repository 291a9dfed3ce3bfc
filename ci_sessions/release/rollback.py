"""Undo a release whose health check failed: the index's copy, then the repository's.

The index: removed where its API allows it (pypiserver, devpi), otherwise the exact yank steps
are printed. The repository: the release tag is deleted and the release commit taken back
(``git reset --keep HEAD~1``), but only while neither has reached a remote (no remote-tracking
branch contains the commit); otherwise the commands to undo them by hand are printed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ci_sessions._git import git, try_git
from ci_sessions.release.config import IndexSettings
from ci_sessions.release.indexes import Removal, remove


@dataclass
class Rollback:
    removal: Removal
    #: what was done to the repository, in order
    repository: list[str] = field(default_factory=lambda: [])
    #: what a person still has to do
    steps: list[str] = field(default_factory=lambda: [])

    def render(self) -> str:
        lines = [f"rollback: {self.removal.detail}"]
        lines += [f"rollback: {done}" for done in self.repository]
        lines += list(self.removal.steps) + self.steps
        return "\n".join(lines)


def _pushed(root: Path, commit: str) -> bool:
    """Whether a remote-tracking branch already contains ``commit``."""
    out = try_git(root, "branch", "--remotes", "--contains", commit) or ""
    return bool(out.strip())


def restore_repository(root: Path, tag: str, release_subject: str) -> tuple[list[str], list[str]]:
    """Delete ``tag`` and drop the release commit when local-only; (done, steps for a person)."""
    done: list[str] = []
    steps: list[str] = []
    tagged = (try_git(root, "rev-list", "-n", "1", f"refs/tags/{tag}") or "").strip()
    if not tagged:
        return done, [f"no tag {tag} here: the repository has nothing to undo"]
    if _pushed(root, tagged):
        steps += [
            f"the release commit {tagged[:7]} is already on a remote; undo it with a new commit:",
            f"  git revert {tagged[:7]} && git push",
            f"  git tag -d {tag} && git push --delete origin {tag}",
        ]
        return done, steps
    head = (try_git(root, "rev-parse", "HEAD") or "").strip()
    subject = (try_git(root, "log", "-1", "--format=%s", tagged) or "").strip()
    git(root, "tag", "-d", tag, what=f"delete the tag {tag}")
    done.append(f"deleted the tag {tag}")
    has_parent = try_git(root, "rev-parse", "--verify", "--quiet", f"{tagged}^") is not None
    if tagged == head and subject == release_subject and has_parent:
        git(root, "reset", "--quiet", "--keep", "HEAD~1", what="take back the release commit")
        done.append(f"took back the release commit {tagged[:7]} ({subject}); HEAD is its parent")
    elif subject == release_subject:
        steps.append(
            f"the release commit {tagged[:7]} is not HEAD any more: `git revert {tagged[:7]}`"
        )
    steps.append(f"if you pushed the tag by itself: git push --delete origin {tag}")
    return done, steps


def roll_back(
    root: Path,
    index: IndexSettings,
    name: str,
    version: str,
    *,
    token: str,
    tag: str,
    release_subject: str,
    pushed: bool = False,
) -> Rollback:
    """``pushed``: the tag is known to be on the remote (a workflow the tag started)."""
    removal = remove(index, name, version, token)
    if pushed:
        steps = [
            f"the tag {tag} is on the remote already: undo the release with a new commit",
            f"  git push --delete origin {tag} && git tag -d {tag}",
            "  git revert <the release commit> && git push",
        ]
        return Rollback(removal, [], steps)
    done, steps = restore_repository(root, tag, release_subject)
    return Rollback(removal, done, steps)
