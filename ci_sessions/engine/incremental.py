"""Incremental runs of checks that work file by file (typecheck, tests).

After an edit only the files whose import closure changed run again; every other file's result
is taken from the last run and merged in, so the row still describes the whole project. A file's
key is its import-closure key (``changes/closure.py``, handed down by the sessions); what every
file depends on (settings, environments, ci-sessions' code, files the graph cannot place such as
config, data files and conftest.py) is the run's context, and any change there runs everything,
with the reason printed. A check that cannot say which files it covers runs whole, and says why.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from ci_sessions.checks.base import (
    Check,
    CheckContext,
    Environment,
    ProjectFiles,
    UnitPayload,
    pending_result,
)
from ci_sessions.engine.filestate import FileState, FileStateStore, UnitEntry
from ci_sessions.results import CheckResult, Status

if TYPE_CHECKING:
    from ci_sessions.engine.cache import ResultCache

#: key facts that are not context: the tree is what the per-file keys replace
_NOT_CONTEXT = frozenset({"tree"})
_CONTEXT_REASONS = {
    "format": "ci-sessions changed since the last run",
    "ci_sessions": "ci-sessions changed since the last run",
    "framework": "ci-sessions changed since the last run",
    "check": "ci-sessions changed since the last run",
    "check_source": "ci-sessions changed since the last run",
    "python": "another Python",
    "section": "the check's settings changed",
    "shared": "the shared settings (baseline, security level) changed",
    "environments": "the environment changed (tools or installed packages)",
    "posargs": "the session's arguments changed",
    "selected_tests": "the test selection changed",
    "environ": "environment variables changed",
    "baseline": "the findings baseline changed",
    "extra": "the check's other inputs changed",
}


class FileGraph(Protocol):
    """What the engine needs of the project's import graph (``changes.closure.ProjectGraph``)."""

    @property
    def files(self) -> ProjectFiles: ...

    def keys(self, units: Sequence[str]) -> dict[str, str]: ...

    def dynamic(self, unit: str) -> str: ...

    def context_files(self) -> dict[str, str]: ...

    def blind_reason(self, path: str) -> str: ...


#: builds the graph of a project state: (root, file digests) -> graph
GraphFactory = Callable[[Path, Mapping[str, str]], FileGraph]


@dataclass(frozen=True)
class IncrementalOptions:
    """How a run uses per-file state: ``use`` it (local default) or only ``refresh`` it."""

    graph: GraphFactory
    use: bool = True


