"""Affected tests: the test files that import, directly or transitively, a changed module.

Safety first: whatever the graph cannot vouch for runs the whole suite, and the reason says which
file caused it: a conftest.py, a fixture or data file, a non-Python file in a package, a
dependency or config file, a Python file outside the graph, a file that does not parse, doctests,
or grimp missing. Skipping a test that would fail is the one outcome this module must not have.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from ci_sessions._git import show
from ci_sessions.changes.detect import Rules
from ci_sessions.changes.diff import ChangedFile, changed_files, fork_point
from ci_sessions.changes.import_graph import (
    GraphUnavailable,
    file_imports,
    parent,
    prefixes,
    reverse_reachable,
    source_graph,
)
from ci_sessions.changes.pyproject_diff import inert_change
from ci_sessions.config.project import PYTEST_PYTHON_FILES, option_words, pytest_options

_SKIP_WALK = {
    "__pycache__",
    "node_modules",
    ".git",
    ".nox",
    ".tox",
    ".venv",
    "venv",
    ".ci-sessions",
}


@dataclass(frozen=True)
class AffectedSelection:
    """Which tests to run. ``test_files`` are relative to the root; empty with ``run_all`` False
    means no test can be affected (the session reports SKIP "no affected tests")."""

    run_all: bool
    reason: str
    test_files: list[str] = field(default_factory=list[str])
    changed_modules: list[str] = field(default_factory=list[str])


def select_affected_tests(
    root: Path, base: str, head: str | None = None, *, working_tree: bool = False
) -> AffectedSelection:
    """The tests a change from the merge base of ``base`` and ``head`` (or the working tree) reaches."""
    root = root.resolve()
    changes = changed_files(root, base, head, working_tree=working_tree)
    versions = _Versions(
        root, fork_point(root, base, head), None if working_tree else head or "HEAD"
    )
    return select_for_changes(root, changes, versions=versions)


@dataclass(frozen=True)
class _Versions:
    """Where to read a changed file's old and new text (to see what in it changed)."""

    root: Path
    base_commit: str
    head: str | None  # None: the working tree

    def texts(self, path: str) -> tuple[str | None, str | None]:
        old = show(self.root, self.base_commit, path)
        if self.head is not None:
            return old, show(self.root, self.head, path)
        file = self.root / path
        return old, file.read_text(encoding="utf-8") if file.is_file() else None


@dataclass
class Layout:
    """Where a project's code and tests live, and how pytest finds test files."""

    root: Path
    rules: Rules
    packages: dict[str, str]  # top-level import name -> folder on sys.path ("." or "src")
    package_dirs: list[str]  # relative paths of package folders and single-file modules
    test_dirs: list[str]
    python_files: tuple[str, ...]
    doctests: bool
    #: pytest's ``--doctest-glob`` patterns (text files it collects doctests from)
    doctest_globs: tuple[str, ...] = ("test*.txt",)
    #: pytest collects doctests from every module (``--doctest-modules``)
    doctest_modules: bool = False

    @classmethod
    def load(cls, root: Path) -> Layout:
        from ci_sessions.config.project import load_project

        project = load_project(root)
        packages: dict[str, str] = {}
        for entry in project.packages:
            path = PurePosixPath(entry)
            packages[path.stem if path.suffix == ".py" else path.name] = path.parent.as_posix()
        options = pytest_options(root, project.pyproject)
        testpaths = [p for p in option_words(options.get("testpaths")) if (root / p).is_dir()]
        test_dirs = sorted({*project.test_dirs, *testpaths} - set(project.packages))
        python_files = tuple(option_words(options.get("python_files"))) or PYTEST_PYTHON_FILES
        words = option_words(options.get("addopts"))
        addopts = " ".join(words)
        globs = tuple(_option_values(words, "--doctest-glob")) or ("test*.txt",)
        return cls(
            root=root,
            rules=Rules.load(root),
            packages=packages,
            package_dirs=list(project.packages),
            test_dirs=test_dirs,
            python_files=python_files,
            doctests="--doctest" in addopts,
            doctest_globs=globs,
            doctest_modules="--doctest-modules" in words,
        )

    def package_of(self, path: str) -> str | None:
        """The module name of a path inside the project's packages (None if outside them)."""
        for entry in self.package_dirs:
            if path == entry or path.startswith(entry + "/"):
                base = PurePosixPath(entry).parent
                rel = PurePosixPath(path).relative_to(base)
                parts = list(rel.with_suffix("").parts)
                if parts and parts[-1] == "__init__":
                    parts.pop()
                return ".".join(parts)
        return None

    def in_tests(self, path: str) -> bool:
        return any(path.startswith(d.rstrip("/") + "/") for d in self.test_dirs) or (
            "/" not in path and self.is_test_file(path)
        )

    def is_test_file(self, path: str) -> bool:
        name = PurePosixPath(path).name
        return any(fnmatch.fnmatch(name, pattern) for pattern in self.python_files)


