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
from collections.abc import Callable, Sequence
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
    RunPlan,
    Shard,
    enforce_checked,
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
    names = tuple(inv.check.name for inv in invocations)
    plan = RunPlan(root=root, checks=names)
    for check in {inv.check.name: inv.check for inv in invocations}.values():
        check.plan(plan)
    pool = _EnvPool(manager)
    stream_single = len(invocations) == 1
    jobs = 1 if stream_single else effective_jobs(options.jobs)
    results: list[CheckResult | None] = [None] * len(invocations)
    printed = 0
    print_lock = threading.Lock()
    stop = threading.Event()
    futures: dict[str, list[Future[CheckResult]]] = {}  # by check name
    # --no-cache runs everything but still refreshes the cache; `cache = false` leaves it alone
    refresh_only = not options.use_cache and config.top.bool("cache")
    cache = _result_cache(root, invocations) if options.use_cache or refresh_only else None
    checks = [inv.check for inv in invocations]
    if cache is not None:
        cache.read = options.use_cache
    incremental = _incremental_runner(root, options, cache)
    out = stream if stream is not None else sys.stdout
    mode = choose_mode(options.progress, out)
    if stream_single and mode == "live":
        mode = "off"  # the one check streams its own output to the terminal
    board = Progress(mode, interval=options.progress_interval, emit=emit, stream=out)

    def counts_file(inv: Invocation) -> Path | None:
        if board.mode == "off" or not inv.check.runs_tests:
            return None
        return state_dir(root) / "progress" / f"{inv.label}.json"

    def context(inv: Invocation) -> CheckContext:
        return CheckContext(
            root=root,
            config=config,
            project=project,
            python=inv.python,
            session=session,
            posargs=list(options.posargs),
            stream=stream_single,
            run_checks=names,
            coverage_data=plan.coverage_data,
            selected_tests=options.selected_tests if inv.check.runs_tests else None,
            known_flaky=options.known_flaky,
            ci=options.in_ci,
            shard=options.shard if inv.check.runs_tests else None,
            progress_file=counts_file(inv),
        )

    def task(index: int, inv: Invocation) -> CheckResult:
        for dependency in inv.check.after:
            for future in list(futures.get(dependency, ())):
                future.exception()  # wait; its own errors are reported on its own row
        if stop.is_set():
            result = _skipped(inv, session, "not run: an earlier check failed and fail-fast is on")
        else:
            counts = counts_file(inv)
            if counts is not None:
                counts.parent.mkdir(parents=True, exist_ok=True)
                counts.unlink(missing_ok=True)
            board.start(inv.label, counts)
            try:
                result = run_one(
                    inv, context(inv), pool, options, cache, checks, incremental,
                    doing=functools.partial(board.doing, inv.label),
                )  # fmt: skip
            finally:
                board.finish(inv.label)
                if counts is not None:
                    counts.unlink(missing_ok=True)
        results[index] = result
        if result.status.blocking and options.fail_fast:
            stop.set()
        flush()
        return result

    def flush() -> None:
        nonlocal printed
        with print_lock:
            while printed < len(results) and results[printed] is not None:
                done = results[printed]
                assert done is not None  # noqa: S101 - loop condition
                board.write(_render_block(done))
                printed += 1

    builders: list[threading.Thread] = []
    log = manager.log
    manager.log = board.around(log)  # environment messages never tear the live status
    try:
        with board:
            if jobs > 1:
                builders = _prefetch_environments(pool, [(inv, context(inv)) for inv in invocations])  # fmt: skip
            ordered = _dependency_order(invocations)
            with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="ci-sessions") as executor:
                for index, inv in ordered:
                    if not inv.check.exclusive:
                        futures.setdefault(inv.check.name, []).append(
                            executor.submit(task, index, inv)
                        )
            # a configuration error ends the run (exit 2); its row never silently vanishes
            errors = [f.exception() for submitted in futures.values() for f in submitted]
            config_error = next((e for e in errors if isinstance(e, ConfigError)), None)
            if config_error is not None:
                for builder in builders:
                    builder.join()
                raise config_error
            # checks that measure time (bench) run alone, once everything else has finished
            for index, inv in ordered:
                if inv.check.exclusive:
                    task(index, inv)
            for builder in builders:  # never leave a half-built environment behind
                builder.join()
            flush()
    finally:
        manager.log = log
        manager.release()  # other runs may now delete the builds this one used
    return [r for r in results if r is not None]


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
        message = exc.render()
        if exc.missing_interpreter and not options.in_ci:
            result = _skipped(inv, ctx.session, message)
            result.metrics[UNAVAILABLE] = 1  # not "nothing to check": a run of only these is red
        else:
            result = CheckResult(
                check=check.name,
                session=ctx.session,
                status=Status.ERROR,
                python=ctx.python,
                summary=message.splitlines()[0],
                output=message,
            )
        result.duration = time.perf_counter() - started
        return result
    except ConfigError:
        raise
    key: str | None = None
    if cache is not None:
        from ci_sessions.engine.cache import cacheable, compute_key

        hit: CheckResult | None = None
        try:
            if cacheable(check, run_checks):
                key = compute_key(
                    check=check,
                    ctx=ctx,
                    envs=envs,
                    tree_digest=cache.tree_digest(),
                    extra=[check.cache_salt(ctx)],
                )
                hit = cache.lookup(check.name, inv.python, key)
        except (OSError, ValueError):  # a broken cache never stops a check from running
            key = None
        if hit is not None:
            hit.session = ctx.session
            hit.duration = time.perf_counter() - started
            return hit
    try:
        if incremental is not None and check.incremental:
            result = incremental.run(check, ctx, envs)
        else:
            result = check.run(ctx, envs)
        if result.status not in (Status.ERROR, Status.SKIP):
            if check.baselined and options.accept_findings is not None:
                result = options.accept_findings(result)
            result = check.evaluate(ctx, result)
        if incremental is not None and check.incremental:
            result = incremental.show_note(result)
        result = enforce_checked(result)
    except ConfigError:
        raise
    except Exception as exc:  # a crashing check is an ERROR row, the others still run
        result = CheckResult(
            check=check.name,
            session=ctx.session,
            status=Status.ERROR,
            python=ctx.python,
            summary=f"internal error: {type(exc).__name__}: {exc}",
            output=_traceback_text(),
        )
    result.duration = time.perf_counter() - started
    if cache is not None and key is not None:
        cache.store(check.name, inv.python, key, result)
    return result


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
