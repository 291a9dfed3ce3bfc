"""The release plan: the last version tag, the commits since, the level, the next version.

Mirrors python-semantic-release's walk: a final release counts the commits since the last final
release; a pre-release counts those since the open pre-release cycle's latest tag (so rc1 ->
rc2 needs a releasable commit after rc1). With no version tag the base is the version the
project declares (0.0.0 when it declares none) and every commit counts.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from packaging.version import Version

from ci_sessions.builds.sources import VersionSource
from ci_sessions.builds.tags import (
    check_tag_name,
    existing_tag,
    latest_final,
    latest_pre,
    reachable_tags,
    tag_name,
)
from ci_sessions.errors import UsageError
from ci_sessions.release.commits import Commit, commits_since
from ci_sessions.release.version import Level, Rules, next_version

ZERO = Version("0.0.0")


@dataclass(frozen=True)
class Plan:
    """What ``release`` would do; ``version`` is None when there is nothing to release."""

    base: Version
    base_tag: str | None
    commits: tuple[Commit, ...]
    level: Level
    version: Version | None
    tag: str
    reason: str

    def summary(self) -> str:
        counts = Counter(commit.type or "other" for commit in self.commits)
        kinds = ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items()))
        since = f"since {self.base_tag}" if self.base_tag else "in the history (no version tag)"
        return f"{len(self.commits)} commit(s) {since}" + (f" ({kinds})" if kinds else "")


def make_plan(
    root: Path,
    source: VersionSource,
    *,
    prefix: str,
    rules: Rules,
    bump: str | None = None,
    pre: str | None = None,
) -> Plan:
    tags = reachable_tags(root, prefix)
    final = latest_final(tags)
    cycle = latest_pre(tags, final) if pre else None
    start = cycle or final
    commits = tuple(commits_since(root, start.name if start else None))
    declared = source.current or ZERO
    last_full = final.version if final else (declared if declared.pre is None else ZERO)
    base = start.version if start else declared
    if bump:
        level = Level.named(bump)
        why = f"--bump {bump}"
    else:
        level = rules.on_version(rules.level(commits), base)
        why = f"{level.name.lower()} from the commits"
    if level is Level.NONE:
        reason = (
            f"nothing to release: no commit since {start.name}"
            if start and not commits
            else "nothing to release: no feat, fix, perf or breaking commit "
            + (f"since {start.name}" if start else "in the history")
        )
        return Plan(base, start.name if start else None, commits, level, None, "", reason)
    version = next_version(base, level, pre=pre, last_full=last_full)
    tag = tag_name(prefix, version)
    check_tag_name(root, tag, prefix)
    existing = existing_tag(root, prefix, version)
    if existing is not None:
        raise UsageError(
            f"the tag {existing} already exists (not reachable from HEAD): {version} was released",
            fix="release from the branch that has it, or choose another version with --bump",
        )
    return Plan(base, start.name if start else None, commits, level, version, tag, why)
