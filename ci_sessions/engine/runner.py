"""Run a set of checks: environments first, then the checks, concurrently where independent.

Each check's output is buffered and printed whole, in the tier's order, as soon as it and every
check before it have finished. A check that fails or crashes never stops the others (unless
fail-fast); a check that could not run is ERROR, never PASS.
"""

from __future__ import annotations

import contextlib
import functools
import graphlib
import os
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from ci_sessions._fs import state_dir
from ci_sessions.checks.base import (
    Check,
    CheckContext,
    Environment,
    EnvSpec,
    PlanningCheck,
    RunPlan,
    Shard,
    cache_salt,
    enforce_checked,
    is_incremental,
    no_known_flaky,
)
from ci_sessions.config import Config
from ci_sessions.config.project import Project
from ci_sessions.engine.environments import EnvManager
from ci_sessions.engine.progress import Progress, choose_mode
from ci_sessions.errors import ConfigError, EnvError
from ci_sessions.results import UNAVAILABLE, CheckResult, Status

if TYPE_CHECKING:
    from ci_sessions.engine.cache import ResultCache
    from ci_sessions.engine.incremental import IncrementalOptions, IncrementalRunner


@dataclass(frozen=True)
class Invocation:
    """One check on one Python."""

    check: Check
    python: str

    @property
    def label(self) -> str:
        return f"{self.check.name}-{self.python}" if self.check.per_python else self.check.name


@dataclass
class RunOptions:
    jobs: int = 0
    fail_fast: bool = False
    use_cache: bool = True
    reinstall: bool = False
    posargs: list[str] = field(default_factory=list[str])
    selected_tests: list[str] | None = None
    in_ci: bool = False
    #: removes findings accepted by the adoption-day baseline from a baselined check's result,
    #: before the check judges it (the sessions pass the findings baseline in)
    accept_findings: Callable[[CheckResult], CheckResult] | None = None
    #: which failed tests the run history knows to be flaky
    known_flaky: Callable[[Sequence[str]], list[str]] = no_known_flaky
    #: incremental checks run file by file, reusing stored results (None: always whole)
    incremental: IncrementalOptions | None = None
    #: the part of the test suite the checks that run tests run (``--shard K/N``)
    shard: Shard | None = None
    #: how the run shows what is still running (engine.progress): auto, live, log or off,
    #: and the seconds between two "still running" lines in log mode
    progress: str = "auto"
    progress_interval: float = 15.0


class _EnvPool:
    """Builds each environment once even when several checks ask for it at the same time."""

    def __init__(self, manager: EnvManager) -> None:
        self.manager = manager
        self._lock = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}
        self._ready: dict[str, Environment] = {}

    def get(self, spec: EnvSpec) -> Environment:
        ident = f"{spec.key}:{hash(spec)}"
        with self._lock:
            lock = self._locks.setdefault(ident, threading.Lock())
        with lock:
            if ident not in self._ready:
                self._ready[ident] = self.manager.ensure(spec)
            return self._ready[ident]


def effective_jobs(requested: int) -> int:
    """0 means one check per CPU."""
    return requested if requested > 0 else max(1, os.cpu_count() or 1)


def run_checks(
    *,
    root: Path,
    config: Config,
    project: Project,
    session: str,
    invocations: Sequence[Invocation],
    options: RunOptions,
    manager: EnvManager,
    emit: Callable[[str], None] = print,
    stream: TextIO | None = None,
) -> list[CheckResult]:
    """Run ``invocations`` and return their results in the given order.

    ``emit`` prints the ordered output; ``stream`` is where the live status is drawn (stdout).
    """
    run = _Run(
        root=root, config=config, project=project, session=session, invocations=invocations,
        options=options, manager=manager, emit=emit, stream=stream,
    )  # fmt: skip
    return run.execute()


