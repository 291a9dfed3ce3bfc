"""Incremental runs of checks that work file by file (typecheck, tests).

After an edit only the files whose inputs changed run again; every other file's result is taken
from the last run and merged in, so the row still describes the whole project. A file's inputs
are its import closure (``changes/closure.py``, handed down by the sessions) and, for a check
whose results depend on what runs (``incremental_inputs = "runtime"``: the tests), what its run
was seen reaching (``Check.observed``, turned into dependency tokens by ``changes/reached.py``).
What every file depends on (settings, environments, ci-sessions' code, files the graph cannot
place such as config, conftest.py and data no test was seen reading, what ran outside any one
file) is the run's context, and any change there runs everything, with the reason printed. A
check that cannot say which files it covers, or what they reached, runs whole and says why. The
model, channel by channel: docs/incremental.md.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from ci_sessions.checks.base import (
    RUNTIME,
    Check,
    CheckContext,
    Environment,
    IncrementalCheck,
    Observed,
    ProjectFiles,
    UnitPayload,
    cache_salt,
    pending_result,
)
from ci_sessions.engine.filestate import DEP, FileState, FileStateStore, UnitEntry
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

    def keys(self, units: Sequence[str], kind: str) -> dict[str, str]: ...

    def context_files(self, kind: str, read: Collection[str]) -> dict[str, str]: ...

    def blind_reason(self, path: str, what: str) -> str: ...

    def dependencies(self, observed: Observed, units: Sequence[str]) -> Dependencies: ...

    def value(self, token: str) -> str: ...

    def stale(self, deps: Mapping[str, str]) -> str: ...

    def explain(self, token: str) -> str: ...


class Dependencies(Protocol):
    """What a run's units reached beyond their import closures (``changes.reached``)."""

    @property
    def units(self) -> Mapping[str, Mapping[str, str]]: ...

    @property
    def shared(self) -> Mapping[str, str]: ...

    @property
    def why(self) -> Mapping[str, str]: ...

    @property
    def spawned(self) -> Mapping[str, str]: ...


#: builds the graph of a project state: (root, file digests) -> graph
GraphFactory = Callable[[Path, Mapping[str, str]], FileGraph]


@dataclass(frozen=True)
class IncrementalOptions:
    """How a run uses per-file state: ``use`` it (local default) or only ``refresh`` it."""

    graph: GraphFactory
    use: bool = True


