"""Facts about the project being checked: layout, packages, tool configs, test deps, tool pins.

Everything here is read from files, never guessed from the environment, so the same project gives
the same answers on a laptop and in every CI cell.
"""

from __future__ import annotations

import configparser
import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from ci_sessions.config.requirements import dependency_group, pinned_spec
from ci_sessions.config.toml import load_toml

_SKIP_DIRS = {
    "tests", "test", "testing", "docs", "doc", "examples", "example", "benchmarks", "scripts",
    "build", "dist", "site", "venv", "env", "node_modules", "templates", "configs",
}  # fmt: skip
#: sources a build backend compiles into the package
COMPILED_SUFFIXES = (
    ".c", ".h", ".cc", ".cpp", ".cxx", ".c++", ".hh", ".hpp", ".hxx", ".pyx", ".pxd", ".pxi",
    ".rs", ".f", ".f90", ".f95", ".for", ".cu", ".m", ".mm", ".swg",
)  # fmt: skip
#: build descriptions of compiled code
COMPILED_BUILD_FILES = ("Cargo.toml", "meson.build", "CMakeLists.txt", "build.rs")
#: build backends that always compile (``build-backend`` up to its first dot)
COMPILING_BACKENDS = ("maturin", "mesonpy", "scikit_build_core", "enscons", "py_build_cmake")
#: top-level folders whose files never go into the built package
_NOT_PACKAGED = frozenset({
    "tests", "test", "testing", "docs", "doc", "examples", "example", "benchmarks", ".github",
    ".gitlab", ".circleci", ".nox", ".tox", ".venv", "venv", ".ci-sessions",
})  # fmt: skip
TEST_GROUP_NAMES = ("test", "tests", "testing", "dev")
TEST_EXTRA_NAMES = ("test", "tests", "testing")


@dataclass(frozen=True)
class TestDeps:
    """How to install what the project's tests need."""

    requirements: tuple[str, ...] = ()  # specifiers from groups, tox deps, config
    requirement_files: tuple[str, ...] = ()  # relative paths
    extras: tuple[str, ...] = ()
    origin: tuple[str, ...] = ()  # human-readable: where each part came from


