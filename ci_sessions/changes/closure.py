"""Import closures for incremental checks: one key per file that changes whenever the file, or
anything it imports directly or transitively, changes.

A file's type-check diagnostics depend on its text and on what it imports, transitively, and so
does what a test file's import executes: two runs whose keys agree saw the same inputs. Imports
are read with ``ast`` (cached by file content, so a run parses only what changed) and resolved
against the project's files: package modules by their module name, other files (tests, scripts)
by every dotted suffix of their path, erring towards more edges, never fewer. Importing a module
runs the ``__init__`` files of its folders, so those count as imports too.

Two kinds of keys: ``types`` (a type checker reads stubs, ``.pyi``, beside or instead of the
code) and ``runtime`` (an interpreter never imports a ``.pyi``). What the import graph cannot
show (code reached through a computed import, an entry point or a subprocess, files read by
path) a ``runtime`` check observes as it runs (``changes/reached.py``); what neither can place
is the run's context (``context_files``), whose change runs everything.

The graph covers every Python file the tools see: git's files (tracked, and untracked but not
ignored: the work tree, not the index) plus the Python files git ignores but the tools still
import or analyse (a generated ``_version.py``, a ``build/`` copy).
"""

from __future__ import annotations

import contextlib
import fnmatch
import hashlib
import json
import os
from collections.abc import Collection, Iterable, Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import Any, cast

from ci_sessions._fs import atomic_write_text, state_dir
from ci_sessions._git import git_bytes
from ci_sessions.changes.affected import Layout, candidate_names, dotted_name
from ci_sessions.changes.blocks import Block, outlines
from ci_sessions.changes.import_graph import GraphUnavailable, file_facts, prefixes
from ci_sessions.changes.reached import Dependencies, ReachedFiles
from ci_sessions.checks.base import RUNTIME, TYPES, Observed, ProjectFiles

PYTHON_SUFFIXES = (".py", ".pyi")
FACTS_FORMAT = 5
#: compilers that run Python functions as machine code: their bodies never run as Python, so a
#: body edit cannot be seen reaching a test through them
JIT = frozenset({"numba", "pythran", "taichi", "cython", "Cython", "transonic", "llvmlite"})
FACTS_FILE = "imports.json"
#: folders whose Python files no tool of a check sees as the project's (environments, caches)
SKIP_DIRS = frozenset(
    {".git", ".hg", ".nox", ".tox", ".venv", "venv", ".ci-sessions", "__pycache__",
     "node_modules", ".mypy_cache", ".ruff_cache", ".pytest_cache", ".eggs"}
)  # fmt: skip
#: files a type checker reads beside the Python files (its configuration, package markers)
TYPES_CONTEXT = frozenset({"pyrightconfig.json", "py.typed"})