@dataclass
class _Plan:
    """One incremental run of one check: its units, their keys, the context it is judged by."""

    check: IncrementalCheck
    ctx: CheckContext
    units: list[str]
    keys: Mapping[str, str]
    base: dict[str, str]  # context facts that are not files (settings, environments, ...)
    stored: FileState | None
    graph: FileGraph

    @property
    def kind(self) -> str:
        return self.check.incremental_inputs

    def context(self, read: Collection[str], deps: Mapping[str, str]) -> dict[str, str]:
        """The context: settings and environments, files the graph cannot place (for the files
        units were seen to read), and what ran outside any one unit (``deps``)."""
        context = dict(self.base)
        read = {*read, *(t.removeprefix("file:") for t in deps if t.startswith("file:"))}
        files = self.graph.context_files(self.kind, read)
        context.update({f"file:{path}": digest for path, digest in files.items()})
        context.update({f"{DEP}{token}": value for token, value in deps.items()})
        return context


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

    def run(
        self, check: IncrementalCheck, ctx: CheckContext, envs: Mapping[str, Environment]
    ) -> CheckResult:
        """Run ``check`` on the files whose inputs changed and merge the rest from the last run."""
        graph = self.graph()
        if isinstance(graph, str):
            return _noted(check.run(ctx, envs), f"full run: {graph}")
        units = check.units(ctx, graph.files)
        if isinstance(units, str):
            return _noted(check.run(ctx, envs), f"full run: {units}")
        stored, unreadable = (
            self.store.load(check.name, ctx.python) if self.options.use else (None, "")
        )
        plan = _Plan(
            check=check,
            ctx=replace(ctx, observe=check.incremental_inputs == RUNTIME),
            units=units,
            keys=graph.keys(units, check.incremental_inputs),
            base=context_facts(check, ctx, envs),
            stored=stored,
            graph=graph,
        )
        reason = unreadable or self._full_run_reason(plan)
        if reason is None and stored is not None:
            rerun = [u for u in units if self._runs_again(plan, stored, u)]
            again = set(rerun)
            reused = {u: stored.units[u] for u in units if u not in again}
            result = self._partial(plan, envs, rerun, reused)
            if isinstance(result, CheckResult):
                return result
            reason = result
        return self._full(plan, envs, reason or "")

    @staticmethod
    def show_note(result: CheckResult) -> CheckResult:
        """Say how the run was made, first thing in the check's output."""
        note = result.metrics.get("incremental")
        if note:
            line = f"incremental: {note}"
            result.output = f"{line}\n{result.output}" if result.output else line
        return result

    def _full_run_reason(self, plan: _Plan) -> str | None:
        stored = plan.stored
        if not self.options.use:
            return "--no-cache (the per-file state is refreshed)"
        if stored is None:
            return "no earlier run to build on"
        if stored.problem:
            return stored.problem
        deps = {
            name.removeprefix(DEP): plan.graph.value(name.removeprefix(DEP))
            for name in stored.context
            if name.startswith(DEP)
        }
        context = plan.context(stored.read_files(), deps)
        names = set(stored.context) | set(context)
        files = sorted(n for n in names if n.startswith("file:"))  # the most telling reason first
        dynamic = sorted(n for n in names if n.startswith(DEP))
        for name in [*files, *dynamic, *sorted(names - set(files) - set(dynamic))]:
            if stored.context.get(name) != context.get(name):
                if name.startswith("file:"):
                    what = (
                        "was added" if name not in stored.context
                        else "was removed" if name not in context
                        else "changed"
                    )  # fmt: skip
                    return plan.graph.blind_reason(name.removeprefix("file:"), what)
                if name.startswith(DEP):
                    token = name.removeprefix(DEP)
                    why = stored.why.get(token, "it may reach any test")
                    return f"{plan.graph.explain(token)}: {why}"
                return _CONTEXT_REASONS.get(name, f"{name} changed")
        return None

    def _runs_again(self, plan: _Plan, stored: FileState, unit: str) -> bool:
        entry = stored.units.get(unit)
        if entry is None or entry.key != plan.keys[unit]:
            return True
        if not plan.check.reusable(entry.payload):
            return True  # a kept result that failed is never reused: it runs again
        return bool(entry.deps) and bool(plan.graph.stale(entry.deps))

    def _partial(
        self, plan: _Plan, envs: Mapping[str, Environment], rerun: list[str],
        reused: dict[str, UnitEntry],
    ) -> CheckResult | str:  # fmt: skip
        """The run over ``rerun`` merged with ``reused``; why not when it checked other files
        than it was given, or cannot say what they reached."""
        check, ctx = plan.check, plan.ctx
        if rerun:
            result = check.run(replace(ctx, only_files=list(rerun)), envs)
        else:
            result = pending_result(ctx, check.name)
        if result.status in (Status.ERROR, Status.SKIP):
            return _noted(result, f"{len(rerun)} of {len(plan.keys)} files run again")
        kept = check.unit_results(ctx, result, rerun) if rerun else {}
        if isinstance(kept, str):
            return f"the partial run disowned its files: {kept}"
        stored = plan.stored or FileState()
        state = FileState(why=dict(stored.why))
        state.units = dict(reused)
        shared = {
            name.removeprefix(DEP): value
            for name, value in stored.context.items()
            if name.startswith(DEP)
        }
        if rerun:
            found = self._observed(plan, result, rerun)
            if isinstance(found, str):
                return found
            state.units.update(_entries(plan, kept, found))
            if found is not None:
                shared.update(found.shared)
                state.why.update(found.why)
        state.context = plan.context(state.read_files(), shared)
        self.store.save(check.name, ctx.python, state)
        merged = check.merge(ctx, result, {u: entry.payload for u, entry in reused.items()})
        merged.metrics["files_rerun"] = len(rerun)
        merged.metrics["files_reused"] = len(reused)
        note = f"{len(rerun)} of {len(plan.keys)} files run again, the others' results reused"
        if rerun:
            shown = ", ".join(rerun[:3]) + (", ..." if len(rerun) > 3 else "")
            note += f" (run: {shown})"
        spawning = sorted(u for u in rerun if (entry := state.units.get(u)) and entry.note)
        if spawning:
            first = state.units[spawning[0]].note
            more = f" (and {len(spawning) - 1} more)" if len(spawning) > 1 else ""
            note += (
                f"; {spawning[0]}{more} runs again on any change: it starts {first}, "
                "and what that runs is not tracked"
            )
        return _noted(merged, note)

    def _observed(
        self, plan: _Plan, result: CheckResult, units: Sequence[str]
    ) -> Dependencies | str | None:
        """What the run's units reached (None for a check of types), or why it cannot tell."""
        if plan.kind != RUNTIME:
            return None
        observed = plan.check.observed(plan.ctx, result)
        if observed is None:
            return "the run did not record what its tests reached"
        if observed.unraisable:
            return unraisable_reason(observed.unraisable)
        return plan.graph.dependencies(observed, units)

    def _full(self, plan: _Plan, envs: Mapping[str, Environment], reason: str) -> CheckResult:
        check, ctx = plan.check, plan.ctx
        result = check.run(ctx, envs)
        if result.status in (Status.ERROR, Status.SKIP):
            return _noted(result, f"full run: {reason}")
        kept = check.unit_results(ctx, result, plan.units)
        found = self._observed(plan, result, plan.units) if not isinstance(kept, str) else None
        state = FileState()
        if isinstance(found, str):
            kept, found = found, None
        if isinstance(kept, str):
            state.problem = kept
            reason = (
                f"{reason}; next runs are whole too" if kept == reason
                else f"{reason}; next runs are whole too: {kept}"
            )  # fmt: skip
            state.context = plan.context((), {})
        else:
            state.units = _entries(plan, kept, found)
            shared: Mapping[str, str] = found.shared if found is not None else {}
            state.why = dict(found.why) if found is not None else {}
            state.context = plan.context(state.read_files(), shared)
        self.store.save(check.name, ctx.python, state)
        merged = check.merge(ctx, result, {})
        merged.metrics["files_rerun"] = len(plan.units)
        merged.metrics["files_reused"] = 0
        return _noted(merged, f"full run: {reason}")


