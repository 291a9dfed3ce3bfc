"""Every git call of ci-sessions goes through here: one way to find git, run it, and fail.

``git`` raises :class:`~ci_sessions.errors.GitError` with a fix; ``try_git`` answers None where a
missing git or a non-repository is an ordinary answer (facts for a report, files for a cache key).
Arguments are always an argv list, never a shell string.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from ci_sessions.errors import GitError, UsageError

_NOT_INSTALLED = "git is not installed or not on PATH"
_FETCH_FIX = (
    "fetch the ref first (git fetch origin <branch>; with actions/checkout set fetch-depth: 0) "
    "or correct its name"
)
_IDENTITY_FIX = (
    'tell git who you are: git config --global user.name "Your Name" && '
    "git config --global user.email you@example.com"
)
#: what git says when it has no identity to write a commit or tag with
_NO_IDENTITY = (
    "Please tell me who you are",
    "unable to auto-detect email address",
    "empty ident name",
)


def _executable() -> str:
    found = shutil.which("git")
    if found is None:
        raise GitError(_NOT_INSTALLED, fix="install git")
    return found


def git(
    root: Path, *args: str, what: str = "", timeout: float | None = None, fix: str | None = None
) -> str:
    """Run git in ``root`` and return stdout; a failure raises GitError naming the fix: ``fix``
    when given, how to set an identity when git lacks one, else (with ``what``, a ref being
    resolved) how to fetch the ref."""
    executable = _executable()
    try:
        done = subprocess.run(  # noqa: S603 - fixed argv, no shell
            [executable, *args],
            cwd=root,
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="surrogateescape",
            check=False,
            timeout=timeout,
        )
    except FileNotFoundError:
        raise GitError(_NOT_INSTALLED, fix="install git") from None
    except subprocess.TimeoutExpired:
        raise GitError(f"git {' '.join(args[:2])} did not finish in {timeout:g} s") from None
    if done.returncode != 0:
        stderr = done.stderr.strip()
        if "not a git repository" in stderr:
            raise GitError(f"{root} is not a git repository", fix="run inside a git checkout")
        detail = stderr.splitlines()[-1] if stderr else f"exit {done.returncode}"
        subject = f"{what}: " if what else f"git {' '.join(args[:2])}: "
        if any(words in stderr for words in _NO_IDENTITY):
            raise GitError(subject + detail, fix=_IDENTITY_FIX)
        raise GitError(
            subject + detail, fix=fix if fix is not None else (_FETCH_FIX if what else "")
        )
    return done.stdout


def try_git(root: Path, *args: str, timeout: float = 60) -> str | None:
    """Like :func:`git`, but None when git is missing, fails or times out."""
    try:
        return git(root, *args, timeout=timeout)
    except GitError:
        return None


def git_bytes(root: Path, *args: str, timeout: float = 60) -> bytes | None:
    """Raw stdout of a git command (``-z`` listings of file names in any encoding), or None."""
    executable = shutil.which("git")
    if executable is None:
        return None
    try:
        done = subprocess.run(  # noqa: S603 - fixed argv, no shell
            [executable, *args], cwd=root, capture_output=True, check=False, timeout=timeout
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None


def resolve(root: Path, ref: str, option: str) -> str:
    """The commit a ref names; an unknown ref is an error that names the option."""
    if ref.startswith("-"):
        raise UsageError(
            f"{option} {ref}: a ref cannot start with '-'",
            fix=f"pass a branch or commit: {option} origin/main",
        )
    return git(
        root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", what=f"{option} {ref}"
    ).strip()


def merge_base(root: Path, base: str, head: str) -> str:
    """Where ``head`` forked from ``base``: changes made on ``base`` since then are not ours."""
    return git(root, "merge-base", base, head, what=f"merge-base of {base} and {head}").strip()


def show(root: Path, commit: str, path: str) -> str | None:
    """A file's text at a commit (path relative to ``root``), or None if it did not exist."""
    try:
        return git(root, "show", f"{commit}:./{path}")
    except GitError:
        return None


def tracked_files(root: Path) -> list[str] | None:
    """Files git tracks below ``root`` (relative posix paths), or None outside a git checkout."""
    out = git_bytes(root, "ls-files", "-z")
    if out is None:
        return None
    return [p for p in out.decode("utf-8", "surrogateescape").split("\0") if p]