class ProjectGraph:
    """The import graph of one project state (its files' digests), with closure keys."""

    def __init__(
        self,
        root: Path,
        digests: Mapping[str, str],
        layout: Layout | None = None,
        *,
        ignored_python: bool = True,
    ) -> None:
        self.root = root
        self.digests = dict(digests)
        if ignored_python:
            self.digests.update(ignored_python_files(root, self.digests))
        self.layout = layout or Layout.load(root)
        self.python = sorted(p for p in self.digests if p.endswith(PYTHON_SUFFIXES))
        self._facts = _FactsCache(root)
        self._edges: dict[str, list[str]] = {}
        self._dynamic: dict[str, str] = {}
        self._outlines: dict[str, str] = {}
        self._interfaces: dict[str, str] = {}
        self._blocks: dict[str, list[Block]] = {}
        #: why function bodies cannot count apart (a JIT compiler in the project), or ""
        self.bodies_off = ""
        self.index: dict[str, list[str]] = {}
        self._build()
        self._facts.save()
        self._keys: dict[str, dict[str, str]] = {}
        self._reached: ReachedFiles | None = None

    # -- what the checks choose their units from ------------------------------------------------

    @property
    def files(self) -> ProjectFiles:
        layout = self.layout
        tests = tuple(p for p in self.python if p.endswith(".py") and layout.is_test_file(p))
        globs = layout.doctest_globs
        texts = tuple(
            p
            for p in sorted(self.digests)
            if not p.endswith(PYTHON_SUFFIXES)
            and any(fnmatch.fnmatch(PurePosixPath(p).name, glob) for glob in globs)
        )
        return ProjectFiles(
            python=tuple(self.python),
            tests=tests,
            doctests=layout.doctest_modules,
            doctest_files=texts,
        )

    # -- keys -----------------------------------------------------------------------------------

    def keys(self, units: Iterable[str], kind: str = TYPES) -> dict[str, str]:
        """The closure key of each unit; a file outside the graph (data, a doctest text file)
        is keyed by its content, a file that does not exist by its name."""
        keys = self._kind_keys(kind)
        found: dict[str, str] = {}
        for unit in units:
            key = keys.get(unit)
            digest = self.digests.get(unit)
            if key is None:
                key = f"file:{digest}" if digest is not None else f"absent:{unit}"
            else:
                key = f"{key}:{digest}"  # the unit's own text counts whole, bodies included
            found[unit] = key
        return found

    def edges(self, path: str, kind: str = TYPES) -> list[str]:
        """The project files ``path`` imports directly (an interpreter never imports a stub)."""
        targets = self._edges.get(path, [])
        return targets if kind == TYPES else [t for t in targets if t.endswith(".py")]

    def dynamic(self, unit: str) -> str:
        """Where ``unit`` imports by a computed name (empty: nowhere); what that reaches a
        ``runtime`` check observes, and a type checker never follows."""
        return self._dynamic.get(unit, "")

    def in_package(self, path: str) -> bool:
        """Whether ``path`` is a module of one of the project's packages."""
        return self.layout.package_of(path) is not None

    def resolve(self, module: str) -> list[str]:
        """The project files an import of ``module`` may execute (erring towards more)."""
        return [p for p in self.index.get(module, ()) if p.endswith(".py")]

    def context_files(self, kind: str, read: Collection[str] = ()) -> dict[str, str]:
        """Files whose change runs everything, each with the digest that decides it (a
        conftest.py by its closure key).

        ``types``: the type checker's configuration and ``py.typed`` markers (``run-all``
        patterns included). ``runtime``: the ``run-all`` patterns, every conftest.py and what it
        imports, and the non-Python files among the packages and tests that no test was seen
        reading (``read``): a C extension or a tool may read them unseen.
        """
        context: dict[str, str] = {}
        runtime_keys = self._kind_keys(RUNTIME) if kind == RUNTIME else {}
        for path, digest in self.digests.items():
            name = PurePosixPath(path).name
            if self.layout.rules.run_all.first(path) is not None:
                context[path] = digest
            elif kind == TYPES:
                if name in TYPES_CONTEXT:
                    context[path] = digest
            elif name == "conftest.py":
                context[path] = f"{runtime_keys.get(path, '')}:{digest}"
            elif (
                not path.endswith(PYTHON_SUFFIXES)
                and path not in read
                and (self.layout.package_of(path) is not None or self.layout.in_tests(path))
            ):
                context[path] = digest
        return context

    def blind_reason(self, path: str, what: str = "changed") -> str:
        """Why ``path`` (a context file) that ``what`` (changed, was added, was removed) runs
        everything."""
        name = PurePosixPath(path).name
        pattern = self.layout.rules.run_all.first(path)
        if path not in self.digests:
            what = "was removed"
        elif pattern is not None:
            return f"{path} {what} (dependency or config file, run-all pattern {pattern!r})"
        if name == "conftest.py":
            return f"{path} or a module it imports changed: conftest fixtures can reach any test"
        if name in TYPES_CONTEXT:
            return f"{path} {what}: the type checker's configuration"
        if self.layout.package_of(path) is not None:
            return (
                f"{path} {what}: a non-Python file in a package that no test was seen reading "
                "(a C extension or a tool may read it)"
            )
        if self.layout.in_tests(path):
            return (
                f"{path} {what}: a data file among the tests that no test was seen reading "
                "(a C extension or a tool may read it)"
            )
        return f"{path} {what}"

    # -- what a runtime check's run reached (changes/reached.py) -------------------------------

    @property
    def reached(self) -> ReachedFiles:
        if self._reached is None:
            self._reached = ReachedFiles(self)
        return self._reached

    def dependencies(self, observed: Observed, units: Iterable[str]) -> Dependencies:
        """Each unit's dependency tokens from what a run observed, and the shared ones."""
        return self.reached.dependencies(observed, units)

    def value(self, token: str) -> str:
        return self.reached.value(token)

    def stale(self, deps: Mapping[str, str]) -> str:
        return self.reached.stale(deps)

    def explain(self, token: str) -> str:
        return self.reached.explain(token)

    # -- building -------------------------------------------------------------------------------

    def _module_of(self, path: str) -> tuple[str, bool]:
        """(module name for relative imports, whether the file is a package's __init__)."""
        is_package = PurePosixPath(path).stem == "__init__"
        module = self.layout.package_of(path)
        if module is None:
            module = dotted_name(self.root, path)[0]
        return module, is_package

    def _build(self) -> None:
        index = self.index
        for path in self.python:
            module = self.layout.package_of(path)
            names = [module] if module is not None else candidate_names(path)
            for name in names:
                index.setdefault(name, []).append(path)
        inits = {p for p in self.python if PurePosixPath(p).stem == "__init__"}
        for path in self.python:
            module, is_package = self._module_of(path)
            names, dynamic, (skeleton, interface), blocks = self._facts.get(
                self.root, path, self.digests[path], module, is_package
            )
            self._outlines[path] = skeleton
            self._interfaces[path] = interface
            self._blocks[path] = blocks
            if not self.bodies_off and JIT.intersection(n.split(".", 1)[0] for n in names):
                self.bodies_off = (
                    f"{path} imports a compiler that runs Python functions as machine code "
                    "(what their bodies do is not seen running): every file counts whole"
                )
            targets: set[str] = set()
            for name in names:
                for prefix in prefixes(name):
                    targets.update(index.get(prefix, ()))
            folder = PurePosixPath(path).parent
            while folder != PurePosixPath("."):
                for suffix in PYTHON_SUFFIXES:
                    candidate = (folder / f"__init__{suffix}").as_posix()
                    if candidate in inits:
                        targets.add(candidate)
                folder = folder.parent
            targets.discard(path)
            self._edges[path] = sorted(targets)
            if dynamic:
                self._dynamic[path] = f"{path} {dynamic}"

    def _text_of(self, path: str, kind: str) -> str:
        """What of ``path`` its importers depend on: for the type checker its interface (the
        outline and the bodies types are inferred from), for a test run its outline (a function
        body counts only for the tests seen running it); the whole text when bodies cannot
        count apart."""
        if self.bodies_off:
            return self.digests[path]
        known = self._interfaces if kind == TYPES else self._outlines
        return known.get(path, self.digests[path])

    def outline(self, path: str) -> str | None:
        """The digest of a file's outline (everything but its function bodies), or None."""
        if path not in self.digests:
            return None
        if self.bodies_off or not path.endswith(".py"):
            return self.digests[path]
        return self._outlines.get(path, self.digests[path])

    def blocks(self, path: str) -> list[Block]:
        """The function bodies of a file (none when bodies cannot count apart)."""
        return [] if self.bodies_off else self._blocks.get(path, [])

    def _kind_keys(self, kind: str) -> dict[str, str]:
        """Merkle keys over the strongly connected components (import cycles share inputs)."""
        known = self._keys.get(kind)
        if known is not None:
            return known
        nodes = [p for p in self.python if kind == TYPES or p.endswith(".py")]
        edges = {p: self.edges(p, kind) for p in nodes}
        node = {
            p: hashlib.sha256(
                "\0".join([p, self._text_of(p, kind), *edges[p]]).encode("utf-8", "surrogateescape")
            ).hexdigest()
            for p in nodes
        }
        keys: dict[str, str] = {}
        for component in components(edges):  # dependencies come first
            members = set(component)
            below = sorted({keys[t] for m in component for t in edges[m] if t not in members})
            shared = hashlib.sha256(
                "\0".join([*sorted(node[m] for m in component), "|", *below]).encode()
            ).hexdigest()
            for member in component:
                keys[member] = hashlib.sha256(f"{member}\0{shared}".encode()).hexdigest()
        self._keys[kind] = keys
        return keys