class _Run:
    """One call of :func:`run_checks`: the state its worker threads share (results in tier
    order, what is printed so far, the fail-fast flag, each check's futures)."""

    def __init__(
        self,
        *,
        root: Path,
        config: Config,
        project: Project,
        session: str,
        invocations: Sequence[Invocation],
        options: RunOptions,
        manager: EnvManager,
        emit: Callable[[str], None],
        stream: TextIO | None,
    ) -> None:
        self.root = root
        self.config = config
        self.project = project
        self.session = session
        self.invocations = invocations
        self.options = options
        self.manager = manager
        self.names = tuple(inv.check.name for inv in invocations)
        self.plan = RunPlan(root=root, checks=self.names)
        for check in {inv.check.name: inv.check for inv in invocations}.values():
            if isinstance(check, PlanningCheck):
                check.plan(self.plan)
        self.pool = _EnvPool(manager)
        self.stream_single = len(invocations) == 1
        self.jobs = 1 if self.stream_single else effective_jobs(options.jobs)
        self.results: list[CheckResult | None] = [None] * len(invocations)
        self.printed = 0
        self.print_lock = threading.Lock()
        self.stop = threading.Event()
        self.futures: dict[str, list[Future[CheckResult]]] = {}  # by check name
        # --no-cache runs everything but still refreshes the cache; `cache = false` leaves it alone
        refresh_only = not options.use_cache and config.top.bool("cache")
        self.cache = _result_cache(root, invocations) if options.use_cache or refresh_only else None
        self.checks = [inv.check for inv in invocations]
        if self.cache is not None:
            self.cache.read = options.use_cache
        self.incremental = _incremental_runner(root, options, self.cache)
        self.board = self._board(emit, stream if stream is not None else sys.stdout)

    def _board(self, emit: Callable[[str], None], out: TextIO) -> Progress:
        mode = choose_mode(self.options.progress, out)
        if self.stream_single and mode == "live":
            mode = "off"  # the one check streams its own output to the terminal
        return Progress(mode, interval=self.options.progress_interval, emit=emit, stream=out)

    def counts_file(self, inv: Invocation) -> Path | None:
        if self.board.mode == "off" or not inv.check.runs_tests:
            return None
        return state_dir(self.root) / "progress" / f"{inv.label}.json"

    def context(self, inv: Invocation) -> CheckContext:
        options = self.options
        return CheckContext(
            root=self.root,
            config=self.config,
            project=self.project,
            python=inv.python,
            session=self.session,
            posargs=list(options.posargs),
            stream=self.stream_single,
            run_checks=self.names,
            coverage_data=self.plan.coverage_data,
            selected_tests=options.selected_tests if inv.check.runs_tests else None,
            known_flaky=options.known_flaky,
            ci=options.in_ci,
            shard=options.shard if inv.check.runs_tests else None,
            progress_file=self.counts_file(inv),
        )

    def task(self, index: int, inv: Invocation) -> CheckResult:
        """Run one invocation once the checks it waits for are done; print what is ready."""
        for dependency in inv.check.after:
            for future in list(self.futures.get(dependency, ())):
                future.exception()  # wait; its own errors are reported on its own row
        if self.stop.is_set():
            result = _skipped(inv, self.session, "not run: an earlier check failed and fail-fast is on")  # fmt: skip
        else:
            result = self._run_shown(inv)
        self.results[index] = result
        if result.status.blocking and self.options.fail_fast:
            self.stop.set()
        self.flush()
        return result

    def _run_shown(self, inv: Invocation) -> CheckResult:
        """Run one invocation with its row on the progress board (and its test counts file)."""
        counts = self.counts_file(inv)
        if counts is not None:
            counts.parent.mkdir(parents=True, exist_ok=True)
            counts.unlink(missing_ok=True)
        self.board.start(inv.label, counts)
        try:
            return run_one(
                inv, self.context(inv), self.pool, self.options, self.cache, self.checks,
                self.incremental, doing=functools.partial(self.board.doing, inv.label),
            )  # fmt: skip
        finally:
            self.board.finish(inv.label)
            if counts is not None:
                counts.unlink(missing_ok=True)

    def flush(self) -> None:
        """Print every finished result whose predecessors are all printed, in tier order."""
        with self.print_lock:
            while self.printed < len(self.results) and self.results[self.printed] is not None:
                done = self.results[self.printed]
                assert done is not None  # noqa: S101 - loop condition
                self.board.write(_render_block(done))
                self.printed += 1

    def execute(self) -> list[CheckResult]:
        """Run every invocation: the pool first, then the exclusive checks one at a time."""
        log = self.manager.log
        self.manager.log = self.board.around(log)  # environment messages never tear the live status
        try:
            with self.board:
                self._execute()
        finally:
            self.manager.log = log
            self.manager.release()  # other runs may now delete the builds this one used
        return [r for r in self.results if r is not None]

    def _execute(self) -> None:
        builders: list[threading.Thread] = []
        if self.jobs > 1:
            planned = [(inv, self.context(inv)) for inv in self.invocations]
            builders = _prefetch_environments(self.pool, planned)
        ordered = _dependency_order(self.invocations)
        self._submit(ordered)
        # a configuration error ends the run (exit 2); its row never silently vanishes
        errors = [f.exception() for submitted in self.futures.values() for f in submitted]
        config_error = next((e for e in errors if isinstance(e, ConfigError)), None)
        if config_error is not None:
            for builder in builders:
                builder.join()
            raise config_error
        # checks that measure time (bench) run alone, once everything else has finished
        for index, inv in ordered:
            if inv.check.exclusive:
                self.task(index, inv)
        for builder in builders:  # never leave a half-built environment behind
            builder.join()
        self.flush()

    def _submit(self, ordered: Sequence[tuple[int, Invocation]]) -> None:
        """Run the checks that may share the machine on the pool; return when all are done."""
        with ThreadPoolExecutor(max_workers=self.jobs, thread_name_prefix="ci-sessions") as pool:
            for index, inv in ordered:
                if not inv.check.exclusive:
                    self.futures.setdefault(inv.check.name, []).append(
                        pool.submit(self.task, index, inv)
                    )