def is_work_tree(root: Path) -> bool:
    return (try_git(root, "rev-parse", "--is-inside-work-tree") or "").strip() == "true"


def head_facts(root: Path) -> tuple[str, str]:
    """The current commit and branch (the PR branch on GitHub), or empty strings outside git."""
    commit = (try_git(root, "rev-parse", "HEAD", timeout=10) or "").strip()
    branch = (
        os.environ.get("GITHUB_HEAD_REF")
        or os.environ.get("GITHUB_REF_NAME")
        or (try_git(root, "rev-parse", "--abbrev-ref", "HEAD", timeout=10) or "").strip()
    )
    return commit, branch


def default_branch(root: Path) -> str | None:
    """The branch a repository's work is compared with, found, never assumed.

    The remote's HEAD branch (``origin`` first), else the branch checked out, else, on a detached
    GitHub checkout, the pull request's target (``GITHUB_BASE_REF``) or the pushed branch; None
    when none of them is known (no remote and a detached HEAD, not a repository): the caller
    names the setting that says it.
    """

    def git_line(*args: str) -> str:
        return (try_git(root, *args, timeout=10) or "").strip()

    heads = git_line("for-each-ref", "--format=%(symref:short)", "refs/remotes/*/HEAD")
    remote_heads = [line for line in heads.splitlines() if "/" in line]
    remote_heads.sort(key=lambda line: (not line.startswith("origin/"), line))
    if remote_heads:
        return remote_heads[0].split("/", 1)[1]
    current = git_line("symbolic-ref", "--quiet", "--short", "HEAD")
    if current:
        return current
    if os.environ.get("GITHUB_BASE_REF"):
        return os.environ["GITHUB_BASE_REF"]
    if os.environ.get("GITHUB_REF_TYPE") == "branch" and os.environ.get("GITHUB_REF_NAME"):
        return os.environ["GITHUB_REF_NAME"]
    return None


#: what ci-sessions and nox write into a project: never part of its state
_OWN_OUTPUT = (":(exclude).ci-sessions", ":(exclude).nox")


def worktree_state(root: Path) -> str:
    """What the work tree holds beyond HEAD: "" when clean (or outside git), else a digest of the
    uncommitted content (tracked edits, staged or not, and untracked files not ignored).

    Two runs on one commit had the same inputs only when this is the same too: a failing edit
    tried and reverted before committing is not a flaky test.
    """
    import hashlib

    status = git_bytes(
        root, "status", "--porcelain=v1", "-z", "--untracked-files=all", "--", ".", *_OWN_OUTPUT
    )
    if not status:
        return ""
    digest = hashlib.sha256()
    diff = git_bytes(root, "diff", "HEAD", "--binary", "--no-ext-diff", "--", ".", *_OWN_OUTPUT)
    digest.update(diff if diff is not None else status)
    untracked = git_bytes(
        root, "ls-files", "-z", "--others", "--exclude-standard", "--", ".", *_OWN_OUTPUT
    )
    for name in sorted((untracked or b"").split(b"\0")):
        if not name:
            continue
        digest.update(b"\0" + name + b"\0")
        try:
            digest.update(hashlib.sha256((root / os.fsdecode(name)).read_bytes()).digest())
        except OSError:
            digest.update(b"unreadable")
    return digest.hexdigest()[:16]


def git_visible(root: Path, *args: str) -> int:
    """Run git with its output going to the terminal (``git diff`` shown to the user)."""
    executable = shutil.which("git")
    if executable is None:
        return 127
    return subprocess.run([executable, *args], cwd=root, check=False).returncode  # noqa: S603


def git_status(root: Path, *args: str, timeout: float = 30) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of a git command whose exit code is an answer, not a failure
    (``git merge-file`` returns the number of conflicts)."""
    executable = _executable()
    done = subprocess.run(  # noqa: S603 - fixed argv, no shell
        [executable, *args], cwd=root, capture_output=True, text=True, timeout=timeout, check=False
    )
    return done.returncode, done.stdout, done.stderr


def printable(path: str) -> str:
    """A path git listed, printable anywhere: bytes that are not UTF-8 (kept by surrogateescape)
    are shown as ``\\xe9`` instead of failing the write of a strict UTF-8 stream."""
    return path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
