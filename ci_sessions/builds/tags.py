"""Version tags: which tags reachable from HEAD name a release, and the latest final/pre release.

A tag is ``<prefix><PEP 440 version>`` (``v1.2.3``, ``v1.3.0rc1``); with the default prefix ``v``
(or an empty one) a bare ``1.2.3`` counts too, so projects that tag either way are read alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from packaging.version import InvalidVersion, Version

from ci_sessions._git import git, git_status, try_git
from ci_sessions.errors import ConfigError, UsageError


def parse_version(text: str) -> Version | None:
    """A release version (``1.2.3``, ``1.3.0rc1``), or None for anything else (dev, local, junk)."""
    try:
        version = Version(text)
    except InvalidVersion:
        return None
    if version.is_devrelease or version.local is not None or version.epoch:
        return None
    return version


@dataclass(frozen=True)
class VersionTag:
    name: str
    version: Version


def tag_name(prefix: str, version: Version) -> str:
    return f"{prefix}{version}"


def version_of_tag(name: str, prefix: str) -> Version | None:
    """The version a tag names under ``prefix``, or None when it is not a version tag."""
    prefixes = [prefix, ""] if prefix in ("", "v") else [prefix]
    for candidate in dict.fromkeys(prefixes):
        if name.startswith(candidate):
            version = parse_version(name[len(candidate) :])
            if version is not None:
                return version
    return None


def reachable_tags(root: Path, prefix: str) -> list[VersionTag]:
    """Version tags merged into HEAD, highest version first.

    Two tags naming one version (``1.2.3`` and ``v1.2.3``) on different commits make "the
    commits since the release" ambiguous: a UsageError naming both. On the same commit they are
    one release (the one with the prefix is used)."""
    out = git(
        root, "for-each-ref", "--merged", "HEAD", "--format=%(refname:strip=2)%00%(objectname)%00%(*objectname)",
        "refs/tags", what="version tags", fix=_TAG_FIX,
    )  # fmt: skip
    by_version: dict[Version, list[tuple[str, str]]] = {}
    for line in out.splitlines():
        name, _, rest = line.partition("\0")
        tagged, _, peeled = rest.partition("\0")
        version = version_of_tag(name, prefix)
        if version is not None:
            by_version.setdefault(version, []).append((name, peeled or tagged))
    tags: list[VersionTag] = []
    for version, named in by_version.items():
        if len({commit for _, commit in named}) > 1:
            listed = " and ".join(f"{name} ({commit[:7]})" for name, commit in sorted(named))
            raise UsageError(
                f"both tags {listed} name version {version}, on different commits: which "
                "release the next one follows is ambiguous",
                fix="delete the tag that is wrong (git tag -d NAME, and git push --delete origin NAME)",
            )
        preferred = sorted(named, key=lambda item: not item[0].startswith(prefix) or not prefix)
        tags.append(VersionTag(preferred[0][0], version))
    return sorted(tags, key=lambda tag: tag.version, reverse=True)


_TAG_FIX = "check the tags with `git tag --list` (and fetch them: git fetch --tags)"


def check_tag_name(root: Path, tag: str, prefix: str) -> None:
    """Refuse, before anything is written, a tag name git would refuse (``release v1.2.4``)."""
    code, _, _ = git_status(root, "check-ref-format", f"refs/tags/{tag}")
    if code != 0:
        raise ConfigError(
            "pyproject.toml [tool.ci-sessions.release]", "tag-prefix",
            f"{prefix!r} makes {tag!r}, which is not a valid tag name for git "
            "(no spaces, `..`, `~^:?*[\\`, a component ending in `.lock`, ...)",
            fix='use a prefix such as "v" or "mypkg-v"',
        )  # fmt: skip


def existing_tag(root: Path, prefix: str, version: Version) -> str | None:
    """A tag that already names ``version`` (any branch), in either spelling the prefix reads."""
    spellings = ["v", ""] if prefix in ("", "v") else [prefix]
    for candidate in (f"{spelling}{version}" for spelling in spellings):
        if try_git(root, "rev-parse", "--verify", "--quiet", f"refs/tags/{candidate}") is not None:
            return candidate
    return None


def latest_final(tags: list[VersionTag]) -> VersionTag | None:
    return next((tag for tag in tags if tag.version.pre is None), None)


def latest_pre(tags: list[VersionTag], final: VersionTag | None) -> VersionTag | None:
    """The newest pre-release above the latest final release (the open pre-release cycle)."""
    floor = final.version if final else None
    for tag in tags:
        if tag.version.pre is not None and (floor is None or tag.version > floor):
            return tag
    return None