class IncrementalRunner:
    """One run's incremental machinery: the graph is built once, when the first check asks."""

    def __init__(self, root: Path, options: IncrementalOptions, cache: ResultCache) -> None:
        self.root = root
        self.options = options
        self.cache = cache
        self.store = FileStateStore(root)
        self._lock = threading.Lock()
        self._graph: FileGraph | str | None = None

    def graph(self) -> FileGraph | str:
        with self._lock:
            if self._graph is None:
                try:
                    self._graph = self.options.graph(self.root, self.cache.file_digests())
                except Exception as exc:  # the graph is an optimisation: never a failed check
                    self._graph = f"the import graph could not be built ({exc})"
            return self._graph

    def run(self, check: Check, ctx: CheckContext, envs: Mapping[str, Environment]) -> CheckResult:
        """Run ``check`` on the files whose closure changed and merge the rest from the last run."""
        graph = self.graph()
        if isinstance(graph, str):
            return _noted(check.run(ctx, envs), f"full run: {graph}")
        units = check.units(ctx, graph.files)
        if isinstance(units, str):
            return _noted(check.run(ctx, envs), f"full run: {units}")
        keys = graph.keys(units)
        context = context_facts(check, ctx, envs)
        context.update({f"file:{path}": digest for path, digest in graph.context_files().items()})
        stored = self.store.load(check.name, ctx.python) if self.options.use else None
        reason = self._full_run_reason(stored, context, graph)
        if reason is None and stored is not None:
            rerun = sorted(u for u in units if _stored_key(stored, u) != keys[u])
            again = set(rerun)
            reused = {u: stored.units[u].payload for u in units if u not in again}
            result = self._partial(check, ctx, envs, rerun, reused, keys, context, graph)
            if result is not None:
                return result
            reason = "the partial run did not check the files it was given"
        return self._full(check, ctx, envs, units, keys, context, reason or "")

    @staticmethod
    def show_note(result: CheckResult) -> CheckResult:
        """Say how the run was made, first thing in the check's output."""
        note = result.metrics.get("incremental")
        if note:
            line = f"incremental: {note}"
            result.output = f"{line}\n{result.output}" if result.output else line
        return result

    def _full_run_reason(
        self, stored: FileState | None, context: Mapping[str, str], graph: FileGraph
    ) -> str | None:
        if not self.options.use:
            return "--no-cache (the per-file state is refreshed)"
        if stored is None:
            return "no earlier run to build on"
        if stored.problem:
            return stored.problem
        names = set(stored.context) | set(context)
        files = sorted(n for n in names if n.startswith("file:"))  # the most telling reason first
        for name in [*files, *sorted(names - set(files))]:
            if stored.context.get(name) != context.get(name):
                if name.startswith("file:"):
                    return graph.blind_reason(name.removeprefix("file:"))
                return _CONTEXT_REASONS.get(name, f"{name} changed")
        return None

    def _partial(
        self,
        check: Check,
        ctx: CheckContext,
        envs: Mapping[str, Environment],
        rerun: list[str],
        reused: dict[str, UnitPayload],
        keys: Mapping[str, str],
        context: dict[str, str],
        graph: FileGraph,
    ) -> CheckResult | None:
        """The run over ``rerun`` merged with ``reused``; None when it checked other files."""
        if rerun:
            result = check.run(replace(ctx, only_files=list(rerun)), envs)
        else:
            result = pending_result(ctx, check.name)
        if result.status in (Status.ERROR, Status.SKIP):
            return _noted(result, f"{len(rerun)} of {len(keys)} files run again")
        kept = check.unit_results(ctx, result, rerun) if rerun else {}
        if isinstance(kept, str):
            return None
        merged = check.merge(ctx, result, reused)
        state = FileState(context=context)
        state.units = {u: UnitEntry(keys[u], payload) for u, payload in reused.items()}
        state.units.update(
            {u: UnitEntry(keys[u], payload) for u, payload in kept.items() if payload is not None}
        )
        self.store.save(check.name, ctx.python, state)
        merged.metrics["files_rerun"] = len(rerun)
        merged.metrics["files_reused"] = len(reused)
        dynamic = sorted({note for u in rerun if (note := graph.dynamic(u))})
        note = f"{len(rerun)} of {len(keys)} files run again, the others' results reused"
        if rerun:
            shown = ", ".join(rerun[:3]) + (", ..." if len(rerun) > 3 else "")
            note += f" (run: {shown})"
        if dynamic:
            note += f"; imports by a computed name make some rerun on any change: {dynamic[0]}"
        return _noted(merged, note)

    def _full(
        self,
        check: Check,
        ctx: CheckContext,
        envs: Mapping[str, Environment],
        units: list[str],
        keys: Mapping[str, str],
        context: dict[str, str],
        reason: str,
    ) -> CheckResult:
        result = check.run(ctx, envs)
        if result.status in (Status.ERROR, Status.SKIP):
            return _noted(result, f"full run: {reason}")
        kept = check.unit_results(ctx, result, units)
        state = FileState(context=context)
        if isinstance(kept, str):
            state.problem = kept
            reason = f"{reason}; next runs are whole too: {kept}"
        else:
            state.units = {
                u: UnitEntry(keys[u], payload) for u, payload in kept.items() if payload is not None
            }
        self.store.save(check.name, ctx.python, state)
        merged = check.merge(ctx, result, {})
        merged.metrics["files_rerun"] = len(units)
        merged.metrics["files_reused"] = 0
        return _noted(merged, f"full run: {reason}")


def context_facts(
    check: Check, ctx: CheckContext, envs: Mapping[str, Environment]
) -> dict[str, str]:
    """What every file's result depends on: the result cache's key facts but the tree, each as a
    digest, so the one that changed can be named."""
    from ci_sessions.engine.cache import digest_of, key_facts

    facts = key_facts(
        check=check, ctx=ctx, envs=envs, tree_digest="", extra=[check.cache_salt(ctx)]
    )
    return {name: digest_of(value) for name, value in facts.items() if name not in _NOT_CONTEXT}


def _stored_key(state: FileState, unit: str) -> str | None:
    entry = state.units.get(unit)
    return entry.key if entry is not None else None


def _noted(result: CheckResult, note: str) -> CheckResult:
    """Keep how the run was made; ``show_note`` shows it once the check has been evaluated
    (evaluation may write the check's output anew)."""
    result.metrics["incremental"] = note
    return result
