"""Jobs in ``needs:`` order, independent jobs and matrix cells at the same time.

A job becomes ready when every job it needs has finished (graphlib). Its ``if:`` is evaluated
then, against the ``needs`` context and the status of all its ancestors (GitHub's job-level
``success()`` is "every ancestor succeeded"), and its matrix is expanded (a matrix may come from a
previous job's output). Cells run on a pool of ``--jobs`` workers, at most ``max-parallel`` of one
job at a time; with ``fail-fast`` a failing cell cancels the job's other cells.
"""

from __future__ import annotations

import concurrent.futures
import graphlib
import threading
from collections import deque
from dataclasses import dataclass, field

from ci_sessions.ci import evaluate, matrix_cells
from ci_sessions.ci.expressions import Scope, Status, Value, to_number, truthy
from ci_sessions.ci.job import CellRun
from ci_sessions.ci.model import (
    CANCELLED,
    CANNOT_RUN,
    FAILURE,
    SKIPPED,
    SUCCESS,
    CellResult,
    CellSpec,
    RunSetup,
)
from ci_sessions.ci.workflow import Job
from ci_sessions.errors import EvaluationError, MatrixError


@dataclass
class JobState:
    """A job while its cells run, and its result once they have."""

    job: Job
    cells: deque[CellSpec] = field(default_factory=deque[CellSpec])
    total: int = 0
    running: int = 0
    max_parallel: int = 0  # 0: no limit
    fail_fast: bool = True
    cancel: threading.Event = field(default_factory=threading.Event)
    results: list[CellResult] = field(default_factory=list[CellResult])
    result: str = ""
    outputs: dict[str, str] = field(default_factory=dict[str, str])

    @property
    def done(self) -> bool:
        return not self.cells and self.running == 0 and len(self.results) >= self.total


def aggregate(results: list[CellResult]) -> str:
    """A job's result from its cells (cells skipped locally do not count against it)."""
    seen = [r.counts_as for r in results]
    if any(r.result == CANNOT_RUN for r in results):
        return CANNOT_RUN
    for verdict in (FAILURE, CANCELLED):
        if verdict in seen:
            return verdict
    if seen and all(v == SKIPPED for v in seen):
        return SKIPPED
    return SUCCESS


