"""The copies jobs run in: the user's tree is read once and never written.

At the start of a run the working tree (tracked files plus untracked, unignored ones, as
``git ls-files --cached --others --exclude-standard`` lists them) is copied once into a snapshot,
so edits made while the run goes on do not leak into later jobs. ``actions/checkout`` then copies
the snapshot into the job's workspace and makes a ``.git`` there that borrows the project's
objects (git alternates: nothing is copied) and has the refs actions/checkout would fetch:
with ``fetch-depth: 0`` every branch as ``origin/<name>``, the tags, and ``origin/<base>`` for a
pull request; with a positive depth a shallow history and no other branch, as on GitHub.

The copies live in a temporary folder outside the project: a build inside
``<project>/.ci-sessions/`` is not the same build (hatchling, seeing the workspace below an
ignored folder, then packs the workspace's own ``.ci-sessions/`` into the sdist).
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from ci_sessions import _git
from ci_sessions._fs import copy_listed, remove_tree
from ci_sessions.errors import GitError, UsageError


@dataclass(frozen=True)
class Source:
    """The project as it was when the run started."""

    root: Path  # the git top level: GitHub's workspace is the repository root
    snapshot: Path
    files: tuple[str, ...]
    head: str
    branch: str | None  # None when HEAD is detached
    git_common_dir: Path


def project_root(start: Path) -> Path:
    if not _git.is_work_tree(start):
        raise UsageError(
            f"{start} is not inside a git repository",
            fix="ci-sessions ci runs a checkout of a repository: run it in one",
        )
    return Path(_git.git(start, "rev-parse", "--show-toplevel").strip())


def listed_files(root: Path) -> list[str]:
    """Tracked files plus untracked, unignored ones (what a commit of everything would hold)."""
    out = _git.git_bytes(root, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    if out is None:
        raise GitError(f"git ls-files failed in {root}")
    names = out.decode("utf-8", "surrogateescape").split("\0")
    return sorted({name for name in names if name})


def take_snapshot(root: Path, snapshot: Path) -> Source:
    head = (_git.try_git(root, "rev-parse", "--verify", "--quiet", "HEAD") or "").strip()
    if not head:
        raise UsageError(
            "the repository has no commit yet", fix="commit once: a workflow checks out a commit"
        )
    branch = (_git.try_git(root, "symbolic-ref", "--quiet", "--short", "HEAD") or "").strip()
    common = Path(_git.git(root, "rev-parse", "--git-common-dir").strip())
    if not common.is_absolute():
        common = (root / common).resolve()
    remove_tree(snapshot, within=snapshot.parent)
    snapshot.mkdir(parents=True)
    copied = copy_listed(root, snapshot, listed_files(root))
    return Source(root, snapshot, tuple(copied), head, branch or None, common)


@dataclass(frozen=True)
class CheckoutRefs:
    """What the event says the checkout holds: the branch (push) or a detached HEAD (PR)."""

    branch: str | None
    base_ref: str | None
    base_sha: str | None


def checkout(source: Source, dest: Path, refs: CheckoutRefs, depth: int) -> None:
    """Populate ``dest`` like actions/checkout: files of the snapshot and a matching ``.git``."""
    dest.mkdir(parents=True, exist_ok=True)
    _git.git(dest, "init", "--quiet")
    alternates = dest / ".git" / "objects" / "info" / "alternates"
    alternates.parent.mkdir(parents=True, exist_ok=True)
    alternates.write_text(str(source.git_common_dir / "objects") + "\n", encoding="utf-8")
    updates: dict[str, str] = {}  # ref -> commit; a later line overrides an earlier one
    if depth == 0:
        listed = _git.git(
            source.root,
            "for-each-ref",
            "--format=%(objectname) %(refname)",
            "refs/heads",
            "refs/remotes/origin",
            "refs/tags",
        )
        for line in sorted(
            listed.splitlines(), key=lambda x: not x.split(" ")[1].startswith("refs/heads/")
        ):
            sha, _, ref = line.partition(" ")
            if ref.startswith("refs/heads/"):
                updates[f"refs/remotes/origin/{ref[len('refs/heads/') :]}"] = sha
            elif ref != "refs/remotes/origin/HEAD":
                updates[ref] = sha
        if refs.base_ref and refs.base_sha:
            updates[f"refs/remotes/origin/{refs.base_ref}"] = refs.base_sha
        shallow = source.git_common_dir / "shallow"
        if shallow.is_file():
            shutil.copyfile(shallow, dest / ".git" / "shallow")
    else:
        (dest / ".git" / "shallow").write_text(
            "\n".join(_boundary(source, depth)) + "\n", encoding="utf-8"
        )
    if refs.branch:
        updates[f"refs/heads/{refs.branch}"] = source.head
        updates[f"refs/remotes/origin/{refs.branch}"] = source.head
    _update_refs(dest, [f"update {ref} {sha}" for ref, sha in updates.items()])
    if refs.branch:
        _git.git(dest, "symbolic-ref", "HEAD", f"refs/heads/{refs.branch}")
    else:
        _git.git(dest, "update-ref", "--no-deref", "HEAD", source.head)
    _git.git(dest, "remote", "add", "origin", str(source.root))
    copy_listed(source.snapshot, dest, source.files)
    _git.git(dest, "read-tree", "HEAD")
    _git.try_git(dest, "update-index", "-q", "--refresh")


def _boundary(source: Source, depth: int) -> list[str]:
    """The commits a ``--depth N`` fetch of HEAD would mark shallow."""
    listed = _git.git(
        source.root, "rev-list", "--first-parent", f"--max-count={depth}", source.head
    ).split()
    return [listed[-1]] if listed else [source.head]


def _update_refs(dest: Path, updates: list[str]) -> None:
    if not updates:
        return
    git = shutil.which("git") or "git"
    done = subprocess.run(  # noqa: S603 - fixed argv, refs from git itself
        [git, "update-ref", "--stdin"],
        cwd=dest,
        input="\n".join(updates) + "\n",
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise GitError(f"could not create the refs of the checkout: {done.stderr.strip()}")