def _prefetch_environments(
    pool: _EnvPool, planned: Sequence[tuple[Invocation, CheckContext]]
) -> list[threading.Thread]:
    """Start building every environment of the run at once, so a cold run does not build the
    project environment only after lint and format are done. A check asking for an environment
    waits for its build; a failed build is retried by the check, which reports the error."""
    specs: dict[str, EnvSpec] = {}
    for inv, ctx in planned:
        try:
            for spec in inv.check.environments(ctx).values():
                specs.setdefault(f"{spec.key}:{hash(spec)}", spec)
        except Exception:  # noqa: S112 - the check itself reports it when it runs
            continue

    def build(spec: EnvSpec) -> None:
        with contextlib.suppress(Exception):  # the check retries and reports it
            pool.get(spec)

    threads = [
        threading.Thread(target=build, args=(spec,), name=f"env-{spec.key}", daemon=True)
        for spec in specs.values()
    ]
    for thread in threads:
        thread.start()
    return threads


def _dependency_order(invocations: Sequence[Invocation]) -> list[tuple[int, Invocation]]:
    """Submission order: by dependency depth, then tier order.

    A check is submitted only after every check it waits for (``after``), however the tier lists
    them, so a FIFO pool never deadlocks and a wait never silently finds nothing.
    """
    names = {inv.check.name for inv in invocations}
    graph = {
        inv.check.name: [d for d in inv.check.after if d in names and d != inv.check.name]
        for inv in invocations
    }
    depths: dict[str, int] = {}
    for name in graphlib.TopologicalSorter(graph).static_order():
        depths[name] = 1 + max((depths[d] for d in graph.get(name, ())), default=-1)
    indexed = list(enumerate(invocations))
    return sorted(indexed, key=lambda item: (depths[item[1].check.name], item[0]))


def _result_cache(root: Path, invocations: Sequence[Invocation]) -> ResultCache | None:
    """The run's result cache, with the project's files hashed before any check can touch them."""
    from ci_sessions.engine.cache import ResultCache, cacheable

    checks = [inv.check for inv in invocations]
    if not any(cacheable(inv.check, checks) for inv in invocations):
        return None
    cache = ResultCache(root)
    cache.tree_digest()
    return cache


def _incremental_runner(
    root: Path, options: RunOptions, cache: ResultCache | None
) -> IncrementalRunner | None:
    if options.incremental is None or cache is None:
        return None
    from ci_sessions.engine.incremental import IncrementalRunner

    return IncrementalRunner(root, options.incremental, cache)


def run_one(
    inv: Invocation,
    ctx: CheckContext,
    pool: _EnvPool,
    options: RunOptions,
    cache: ResultCache | None = None,
    run_checks: Sequence[Check] = (),
    incremental: IncrementalRunner | None = None,
    doing: Callable[[str], None] | None = None,
) -> CheckResult:
    """Prepare the check's environments, run it (or reuse its cached PASS), evaluate its gates.

    ``doing`` hears what the check is busy with, for the progress board.
    """
    result = _run_one(inv, ctx, pool, options, cache, run_checks, incremental, doing or _ignore)
    result.per_python = inv.check.per_python
    result.tools = result.tools or list(inv.check.tools)
    return result


def _internal_error(check: Check, ctx: CheckContext, exc: Exception) -> CheckResult:
    return CheckResult(
        check=check.name,
        session=ctx.session,
        status=Status.ERROR,
        python=ctx.python,
        summary=f"internal error: {type(exc).__name__}: {exc}",
        output=_traceback_text(),
    )