def _option_values(words: list[str], option: str) -> list[str]:
    """The values of ``option`` in a list of command-line words (``--o=v`` or ``--o v``)."""
    values: list[str] = []
    for i, word in enumerate(words):
        if word.startswith(f"{option}="):
            values.append(word.partition("=")[2])
        elif word == option and i + 1 < len(words):
            values.append(words[i + 1])
    return values


def select_for_changes(
    root: Path, changes: Iterable[ChangedFile], *, versions: _Versions | None = None
) -> AffectedSelection:
    """The selection for an explicit list of changes (the git part already done).

    With ``versions``, a pyproject.toml whose change is confined to inert keys (version, linter
    settings) does not force the whole suite.
    """
    layout = Layout.load(root)
    changed_modules: set[str] = set()
    deleted_modules: set[str] = set()
    test_side: set[str] = set()
    notes: list[str] = []
    for change in changes:
        for path in change.paths:
            exists = (root / path).is_file()
            why = must_run_all(layout, path)
            if why and versions is not None and PurePosixPath(path).name == "pyproject.toml":
                inert = inert_change(*versions.texts(path))
                if inert is not None:
                    notes.append(f"{path} ({', '.join(inert[:3]) or 'formatting'})")
                    continue
            if why:
                return AffectedSelection(True, why, [], sorted(changed_modules))
            module = layout.package_of(path)
            if module is not None:
                (changed_modules if exists else deleted_modules).add(module)
            elif layout.in_tests(path):
                test_side.add(path)
            else:
                notes.append(path)
    if layout.doctests and (changed_modules or deleted_modules):
        return AffectedSelection(
            True,
            "pytest runs doctests (--doctest-* in addopts): every module is a test",
            [],
            sorted(changed_modules),
        )
    try:
        return _select(layout, changed_modules, deleted_modules, test_side, notes)
    except GraphUnavailable as exc:
        return AffectedSelection(
            True, f"import graph unavailable: {exc}", [], sorted(changed_modules)
        )


def must_run_all(layout: Layout, path: str) -> str | None:
    """Why a changed path forces the whole suite, or None if the graph can place it."""
    name = PurePosixPath(path).name
    if name == "conftest.py":
        return f"{path} changed: conftest fixtures can reach any test"
    pattern = layout.rules.run_all.first(path)
    if pattern is not None:
        return f"{path} changed (dependency or config file, run-all pattern {pattern!r})"
    is_python = path.endswith(".py")
    if layout.package_of(path) is not None:
        return (
            None
            if is_python
            else f"{path} changed: a non-Python file in a package, code or tests may read it"
        )
    if layout.in_tests(path):
        return None if is_python else f"{path} changed: a fixture or data file the tests may read"
    category = layout.rules.category(path)
    if category == "docs" or layout.rules.ignore.match(path):
        return None
    if is_python:
        return f"{path} changed: a Python file outside the import graph of the packages and tests"
    return f"{path} changed ({category} file): it is not part of the import graph"


