"""Version tags: which tags reachable from HEAD name a release, and the latest final/pre release.

A tag is ``<prefix><PEP 440 version>`` (``v1.2.3``, ``v1.3.0rc1``); with the default prefix ``v``
(or an empty one) a bare ``1.2.3`` counts too, so projects that tag either way are read alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from packaging.version import Version

from ci_sessions._git import git
from ci_sessions.release.version import parse_version


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
    """Version tags merged into HEAD, highest version first."""
    out = git(root, "tag", "--merged", "HEAD", "--list", what="version tags")
    tags: list[VersionTag] = []
    for name in out.split():
        version = version_of_tag(name, prefix)
        if version is not None:
            tags.append(VersionTag(name, version))
    return sorted(tags, key=lambda tag: tag.version, reverse=True)


def latest_final(tags: list[VersionTag]) -> VersionTag | None:
    return next((tag for tag in tags if tag.version.pre is None), None)


def latest_pre(tags: list[VersionTag], final: VersionTag | None) -> VersionTag | None:
    """The newest pre-release above the latest final release (the open pre-release cycle)."""
    floor = final.version if final else None
    for tag in tags:
        if tag.version.pre is not None and (floor is None or tag.version > floor):
            return tag
    return None
