"""Import closures for incremental checks: one key per file that changes whenever the file, or
anything it imports directly or transitively, changes.

A file's type-check diagnostics depend on its text and on what it imports, transitively, and so
does a test file's outcome: two runs whose keys agree saw the same inputs. Imports are read with
``ast`` (cached by file content, so a run parses only what changed) and resolved against the
project's own files: package modules by their module name, other files (tests, scripts) by every
dotted suffix of their path, erring towards more edges, never fewer. Importing a module runs the
``__init__`` files of its folders, so those count as imports too. A file that imports a name it
computes at run time (``importlib.import_module(name)``) reaches anything: its key covers every
Python file of the project. What the graph cannot place (config and data files, conftest.py,
Python outside the packages and tests) is reported as context, whose change runs everything.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import Any, cast

from ci_sessions._fs import atomic_write_text, state_dir
from ci_sessions.changes.affected import Layout, candidate_names, dotted_name, must_run_all
from ci_sessions.changes.import_graph import GraphUnavailable, file_facts, prefixes
from ci_sessions.checks.base import ProjectFiles

PYTHON_SUFFIXES = (".py", ".pyi")
FACTS_FORMAT = 1
FACTS_FILE = "imports.json"


class ProjectGraph:
    """The import graph of one project state (its files' digests), with closure keys."""

    def __init__(self, root: Path, digests: Mapping[str, str], layout: Layout | None = None):
        self.root = root
        self.digests = dict(digests)
        self.layout = layout or Layout.load(root)
        self.python = sorted(p for p in self.digests if p.endswith(PYTHON_SUFFIXES))
        self._facts = _FactsCache(root)
        self._edges: dict[str, list[str]] = {}
        self._dynamic: dict[str, str] = {}
        self._build()
        self._facts.save()
        self._keys = self._closure_keys()
        self._reaches_dynamic = self._dynamic_reach()

    # -- what the checks choose their units from ------------------------------------------------

    @property
    def files(self) -> ProjectFiles:
        layout = self.layout
        tests = tuple(
            p
            for p in self.python
            if p.endswith(".py")
            and layout.is_test_file(p)
            and (layout.in_tests(p) or layout.package_of(p) is not None)
        )
        return ProjectFiles(python=tuple(self.python), tests=tests, doctests=layout.doctests)

    # -- keys -----------------------------------------------------------------------------------

    def keys(self, units: Iterable[str]) -> dict[str, str]:
        """The closure key of each unit (a file that does not exist gets a key of its own)."""
        return {u: self._keys.get(u, f"absent:{u}") for u in units}

    def dynamic(self, unit: str) -> str:
        """Where a file in ``unit``'s closure imports by a computed name (empty: nowhere)."""
        return self._reaches_dynamic.get(unit, "")

    def context_files(self) -> dict[str, str]:
        """Files whose change the graph cannot place, each with the digest that decides it (a
        Python file among them, such as conftest.py, by its closure key)."""
        context: dict[str, str] = {}
        for path, digest in self.digests.items():
            if must_run_all(self.layout, path) is None:
                continue
            context[path] = self._keys.get(path, digest)
        return context

    def blind_reason(self, path: str) -> str:
        """Why a change of ``path`` runs everything."""
        reason = must_run_all(self.layout, path)
        if path not in self.digests:
            return f"{path} was removed: the import graph cannot tell what read it"
        if path.endswith(PYTHON_SUFFIXES) and PurePosixPath(path).name == "conftest.py":
            return f"{path} or a module it imports changed: conftest fixtures can reach any test"
        return reason or f"{path} changed"

    # -- building -------------------------------------------------------------------------------

    def _module_of(self, path: str) -> tuple[str, bool]:
        """(module name for relative imports, whether the file is a package's __init__)."""
        is_package = PurePosixPath(path).stem == "__init__"
        module = self.layout.package_of(path)
        if module is None:
            module = dotted_name(self.root, path)[0]
        return module, is_package

    def _build(self) -> None:
        index: dict[str, list[str]] = {}
        for path in self.python:
            module = self.layout.package_of(path)
            names = [module] if module is not None else candidate_names(path)
            for name in names:
                index.setdefault(name, []).append(path)
        inits = {p for p in self.python if PurePosixPath(p).stem == "__init__"}
        for path in self.python:
            module, is_package = self._module_of(path)
            names, dynamic = self._facts.get(
                self.root, path, self.digests[path], module, is_package
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

    def _node_digest(self, path: str, everything: str) -> str:
        parts = [path, self.digests[path], *self._edges[path]]
        if path in self._dynamic:
            parts.append(everything)  # it may import any file: every file is an input
        return hashlib.sha256("\0".join(parts).encode("utf-8", "surrogateescape")).hexdigest()

    def _closure_keys(self) -> dict[str, str]:
        """Merkle keys over the strongly connected components (import cycles share inputs)."""
        everything = hashlib.sha256(
            "\0".join(f"{p}={self.digests[p]}" for p in self.python).encode(
                "utf-8", "surrogateescape"
            )
        ).hexdigest()
        node = {p: self._node_digest(p, everything) for p in self.python}
        keys: dict[str, str] = {}
        for component in _components(self._edges):  # dependencies come first
            members = set(component)
            below = sorted({keys[t] for m in component for t in self._edges[m] if t not in members})
            shared = hashlib.sha256(
                "\0".join([*sorted(node[m] for m in component), "|", *below]).encode()
            ).hexdigest()
            for member in component:
                keys[member] = hashlib.sha256(f"{member}\0{shared}".encode()).hexdigest()
        return keys

    def _dynamic_reach(self) -> dict[str, str]:
        if not self._dynamic:
            return {}
        reach: dict[str, str] = {}
        for component in _components(self._edges):
            note = next((self._dynamic[m] for m in sorted(component) if m in self._dynamic), "")
            if not note:
                targets = sorted({t for m in component for t in self._edges[m]})
                note = next((reach[t] for t in targets if reach.get(t)), "")
            for member in component:
                reach[member] = note
        return reach


def _components(edges: Mapping[str, Sequence[str]]) -> list[list[str]]:
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
        with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
            data = cast("dict[str, Any]", json.loads(self.path.read_text(encoding="utf-8")))
            if data.get("format") == FACTS_FORMAT:
                self.entries = cast("dict[str, list[Any]]", data["files"])
        self.used: dict[str, list[Any]] = {}

    def get(
        self, root: Path, path: str, digest: str, module: str, is_package: bool
    ) -> tuple[list[str], str]:
        entry = self.entries.get(path)
        if entry is not None and len(entry) == 4 and entry[0] == digest and entry[1] == module:
            self.used[path] = entry
            return [str(n) for n in cast("list[Any]", entry[2])], str(entry[3])
        try:
            names, dynamic = file_facts(root / path, module, is_package=is_package)
        except GraphUnavailable:
            names, dynamic = set[str](), "does not parse"
        fresh: list[Any] = [digest, module, sorted(names), dynamic]
        self.used[path] = fresh
        self.changed = True
        return sorted(names), dynamic

    def save(self) -> None:
        if not self.changed and len(self.used) == len(self.entries):
            return
        with contextlib.suppress(OSError):
            atomic_write_text(self.path, json.dumps({"format": FACTS_FORMAT, "files": self.used}))


def project_graph(root: Path, digests: Mapping[str, str]) -> ProjectGraph:
    """The graph an incremental run keys its files with (the sessions hand this to the engine)."""
    return ProjectGraph(root, digests)