def _entries(
    plan: _Plan, kept: Mapping[str, UnitPayload], found: Dependencies | None
) -> dict[str, UnitEntry]:
    """The state of the units a run kept something of (a unit kept as None runs again)."""
    entries: dict[str, UnitEntry] = {}
    for unit, payload in kept.items():
        if payload is None:
            continue
        deps = dict(found.units.get(unit, {})) if found is not None else {}
        note = found.spawned.get(unit, "") if found is not None else ""
        entries[unit] = UnitEntry(plan.keys[unit], payload, deps, note)
    return entries


def unraisable_reason(where: Sequence[str]) -> str:
    """Why a run in which a finalizer's exception failed a test keeps nothing."""
    more = f" (and {len(where) - 1} more)" if len(where) > 1 else ""
    return (
        f"an exception raised in a finalizer surfaced in {where[0]}{more}: an object left open (a "
        "process, a socket, a file) fails whichever test runs when it is garbage-collected, "
        "not one that reached it, so runs are whole until one has none (close what the tests "
        "open to make them incremental again)"
    )


def context_facts(
    check: Check, ctx: CheckContext, envs: Mapping[str, Environment]
) -> dict[str, str]:
    """What every file's result depends on: the result cache's key facts but the tree, each as a
    digest, so the one that changed can be named."""
    from ci_sessions.engine.cache import digest_of, key_facts

    facts = key_facts(
        check=check, ctx=ctx, envs=envs, tree_digest="", extra=[cache_salt(check, ctx)]
    )
    return {name: digest_of(value) for name, value in facts.items() if name not in _NOT_CONTEXT}


def _noted(result: CheckResult, note: str) -> CheckResult:
    """Keep how the run was made; ``show_note`` shows it once the check has been evaluated
    (evaluation may write the check's output anew)."""
    result.metrics["incremental"] = note
    return result
