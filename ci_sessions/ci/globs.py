"""@actions/glob patterns over a workspace: what hashFiles() and upload-artifact select.

``*`` and ``?`` stay within a folder, ``**`` spans folders, ``[...]`` is a class, a leading ``!``
excludes, and a pattern naming a folder selects the files below it.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Sequence
from pathlib import Path


def glob_regex(pattern: str) -> re.Pattern[str]:
    """A regex for one @actions/glob pattern relative to the workspace (``**`` spans folders)."""
    pattern = pattern.strip().removeprefix("./").rstrip("/")
    pieces: list[str] = []
    segments = pattern.split("/")
    for number, segment in enumerate(segments):
        last = number == len(segments) - 1
        if segment == "**":
            pieces.append(".*" if last else "(?:[^/]*/)*")
        else:
            pieces.append(_segment_regex(segment) + ("" if last else "/"))
    return re.compile("".join(pieces) + r"(?:/.*)?\Z", re.DOTALL)


def _segment_regex(segment: str) -> str:
    out: list[str] = []
    pos = 0
    while pos < len(segment):
        char = segment[pos]
        close = segment.find("]", pos + 2) if char == "[" else -1
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif close > 0:
            body = segment[pos + 1 : close]
            negate = body.startswith("!")
            body = re.escape(body[1:] if negate else body).replace("\\-", "-")
            out.append(f"[{'^' if negate else ''}{body}]")
            pos = close
        else:
            out.append(re.escape(char))
        pos += 1
    return "".join(out)


def matching_files(root: Path, patterns: Sequence[str]) -> list[str]:
    """Files under ``root`` (relative posix paths) matched by the patterns; ``!p`` excludes.

    A pattern naming a folder matches the files below it; the last pattern that matches a file
    decides (as @actions/glob does). Ordered like GitHub's walk: folders depth-first, names
    sorted byte-wise.
    """
    compiled = [
        (p.strip().startswith("!"), glob_regex(p.strip().lstrip("!")))
        for p in patterns
        if p.strip() and not p.strip().startswith("#")
    ]
    found: list[str] = []
    for directory, subdirs, files in os.walk(root):
        subdirs.sort()
        for name in files:
            full = Path(directory, name)
            relative = full.relative_to(root).as_posix()
            chosen = False
            for negate, regex in compiled:
                if regex.match(relative):
                    chosen = not negate
            if chosen and full.is_file():
                found.append(relative)
    return sorted(found, key=lambda p: [part.encode() for part in p.split("/")])


def hash_files(root: Path, patterns: Sequence[str]) -> str:
    """GitHub's hashFiles(): sha256 over the sha256 digest of each matching file, '' if none."""
    total = hashlib.sha256()
    matched = False
    for relative in matching_files(root, patterns):
        digest = hashlib.sha256()
        with (root / relative).open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        total.update(digest.digest())
        matched = True
    return total.hexdigest() if matched else ""
