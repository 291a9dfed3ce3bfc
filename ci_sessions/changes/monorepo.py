"""Monorepo support: find the packages of a repository, the dependencies between them, and which
packages a change reaches.

Discovery reads only tracked files (untracked ``build/`` and ``*.egg-info`` never count) and skips
test fixtures: a packaging tool's repository holds dozens of ``pyproject.toml`` files under its
tests that are data, not packages. A uv workspace or ``[tool.ci-sessions] packages`` globs, when
present, say exactly which directories are packages.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, cast

from packaging.utils import canonicalize_name

from ci_sessions.config import load_toml, read_project_table
from ci_sessions.config.requirements import requirement_name
from ci_sessions.errors import ConfigError, close_match

#: a pyproject.toml below a folder with one of these names is a fixture or an example, not a package
FIXTURE_DIRS = frozenset(
    {
        "tests", "test", "testing", "fixtures", "fixture", "testdata", "test_data", "test-data",
        "data", "examples", "example", "docs", "doc", "benchmarks", "build", "dist",
        "site-packages", "node_modules", "__pycache__", "venv", "env", "templates",
    }
)  # fmt: skip


@dataclass(frozen=True)
class Package:
    """One package of the repository; ``dependencies`` name other packages of the same repository."""

    name: str
    path: str  # relative posix; "." for the root
    dependencies: tuple[str, ...] = ()


# -- discovery ----------------------------------------------------------------------------------


def discover_packages(root: Path) -> list[Package]:
    """Every package of the repository at ``root``, sorted by path, dependencies resolved."""
    root_table = _root_pyproject(root)
    declared = _declared_dirs(root, root_table)
    directories = declared if declared is not None else _auto_dirs(root)
    found: dict[str, tuple[str, list[str]]] = {}
    paths: dict[str, str] = {}
    for directory in sorted(set(directories)):
        pyproject = root / directory / "pyproject.toml"
        if not pyproject.is_file():
            continue
        data = load_toml(pyproject)
        name = _package_name(data)
        if name is None:
            continue
        key = canonicalize_name(name)
        if key in paths:
            raise ConfigError(
                f"{directory}/pyproject.toml",
                "project.name",
                f"package name {name!r} is also used by {paths[key]}/pyproject.toml",
                fix="give every package of the repository its own name",
            )
        paths[key] = directory
        found[key] = (name, _requirement_names(data))
    packages: list[Package] = []
    for key, (name, requirements) in found.items():
        deps = sorted(
            {
                found[req][0]
                for req in map(canonicalize_name, requirements)
                if req in found and req != key
            }
        )
        packages.append(Package(name=name, path=paths[key], dependencies=tuple(deps)))
    return sorted(packages, key=lambda package: (package.path != ".", package.path))


def _root_pyproject(root: Path) -> dict[str, Any]:
    path = root / "pyproject.toml"
    return load_toml(path) if path.is_file() else {}


def _declared_dirs(root: Path, data: Mapping[str, Any]) -> list[str] | None:
    """Directories named by ``[tool.ci-sessions] packages`` or a uv workspace; None if neither."""
    table = read_project_table(root / "pyproject.toml")
    globs: list[str] = []
    excludes: list[str] = []
    configured = table.get("packages")
    if configured is not None:
        if not isinstance(configured, list) or not all(
            isinstance(g, str) for g in cast("list[Any]", configured)
        ):
            raise ConfigError(
                "pyproject.toml [tool.ci-sessions]",
                "packages",
                "wrong type",
                expected="a list of directory globs",
            )
        globs = list(cast("list[str]", configured))
    uv = _table(_table(_table(data, "tool"), "uv"), "workspace")
    if not globs and uv:
        globs = [str(g) for g in cast("list[Any]", uv.get("members", []) or [])]
        excludes = [str(g) for g in cast("list[Any]", uv.get("exclude", []) or [])]
    if not globs and not uv:
        return None
    excluded = {d for pattern in excludes for d in _glob_dirs(root, pattern)}
    dirs = [d for pattern in globs for d in _glob_dirs(root, pattern) if d not in excluded]
    if _package_name(data) is not None:
        dirs.append(".")
    return dirs


def _glob_dirs(root: Path, pattern: str) -> list[str]:
    clean = pattern.strip().strip("/")
    if clean in ("", "."):
        return ["."]
    return [p.relative_to(root).as_posix() for p in sorted(root.glob(clean)) if p.is_dir()]


def _auto_dirs(root: Path) -> list[str]:
    """Folders holding a tracked pyproject.toml, fixtures and build metadata left out."""
    from ci_sessions._git import tracked_files

    files = tracked_files(root)
    if files is None:
        files = _walk_pyprojects(root)
    dirs: list[str] = []
    for file in files:
        path = PurePosixPath(file)
        if path.name != "pyproject.toml":
            continue
        parent = path.parent.as_posix()
        if parent == "." or not _is_excluded(path.parent.parts):
            dirs.append(parent)
    return dirs


def _is_excluded(parts: Iterable[str]) -> bool:
    return any(
        part.lower() in FIXTURE_DIRS or part.startswith(".") or part.endswith(".egg-info")
        for part in parts
    )


def _walk_pyprojects(root: Path) -> list[str]:
    found: list[str] = []
    for current, subdirs, files in os.walk(root):
        rel = Path(current).relative_to(root)
        subdirs[:] = sorted(d for d in subdirs if not _is_excluded((d,)))
        if "pyproject.toml" in files:
            found.append((rel / "pyproject.toml").as_posix())
    return found


def _table(data: Mapping[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key)
    return cast("dict[str, Any]", value) if isinstance(value, dict) else {}


def _package_name(data: Mapping[str, Any]) -> str | None:
    for table in (_table(data, "project"), _table(_table(data, "tool"), "poetry")):
        name = table.get("name")
        if isinstance(name, str) and name.strip():
            return name.strip()
    return None


def _requirement_names(data: Mapping[str, Any]) -> list[str]:
    """Every distribution a package declares: dependencies, extras, dependency groups, poetry."""
    project = _table(data, "project")
    specs: list[Any] = list(cast("list[Any]", project.get("dependencies", []) or []))
    for extra in _table(project, "optional-dependencies").values():
        specs.extend(cast("list[Any]", extra or []))
    for group in _table(data, "dependency-groups").values():
        specs.extend(cast("list[Any]", group or []))
    names = [n for s in specs if isinstance(s, str) and (n := requirement_name(s)) is not None]
    poetry = _table(_table(data, "tool"), "poetry")
    names += list(_table(poetry, "dependencies"))
    for group in _table(poetry, "group").values():
        if isinstance(group, dict):
            names += list(_table(cast("dict[str, Any]", group), "dependencies"))
    names += list(_table(_table(_table(data, "tool"), "uv"), "sources"))
    return names


# -- graph and selection ------------------------------------------------------------------------


def dependants(packages: Iterable[Package]) -> dict[str, set[str]]:
    """Package name -> names of the packages that declare it as a dependency (direct only)."""
    result: dict[str, set[str]] = {}
    for package in packages:
        result.setdefault(package.name, set())
        for dependency in package.dependencies:
            result.setdefault(dependency, set()).add(package.name)
    return result


def with_dependants(packages: list[Package], names: Iterable[str]) -> list[Package]:
    """``names`` and every package that depends on one of them, transitively, in discovery order."""
    reverse = dependants(packages)
    selected: set[str] = set()
    pending = list(names)
    while pending:
        name = pending.pop()
        if name not in selected:
            selected.add(name)
            pending.extend(reverse.get(name, ()))
    return [package for package in packages if package.name in selected]


def owner(packages: Iterable[Package], path: str) -> Package | None:
    """The innermost package whose directory holds ``path``, if any."""
    best: Package | None = None
    for package in packages:
        inside = package.path == "." or path == package.path or path.startswith(package.path + "/")
        if inside and (best is None or best.path == "." or len(package.path) > len(best.path)):
            best = package
    return best


def packages_for_paths(packages: list[Package], paths: Iterable[str]) -> list[Package]:
    """Packages a set of changed paths reaches, with their dependants.

    A path inside a package selects that package. A path outside every package (a root lock file,
    a shared config) could affect any of them, so it selects all of them.
    """
    names: set[str] = set()
    for path in paths:
        package = owner(packages, path)
        if package is None:
            return list(packages)
        names.add(package.name)
    return with_dependants(packages, names)


def find_package(packages: list[Package], name: str) -> Package:
    """The package called ``name`` (normalized); unknown names raise ConfigError with a close match."""
    by_name = {canonicalize_name(p.name): p for p in packages}
    package = by_name.get(canonicalize_name(name))
    if package is None:
        known = [p.name for p in packages]
        raise ConfigError(
            "--package",
            name,
            "unknown package",
            expected="one of " + ", ".join(known) if known else "a package (none were discovered)",
            suggestion=close_match(name, known),
            fix="run `ci-sessions packages` to list the packages",
        )
    return package


def package_config_table(root: Path, package: Package) -> dict[str, Any]:
    """The package's ``[tool.ci-sessions]``: the root table, overridden key by key by the package's."""
    merged = read_project_table(root / "pyproject.toml") if package.path != "." else {}
    merged = _deep_merge(merged, read_project_table(root / package.path / "pyproject.toml"))
    merged.pop("packages", None)  # a root-only setting
    return merged


def _deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    result = dict(base)
    for key, value in override.items():
        current = result.get(key)
        if isinstance(value, dict) and isinstance(current, dict):
            result[key] = _deep_merge(
                cast("dict[str, Any]", current), cast("dict[str, Any]", value)
            )
        else:
            result[key] = value
    return result