@dataclass(frozen=True)
class Project:
    """A project root and what its files say."""

    root: Path
    pyproject: dict[str, Any] = field(default_factory=dict[str, Any])

    @property
    def name(self) -> str:
        project = self.pyproject.get("project")
        if isinstance(project, dict) and isinstance(project.get("name"), str):  # pyright: ignore[reportUnknownMemberType]
            return str(project["name"])  # pyright: ignore[reportUnknownArgumentType]
        return self.root.name

    @property
    def tool(self) -> dict[str, Any]:
        tool = self.pyproject.get("tool", {})
        return cast("dict[str, Any]", tool) if isinstance(tool, dict) else {}

    @property
    def installable(self) -> bool:
        """Whether ``pip install .`` can work at all."""
        return (
            (self.root / "setup.py").is_file()
            or (self.root / "setup.cfg").is_file()
            or "build-system" in self.pyproject
            or "project" in self.pyproject
        )

    @property
    def is_src_layout(self) -> bool:
        return (self.root / "src").is_dir() and bool(self._packages_in(self.root / "src"))

    @functools.cached_property
    def packages(self) -> list[str]:
        """Top-level import packages (as relative paths), src layout first."""
        if self.is_src_layout:
            return [f"src/{name}" for name in self._packages_in(self.root / "src")]
        return self._packages_in(self.root)

    def _packages_in(self, base: Path) -> list[str]:
        found: list[str] = []
        for child in sorted(base.iterdir()):
            if child.name.startswith((".", "_")) or child.name in _SKIP_DIRS:
                continue
            if (child.is_dir() and (child / "__init__.py").is_file()) or (
                child.is_file()
                and child.suffix == ".py"
                and base != self.root
                and not child.name.startswith("test")
            ):
                found.append(child.name)
        if not found and base == self.root:
            found = [
                c.name
                for c in sorted(base.glob("*.py"))
                if c.name not in ("setup.py", "noxfile.py", "conftest.py")
                and not c.name.startswith("test")
            ]
        return found

    @property
    def test_dirs(self) -> list[str]:
        return [name for name in ("tests", "test", "testing") if (self.root / name).is_dir()]

    @functools.cached_property
    def package_files(self) -> tuple[str, ...]:
        """Files that may go into the built package: every project file (git's view, else a
        walk) outside tests, docs, examples, CI configuration and dot-files."""
        return tuple(name for name in project_files(self.root) if not _outside_package(name))

    @functools.cached_property
    def compiled(self) -> bool:
        """Whether building the package compiles something (C, C++, Cython, Rust, Fortran...):
        then every file that goes into it decides what an installation holds."""
        backend = self.pyproject.get("build-system")
        name = (
            str(cast("dict[str, Any]", backend).get("build-backend", ""))
            if isinstance(backend, dict)
            else ""
        )
        if name.split(".")[0] in COMPILING_BACKENDS:
            return True
        return any(
            name.endswith(COMPILED_SUFFIXES) or name.rsplit("/", 1)[-1] in COMPILED_BUILD_FILES
            for name in self.package_files
        )

    @property
    def has_ruff_config(self) -> bool:
        return (
            (self.root / "ruff.toml").is_file()
            or (self.root / ".ruff.toml").is_file()
            or "ruff" in self.tool
        )

    @property
    def has_pyright_config(self) -> bool:
        return (self.root / "pyrightconfig.json").is_file() or "pyright" in self.tool

    # -- dependencies ---------------------------------------------------------------------------

    def dependency_group(self, name: str) -> list[str] | None:
        """A PEP 735 dependency group with ``include-group`` resolved, or None if undefined (a
        cycle is a ConfigError naming the group)."""
        groups = self.pyproject.get("dependency-groups")
        if not isinstance(groups, dict):
            return None
        return dependency_group(cast("dict[str, Any]", groups), name, source="pyproject.toml")

    def extras(self) -> list[str]:
        project = self.pyproject.get("project")
        if isinstance(project, dict):
            optional = cast("dict[str, Any]", project).get("optional-dependencies")
            if isinstance(optional, dict):
                return list(cast("dict[str, Any]", optional))
        extras: list[str] = []
        setup_cfg = self.root / "setup.cfg"
        if setup_cfg.is_file():
            parser = configparser.ConfigParser()
            try:
                parser.read(setup_cfg, encoding="utf-8")
            except configparser.Error:
                return []
            if parser.has_section("options.extras_require"):
                extras = list(parser["options.extras_require"])
        return extras

    def test_deps(
        self, groups: list[str], extras: list[str], requirement_files: list[str], deps: list[str]
    ) -> TestDeps:
        """What the tests need: configured names win; else discovered by convention."""
        requirements: list[str] = list(deps)
        origin: list[str] = [f"config deps: {', '.join(deps)}"] if deps else []
        chosen_groups = groups or [
            g for g in TEST_GROUP_NAMES if self.dependency_group(g) is not None
        ]
        if not groups and any(g != "dev" for g in chosen_groups):
            # dev usually includes test; prefer the narrow group when both exist
            chosen_groups = [g for g in chosen_groups if g != "dev"]
        for group in chosen_groups:
            members = self.dependency_group(group)
            if members is None:
                from ci_sessions.errors import ConfigError

                raise ConfigError(
                    "pyproject.toml [tool.ci-sessions]",
                    "tests.groups",
                    f"dependency group {group!r} is not defined in [dependency-groups]",
                )
            requirements.extend(members)
            origin.append(f"dependency group {group!r}")
        available_extras = self.extras()
        chosen_extras = extras or [e for e in TEST_EXTRA_NAMES if e in available_extras]
        if chosen_extras:
            origin.append("extras " + ", ".join(repr(e) for e in chosen_extras))
        files = requirement_files or self._test_requirement_files()
        if files:
            origin.append("requirements " + ", ".join(files))
        if not (groups or extras or requirement_files or chosen_groups or chosen_extras or files):
            tox_deps = self._tox_deps()
            if tox_deps:
                requirements.extend(tox_deps)
                origin.append("tox.ini [testenv] deps")
        return TestDeps(tuple(requirements), tuple(files), tuple(chosen_extras), tuple(origin))

    def _test_requirement_files(self) -> list[str]:
        patterns = (
            "requirements*test*.txt",
            "requirements/*test*.txt",
            "test-requirements*.txt",
            "tests/requirements*.txt",
            "test/requirements*.txt",
            "testing/requirements*.txt",
        )
        found: list[str] = []
        for pattern in patterns:
            found.extend(
                p.relative_to(self.root).as_posix() for p in sorted(self.root.glob(pattern))
            )
        found = sorted(set(found))
        # a lock for one Python (tests37.txt, test-py38.txt) beside the general one: the general
        # one; installing both is rarely a solution (jinja2's pins for 3.7 and for the rest)
        general = [f for f in found if not _FOR_ONE_PYTHON.search(Path(f).stem)]
        return general or found

    def _tox_deps(self) -> list[str]:
        tox_ini = self.root / "tox.ini"
        if not tox_ini.is_file():
            return []
        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read(tox_ini, encoding="utf-8")
        except configparser.Error:
            return []
        if not parser.has_option("testenv", "deps"):
            return []
        deps: list[str] = []
        for raw in parser.get("testenv", "deps").splitlines():
            line = raw.split("#", 1)[0].strip()
            if not line or (
                ":" in line.split("==")[0].split(">")[0].split("<")[0] and not line.startswith("-")
            ):
                continue  # factor-conditional lines apply to some envs only
            line = line.replace("{toxinidir}", ".")
            if "{" in line or line in (".", "-e .", "-e."):
                continue
            if line.startswith("-r"):
                deps.extend(["-r", line[2:].strip()])
            elif line.startswith("-c"):
                deps.extend(["-c", line[2:].strip()])
            else:
                deps.append(line)
        return deps

    # -- tool pins ------------------------------------------------------------------------------

    def tool_pin(self, tool: str) -> tuple[str, str] | None:
        """The project's own version spec of ``tool`` and where it was found, if any."""
        return _find_pin(self, tool)