def _run_one(
    inv: Invocation,
    ctx: CheckContext,
    pool: _EnvPool,
    options: RunOptions,
    cache: ResultCache | None,
    run_checks: Sequence[Check],
    incremental: IncrementalRunner | None,
    doing: Callable[[str], None],
) -> CheckResult:
    started = time.perf_counter()
    check = inv.check
    try:
        specs = check.environments(ctx)
        doing("preparing environments")
        envs = {role: pool.get(spec) for role, spec in specs.items()}
        doing("")
    except EnvError as exc:
        result = _env_error_result(inv, ctx, exc, in_ci=options.in_ci)
        result.duration = time.perf_counter() - started
        return result
    except ConfigError:
        raise
    except Exception as exc:  # a check whose environments crash is an ERROR row, not a lost row
        result = _internal_error(check, ctx, exc)
        result.duration = time.perf_counter() - started
        return result
    key: str | None = None
    if cache is not None:
        key, hit = _cache_lookup(inv, ctx, envs, cache, run_checks)
        if hit is not None:
            hit.session = ctx.session
            hit.duration = time.perf_counter() - started
            return hit
    try:
        result = _run_and_judge(check, ctx, envs, options, incremental)
    except ConfigError:
        raise
    except Exception as exc:  # a crashing check is an ERROR row, the others still run
        result = _internal_error(check, ctx, exc)
    result.duration = time.perf_counter() - started
    if cache is not None and key is not None:
        cache.store(check.name, inv.python, key, result)
    return result


def _env_error_result(
    inv: Invocation, ctx: CheckContext, exc: EnvError, *, in_ci: bool
) -> CheckResult:
    """An environment that could not be made: ERROR, or SKIP for a Python missing off CI."""
    message = exc.render()
    if exc.missing_interpreter and not in_ci:
        result = _skipped(inv, ctx.session, message)
        result.metrics[UNAVAILABLE] = 1  # not "nothing to check": a run of only these is red
        return result
    return CheckResult(
        check=inv.check.name,
        session=ctx.session,
        status=Status.ERROR,
        python=ctx.python,
        summary=message.splitlines()[0],
        output=message,
    )


def _cache_lookup(
    inv: Invocation,
    ctx: CheckContext,
    envs: Mapping[str, Environment],
    cache: ResultCache,
    run_checks: Sequence[Check],
) -> tuple[str | None, CheckResult | None]:
    """(the check's cache key, or None when it may not be cached; the stored result, if any)."""
    from ci_sessions.engine.cache import cacheable, compute_key

    check = inv.check
    try:
        if not cacheable(check, run_checks):
            return None, None
        key = compute_key(
            check=check,
            ctx=ctx,
            envs=envs,
            tree_digest=cache.tree_digest(),
            extra=[cache_salt(check, ctx)],
        )
        return key, cache.lookup(check.name, inv.python, key)
    except (OSError, ValueError):  # a broken cache never stops a check from running
        return None, None


def _run_and_judge(
    check: Check,
    ctx: CheckContext,
    envs: Mapping[str, Environment],
    options: RunOptions,
    incremental: IncrementalRunner | None,
) -> CheckResult:
    """Run the check (file by file when incremental), then let it judge what is left after the
    findings baseline; a PASS that shows nothing checked never stays a PASS."""
    if incremental is not None and is_incremental(check):
        result = incremental.run(check, ctx, envs)
    else:
        result = check.run(ctx, envs)
    if result.status not in (Status.ERROR, Status.SKIP):
        if check.baselined and options.accept_findings is not None:
            result = options.accept_findings(result)
        result = check.evaluate(ctx, result)
    if incremental is not None and is_incremental(check):
        result = incremental.show_note(result)
    return enforce_checked(result)


def _ignore(what: str) -> None:
    del what


def _skipped(inv: Invocation, session: str, reason: str) -> CheckResult:
    return CheckResult(
        check=inv.check.name,
        session=session,
        status=Status.SKIP,
        python=inv.python,
        summary=reason.splitlines()[0],
    )


def _traceback_text() -> str:
    import traceback

    return traceback.format_exc()


def _render_block(result: CheckResult) -> str:
    title = f"── {result.label} "
    lines = [title + "─" * max(4, 72 - len(title))]
    if result.output:
        lines.append(result.output.rstrip())
    verdict = f"{result.status.value}: {result.summary}" if result.summary else result.status.value
    lines.append(f"{result.label}: {verdict} ({result.duration:.1f} s)")
    return "\n".join(lines) + "\n"
