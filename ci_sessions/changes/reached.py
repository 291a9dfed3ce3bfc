"""What a test file depends on beyond its import closure, from what its run was seen to reach.

A test run records (``checks/pytest_plugin/ci_sessions_pytest_reach.py``) what each test file's
collection and tests reach, what the first import of each project module runs, and what runs
outside any test file (start-up, conftest imports, fixtures shared between tests). This module
turns that into dependency tokens, each with the value it has in a project state:

- ``outline:P``: P without its function bodies (code of P ran: its module-level code, its
  globals); ``body:P:NAME``: the body of one function that ran (``changes/blocks.py``);
- ``file:P``: the content of P (a file that was read; ``absent``);
- ``constants:P``: the literal constants of P and where they stand (hypothesis read P only to
  harvest them: ``changes/constants.py``);
- ``dir:P``: the names in folder P (it was listed); ``dists:P``: the ``*.dist-info`` in it;
- ``mod:N``: the project files an import of module N would find (it was tried: a module that
  did not exist then may now);
- ``tree``: every project file (the test started a process that may run project code, which
  the tracking does not follow).

A test file depends on what its own bucket reached, on what the imports its closure reaches ran
when they were first imported, and on what those imports caused. A module that was imported
through no edge of the graph (a computed name, an entry point, a plugin) may have been handed
to any test by then: what its import ran counts for every test, as does everything that ran
outside a test file.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from ci_sessions.changes.blocks import Block, block_at
from ci_sessions.changes.constants import constants_digest
from ci_sessions.checks.base import RUNTIME, Observed, Reached

TREE = "tree"
DIST_SUFFIXES = (".dist-info", ".egg-info", ".egg-link")


class Graph(Protocol):
    """What tokens need of the import graph (``changes.closure.ProjectGraph``)."""

    @property
    def root(self) -> Path: ...

    @property
    def digests(self) -> dict[str, str]: ...

    def edges(self, path: str, kind: str) -> list[str]: ...

    def resolve(self, module: str) -> list[str]: ...

    def dynamic(self, unit: str) -> str: ...

    def in_package(self, path: str) -> bool: ...

    def outline(self, path: str) -> str | None: ...

    def blocks(self, path: str) -> list[Block]: ...


@dataclass
class Dependencies:
    """Each unit's dependency tokens with their values, and the run's shared ones (a change
    there runs everything) with why each is shared."""

    units: dict[str, dict[str, str]] = field(default_factory=dict[str, dict[str, str]])
    shared: dict[str, str] = field(default_factory=dict[str, str])
    why: dict[str, str] = field(default_factory=dict[str, str])
    #: units that started a process which may run project code: what it was
    spawned: dict[str, str] = field(default_factory=dict[str, str])


class ReachedFiles:
    """Dependency tokens of one project state: what they are worth now, and why one counts."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self._values: dict[str, str] = {}
        self._children: dict[str, set[str]] | None = None
        self._tree = ""
        self._closure: dict[str, frozenset[str]] = {}

    # -- values ---------------------------------------------------------------------------------

    def value(self, token: str) -> str:
        """What ``token`` is worth in this project state."""
        known = self._values.get(token)
        if known is None:
            known = self._values[token] = self._compute(token)
        return known

    def _compute(self, token: str) -> str:
        kind, _, what = token.partition(":")
        if kind == "file":
            digest = self.graph.digests.get(what)
            if digest is not None:
                return digest
            try:
                return hashlib.sha256((self.graph.root / what).read_bytes()).hexdigest()
            except OSError:
                return "absent"
        if kind == "constants":
            try:
                return constants_digest((self.graph.root / what).read_bytes())
            except OSError:
                return "absent"
        if kind == "dir":
            return _digest(sorted(self.children().get(what.rstrip("/"), set())))
        if kind == "dists":
            try:
                names = os.listdir(self.graph.root / what)
            except OSError:
                names = []
            return _digest(sorted(n for n in names if n.lower().endswith(DIST_SUFFIXES)))
        if kind == "mod":
            return _digest(self.graph.resolve(what))
        if kind == "outline":
            return self.graph.outline(what) or "absent"
        if kind == "body":
            path, _, ident = what.rpartition(":")
            found = [b.digest for b in self.graph.blocks(path) if b.ident == ident]
            return found[0] if found else "absent"
        if kind == TREE:
            if not self._tree:
                self._tree = _digest(f"{p}={d}" for p, d in sorted(self.graph.digests.items()))
            return self._tree
        return f"unknown:{token}"

    def children(self) -> dict[str, set[str]]:
        """Folder -> the names in it, as git sees the work tree (plus ignored Python files)."""
        if self._children is None:
            children: dict[str, set[str]] = {}
            for path in self.graph.digests:
                parts = path.split("/")
                for depth in range(len(parts)):
                    folder = "/".join(parts[:depth]) or "."
                    children.setdefault(folder, set()).add(parts[depth])
            self._children = children
        return self._children

    def stale(self, deps: Mapping[str, str]) -> str:
        """The first token in ``deps`` whose value changed (empty: none did)."""
        for token, value in deps.items():
            if self.value(token) != value:
                return token
        return ""

    def explain(self, token: str) -> str:
        """A token that changed, said for a person."""
        kind, _, what = token.partition(":")
        if kind == "file":
            return f"{what} {'was removed' if self.value(token) == 'absent' else 'changed'}"
        if kind == "outline":
            return f"{what} changed outside its function bodies"
        if kind == "constants":
            return f"the literal constants of {what} changed (hypothesis draws examples from them)"
        if kind == "body":
            path, _, ident = what.rpartition(":")
            return f"the body of {ident.partition('#')[0]} in {path} changed"
        if kind in ("dir", "dists"):
            return f"the files in {what or '.'} changed"
        if kind == "mod":
            return f"a project file for module {what} appeared or went"
        return "a project file changed"

    # -- from what a run observed ---------------------------------------------------------------

    def closure(self, path: str) -> frozenset[str]:
        """The project files ``path`` imports, directly or transitively (itself included)."""
        known = self._closure.get(path)
        if known is not None:
            return known
        seen = {path}
        pending = [path]
        while pending:
            for target in self.graph.edges(pending.pop(), RUNTIME):
                if target not in seen:
                    seen.add(target)
                    pending.append(target)
        frozen = frozenset(seen)
        self._closure[path] = frozen
        return frozen

    def dependencies(self, observed: Observed, units: Iterable[str]) -> Dependencies:
        """Each unit's tokens, and the shared ones, from what a run observed."""
        found = Dependencies()
        imports = observed.imports
        units = list(units)
        shared_buckets = self._caused([observed.shared], imports)
        extra: dict[str, list[Reached]] = {}
        computing = [u for u in units if self._computes(u, observed)]
        for module, bucket in sorted(self._dynamic_loads(observed).items()):
            reached = self._caused([bucket], imports)
            if not bucket.via:  # code outside the project loaded it: a plugin, an entry point
                shared_buckets += reached
                for token in {t for b in reached for t in self._tokens(b)}:
                    found.why.setdefault(
                        token,
                        f"{module} was imported by code outside the project (a plugin, an "
                        "entry point), so what its import runs may reach any test",
                    )
                continue
            for unit in {*self._reaching(units, bucket), *computing}:
                extra.setdefault(unit, []).extend(reached)
        for bucket, users in observed.marked.values():
            for unit in users:
                extra.setdefault(unit, []).append(bucket)
        for bucket in shared_buckets:
            for token in self._tokens(bucket):
                found.shared[token] = self.value(token)
                found.why.setdefault(
                    token,
                    "code that runs outside any one test file (start-up, conftest imports, "
                    "fixtures shared between tests) reached it, so it may reach any test",
                )
        for unit in units:
            bucket = observed.units.get(unit)
            if bucket is None:
                continue
            start = [bucket, *(imports[m] for m in self.closure(unit) if m in imports)]
            tokens: dict[str, str] = {}
            for reached in self._caused([*start, *extra.get(unit, [])], imports):
                for token in self._tokens(reached):
                    tokens[token] = self.value(token)
                if reached.spawned and unit not in found.spawned:
                    found.spawned[unit] = reached.spawned[0]
            found.units[unit] = tokens
        return found

    def _dynamic_loads(self, observed: Observed) -> dict[str, Reached]:
        """First imports that no import the graph shows explains: the project file whose code
        asked for the module does not import it (a computed name), or code outside the project
        asked (a plugin, an entry point) for a module the unit it ran in does not import."""
        causer: dict[str, str] = {}
        for owner, bucket in [*observed.units.items(), *observed.imports.items()]:
            for module in bucket.caused:
                causer.setdefault(module, owner)
        loads: dict[str, Reached] = {}
        for module, bucket in observed.imports.items():
            if bucket.via:
                if module not in self.closure(bucket.via):
                    loads[module] = bucket
                continue
            owner = causer.get(module)
            if owner is not None and module not in self.closure(owner):
                loads[module] = bucket  # (caused outside any unit: shared already)
        return loads

    def _reaching(self, units: Sequence[str], load: Reached) -> list[str]:
        """The units that may get hold of a module project code loaded by a computed name
        because they import the file that loads it (not for a package that loads submodules in
        its ``__getattr__``: a literal ``pkg.sub`` is an import edge of its own, and a computed
        one makes a unit ``_computes``)."""
        if load.lazy:
            return []
        return [unit for unit in units if load.via in self.closure(unit)]

    def _computes(self, unit: str, observed: Observed) -> bool:
        """Whether a unit may get hold of any module loaded by a computed name, here or in an
        earlier test file: its code asked for one (seen as it ran), or its own text or a test
        helper it imports names a module's attribute or a module by a computed name."""
        closure = self.closure(unit)
        for path in closure:
            if (path == unit or not self.graph.in_package(path)) and self.graph.dynamic(path):
                return True
        bucket = observed.units.get(unit)
        start = [bucket] if bucket is not None else []
        start += [observed.imports[m] for m in closure if m in observed.imports]
        return any(b.computes for b in self._caused(start, observed.imports))

    def _caused(self, start: list[Reached], imports: Mapping[str, Reached]) -> list[Reached]:
        """``start`` and every import bucket they caused, transitively."""
        seen: set[int] = set()
        out: list[Reached] = []
        pending = list(start)
        while pending:
            bucket = pending.pop()
            if id(bucket) in seen:
                continue
            seen.add(id(bucket))
            out.append(bucket)
            pending.extend(imports[m] for m in bucket.caused if m in imports)
        return out

    def _tokens(self, bucket: Reached) -> list[str]:
        tokens = [f"file:{p}" for p in bucket.read]
        tokens += [f"constants:{p}" for p in bucket.constants]
        for path, lines in bucket.code.items():
            if not lines:
                tokens.append(f"file:{path}")  # where in it code ran is not known: all of it
                continue
            blocks = self.graph.blocks(path)
            tokens.append(f"outline:{path}")  # its module-level code, its globals
            for line in lines:
                block = block_at(blocks, line)
                if block is not None:
                    tokens.append(f"body:{path}:{block.ident}")
        for folder in bucket.listed:
            if folder.endswith("/*.dist-info"):
                tokens.append(f"dists:{folder.removesuffix('/*.dist-info')}")
            else:
                tokens.append(f"dir:{folder}")
        tokens += [f"mod:{name}" for name in bucket.imports]
        if bucket.spawned:
            tokens.append(TREE)
        return tokens


def _digest(parts: Iterable[str]) -> str:
    return hashlib.sha256("\0".join(parts).encode("utf-8", "surrogateescape")).hexdigest()
