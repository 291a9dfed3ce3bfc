"""Conventional Commits: parse one message, and read the commits git made since a release tag.

A small parser of our own (see docs/releasing.md, "Why not python-semantic-release or
commitizen"): the header ``type(scope)!: description`` and the ``BREAKING CHANGE:`` /
``BREAKING-CHANGE:`` footer are all the version rules and the changelog need.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ci_sessions._git import git, try_git

#: ``type(scope)!: description``; the type is a noun, case-insensitive (spec item 15)
_HEADER = re.compile(
    r"^(?P<type>[A-Za-z][A-Za-z0-9_-]*)"
    r"(?:\((?P<scope>[^()\r\n]*)\))?"
    r"(?P<bang>!)?: +(?P<description>\S.*)$"
)
#: the breaking-change footer must be upper case (spec item 16); its text may run on
_BREAKING = re.compile(r"^BREAKING[ -]CHANGE: *(?P<text>.*)$")
#: any other footer token (``Refs: #1``, ``Reviewed-by: x``, ``Closes #2``) ends a footer's text
_FOOTER = re.compile(r"^(?:[A-Za-z][\w-]*: |[A-Za-z][\w-]* #)")


@dataclass(frozen=True)
class Commit:
    """One commit message, parsed. ``type`` is empty when the header is not conventional."""

    sha: str
    subject: str
    type: str = ""
    scope: str = ""
    description: str = ""
    breaking: bool = False
    #: the text of each ``BREAKING CHANGE:`` footer (the description stands in when none)
    breaking_notes: tuple[str, ...] = ()

    @property
    def conventional(self) -> bool:
        return bool(self.type)

    @property
    def short(self) -> str:
        return self.sha[:7]


def parse_message(sha: str, message: str) -> Commit:
    """Parse a whole commit message (header, body, footers) into a :class:`Commit`."""
    lines = message.strip("\n").splitlines()
    subject = lines[0].strip() if lines else ""
    match = _HEADER.match(subject)
    if match is None:
        return Commit(sha=sha, subject=subject)
    notes = _breaking_notes(lines[1:])
    bang = match.group("bang") is not None
    return Commit(
        sha=sha,
        subject=subject,
        type=match.group("type").lower(),
        scope=(match.group("scope") or "").strip(),
        description=match.group("description").strip(),
        breaking=bang or bool(notes),  # a footer with no text still marks it breaking
        breaking_notes=tuple(note for note in notes if note),
    )


def _breaking_notes(body: list[str]) -> list[str]:
    """The text of every ``BREAKING CHANGE:`` footer; continuation lines join the note."""
    notes: list[str] = []
    current: list[str] | None = None
    for line in body:
        match = _BREAKING.match(line)
        if match is not None:
            if current is not None:
                notes.append(" ".join(current).strip())
            current = [match.group("text").strip()]
            continue
        if current is None:
            continue
        if not line.strip() or _FOOTER.match(line):
            notes.append(" ".join(current).strip())
            current = None
        else:
            current.append(line.strip())
    if current is not None:
        notes.append(" ".join(current).strip())
    return notes


def commits_since(root: Path, since: str | None) -> list[Commit]:
    """Commits reachable from HEAD but not from ``since`` (all of them when None), newest first.

    Records are NUL-separated (``git log -z``): git refuses a NUL in a commit message, so no
    message can forge another commit (the ASCII separators \\x1e and \\x1f it does allow).
    Messages are re-encoded to UTF-8 by git from their declared encoding; bytes that are still
    not UTF-8 are read as U+FFFD."""
    revision = f"{since}..HEAD" if since else "HEAD"
    if since is None and not _has_head(root):
        return []
    out = git(
        root,
        "log",
        "-z",
        "--encoding=UTF-8",
        "--format=%H%n%B",
        revision,
        what=f"commits since {since or 'the first commit'}",
        fix=f"check that {since} is a tag of this repository (git tag --list)" if since else "",
    )
    text = out.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    commits: list[Commit] = []
    for record in text.split("\0"):
        sha, _, message = record.lstrip("\n").partition("\n")
        if sha:
            commits.append(parse_message(sha.strip(), message))
    return commits


def _has_head(root: Path) -> bool:
    return try_git(root, "rev-parse", "--verify", "--quiet", "HEAD") is not None
