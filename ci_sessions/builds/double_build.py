"""The double build: sdist + wheel built twice from separate clean copies, sha256 compared.

Both copies hold the tracked files only, with file times a day apart and created in opposite
orders (as two checkouts on two machines would be); both builds get ``SOURCE_DATE_EPOCH`` = the
HEAD commit time. The builds run one after the other, the second started in a later second of
the clock: two builds at once read the same time, and a build that stamps it to the second (or,
by chance, to the microsecond) matched itself and passed. Equal hashes: reproducible. Otherwise
every differing archive member is named with how it differs (see archdiff). The result is plain
data for a gate and the evidence pack.
"""

from __future__ import annotations

import math
import shutil
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ci_sessions._fs import remove_tree, state_dir
from ci_sessions._git import head_facts
from ci_sessions.builds.archdiff import MemberDiff, diff_archives
from ci_sessions.builds.builder import (
    BuildSettings,
    Built,
    build,
    commit_epoch,
    copy_tracked,
    scm_version,
)
from ci_sessions.builds.dists import sha256
from ci_sessions.builds.sources import detect
from ci_sessions.errors import CiSessionsError, ConfigError

REPRODUCIBLE = "reproducible"
NOT_REPRODUCIBLE = "not-reproducible"
ERROR = "error"
#: the second copy's file times, this many seconds before the first's
MTIME_SHIFT = 86_400
#: past the next second's start, in seconds (a clock read just after it must be in it)
CLOCK_MARGIN = 0.01
#: what to say when an archive differs only in the file times of its members
TIMES_ONLY_HINT = (
    "only file times differ: the build backend writes each file's modification time into the "
    "archive instead of clamping it to SOURCE_DATE_EPOCH (setuptools' sdist does; hatchling, "
    "flit-core and pdm-backend clamp). Two checkouts give two archives. The check warns; "
    "to accept it set [tool.ci-sessions.reproducible] max-differing = 1, or build the sdist "
    "with a backend that clamps file times"
)


@dataclass(frozen=True)
class ArtifactHashes:
    name: str
    first: str
    second: str
    size: int

    @property
    def identical(self) -> bool:
        return self.first == self.second

    def to_json(self) -> dict[str, object]:
        return {"name": self.name, "sha256": self.first, "second_sha256": self.second,
                "size": self.size, "identical": self.identical}  # fmt: skip


@dataclass
class ReproResult:
    verdict: str
    commit: str = ""
    epoch: int = 0
    artifacts: list[ArtifactHashes] = field(default_factory=lambda: [])
    tools: dict[str, str] = field(default_factory=lambda: {})
    differences: list[MemberDiff] = field(default_factory=lambda: [])
    error: str = ""
    seconds: float = 0.0
    #: where both builds' files were kept (relative to the project root)
    kept: str = ""

    @property
    def reproducible(self) -> bool:
        return self.verdict == REPRODUCIBLE

    def times_only(self) -> list[str]:
        """The differing archives whose every difference is a file time (``mtime``)."""
        by_archive: dict[str, set[str]] = {}
        for diff in self.differences:
            by_archive.setdefault(diff.archive, set()).add(diff.how)
        return sorted(name for name, kinds in by_archive.items() if kinds == {"mtime"})

    def to_json(self) -> dict[str, object]:
        return {
            "verdict": self.verdict,
            "commit": self.commit,
            "source_date_epoch": self.epoch,
            "artifacts": [a.to_json() for a in self.artifacts],
            "tools": dict(self.tools),
            "differences": [d.to_json() for d in self.differences],
            "error": self.error,
            "seconds": round(self.seconds, 2),
            "kept": self.kept,
            "times_only": self.times_only(),
        }

    def render(self, limit: int = 20) -> str:
        lines = [f"double build: {self.verdict} ({self.seconds:.1f} s, SOURCE_DATE_EPOCH={self.epoch})"]  # fmt: skip
        if self.error:
            lines.append(self.error)
        for artifact in self.artifacts:
            mark = "==" if artifact.identical else "!="
            lines.append(f"  {artifact.name}: {artifact.first[:16]} {mark} {artifact.second[:16]}")
        if self.tools:
            lines.append("  tools: " + ", ".join(f"{k} {v}" for k, v in sorted(self.tools.items())))
        times_only = self.times_only()
        for archive in times_only:
            count = sum(1 for d in self.differences if d.archive == archive)
            lines.append(f"  differs: {archive}: {count} member(s), in their file times only")
        shown = [d for d in self.differences if d.archive not in times_only]
        for diff in shown[:limit]:
            lines.append(f"  differs: {diff.render()}")
        if len(shown) > limit:
            lines.append(f"  ... and {len(shown) - limit} more differences")
        if times_only:
            lines.append(f"  hint: {', '.join(times_only)}: {TIMES_ONLY_HINT}")
        if self.kept:
            lines.append(f"  both builds kept in {self.kept}")
        return "\n".join(lines)


