"""The changelog a project already keeps, and a new section written the way it writes them.

With ``changelog`` left at its default, an existing ``CHANGELOG``, ``CHANGES``, ``NEWS`` or
``HISTORY`` file (``.md``, ``.rst``, ``.txt`` or none) is the one written; ``CHANGELOG.md`` is made
only when there is none. The new section follows the newest release section already there: its
heading (``v8.0.0 (2026-11-06)`` becomes ``v8.1.0 (2026-12-01)``), its level (a Markdown ``##``,
or the reStructuredText underline character), and whether entries sit under sub-headings or in
one flat list. A new file, or one with no release yet, gets Keep a Changelog's layout.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from packaging.version import Version

from ci_sessions.errors import UsageError
from ci_sessions.release import changelog
from ci_sessions.release.commits import Commit

DEFAULT = "CHANGELOG.md"
_STEMS = ("changelog", "changes", "news", "history")
_SUFFIXES = (".md", ".rst", ".txt", ".markdown", "")
_VERSION = re.compile(r"\d+\.\d+(?:\.\d+)*(?:(?:a|b|rc|\.post|\.dev)\d+)*")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_UNDERLINE = re.compile(r"^([=\-~^*+#\"'`:.])\1{2,}\s*$")
_MD_HEADING = re.compile(r"^(#{1,6}) +(.*\S)\s*$")


def find(root: Path, setting: str, *, default: bool) -> str:
    """The changelog to write: the setting, or (left at its default) the one the project has."""
    if not default or (root / setting).is_file():
        return setting
    present = {path.name.lower(): path.name for path in root.iterdir() if path.is_file()}
    for stem in _STEMS:
        for suffix in _SUFFIXES:
            if stem + suffix in present:
                return present[stem + suffix]
    return setting


@dataclass(frozen=True)
class Style:
    """How a changelog writes a release: rst or markdown, the heading, sub-headings or flat."""

    rst: bool
    heading: str = "[{version}] - {date}"  # {version} and {date} replaced
    level: str = "##"  # markdown: the #s; rst: the underline character
    sub: str = "###"
    flat: bool = False


def _is_rst(path: str, text: str | None) -> bool:
    lowered = path.lower()
    if lowered.endswith((".md", ".markdown")):
        return False
    if lowered.endswith(".rst"):
        return True
    lines = (text or "").splitlines()
    return any(_UNDERLINE.match(lines[i + 1]) and lines[i].strip() for i in range(len(lines) - 1))


def _headings(lines: list[str], rst: bool) -> list[tuple[int, str, str]]:
    """(line index, level, text) of every heading (rst: text over an underline at least as long)."""
    found: list[tuple[int, str, str]] = []
    for index, line in enumerate(lines):
        if rst:
            if index + 1 < len(lines) and line.strip() and not _UNDERLINE.match(line):
                under = _UNDERLINE.match(lines[index + 1])
                if under and len(lines[index + 1].rstrip()) >= len(line.rstrip()):
                    found.append((index, under.group(1), line.strip()))
        else:
            match = _MD_HEADING.match(line)
            if match:
                found.append((index, match.group(1), match.group(2)))
    return found


def _release_heading(text: str) -> bool:
    return bool(_VERSION.search(text)) and not text.lower().strip("[]# ").startswith("unreleased")


def style_of(path: str, text: str | None) -> Style:
    """The style of the newest release section in ``text`` (Keep a Changelog's when none)."""
    rst = _is_rst(path, text)
    default = (
        Style(rst=True, heading="{version} ({date})", level="-", sub="~")
        if rst
        else Style(rst=False)
    )
    if not text:
        return default
    lines = text.splitlines()
    headings = _headings(lines, rst)
    releases = [h for h in headings if _release_heading(h[2])]
    if not releases:
        if rst and any(level == "-" for _, level, _ in headings):
            return Style(rst=True, heading="{version} ({date})", level="~", sub="^")
        return default
    first, level, heading = releases[0]
    version = _VERSION.search(heading)
    template = heading
    if version is not None:
        template = heading[: version.start()] + "{version}" + heading[version.end() :]
    template = _DATE.sub("{date}", template, count=1)
    following = [h for h in headings if h[0] > first]
    section_end = next((h[0] for h in following if h[1] == level), len(lines))
    subs = [h for h in following if h[0] < section_end]
    if rst:
        sub = subs[0][1] if subs else ("~" if level != "~" else "^")
    else:
        sub = subs[0][1] if subs else level + "#"
    return Style(rst=rst, heading=template, level=level, sub=sub, flat=not subs)


def render(style: Style, version: Version, date: dt.date, commits: Iterable[Commit]) -> str:
    """The new section in ``style``, ending with one blank line."""
    title = style.heading.replace("{version}", str(version)).replace("{date}", date.isoformat())
    lines = _heading(style.rst, style.level, title)
    grouped = changelog.entries(commits)
    if not grouped:
        grouped = {"Changed": ["- No user-facing changes."]}
    if style.flat:
        lines += [bullet for bullets in grouped.values() for bullet in bullets] + [""]
    else:
        for name, bullets in grouped.items():
            lines += _heading(style.rst, style.sub, name) + bullets + [""]
    return "\n".join(lines) + "\n"


def _heading(rst: bool, level: str, text: str) -> list[str]:
    if rst:
        return [text, level * len(text), ""]
    return [f"{level} {text}", ""]


def insert(existing: str | None, section: str, version: Version, style: Style) -> str:
    """``existing`` with ``section`` above its newest release; the rest untouched, byte for byte."""
    if existing is None:
        if style.rst:
            return "Changelog\n=========\n\n" + section
        return changelog.HEADER + section
    if not style.rst and style.level == "##":
        return changelog.prepend(existing, section, version)
    lines = existing.splitlines(keepends=True)
    headings = _headings([line.rstrip("\r\n") for line in lines], rst=style.rst)
    for _, _, text in headings:
        found = _VERSION.search(text)
        if found is not None and found.group() == str(version):
            raise UsageError(
                f"the changelog already has a section for {version}",
                fix="remove it, or release another version (--bump)",
            )
    newline = "\r\n" if "\r\n" in existing else "\n"
    section = section.replace("\n", newline)
    releases = [h for h in headings if _release_heading(h[2])]
    if releases:
        at = sum(len(line) for line in lines[: releases[0][0]])
        return existing[:at] + section + existing[at:]
    gap = (
        ""
        if existing.endswith(newline * 2) or not existing
        else (newline if existing.endswith(newline) else newline * 2)
    )
    return existing + gap + section
