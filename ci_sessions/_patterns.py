"""The one path-pattern matcher: every path pattern a user writes (change categories, the format
gate's ``include``, an allow-list entry's ``path``, ...) has exactly git's ``.gitignore``
semantics (pathspec's ``GitIgnoreSpec``).

A pattern without ``/`` matches a name at any depth (``*.md``, ``docs``), and a directory it
matches takes everything below it (``docs`` matches ``docs/a.md``); a pattern with ``/``
matches from the project root (``docs/**``, ``/setup.py``); ``**`` spans folders; ``\\*``
escapes; ``!pattern`` re-includes what an earlier pattern matched, and the last matching
pattern decides. ``tests/unit/test_patterns.py`` checks each case against ``git check-ignore``.
Names that are not paths (environment variables, benchmark names) are matched with ``fnmatch``
where they are read.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathspec import GitIgnoreSpec


class PathMatcher:
    """A list of patterns, matched against relative posix paths of files."""

    def __init__(self, patterns: Iterable[str]) -> None:
        # imported here: pathspec (with typing_extensions) costs 65 ms, which every session's
        # start would pay for the checks that import this module
        from pathspec import GitIgnoreSpec

        self.patterns = [p.strip() for p in patterns if p.strip()]
        self._spec: GitIgnoreSpec = GitIgnoreSpec.from_lines(self.patterns)

    def match(self, path: str) -> bool:
        return bool(self.patterns) and self._spec.match_file(path)

    def first(self, path: str) -> str | None:
        """The pattern that decided that ``path`` matches (for messages), or None."""
        if not self.patterns:
            return None
        checked = self._spec.check_file(path)
        if not checked.include or checked.index is None:
            return None
        return self.patterns[checked.index]
