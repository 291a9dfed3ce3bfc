"""What ``init`` needs to know about a project beyond :mod:`ci_sessions.config.project`.

Every fact is read from files (and git for the default branch), so running ``init`` twice gives
the same answers and a dry run shows exactly what a real run writes.
"""

from __future__ import annotations

import configparser
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from ci_sessions._git import default_branch as find_default_branch
from ci_sessions.config.project import Project, load_project


@dataclass(frozen=True)
class Facts:
    """The project as ``init`` sees it."""

    root: Path
    name: str
    layout: str  # "src" | "flat"
    packages: tuple[str, ...]
    python_versions: tuple[str, ...]
    python_origin: str
    default_python: str
    requires_python: str
    test_dirs: tuple[str, ...]
    has_ruff_config: bool
    has_pyright_config: bool
    has_pytest_config: bool
    has_coverage_config: bool
    docs_tool: str  # "mkdocs" | "sphinx" | "none"
    default_branch: str
    workflows: tuple[str, ...]
    has_precommit: bool
    has_noxfile: bool
    is_ci_sessions: bool
    monorepo: bool = False

    def describe(self) -> list[str]:
        """One line per fact, printed by ``init`` so a user can see what it assumed."""
        configs = [
            name
            for name, present in (
                ("ruff", self.has_ruff_config),
                ("pyright", self.has_pyright_config),
                ("pytest", self.has_pytest_config),
                ("coverage", self.has_coverage_config),
            )
            if present
        ]
        return [
            f"project   {self.name} ({self.layout} layout: {', '.join(self.packages) or 'no package found'})",
            f"python    {', '.join(self.python_versions)} (from {self.python_origin}); "
            f"quick checks on {self.default_python}",
            f"tests     {', '.join(self.test_dirs) or 'pytest discovery'}",
            f"configs   {', '.join(configs) or 'none'} (kept as they are)",
            f"docs      {self.docs_tool}",
            f"branch    {self.default_branch}",
        ]


def _ini_has_section(path: Path, section: str) -> bool:
    if not path.is_file():
        return False
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(path, encoding="utf-8")
    except (configparser.Error, UnicodeDecodeError):
        return False
    return parser.has_section(section)


def has_pytest_config(project: Project) -> bool:
    """Whether pytest already reads a config: adding one to pyproject.toml would shadow it."""
    root = project.root
    return (
        (root / "pytest.ini").is_file()
        or (root / ".pytest.ini").is_file()
        or "pytest" in project.tool
        or _ini_has_section(root / "tox.ini", "pytest")
        or _ini_has_section(root / "setup.cfg", "tool:pytest")
    )


def has_coverage_config(project: Project) -> bool:
    root = project.root
    return (
        (root / ".coveragerc").is_file()
        or "coverage" in project.tool
        or _ini_has_section(root / "setup.cfg", "coverage:run")
        or _ini_has_section(root / "tox.ini", "coverage:run")
    )


def docs_tool(root: Path) -> str:
    if (root / "mkdocs.yml").is_file() or (root / "mkdocs.yaml").is_file():
        return "mkdocs"
    if any((root / d / "conf.py").is_file() for d in ("docs", "doc", "docs/source", "doc/source")):
        return "sphinx"
    return "none"


def default_branch(root: Path) -> str:
    """The branch the workflow runs on: the one finder of ``_git``, else ``main``."""
    return find_default_branch(root) or "main"


def requires_python(project: Project) -> str:
    table = project.pyproject.get("project")
    if isinstance(table, dict):
        value = cast("dict[str, Any]", table).get("requires-python")
        if isinstance(value, str):
            return value
    return ""


def detect(root: Path) -> Facts:
    """Read the project's facts (a ConfigError if its pyproject.toml is not valid TOML)."""
    from ci_sessions.config import load_config, pythons

    project = load_project(root)
    config = load_config(root)
    versions, origin = pythons.declared_versions(config.python, project.pyproject)
    default = pythons.default_version(versions, config.top.str("default-python"))
    workflows = sorted(
        p.relative_to(root).as_posix()
        for pattern in ("*.yml", "*.yaml")
        for p in (root / ".github" / "workflows").glob(pattern)
    )
    return Facts(
        root=root,
        name=project.name,
        layout="src" if project.is_src_layout else "flat",
        packages=tuple(project.packages),
        python_versions=tuple(versions),
        python_origin=origin,
        default_python=default,
        requires_python=requires_python(project),
        test_dirs=tuple(project.test_dirs),
        has_ruff_config=project.has_ruff_config,
        has_pyright_config=project.has_pyright_config,
        has_pytest_config=has_pytest_config(project),
        has_coverage_config=has_coverage_config(project),
        docs_tool=docs_tool(root),
        default_branch=default_branch(root),
        workflows=tuple(workflows),
        has_precommit=(root / ".pre-commit-config.yaml").is_file(),
        has_noxfile=(root / "noxfile.py").is_file(),
        is_ci_sessions=project.name == "ci-sessions",
        monorepo=is_monorepo(root),
    )


def is_monorepo(root: Path) -> bool:
    """Several packages below the root (uv workspace, package globs, or pyproject files)."""
    from ci_sessions.changes.monorepo import discover_packages

    try:
        return len(discover_packages(root)) > 1
    except Exception:  # an undecidable layout is treated as a single project
        return False