def _select(
    layout: Layout,
    changed_modules: set[str],
    deleted_modules: set[str],
    test_side: set[str],
    notes: list[str],
) -> AffectedSelection:
    root = layout.root
    graph: dict[str, set[str]] = {}
    if changed_modules or deleted_modules:
        graph = source_graph(root, layout.packages)
        missing = sorted(m for m in changed_modules if m not in graph)
        if missing:
            return AffectedSelection(
                True,
                f"module {missing[0]} is not in the import graph (namespace or unimportable package?)",
            )
        for module in list(graph):
            up = parent(module)
            if up is not None and up in graph:
                graph[module].add(up)  # importing a module runs its parent package first
    test_files = _test_side_files(layout)
    by_name = _names_index(test_files)
    changed_names = set(changed_modules) | set(deleted_modules)
    for path in test_side:
        changed_names.update(candidate_names(path))
    seeds: set[str] = {m for m in changed_modules if m in graph}
    seeds.update(p for m in deleted_modules if (p := parent(m)) is not None and p in graph)
    seeds.update(f"file:{path}" for path in test_side if (root / path).is_file())
    for path in test_files:
        node = f"file:{path}"
        raw = {
            p
            for name in file_imports(
                root / path, dotted_name(root, path)[0], is_package=path.endswith("__init__.py")
            )
            for p in prefixes(name)
        }
        edges = {p for p in raw if p in graph}
        edges.update(f"file:{other}" for p in raw for other in by_name.get(p, ()) if other != path)
        graph[node] = edges
        if raw & changed_names:
            seeds.add(node)
    reached = reverse_reachable(graph, seeds)
    conftests = sorted(n for n in reached if n.endswith("conftest.py") or n.endswith(".conftest"))
    if conftests:
        return AffectedSelection(
            True,
            f"{conftests[0].removeprefix('file:')} imports a changed module: its fixtures can reach any test",
            [],
            sorted(changed_modules),
        )
    selected = sorted(
        n.removeprefix("file:")
        for n in reached
        if n.startswith("file:")
        and layout.is_test_file(n)
        and (root / n.removeprefix("file:")).is_file()
    )
    selected += sorted(_module_test_files(layout, reached))
    total = sum(1 for p in test_files if layout.is_test_file(p))
    changed = sorted(changed_modules | deleted_modules) + sorted(test_side)
    summary = f"{len(selected)} of {total} test files reach a change ({', '.join(changed[:3]) or 'none'}{', ...' if len(changed) > 3 else ''})"
    if notes:
        summary += f"; left out as unable to affect tests: {', '.join(notes[:3])}{', ...' if len(notes) > 3 else ''}"
    return AffectedSelection(False, summary, selected, sorted(changed_modules | deleted_modules))


def _module_test_files(layout: Layout, reached: set[str]) -> list[str]:
    """Test modules that live inside a package (``pkg/tests/test_x.py``) and were reached."""
    found: list[str] = []
    for module in reached:
        if module.startswith("file:"):
            continue
        top = module.split(".")[0]
        folder = layout.packages.get(top)
        if folder is None:
            continue
        base = layout.root / folder / module.replace(".", "/")
        candidate = base.with_suffix(".py")
        if candidate.is_file() and layout.is_test_file(candidate.name):
            found.append(candidate.relative_to(layout.root).as_posix())
    return found


def _test_side_files(layout: Layout) -> list[str]:
    """Every Python file in the test folders, plus test files at the root."""
    root = layout.root
    found: list[str] = []
    for folder in layout.test_dirs:
        for current, subdirs, files in os.walk(root / folder):
            subdirs[:] = [d for d in subdirs if d not in _SKIP_WALK and not d.startswith(".")]
            rel = Path(current).relative_to(root)
            found += [(rel / f).as_posix() for f in files if f.endswith(".py")]
    found += [
        p.name for p in root.glob("*.py") if layout.is_test_file(p.name) or p.name == "conftest.py"
    ]
    return sorted(set(found))


def dotted_name(root: Path, path: str) -> tuple[str, list[str]]:
    """(module name as pytest's rootdir-based import would give it, the file's name parts)."""
    parts = list(PurePosixPath(path).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    folder = (root / path).parent
    depth = 0
    while (folder / "__init__.py").is_file() and folder != root:
        depth += 1
        folder = folder.parent
    keep = depth + (0 if path.endswith("__init__.py") else 1)
    return ".".join(parts[-keep:]) if keep else ".".join(parts), parts


def candidate_names(path: str) -> list[str]:
    """Every name a test-side file may be imported under: each suffix of its dotted path."""
    parts = list(PurePosixPath(path).with_suffix("").parts)
    if parts and parts[-1] == "__init__":
        parts.pop()
    return [".".join(parts[i:]) for i in range(len(parts))]


def _names_index(paths: list[str]) -> dict[str, list[str]]:
    index: dict[str, list[str]] = {}
    for path in paths:
        for name in candidate_names(path):
            index.setdefault(name, []).append(path)
    return index


# -- pytest configuration -----------------------------------------------------------------------
