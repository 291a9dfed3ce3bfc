"""Checks across keys, run on the whole merged configuration by every command.

The schema says what type each key has; these rules say what the values must mean: a Python
version that exists and is supported, a requirement that parses, tiers that name checks or other
tiers and never include themselves, sessions and change categories that exist. Whatever a command goes
on to use, a value that could never work is a configuration error up front (exit 2), not a
failure of the one command that happens to read it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, cast

from ci_sessions.config.schema import OLDEST_PYTHON, Format
from ci_sessions.config.toml import TOOL_TABLE
from ci_sessions.errors import ConfigError, close_match

_PYTHON = re.compile(r"(\d+)\.(\d+)")
CATEGORIES = ("docs", "tests", "config", "ci", "source", "other")


def check_format(value: str, form: Format) -> str:
    """What is wrong with a string of the given format ("" when nothing is)."""
    if form == "python-version":
        return python_version_problem(value)
    if form == "requirement":
        from packaging.requirements import InvalidRequirement, Requirement

        try:
            Requirement(value)
        except InvalidRequirement as exc:
            return f"not a requirement specifier: {value!r} ({str(exc).splitlines()[0]})"
    return ""


def python_version_problem(value: str) -> str:
    """Why ``value`` is not a Python version a project can test on ("" when it is, or empty)."""
    if value == "":
        return ""
    match = _PYTHON.fullmatch(value)
    if match is None:
        return f"not a Python version: {value!r}"
    version = (int(match.group(1)), int(match.group(2)))
    if version < OLDEST_PYTHON:
        oldest = ".".join(map(str, OLDEST_PYTHON))
        return f"Python {value} is not supported (ci-sessions runs tests on {oldest} and newer)"
    return ""


def source_label(source: str) -> str:
    """How an error names where a value came from."""
    if source == "pyproject.toml":
        return f"pyproject.toml {TOOL_TABLE}"
    return "configs/quality-tiers.yaml" if source == "defaults" else source


#: how alike a new tier's name and a packaged tier's name may be before it reads as a typo
TYPO_LIKENESS = 0.8


def check_whole(
    merged: Mapping[str, Any],
    checks: set[str],
    sources: Mapping[str, str],
    packaged_tiers: Iterable[str] = (),
) -> None:
    """Every cross-key rule; the first problem found is raised as a ConfigError."""
    tiers = cast("Mapping[str, list[str]]", merged["tiers"])
    names = set(tiers) | checks
    packaged = set(packaged_tiers)

    def where(key: str) -> str:
        return source_label(sources.get(key, "defaults"))

    for tier, members in tiers.items():
        key = f"tiers.{tier}"
        if tier in checks:
            raise ConfigError(where(key), key, f"a tier cannot be named like the check {tier!r}")
        typo = None if tier in packaged else close_match(tier, packaged, TYPO_LIKENESS)
        if typo is not None:
            raise ConfigError(
                where(key),
                key,
                f"a new tier named like the tier {typo!r}: {typo!r} keeps its packaged checks",
                fix=f"to change {typo!r}, name it {typo!r}; for a tier of your own, choose a "
                "name less like it",
                suggestion=typo,
            )
        for member in members:
            if member not in names:
                raise ConfigError(
                    where(key),
                    key,
                    f"unknown check or tier {member!r}",
                    expected="one of " + ", ".join(sorted(names)),
                    suggestion=close_match(member, names),
                )
    for tier in tiers:
        _check_no_cycle(tiers, tier, (), where)
    check_session_names(
        cast("list[str]", merged["exclude"]), checks, set(tiers), where("exclude"), "exclude"
    )
    for name in cast("Mapping[str, str]", merged["session-names"]):
        key = f"session-names.{name}"
        if name not in names and name != "fix":
            raise ConfigError(
                where(key),
                key,
                f"unknown check or tier {name!r}",
                expected="one of " + ", ".join(sorted(names)),
                suggestion=close_match(name, names),
            )
    changes = cast("Mapping[str, Any]", merged["changes"])
    for category in cast("Mapping[str, list[str]]", changes["sessions"]):
        key = f"changes.sessions.{category}"
        if category not in CATEGORIES:
            raise ConfigError(
                where(key),
                key,
                f"unknown change category {category!r}",
                expected="one of " + ", ".join(CATEGORIES),
                suggestion=close_match(category, CATEGORIES),
            )
        # the sessions may be the noxfile's own (a `spelling` session beside ours): not checked
    release = cast("Mapping[str, Any]", merged.get("release", {}))
    message = release.get("commit-message")
    if isinstance(message, str) and "{version}" not in message:
        key = "release.commit-message"
        raise ConfigError(
            where(key),
            key,
            "must contain {version}",
            fix='e.g. commit-message = "release: {version}"',
        )


def check_session_names(
    wanted: Iterable[str], checks: set[str], tiers: set[str], source: str, key: str
) -> None:
    """Each name is a session ``register()`` defines: a check, a tier, ``fix`` or ``check-3.X``."""
    names = checks | tiers | {"fix"}
    for name in wanted:
        if name in names or _is_python_session(name, checks):
            continue
        raise ConfigError(
            source,
            key,
            f"unknown session {name!r}",
            expected="one of " + ", ".join(sorted(names)) + " (or a per-Python session)",
            suggestion=close_match(name, names),
        )


def _is_python_session(name: str, checks: set[str]) -> bool:
    base, _, version = name.rpartition("-")
    return base in checks and _PYTHON.fullmatch(version) is not None


def _check_no_cycle(
    tiers: Mapping[str, list[str]],
    tier: str,
    stack: tuple[str, ...],
    where: Callable[[str], str],
) -> None:
    if tier in stack:
        cycle = " -> ".join([*stack, tier])
        key = f"tiers.{stack[0]}"
        raise ConfigError(where(key), key, f"tiers include each other: {cycle}")
    for member in tiers.get(tier, []):
        if member in tiers:
            _check_no_cycle(tiers, member, (*stack, tier), where)