class Scheduler:
    def __init__(self, setup: RunSetup, selected: list[str], workers: int) -> None:
        self.setup = setup
        self.workflow = setup.workflow
        self.selected = selected
        self.workers = max(1, workers)
        self.states: dict[str, JobState] = {}
        self.order: list[CellResult] = []
        self.sorter = graphlib.TopologicalSorter(
            {j: set(self.workflow.jobs[j].needs) & set(selected) for j in selected}
        )

    def needs_result(self, job_id: str) -> str:
        state = self.states[job_id]
        return FAILURE if state.result == CANNOT_RUN else state.result

    def run(self) -> list[CellResult]:
        self.sorter.prepare()
        running: dict[concurrent.futures.Future[CellResult], JobState] = {}
        with concurrent.futures.ThreadPoolExecutor(self.workers, "ci-cell") as pool:
            try:
                while True:
                    self._advance(pool, running)
                    if not running:
                        if self.sorter.is_active():
                            raise RuntimeError("ci scheduler: jobs left with nothing running")
                        break
                    finished, _ = concurrent.futures.wait(
                        running, return_when=concurrent.futures.FIRST_COMPLETED
                    )
                    for future in finished:
                        state = running.pop(future)
                        state.running -= 1
                        self._collect(state, future.result())
                        self._finish_if_done(state)
            except KeyboardInterrupt:
                self.setup.interrupted.set()
                for state in self.states.values():
                    state.cancel.set()
                    while state.cells:
                        self._collect(state, _cancelled(state.cells.popleft(), "interrupted"))
                concurrent.futures.wait(running)
                for future, state in running.items():
                    self._collect(state, future.result())
                raise
        return self.order

    def _advance(
        self,
        pool: concurrent.futures.ThreadPoolExecutor,
        running: dict[concurrent.futures.Future[CellResult], JobState],
    ) -> None:
        """Start every job that became ready and submit cells until nothing more can move."""
        moved = True
        while moved:
            moved = False
            for job_id in self.sorter.get_ready():
                moved = True
                state = self._start(job_id)
                self.states[job_id] = state
                self._finish_if_done(state)
            moved = self._submit(pool, running) or moved

    def _finish_if_done(self, state: JobState) -> None:
        if state.done and not state.result:
            state.result = aggregate(state.results)
            self.sorter.done(state.job.id)

    # ------------------------------------------------------------ a job becomes ready

    def _start(self, job_id: str) -> JobState:
        job = self.workflow.jobs[job_id]
        state = JobState(job)
        needs: dict[str, Value] = {
            n: {"result": self.needs_result(n), "outputs": dict(self.states[n].outputs)}
            for n in job.needs
            if n in self.states
        }
        ancestors = [
            self.needs_result(a) for a in self.workflow.ancestors(job_id) if a in self.states
        ]
        status = Status(
            success=all(r == SUCCESS for r in ancestors),
            failure=any(r == FAILURE for r in ancestors),
            cancelled=self.setup.interrupted.is_set() or any(r == CANCELLED for r in ancestors),
        )
        contexts: dict[str, Value] = {
            "github": dict(self.setup.github),
            "needs": needs,
            "vars": {},
            "inputs": self.setup.inputs,
        }
        scope = Scope(contexts, status)
        try:
            if "uses" in job.raw:
                return self._single(
                    state,
                    CellResult(
                        job_id,
                        job_id,
                        "",
                        CANNOT_RUN,
                        note=f"cannot run locally: reusable workflow {job.raw['uses']}",
                    ),
                )
            if not evaluate.condition(job.get("if"), job.where("if"), scope):
                return self._single(
                    state, CellResult(job_id, job_id, "", SKIPPED, note="if: false")
                )
            strategy = job.section("strategy")
            cells: list[matrix_cells.Cell | None] = [None]
            if "matrix" in strategy:
                where = job.where("strategy")
                value = evaluate.resolve(strategy["matrix"], where, scope)
                try:
                    cells = list(matrix_cells.expand(value))
                except MatrixError as error:
                    raise EvaluationError(where, "strategy.matrix", error.message) from None
            ff = evaluate.resolve(strategy.get("fail-fast"), job.where("strategy"), scope)
            state.fail_fast = ff is None or truthy(ff)
            mp = evaluate.resolve(strategy.get("max-parallel"), job.where("strategy"), scope)
            state.max_parallel = int(to_number(mp)) if mp is not None else 0
        except EvaluationError as error:
            return self._single(state, CellResult(job_id, job_id, "", FAILURE, note=error.message))
        for index, cell in enumerate(cells):
            label = matrix_cells.label(cell) if cell is not None else ""
            strategy_context: dict[str, Value] = {
                "fail-fast": state.fail_fast,
                "job-index": index,
                "job-total": len(cells),
                "max-parallel": state.max_parallel or len(cells),
            }
            slug = matrix_cells.slug(label) if cell is not None else job_id
            if cell is not None and any(c.slug == slug for c in state.cells):
                slug = f"{slug}-{index}"
            state.cells.append(CellSpec(job, cell, label, slug, index, needs, strategy_context))
        state.total = len(cells)
        return state

    def _single(self, state: JobState, result: CellResult) -> JobState:
        state.total = 1
        self._collect(state, result)
        return state

    # ------------------------------------------------------------ cells

    def _submit(
        self,
        pool: concurrent.futures.ThreadPoolExecutor,
        running: dict[concurrent.futures.Future[CellResult], JobState],
    ) -> bool:
        """Submit what the limits allow; True when a job finished without running (cancelled)."""
        finished = False
        for state in list(self.states.values()):
            while state.cells and len(running) < self.workers:
                if state.max_parallel and state.running >= state.max_parallel:
                    break
                spec = state.cells.popleft()
                if state.cancel.is_set():
                    self._collect(state, _cancelled(spec, "cancelled by fail-fast"))
                    if state.done and not state.result:
                        self._finish_if_done(state)
                        finished = True
                    continue
                state.running += 1
                running[pool.submit(CellRun(self.setup, spec, state.cancel).run)] = state
        return finished

    def _collect(self, state: JobState, result: CellResult) -> None:
        state.results.append(result)
        self.order.append(result)
        state.outputs.update(result.outputs)
        if result.counts_as == FAILURE and state.fail_fast and result.result != CANNOT_RUN:
            state.cancel.set()


def _cancelled(spec: CellSpec, why: str) -> CellResult:
    return CellResult(spec.job.id, spec.job.id, spec.label, CANCELLED, note=why, index=spec.index)