def _compare(first: Built, second: Built) -> tuple[list[ArtifactHashes], list[MemberDiff]]:
    by_name = {path.name: path for path in second.files}
    artifacts: list[ArtifactHashes] = []
    diffs: list[MemberDiff] = []
    for path in first.files:
        other = by_name.pop(path.name, None)
        if other is None:
            diffs.append(MemberDiff(path.name, "(file)", "only-in-first"))
            continue
        pair = ArtifactHashes(path.name, sha256(path), sha256(other), path.stat().st_size)
        artifacts.append(pair)
        if not pair.identical:
            found = diff_archives(path, other, path.name)
            diffs += found or [
                MemberDiff(path.name, "(archive headers)", "content",
                           "bytes differ outside the members (extra fields, comment, compression)")
            ]  # fmt: skip
    diffs += [MemberDiff(name, "(file)", "only-in-second") for name in by_name]
    return artifacts, diffs


def check(
    root: Path,
    settings: BuildSettings,
    pyproject: Mapping[str, object],
    *,
    env: Mapping[str, str] | None = None,
) -> ReproResult:
    """Build twice and compare; a build failure is verdict ``error`` with the build's log.

    ``env`` is the builds' environment (this process's when None)."""
    started = time.monotonic()
    commit, _ = head_facts(root)
    result = ReproResult(verdict=ERROR, commit=commit)
    work = Path(tempfile.mkdtemp(prefix="ci-sessions-double-build-"))
    try:
        result.epoch = commit_epoch(root)
        scm = scm_version(root, settings.tag_prefix) if _from_vcs(root, settings, pyproject) else ""
        now = time.time()
        trees = [work / "first" / "src", work / "second" / "src"]
        copy_tracked(root, trees[0], mtime=now)
        copy_tracked(root, trees[1], mtime=now - MTIME_SHIFT, reverse=True)

        def build_copy(tree: Path) -> Built:
            return build(tree, tree.parent / "dist", epoch=result.epoch,
                         builder=settings.builder, scm=scm, env=env)  # fmt: skip

        first = build_copy(trees[0])
        _into_the_next_second()
        second = build_copy(trees[1])
        result.tools = first.tools
        result.artifacts, result.differences = _compare(first, second)
        result.verdict = NOT_REPRODUCIBLE if result.differences else REPRODUCIBLE
        result.kept = _keep(root, first, second)
    except CiSessionsError as exc:
        result.error = exc.render()
    finally:
        remove_tree(work, within=work)
        result.seconds = time.monotonic() - started
    return result


def _into_the_next_second() -> None:
    """Wait until the clock's second has changed: every time the second build reads is later
    than any the first read, to the second, so a build that stamps the time differs."""
    now = time.time()
    time.sleep(math.floor(now) + 1 - now + CLOCK_MARGIN)


def _from_vcs(root: Path, settings: BuildSettings, pyproject: Mapping[str, object]) -> bool:
    """Whether the backend takes the version from git (then the copies need it told)."""
    try:
        return detect(root, pyproject, settings.version_source).kind == "tag"
    except ConfigError:
        return False  # a version source release cannot write still builds


def _keep(root: Path, first: Built, second: Built) -> str:
    """Copy both builds under .ci-sessions/double-build/ for a person (or the pack) to inspect."""
    state = state_dir(root)
    kept = state / "double-build"
    remove_tree(kept, within=state)
    for label, built in (("first", first), ("second", second)):
        (kept / label).mkdir(parents=True)
        for path in built.files:
            shutil.copy2(path, kept / label / path.name)
    return kept.relative_to(root).as_posix()
