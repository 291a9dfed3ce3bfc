"""A Keep a Changelog section from the release's commits, prepended to CHANGELOG.md.

Commit types map to the Keep a Changelog headings (feat -> Added, perf -> Changed, fix ->
Fixed, ...); breaking changes come first under their own heading. The rest of the file is kept
byte for byte: the section goes above the newest release, below an ``[Unreleased]`` section.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

from packaging.version import Version

from ci_sessions.errors import UsageError
from ci_sessions.release.commits import Commit

BREAKING = "Breaking changes"
#: headings in the order they appear; Keep a Changelog's six after the breaking changes
HEADINGS = (BREAKING, "Added", "Changed", "Deprecated", "Removed", "Fixed", "Security")
#: commit type -> heading; other types (docs, chore, ci, test, ...) stay out of the changelog
TYPE_HEADINGS: dict[str, str] = {
    "feat": "Added",
    "perf": "Changed",
    "deprecate": "Deprecated",
    "remove": "Removed",
    "fix": "Fixed",
    "security": "Security",
}
#: a fix scoped to security is a security fix
SECURITY_SCOPES = ("security", "sec")
HEADER = """# Changelog

All notable changes to this project are documented in this file.
The format is based on [Keep a Changelog](https://keepachangelog.com/en/1.1.0/),
and this project adheres to [Semantic Versioning](https://semver.org/spec/v2.0.0.html).

"""
_RELEASE_HEADING = re.compile(r"^## ", re.MULTILINE)
_UNRELEASED = re.compile(r"^## \[?unreleased\]?", re.IGNORECASE)


def heading_of(commit: Commit) -> str | None:
    if commit.type == "fix" and commit.scope.lower() in SECURITY_SCOPES:
        return "Security"
    return TYPE_HEADINGS.get(commit.type)


def _entry(commit: Commit, text: str) -> str:
    scope = f"**{commit.scope}:** " if commit.scope else ""
    return f"- {scope}{text} ({commit.short})"


def entries(commits: Iterable[Commit]) -> dict[str, list[str]]:
    """Heading -> its bullet lines, oldest commit first, empty headings left out."""
    grouped: dict[str, list[str]] = {heading: [] for heading in HEADINGS}
    for commit in reversed(list(commits)):  # git log is newest first
        if commit.breaking:
            for note in commit.breaking_notes or (commit.description,):
                grouped[BREAKING].append(_entry(commit, note))
        heading = heading_of(commit)
        if heading is not None:
            grouped[heading].append(_entry(commit, commit.description))
    return {heading: lines for heading, lines in grouped.items() if lines}


def render_section(version: Version, date: dt.date, commits: Iterable[Commit]) -> str:
    """``## [1.3.0] - 2026-12-01`` and its headings, ending with one blank line."""
    lines = [f"## [{version}] - {date.isoformat()}", ""]
    grouped = entries(commits)
    if not grouped:
        lines += ["### Changed", "", "- No user-facing changes.", ""]
    for heading, bullets in grouped.items():
        lines += [f"### {heading}", "", *bullets, ""]
    return "\n".join(lines) + "\n"


def prepend(existing: str | None, section: str, version: Version) -> str:
    """``existing`` with ``section`` above its newest release; the rest is left untouched."""
    if existing is None:
        return HEADER + section
    if re.search(rf"^## \[?{re.escape(str(version))}\]?(\s|$)", existing, re.MULTILINE):
        raise UsageError(
            f"the changelog already has a section for {version}",
            fix="remove it, or release another version (--bump)",
        )
    newline = "\r\n" if "\r\n" in existing else "\n"
    section = section.replace("\n", newline)
    at = _insertion_point(existing)
    if at < len(existing):
        return existing[:at] + section + existing[at:]
    # no release yet: after everything there is, one blank line between
    if not existing or existing.endswith(newline * 2):
        gap = ""
    elif existing.endswith(newline):
        gap = newline
    else:
        gap = newline * 2
    return existing + gap + section


def _insertion_point(text: str) -> int:
    """Where the new section goes: the first ``## `` heading that is not [Unreleased]."""
    for match in _RELEASE_HEADING.finditer(text):
        end = text.find("\n", match.start())
        if not _UNRELEASED.match(text[match.start() : end if end >= 0 else len(text)]):
            return match.start()
    return len(text)
