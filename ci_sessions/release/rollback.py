"""Undo a release whose health check failed: the index's copy, then the repository's.

The index: removed where its API allows it (pypiserver, devpi), otherwise the exact yank steps
are printed. The repository: the release tag is deleted and the release commit taken back
(``git reset --keep HEAD~1``), but only the commit ``ci-sessions release`` made (the history
records it) and only while neither has reached a remote (no remote-tracking branch contains the
commit); otherwise the commands to undo them by hand are printed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ci_sessions._git import git, try_git
from ci_sessions.errors import CiSessionsError
from ci_sessions.release import records
from ci_sessions.release.indexes import Removal, remove
from ci_sessions.release.settings import IndexSettings


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


def _made_here(root: Path, commit: str) -> bool:
    """Whether ``ci-sessions release`` recorded ``commit`` as a release commit it made."""
    try:
        events = records.read(root)
    except CiSessionsError:
        return False
    return any(e.kind == "release" and e.outcome == "ok" and e.commit == commit for e in events)


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
    if not _made_here(root, tagged):
        steps += [
            f"the tag {tag} is on {tagged[:7]}, a commit this repository's history does not "
            "record as made by `ci-sessions release`: nothing was rewritten; undo it by hand:",
            f"  git tag -d {tag}",
            f"  git revert {tagged[:7]}   (if it is the release commit)",
        ]
        return done, steps
    git(
        root,
        "tag",
        "-d",
        tag,
        what=f"delete the tag {tag}",
        fix="delete it by hand: git tag -d " + tag,
    )
    done.append(f"deleted the tag {tag}")
    has_parent = try_git(root, "rev-parse", "--verify", "--quiet", f"{tagged}^") is not None
    if tagged == head and subject == release_subject and has_parent:
        git(
            root, "reset", "--quiet", "--keep", "HEAD~1", what="take back the release commit",
            fix="commit or stash your changes, then `git reset --keep HEAD~1`",
        )  # fmt: skip
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
    files: Iterable[str] = (),
) -> Rollback:
    """``pushed``: the tag is known to be on the remote (a workflow the tag started); ``files``:
    the distributions' file names (how the index may spell the project)."""
    removal = remove(index, name, version, token, files)
    if pushed:
        steps = [
            f"the tag {tag} is on the remote already: undo the release with a new commit",
            f"  git push --delete origin {tag} && git tag -d {tag}",
            "  git revert <the release commit> && git push",
        ]
        return Rollback(removal, [], steps)
    done, steps = restore_repository(root, tag, release_subject)
    return Rollback(removal, done, steps)
