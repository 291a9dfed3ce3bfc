"""Requirement lines (PEP 508) read with packaging, never with a regular expression: which
distribution a line names (normalised as PEP 503 says: ``Foo_Bar`` is ``foo-bar``), its version
pin, and a project's PEP 735 dependency groups resolved by the ``dependency-groups`` package."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import cast

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from ci_sessions.errors import ConfigError

#: pip's per-requirement options after a requirement in a requirements file (``--hash=...``)
_PIP_OPTIONS = re.compile(r"\s--")


def parse_requirement(line: str) -> Requirement | None:
    """The requirement ``line`` states, or None for what is not one (an option, a typo)."""
    text = _PIP_OPTIONS.split(line, maxsplit=1)[0].strip()
    try:
        return Requirement(text)
    except InvalidRequirement:
        return None


def requirement_name(line: str) -> str | None:
    """The PEP 503 name of the distribution ``line`` requires, or None when it is not one."""
    requirement = parse_requirement(line)
    return canonicalize_name(requirement.name) if requirement is not None else None


def pinned_spec(line: str, name: str) -> str | None:
    """``name`` and the version specifier ``line`` gives it (``ruff==0.5.0``), or None when the
    line names another distribution, a URL, or no version."""
    requirement = parse_requirement(line)
    if requirement is None or requirement.url or canonicalize_name(requirement.name) != name:
        return None
    specifier = str(requirement.specifier)
    return f"{name}{specifier}" if specifier else None


def dependency_group(groups: Mapping[str, object], name: str, *, source: str) -> list[str] | None:
    """The requirements of PEP 735 group ``name`` with every ``include-group`` resolved, or None
    when no group has that name; a cycle or a malformed group is a ConfigError naming it."""
    from dependency_groups import CyclicDependencyError, resolve  # 10 ms, needed by few runs

    wanted = canonicalize_name(name)
    if not any(canonicalize_name(str(key)) == wanted for key in groups):
        return None
    try:
        # resolve() checks each group's shape itself (a TypeError or ValueError below)
        return list(resolve(cast("Mapping[str, Sequence[str | Mapping[str, str]]]", groups), name))
    except CyclicDependencyError as error:
        raise ConfigError(
            source, f"dependency-groups.{name}", f"includes itself: {error}",
            fix="remove one `include-group` of the cycle",
        ) from None  # fmt: skip
    except (LookupError, TypeError, ValueError) as error:
        raise ConfigError(source, f"dependency-groups.{name}", str(error).splitlines()[0]) from None