def project_files(root: Path) -> list[str]:
    """The project's files as relative POSIX paths: git-tracked plus untracked-not-ignored in a
    repository, else every file outside environments and caches."""
    from ci_sessions._git import git_bytes

    out = git_bytes(root, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    if out is not None:
        names = [n for n in out.decode("utf-8", "surrogateescape").split("\0") if n]
        return sorted(n for n in names if (root / n).is_file())
    import os

    found: list[str] = []
    for directory, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in _NOT_PACKAGED and d not in ("__pycache__", ".git")]
        base = Path(directory).relative_to(root)
        found.extend((base / f).as_posix() for f in files)
    return sorted(found)


def _outside_package(name: str) -> bool:
    first, _, rest = name.partition("/")
    if first in _NOT_PACKAGED or "__pycache__" in name.split("/"):
        return True
    return not rest and (
        first.startswith(".") or first in ("noxfile.py", "ci-sessions-baseline.json")
    )


def load_project(root: Path) -> Project:
    pyproject_path = root / "pyproject.toml"
    data = load_toml(pyproject_path) if pyproject_path.is_file() else {}
    return Project(root=root, pyproject=data)


#: a requirements file for one Python: ``tests37``, ``test-py38``, ``tests_3.12``
_FOR_ONE_PYTHON = re.compile(r"(?:py|[-_.])?3[._]?\d{1,2}$")


def _find_pin(project: Project, tool: str) -> tuple[str, str] | None:
    """The tool's pin and where it was found; the first place in this order wins: pre-commit,
    dependency groups, optional dependencies, requirements files."""
    precommit = project.root / ".pre-commit-config.yaml"
    if precommit.is_file():
        pin = _precommit_pin(precommit, tool)
        if pin:
            return pin, ".pre-commit-config.yaml"
    return (
        _group_pin(project, tool)
        or _extra_pin(project.pyproject, tool)
        or _requirements_file_pin(project.root, tool)
    )


