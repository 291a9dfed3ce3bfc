"""gitignore-style path patterns, the same on every Python (``PurePath.full_match`` is 3.13+).

A pattern without ``/`` matches a file name at any depth (``*.md``); a pattern with ``/`` matches
from the project root (``docs/**``); ``**`` spans any number of folders; ``dir/**`` matches
everything below ``dir``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable


def translate(pattern: str) -> str:
    """The regular expression of one pattern (matched against a whole relative posix path)."""
    pattern = pattern.strip().lstrip("/")
    anchored = "/" in pattern.rstrip("/")
    if pattern.endswith("/"):
        pattern += "**"
    out: list[str] = [] if anchored else ["(?:.*/)?"]
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if pattern.startswith("**/", index):
            out.append("(?:.*/)?")
            index += 3
        elif pattern.startswith("**", index):
            out.append(".*")
            index += 2
        elif char == "*":
            out.append("[^/]*")
            index += 1
        elif char == "?":
            out.append("[^/]")
            index += 1
        elif char == "[":
            end = pattern.find("]", index + 1)
            if end == -1:
                out.append(re.escape(char))
                index += 1
            else:
                body = pattern[index + 1 : end].replace("\\", "\\\\")
                if body.startswith("!"):
                    body = "^" + body[1:]
                out.append(f"[{body}]")
                index = end + 1
        else:
            out.append(re.escape(char))
            index += 1
    return "".join(out)


class PathMatcher:
    """A set of patterns compiled into one regular expression."""

    def __init__(self, patterns: Iterable[str]) -> None:
        self.patterns = [p for p in patterns if p.strip()]
        joined = "|".join(f"(?:{translate(p)})" for p in self.patterns)
        self._regex = re.compile(f"^(?:{joined})$") if joined else None

    def match(self, path: str) -> bool:
        return self._regex is not None and self._regex.match(path) is not None

    def first(self, path: str) -> str | None:
        """The first pattern that matches ``path`` (for messages), or None."""
        if not self.match(path):
            return None
        return next(p for p in self.patterns if re.match(f"^(?:{translate(p)})$", path))
