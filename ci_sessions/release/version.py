"""The version rules: how much each commit bumps, and the next PEP 440 version from the current one.

Levels follow Conventional Commits: ``feat`` -> minor; ``fix``/``perf`` -> patch; ``!`` or a
``BREAKING CHANGE:`` footer -> major. On 0.x a breaking change bumps the minor version and a
feature the minor version too (python-semantic-release's ``major_on_zero = false`` and
commitizen's ``major_version_zero = true`` agree on this); 1.0.0 is a deliberate ``--bump major``.
Pre-releases use PEP 440 spelling (``1.3.0rc1``) and count on like python-semantic-release's.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field

from packaging.version import Version

from ci_sessions.errors import UsageError
from ci_sessions.release.commits import Commit


class Level(enum.IntEnum):
    """How far a change moves the version; ordered, so the largest of several wins."""

    NONE = 0
    PATCH = 1
    MINOR = 2
    MAJOR = 3

    @classmethod
    def named(cls, name: str) -> Level:
        try:
            level = cls[name.upper()]
        except KeyError:
            level = cls.NONE
        if level is cls.NONE:
            raise UsageError(
                f"--bump {name}: not a version level", fix="use --bump major, minor or patch"
            )
        return level


#: PEP 440 pre-release labels and the spellings people type for them, in release order
PRE_LABELS: dict[str, str] = {
    "a": "a", "alpha": "a", "b": "b", "beta": "b", "rc": "rc", "c": "rc", "pre": "rc",
}  # fmt: skip
_PRE_ORDER = ("a", "b", "rc")


def pre_label(name: str) -> str:
    """The PEP 440 label for ``--pre NAME`` (``alpha`` -> ``a``); anything else is a usage error."""
    label = PRE_LABELS.get(name.lower())
    if label is None:
        raise UsageError(f"--pre {name}: not a pre-release label", fix="use --pre a, b or rc")
    return label


@dataclass(frozen=True)
class Rules:
    """Which commit types release at which level; the rest only appear in the changelog."""

    minor_types: frozenset[str] = field(default_factory=lambda: frozenset({"feat"}))
    patch_types: frozenset[str] = field(default_factory=lambda: frozenset({"fix", "perf"}))
    #: False (default): on 0.x a breaking change bumps the minor version, not to 1.0.0
    major_on_zero: bool = False

    def level_of(self, commit: Commit) -> Level:
        if not commit.conventional:
            return Level.NONE
        if commit.breaking:
            return Level.MAJOR
        if commit.type in self.minor_types:
            return Level.MINOR
        if commit.type in self.patch_types:
            return Level.PATCH
        return Level.NONE

    def level(self, commits: Iterable[Commit]) -> Level:
        return max((self.level_of(commit) for commit in commits), default=Level.NONE)

    def on_version(self, level: Level, current: Version) -> Level:
        """The 0.x rule: below 1.0.0 a breaking change is a minor bump unless major_on_zero."""
        if current.major == 0 and not self.major_on_zero and level is Level.MAJOR:
            return Level.MINOR
        return level


def release_tuple(version: Version) -> tuple[int, int, int]:
    parts = (*version.release, 0, 0)
    return parts[0], parts[1], parts[2]


def _bumped(release: tuple[int, int, int], level: Level) -> tuple[int, int, int]:
    major, minor, patch = release
    if level is Level.MAJOR:
        return major + 1, 0, 0
    if level is Level.MINOR:
        return major, minor + 1, 0
    return major, minor, patch + 1


def _distance(old: tuple[int, int, int], new: tuple[int, int, int]) -> Level:
    """The level a release from ``old`` to ``new`` already represents."""
    if new[0] != old[0]:
        return Level.MAJOR
    if new[1] != old[1]:
        return Level.MINOR
    return Level.PATCH if new[2] != old[2] else Level.NONE


def _make(release: tuple[int, int, int], pre: tuple[str, int] | None = None) -> Version:
    text = ".".join(map(str, release))
    return Version(f"{text}{pre[0]}{pre[1]}" if pre else text)


def next_version(
    current: Version, level: Level, *, pre: str | None = None, last_full: Version | None = None
) -> Version:
    """The version after ``current`` for a change of ``level``.

    ``current`` is the latest release the bump starts from (the latest pre-release of the same
    cycle when ``pre`` is asked for); ``last_full`` is the latest final release (0.0.0 if none).
    A new pre-release of a cycle that already covers ``level`` counts on (rc1 -> rc2); a larger
    change starts a new cycle from ``last_full`` (1.2.1rc1 + a feature -> 1.3.0rc1).
    """
    if level is Level.NONE:
        raise ValueError("next_version needs a level above NONE")
    label = pre_label(pre) if pre else None
    if label and current.pre is not None:
        base = last_full if last_full is not None else Version("0.0.0")
        if level <= _distance(release_tuple(base), release_tuple(current)):
            old_label, number = current.pre
            if label == old_label:
                return _make(release_tuple(current), (label, number + 1))
            if _PRE_ORDER.index(label) < _PRE_ORDER.index(old_label):
                raise UsageError(
                    f"--pre {pre}: {current} is already past the {label!r} stage",
                    fix=f"use --pre {old_label} (or a later label)",
                )
            return _make(release_tuple(current), (label, 1))
        return _make(_bumped(release_tuple(base), level), (label, 1))
    if current.pre is not None:
        # a final release after pre-releases: the cycle's version, or a larger bump of the last
        # final release when the change outgrew the cycle
        base = last_full if last_full is not None else Version("0.0.0")
        if level <= _distance(release_tuple(base), release_tuple(current)):
            return _make(release_tuple(current))
        current = base
    release = _bumped(release_tuple(current), level)
    return _make(release, (label, 1) if label else None)