def _group_pin(project: Project, tool: str) -> tuple[str, str] | None:
    groups = project.pyproject.get("dependency-groups")
    if not isinstance(groups, dict):
        return None
    for name in cast("dict[str, Any]", groups):
        for requirement in project.dependency_group(name) or []:
            spec = pinned_spec(requirement, tool)
            if spec:
                return spec, f"pyproject.toml [dependency-groups] {name}"
    return None


def _extra_pin(pyproject: dict[str, Any], tool: str) -> tuple[str, str] | None:
    projects = pyproject.get("project")
    if not isinstance(projects, dict):
        return None
    optional = cast("dict[str, Any]", projects).get("optional-dependencies")
    if not isinstance(optional, dict):
        return None
    for extra, requirements in cast("dict[str, Any]", optional).items():
        for requirement in cast("list[Any]", requirements or []):
            spec = pinned_spec(str(requirement), tool)
            if spec:
                return spec, f"pyproject.toml optional-dependencies {extra}"
    return None


def _requirements_file_pin(root: Path, tool: str) -> tuple[str, str] | None:
    for path in sorted([*root.glob("requirements*.txt"), *root.glob("requirements/*.txt")]):
        try:
            lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            continue
        for line in lines:
            spec = pinned_spec(line.split("#", 1)[0], tool)
            if spec:
                return spec, path.relative_to(root).as_posix()
    return None


def _precommit_pin(path: Path, tool: str) -> str | None:
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, OSError):
        return None
    if not isinstance(data, dict):
        return None
    for repo in cast("list[Any]", cast("dict[str, Any]", data).get("repos", []) or []):
        if not isinstance(repo, dict):
            continue
        repo_map = cast("dict[str, Any]", repo)
        url = str(repo_map.get("repo", ""))
        raw_hooks = cast("list[Any]", repo_map.get("hooks", []) or [])
        hooks = [cast("dict[str, Any]", h) for h in raw_hooks if isinstance(h, dict)]
        for hook in hooks:
            for dep in cast("list[Any]", hook.get("additional_dependencies", []) or []):
                spec = pinned_spec(str(dep), tool)
                if spec:
                    return spec
        rev = str(repo_map.get("rev", ""))
        mirror = url.rstrip("/").rsplit("/", 1)[-1].lower()
        if rev and mirror in (f"{tool}-pre-commit", f"{tool}-python", f"mirrors-{tool}"):
            version = rev.lstrip("v")
            if re.fullmatch(r"\d+(\.\d+)*([a-z0-9.]*)", version):
                return f"{tool}=={version}"
    return None


#: pytest's default ``python_files``
PYTEST_PYTHON_FILES = ("test_*.py", "*_test.py")


def pytest_options(root: Path, pyproject: dict[str, Any]) -> dict[str, Any]:
    """pytest's ini options from pyproject.toml, pytest.ini, tox.ini or setup.cfg (pytest's order)."""
    for name, section in (("pytest.ini", "pytest"), (".pytest.ini", "pytest")):
        options = _ini_section(root / name, section)
        if options is not None:
            return options
    tool = pyproject.get("tool")
    if isinstance(tool, dict):
        pytest_table = cast("dict[str, Any]", tool).get("pytest")
        if isinstance(pytest_table, dict):
            table = cast("dict[str, Any]", pytest_table)
            ini = table.get("ini_options")
            return cast("dict[str, Any]", ini) if isinstance(ini, dict) else table
    for name, section in (("tox.ini", "pytest"), ("setup.cfg", "tool:pytest")):
        options = _ini_section(root / name, section)
        if options is not None:
            return options
    return {}


def _ini_section(path: Path, section: str) -> dict[str, Any] | None:
    if not path.is_file():
        return None
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(path, encoding="utf-8")
    except configparser.Error:
        return None
    return dict(parser[section]) if parser.has_section(section) else None


def option_words(value: Any) -> list[str]:
    """An ini option's words (``testpaths = a b``) or a TOML list, as strings."""
    if isinstance(value, str):
        return value.split()
    if isinstance(value, list):
        return [str(item) for item in cast("list[Any]", value)]
    return []