def ignored_python_files(root: Path, known: Mapping[str, str]) -> dict[str, str]:
    """The Python files git ignores that are on disk (a generated ``_version.py``, a ``build/``
    copy), outside environments, caches and hidden folders, each with its content digest."""
    out = git_bytes(
        root, "ls-files", "-z", "--others", "--ignored", "--exclude-standard", "--directory"
    )
    if out is None:
        return {}
    found: dict[str, str] = {}
    for entry in out.decode("utf-8", "surrogateescape").split("\0"):
        if not entry or _skipped(entry.rstrip("/")):
            continue
        if entry.endswith("/"):
            for path in _walk_python(root, entry.rstrip("/")):
                found[path] = ""
        elif entry.endswith(PYTHON_SUFFIXES):
            found[entry] = ""
    digests: dict[str, str] = {}
    for path in found:
        if path in known:
            continue
        with contextlib.suppress(OSError):
            digests[path] = hashlib.sha256((root / path).read_bytes()).hexdigest()
    return digests


def _skipped(path: str) -> bool:
    return any(part in SKIP_DIRS or part.startswith(".") for part in path.split("/"))


def _walk_python(root: Path, folder: str) -> list[str]:
    found: list[str] = []
    for current, dirs, files in os.walk(root / folder):
        here = Path(current)
        dirs[:] = [
            d
            for d in dirs
            if d not in SKIP_DIRS
            and not d.startswith(".")
            and not (here / d / "pyvenv.cfg").exists()
        ]
        base = here.relative_to(root).as_posix()
        found += [f"{base}/{f}" for f in files if f.endswith(PYTHON_SUFFIXES)]
    return found


