"""A local advisory directory in the OSV format, matched against resolved versions with PEP 440.

For air-gapped machines and tests: the PyPA advisory database (``vulns/<pkg>/PYSEC-*.yaml``) or
any tree of OSV ``.json`` / ``.yaml`` files. Only ``PyPI`` packages are considered; ``ECOSYSTEM``
ranges (introduced / fixed / last_affected / limit events) and explicit ``versions`` lists match.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name

from ci_sessions.checks import tooljson
from ci_sessions.errors import ConfigError

SUFFIXES = (".json", ".yaml", ".yml")


@dataclass(frozen=True)
class Advisory:
    """One OSV advisory narrowed to one affected PyPI package."""

    id: str
    aliases: tuple[str, ...]
    package: str  # normalized name
    summary: str
    severity: str  # LOW / MODERATE / HIGH / CRITICAL, or "" when the advisory states none
    ranges: tuple[tuple[tuple[str, str], ...], ...]  # per ECOSYSTEM range: (event, version) pairs
    versions: tuple[str, ...]
    source: str  # file, relative to the advisory directory

    def fixed_versions(self) -> list[str]:
        return sorted(
            {v for events in self.ranges for kind, v in events if kind == "fixed"}, key=_sort_key
        )

    def affects(self, version: str) -> bool:
        """Whether ``version`` of the package is affected (PEP 440 comparison)."""
        from packaging.version import InvalidVersion, Version

        try:
            wanted = Version(version)
        except InvalidVersion:
            return version in self.versions
        for listed in self.versions:
            try:
                if Version(listed) == wanted:
                    return True
            except InvalidVersion:
                continue
        return any(_in_range(wanted, events) for events in self.ranges)


@dataclass(frozen=True)
class Match:
    advisory: Advisory
    package: str
    version: str


def load_directory(
    directory: Path, *, source: str = "pyproject.toml", key: str = "audit.advisories"
) -> list[Advisory]:
    """Every PyPI advisory under ``directory``; a missing directory or bad file is a ConfigError."""
    if not directory.is_dir():
        what = "is a file, not a directory" if directory.exists() else "does not exist"
        raise ConfigError(
            source,
            key,
            f"advisory directory {directory} {what}",
            fix="name a directory of OSV advisories (.json/.yaml files) or correct the path",
        )
    advisories: list[Advisory] = []
    files = sorted(p for p in directory.rglob("*") if p.suffix in SUFFIXES and p.is_file())
    if not files:
        raise ConfigError(
            source,
            key,
            f"advisory directory {directory} holds no OSV advisories (.json, .yaml or .yml files)",
            fix="point it at a copy of an OSV database, e.g. the PyPA advisory-database's vulns/",
        )
    for path in files:
        document = _read(path, directory, source, key)
        if document is None:
            raise ConfigError(
                source,
                key,
                f"{path.relative_to(directory).as_posix()} is not an OSV advisory "
                "(a JSON/YAML mapping with an id)",
                fix="fix or remove the file",
            )
        try:
            advisories.extend(parse(document, path.relative_to(directory).as_posix()))
        except ValueError as exc:
            raise ConfigError(source, key, str(exc), fix="fix or remove the file") from None
    return advisories


def parse(document: Mapping[str, object], source: str = "") -> list[Advisory]:
    """The PyPI entries of one OSV document (one per affected package).

    A member that says what is affected (``affected``, ``package``, ``ranges``, ``events``,
    ``versions``) of another type is a ``ValueError`` naming it: read wrongly, an affected
    version would pass the audit.
    """
    ident = tooljson.text(document, "id").strip()
    if not ident:
        return []
    where = f"{source or 'advisory'} ({ident})"
    aliases = tuple(_scalars(document, "aliases", where))
    summary = (
        (tooljson.text(document, "summary") or tooljson.text(document, "details"))
        .strip()
        .splitlines()
    )
    severity = _severity(document)
    found: list[Advisory] = []
    for n, raw in enumerate(_list(document, "affected", where)):
        at = f"{where}: affected[{n}]"
        affected = tooljson.as_object(raw, at)
        package = _object(affected, "package", at)
        name = tooljson.text(package, "name")
        if tooljson.text(package, "ecosystem").split(":")[0] != "PyPI" or not name:
            continue
        ranges: list[tuple[tuple[str, str], ...]] = []
        for m, raw_range in enumerate(_list(affected, "ranges", at)):
            item = tooljson.as_object(raw_range, f"{at}: ranges[{m}]")
            if item.get("type") == "ECOSYSTEM":
                ranges.append(_events(item, f"{at}: ranges[{m}]"))
        found.append(
            Advisory(
                id=ident,
                aliases=aliases,
                package=canonicalize_name(name),
                summary=summary[0] if summary else "",
                severity=severity,
                ranges=tuple(ranges),
                versions=tuple(_scalars(affected, "versions", at)),
                source=source,
            )
        )
    return found


def _events(item: Mapping[str, object], where: str) -> tuple[tuple[str, str], ...]:
    events: list[tuple[str, str]] = []
    for k, raw_event in enumerate(_list(item, "events", where)):
        event = tooljson.as_object(raw_event, f"{where}: events[{k}]")
        for kind in ("introduced", "fixed", "last_affected", "limit"):
            if kind in event:
                events.append((kind, _scalar(event[kind], f"{where}: events[{k}].{kind}")))
    return tuple(events)


def _list(data: Mapping[str, object], key: str, where: str) -> list[object]:
    value = data.get(key)
    return tooljson.as_list(value, f"{where}: {key}") if value else []


def _object(data: Mapping[str, object], key: str, where: str) -> tooljson.JsonObject:
    value = data.get(key)
    return tooljson.as_object(value, f"{where}: {key}") if value else {}


def _scalar(value: object, where: str) -> str:
    """A version or a name as text (YAML reads ``1.0`` as a number)."""
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return str(value)
    raise ValueError(f"{where}: expected a version, got {type(value).__name__}")


def _scalars(data: Mapping[str, object], key: str, where: str) -> list[str]:
    return [_scalar(v, f"{where}: {key}[{n}]") for n, v in enumerate(_list(data, key, where))]


def match(advisories: Iterable[Advisory], installed: Mapping[str, str]) -> list[Match]:
    """Advisories that affect the installed versions (``installed``: name -> version)."""
    by_name: dict[str, tuple[str, str]] = {
        canonicalize_name(name): (name, version) for name, version in installed.items()
    }
    matches: list[Match] = []
    for advisory in advisories:
        hit = by_name.get(advisory.package)
        if hit is not None and advisory.affects(hit[1]):
            matches.append(Match(advisory, hit[0], hit[1]))
    return sorted(matches, key=lambda m: (canonicalize_name(m.package), m.advisory.id))


def _in_range(version: Any, events: tuple[tuple[str, str], ...]) -> bool:
    """OSV range evaluation: affected from an ``introduced`` up to ``fixed``/``limit`` (exclusive)
    or ``last_affected`` (inclusive); events are applied in version order."""
    from packaging.version import InvalidVersion, Version

    parsed: list[tuple[Any, int, str]] = []
    for kind, raw in events:
        if raw == "0":
            point: Any = None  # before every version
        else:
            try:
                point = Version(raw)
            except InvalidVersion:
                continue
        parsed.append(
            (point, {"introduced": 0, "fixed": 1, "last_affected": 1, "limit": 1}[kind], kind)
        )
    parsed.sort(key=lambda item: (item[0] is not None, item[0] or Version("0"), item[1]))
    affected = False
    for point, _order, kind in parsed:
        if kind == "introduced":
            if point is None or version >= point:
                affected = True
        elif kind in ("fixed", "limit"):
            if point is not None and version >= point:
                affected = False
        elif kind == "last_affected" and point is not None and version > point:
            affected = False
    return affected


def _severity(document: Mapping[str, object]) -> str:
    word = tooljson.text(tooljson.member(document, "database_specific"), "severity").upper()
    return word if word in ("LOW", "MODERATE", "MEDIUM", "HIGH", "CRITICAL") else ""


def _sort_key(version: str) -> tuple[int, Any]:
    from packaging.version import InvalidVersion, Version

    try:
        return (0, Version(version))
    except InvalidVersion:
        return (1, version)


def _read(path: Path, directory: Path, source: str, key: str) -> tooljson.JsonObject | None:
    data: object
    try:
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".json":
            data = json.loads(text)
        else:
            import yaml

            data = yaml.safe_load(text)
    except (OSError, ValueError) as exc:
        raise ConfigError(
            source,
            key,
            f"cannot read advisory {path.relative_to(directory).as_posix()}: {exc}",
            fix="fix or remove the file (OSV JSON or YAML expected)",
        ) from None
    except Exception as exc:  # yaml.YAMLError without importing yaml at module level
        raise ConfigError(
            source, key, f"cannot read advisory {path.relative_to(directory).as_posix()}: {exc}"
        ) from None
    return data if tooljson.is_object(data) else None
