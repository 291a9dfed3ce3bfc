"""Which Python versions a project tests, and where their interpreters are.

pyenv shims hide every version but the global one (``python3.12`` exits 127), so besides PATH we
look in ``$(pyenv root)/versions/*/bin`` and uv's managed Pythons. Nothing is ever downloaded here.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

_VERSION = re.compile(r"^(\d+)\.(\d+)$")
#: The newest CPython release line a requires-python range is expanded to.
NEWEST_KNOWN = (3, 15)


def parse_version(version: str) -> tuple[int, int]:
    match = _VERSION.match(version.strip())
    if not match:
        raise ValueError(f"not a MAJOR.MINOR Python version: {version!r}")
    return int(match.group(1)), int(match.group(2))


def current() -> str:
    return f"{sys.version_info.major}.{sys.version_info.minor}"


@functools.cache
def _probe(executable: str) -> str | None:
    """The MAJOR.MINOR of an interpreter, or None when it does not run (e.g. a pyenv shim)."""
    try:
        completed = subprocess.run(  # noqa: S603 - fixed argv
            [executable, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if completed.returncode != 0:
        return None
    return completed.stdout.strip() or None


def _pyenv_roots() -> list[Path]:
    roots: list[Path] = []
    env_root = os.environ.get("PYENV_ROOT")
    if env_root:
        roots.append(Path(env_root))
    roots.append(Path.home() / ".pyenv")
    return [root for root in roots if (root / "versions").is_dir()]


def _candidates(version: str) -> list[Path]:
    found: list[Path] = []
    if current() == version:
        found.append(Path(sys.executable))
    on_path = shutil.which(f"python{version}")
    if on_path:
        found.append(Path(on_path))
    for root in _pyenv_roots():
        versions = sorted(
            (p for p in (root / "versions").glob(f"{version}.*") if p.is_dir()),
            key=lambda p: _patch_key(p.name),
            reverse=True,
        )
        found.extend(p / "bin" / f"python{version}" for p in versions)
    uv_dir = Path(os.environ.get("UV_PYTHON_INSTALL_DIR", Path.home() / ".local/share/uv/python"))
    if uv_dir.is_dir():
        found.extend(sorted(uv_dir.glob(f"cpython-{version}.*/bin/python{version}"), reverse=True))
    return found


def _patch_key(name: str) -> tuple[int, ...]:
    parts = re.findall(r"\d+", name)
    return tuple(int(p) for p in parts)


@functools.cache
def find_interpreter(version: str) -> Path | None:
    """An interpreter of exactly MAJOR.MINOR ``version`` that really runs, or None."""
    for candidate in _candidates(version):
        if candidate.exists() and _probe(str(candidate)) == version:
            return candidate
    return None


def declared_versions(configured: list[str], pyproject: dict[str, object]) -> tuple[list[str], str]:
    """The Python versions to test and where they came from.

    Explicit config wins; then the project's ``Programming Language :: Python :: 3.X``
    classifiers; then ``requires-python`` expanded up to the newest known release and limited to
    interpreters that exist here. Falls back to the running Python.
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
    for minor in range(6, NEWEST_KNOWN[1] + 1):
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


def missing_hint(version: str) -> str:
    """How to get a missing interpreter."""
    return (
        f"Python {version} was not found (PATH, pyenv, uv). Install it with "
        f"`uv python install {version}` or `pyenv install {version}`, or drop it from "
        "[tool.ci-sessions] python"
    )
