"""What git says changed between two refs (or in the working tree), renames and deletions included.

Change detection, affected tests and monorepo selection all start from this list, so it is read
once with machine-safe output (``-z``) and every git failure becomes a message that says how to
fix it (usually: fetch the base ref; CI checkouts are shallow by default).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ci_sessions._git import git, merge_base, resolve
from ci_sessions.errors import UsageError

_STATUS = {
    "A": "added",
    "M": "modified",
    "D": "deleted",
    "R": "renamed",
    "C": "copied",
    "T": "modified",
}


@dataclass(frozen=True)
class ChangedFile:
    """One changed path, relative to the project root (posix); ``old_path`` is set for renames."""

    path: str
    status: str  # added | modified | deleted | renamed | copied | untracked
    old_path: str | None = None

    @property
    def paths(self) -> tuple[str, ...]:
        """Every path this change touches: a rename changes both its old and its new name."""
        return (self.path,) if self.old_path is None else (self.old_path, self.path)


def fork_point(root: Path, base: str, head: str | None = None) -> str:
    """The merge base of ``base`` and ``head`` (default HEAD): where the change starts."""
    return merge_base(root, resolve(root, base, "--base"), resolve(root, head or "HEAD", "--head"))


def changed_files(
    root: Path, base: str, head: str | None = None, *, working_tree: bool = False
) -> list[ChangedFile]:
    """Files changed from the merge base of ``base`` and ``head`` (default HEAD) to ``head``.

    With ``working_tree`` the comparison ends at the working tree instead, and untracked (not
    ignored) files count as added.
    """
    if working_tree and head is not None:
        raise UsageError("cannot combine --working-tree with --head", fix="drop one of them")
    base_sha = resolve(root, base, "--base")
    head_sha = resolve(root, head or "HEAD", "--head")
    fork = merge_base(root, base_sha, head_sha)
    args = ["diff", "--name-status", "-z", "-M", "--relative", "--no-ext-diff", fork]
    if not working_tree:
        args.append(head_sha)
    changes = parse_name_status(git(root, *args))
    if working_tree:
        untracked = git(root, "ls-files", "--others", "--exclude-standard", "-z")
        known = {change.path for change in changes}
        changes += [
            ChangedFile(path, "untracked")
            for path in untracked.split("\0")
            if path and path not in known
        ]
    return sorted(changes, key=lambda change: change.path)


def parse_name_status(output: str) -> list[ChangedFile]:
    """Parse ``git diff --name-status -z``: ``S\\0path\\0`` or ``R100\\0old\\0new\\0``."""
    fields = output.split("\0")
    changes: list[ChangedFile] = []
    index = 0
    while index < len(fields) and fields[index]:
        code = fields[index][0]
        if code in ("R", "C"):
            old, new = fields[index + 1], fields[index + 2]
            changes.append(ChangedFile(new, _STATUS[code], old))
            index += 3
        else:
            changes.append(ChangedFile(fields[index + 1], _STATUS.get(code, "modified")))
            index += 2
    return changes