def components(edges: Mapping[str, Sequence[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components, each after every component it imports."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for start in sorted(edges):
        if start in index:
            continue
        work: list[tuple[str, int]] = [(start, 0)]
        while work:
            node, position = work.pop()
            if position == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            targets = edges.get(node, ())
            if position < len(targets):
                work.append((node, position + 1))
                target = targets[position]
                if target not in edges:
                    continue
                if target not in index:
                    work.append((target, 0))
                elif target in on_stack:
                    low[node] = min(low[node], index[target])
                continue
            for target in targets:
                if target in on_stack and target in low:
                    low[node] = min(low[node], low[target])
            if low[node] == index[node]:
                component: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                found.append(component)
    return found


class _FactsCache:
    """Each file's imports, kept by path and content digest in ``.ci-sessions/cache``."""

    def __init__(self, root: Path) -> None:
        self.path = state_dir(root) / "cache" / FACTS_FILE
        self.entries: dict[str, list[Any]] = {}
        self.changed = False
        with contextlib.suppress(OSError, ValueError, KeyError, TypeError, AttributeError):
            data = cast("dict[str, Any]", json.loads(self.path.read_text(encoding="utf-8")))
            if data.get("format") == FACTS_FORMAT:
                self.entries = cast("dict[str, list[Any]]", data["files"])
        self.used: dict[str, list[Any]] = {}

    def get(
        self, root: Path, path: str, digest: str, module: str, is_package: bool
    ) -> tuple[list[str], str, tuple[str, str], list[Block]]:
        """(imports, where it imports by a computed name, (outline, interface) digests,
        function bodies)."""
        entry = self.entries.get(path)
        if entry is not None and len(entry) == 7 and entry[0] == digest and entry[1] == module:
            self.used[path] = entry
            blocks = [Block(int(b[0]), int(b[1]), str(b[2]), str(b[3])) for b in entry[6]]
            names = [str(n) for n in cast("list[Any]", entry[2])]
            return names, str(entry[3]), (str(entry[4]), str(entry[5])), blocks
        try:
            found, dynamic = file_facts(root / path, module, is_package=is_package)
        except GraphUnavailable:
            found, dynamic = set[str](), "does not parse"
        skeleton, interface, blocks = digest, digest, list[Block]()
        if path.endswith(".py"):
            with contextlib.suppress(OSError):
                skeleton, interface, blocks = outlines((root / path).read_bytes())
        rows = [[b.start, b.end, b.ident, b.digest] for b in blocks]
        self.used[path] = [digest, module, sorted(found), dynamic, skeleton, interface, rows]
        self.changed = True
        return sorted(found), dynamic, (skeleton, interface), blocks

    def save(self) -> None:
        if not self.changed and len(self.used) == len(self.entries):
            return
        with contextlib.suppress(OSError):
            atomic_write_text(self.path, json.dumps({"format": FACTS_FORMAT, "files": self.used}))


def project_graph(root: Path, digests: Mapping[str, str]) -> ProjectGraph:
    """The graph an incremental run keys its files with (the sessions hand this to the engine)."""
    return ProjectGraph(root, digests)
