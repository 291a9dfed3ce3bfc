"""Which Python versions a project tests: configured, from its classifiers, or from its
``requires-python`` limited to the Pythons found here; and the one its tiers run on.

Where an interpreter is, is not asked here: :mod:`ci_sessions._interpreters` is the one
discovery (python-discovery underneath, nothing downloaded).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ci_sessions._interpreters import current, discover_interpreter, find_interpreter
from ci_sessions.config.schema import OLDEST_PYTHON

if TYPE_CHECKING:
    from ci_sessions.config.loader import Config

_VERSION = re.compile(r"^(\d+)\.(\d+)$")
#: The newest CPython release line a requires-python range is expanded to.
NEWEST_KNOWN = (3, 15)


def parse_version(version: str) -> tuple[int, int]:
    match = _VERSION.match(version.strip())
    if not match:
        raise ValueError(f"not a MAJOR.MINOR Python version: {version!r}")
    return int(match.group(1)), int(match.group(2))


def declared_versions(configured: list[str], pyproject: dict[str, object]) -> tuple[list[str], str]:
    """The Python versions to test and where they came from.

    Explicit config wins; then the project's ``Programming Language :: Python :: 3.X``
    classifiers; then ``requires-python`` expanded up to the newest known release and limited to
    interpreters that exist here. Falls back to the running Python. A Python older than
    ci-sessions tests on (``OLDEST_PYTHON``) is never derived: it would be refused as a setting.
    """
    if configured:
        return _sorted_unique(configured), "[tool.ci-sessions] python"
    project = pyproject.get("project")
    if isinstance(project, dict):
        classifiers = [str(c) for c in project.get("classifiers", []) or []]  # pyright: ignore[reportUnknownVariableType, reportUnknownMemberType, reportUnknownArgumentType]
        from_classifiers = [
            m.group(1)
            for c in classifiers
            if (m := re.fullmatch(r"Programming Language :: Python :: (\d+\.\d+)", c.strip()))
            and parse_version(m.group(1)) >= OLDEST_PYTHON
        ]
        if from_classifiers:
            return _sorted_unique(from_classifiers), "classifiers"
        requires = project.get("requires-python")  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]
        if isinstance(requires, str) and requires.strip():
            allowed = _expand_requires_python(requires)
            existing = [v for v in allowed if find_interpreter(v) is not None]
            if existing:
                return existing, "requires-python (interpreters found here)"
    return [current()], "the running Python"


def _expand_requires_python(spec: str) -> list[str]:
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    try:
        specifier = SpecifierSet(spec)
    except InvalidSpecifier:
        return []
    versions: list[str] = []
    for minor in range(OLDEST_PYTHON[1], NEWEST_KNOWN[1] + 1):  # never one tests cannot run on
        # a minor line is allowed when its first patch release satisfies the range
        if specifier.contains(f"3.{minor}.0", prereleases=True) or specifier.contains(
            f"3.{minor}.99", prereleases=True
        ):
            versions.append(f"3.{minor}")
    return versions


def _sorted_unique(versions: list[str]) -> list[str]:
    unique = {v.strip() for v in versions if v.strip()}
    try:
        return sorted(unique, key=parse_version)
    except ValueError:
        return sorted(unique)


def default_version(declared: list[str], configured: str = "") -> str:
    """The Python tier sessions run on: config, else the running one, else the newest found."""
    if configured:
        return configured
    if current() in declared:
        return current()
    for version in reversed(declared):
        if find_interpreter(version) is not None:
            return version
    return current()


def found_here() -> list[str]:
    """The MAJOR.MINOR Pythons this machine has that tests can run on, oldest first."""
    major, newest = NEWEST_KNOWN
    return [
        f"{major}.{m}"
        for m in range(OLDEST_PYTHON[1], newest + 1)
        if find_interpreter(f"{major}.{m}")
    ]


def require_default_python(config: Config) -> None:
    """A configured ``default-python`` this machine lacks is a configuration error.

    Every tier runs on it, so each row would be SKIP ("not found") and the run would check
    nothing; unless ``download-python`` may fetch it, say so before anything runs. The matrix
    (``python``) is not judged here: a cell whose Python is missing is a SKIP of that cell.
    """
    from ci_sessions.errors import ConfigError

    version = config.top.str("default-python")
    if not version or config.top.bool("download-python"):
        return
    if discover_interpreter(version) is not None:
        return
    found = found_here()
    source = config.source_of("default-python")
    raise ConfigError(
        "pyproject.toml [tool.ci-sessions]" if source == "pyproject.toml" else source,
        "default-python",
        f"Python {version} was not found on this machine (found here: "
        f"{', '.join(found) or 'none'})",
        fix=f"set default-python to one of {', '.join(found)}, install Python {version} "
        f"(`uv python install {version}`), or set download-python = true",
    )
