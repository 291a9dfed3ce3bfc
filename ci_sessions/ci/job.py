"""One job, or one matrix cell of a job, run the way GitHub's runner runs it.

Steps run in order in the cell's workspace; each gets fresh ``$GITHUB_OUTPUT``, ``$GITHUB_ENV``,
``$GITHUB_PATH`` and ``$GITHUB_STEP_SUMMARY`` files read back after it. A step runs when its
``if:`` holds (``success()`` unless it says otherwise), a failing step fails the job unless it
has ``continue-on-error``, and ``timeout-minutes`` stops a step or the job. The cell's log is
``.ci-sessions/ci/<job>/<cell>.log``.
"""

from __future__ import annotations

import json
import os
import platform
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from ci_sessions import _contexts
from ci_sessions._fs import remove_tree
from ci_sessions.ci import actions, commands, contain, evaluate, static, steps
from ci_sessions.ci.expressions import Scope, Status, Value, to_number, to_string, truthy
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
from ci_sessions.ci.workflow import Step, Where, YamlMap
from ci_sessions.ci.workspace import CheckoutRefs
from ci_sessions.errors import (
    EXIT_USAGE,
    CiSessionsError,
    CommandFileError,
    EvaluationError,
    ShellError,
    UntrustedText,
)

#: GitHub's default ``timeout-minutes`` of a job
DEFAULT_TIMEOUT_MINUTES = 360.0


@dataclass
class _StepRecord:
    outcome: str
    conclusion: str
    outputs: dict[str, str]


class CellRun:
    """The state of one cell while its steps run."""

    def __init__(self, setup: RunSetup, spec: CellSpec, cancel: threading.Event) -> None:
        self.setup = setup
        self.spec = spec
        self.job = spec.job
        self.cancel = cancel
        self.cell_dir = setup.work_dir / spec.job.id / spec.slug
        self.workspace = self.cell_dir / setup.source.root.name
        self.temp = self.cell_dir / "temp"
        self.log_path = setup.out_dir / spec.job.id / f"{spec.slug}.log"
        self.status = SUCCESS  # the job status the status functions read
        self.records: dict[str, _StepRecord] = {}
        self.env: dict[str, str] = {}
        self.github_env: dict[str, str] = {}
        self.path_prepend: list[str] = []
        self.leftovers: list[steps.Leftover] = []
        self.tainted: set[str] = set()  # variables set from untrusted text (for run: scripts)
        self.result = CellResult(
            spec.job.id, spec.job.id, spec.label, SUCCESS, log=self.log_path, index=spec.index
        )

    # ------------------------------------------------------------ contexts

    def contexts(self, env: dict[str, str] | None = None) -> dict[str, Value]:
        github = dict(self.setup.github)
        github["job"] = self.job.id
        github["workspace"] = str(self.workspace)
        steps_context: dict[str, Value] = {
            step_id: {
                "outputs": dict(record.outputs),
                "outcome": record.outcome,
                "conclusion": record.conclusion,
            }
            for step_id, record in self.records.items()
        }
        return {
            "github": github,
            "env": dict(env if env is not None else {**self.env, **self.github_env}),
            "matrix": dict(self.spec.matrix or {}),
            "needs": self.spec.needs,
            "strategy": self.spec.strategy,
            "job": {"status": self.status, "container": {}, "services": {}},
            "runner": {
                "os": "Linux",
                "arch": _arch(),
                "name": "ci-sessions-local",
                "temp": str(self.temp),
                "tool_cache": str(self.temp / "_tool"),
                "environment": "self-hosted",
                "debug": "",
            },
            "steps": steps_context,
            "secrets": dict(self.setup.secret_values),
            "vars": {},
            "inputs": self.setup.inputs,
        }

    def scope(self, env: dict[str, str] | None = None) -> Scope:
        status = Status(
            success=self.status == SUCCESS,
            failure=self.status == FAILURE,
            cancelled=self.status == CANCELLED,
        )
        return Scope(self.contexts(env), status, self.workspace)

    # ------------------------------------------------------------ the run

    def run(self) -> CellResult:
        start = time.monotonic()
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("w", encoding="utf-8") as log:
            try:
                self._run(log)
            except EvaluationError as error:
                self._fail(error.message)
                self.result.tail = [error.message]
            except (CiSessionsError, OSError) as error:
                message = error.render() if isinstance(error, CiSessionsError) else str(error)
                self._log(log, f"\n{message}\n")
                self._fail(message.splitlines()[0].removeprefix("ci-sessions: "))
                self.result.tail = message.splitlines()
                if isinstance(error, CiSessionsError) and error.exit_code == EXIT_USAGE:
                    self.setup.refuse(error)  # a name that leaves the sandbox: the run stops
            finally:
                steps.end_leftovers(self.leftovers)
                if self.setup.keep:
                    _link_kept(self.setup.out_dir / self.job.id / self.spec.slug, self.cell_dir)
                else:
                    remove_tree(self.cell_dir, within=self.setup.work_dir)
        self.result.seconds = time.monotonic() - start
        if self.result.result == SUCCESS and self.status != SUCCESS:
            self.result.result = self.status
        return self.result

    def _log(self, log: IO[str], text: str) -> None:
        """A line of ours in the cell's log (a step's name may hold a secret: masked)."""
        log.write(self.setup.secrets.mask(text))

    def _fail(self, note: str) -> None:
        self.result.result = FAILURE
        self.result.note = note
        self.status = FAILURE

    def _run(self, log: IO[str]) -> None:
        job = self.job
        base_scope = self.scope({})
        name = job.get("name")
        if name is not None:
            self.result.name = evaluate.resolve_text(name, job.where("name"), base_scope)
        for key in ("container", "services"):
            if key in job.raw:
                self._cannot_run(f"jobs.{job.id}.{key} (needs Docker)")
                return
        labels = evaluate.resolve(job.get("runs-on"), job.where("runs-on"), base_scope)
        reason = _foreign_runner(labels)
        if reason:
            self.result.result = SKIPPED
            self.result.note = reason
            return
        coe = evaluate.resolve(
            job.get("continue-on-error"), job.where("continue-on-error"), base_scope
        )
        self.result.continue_on_error = truthy(coe)
        minutes = job.get("timeout-minutes")
        limit = DEFAULT_TIMEOUT_MINUTES
        if minutes is not None:
            limit = _minutes(minutes, job.where("timeout-minutes"), base_scope)
        deadline = time.monotonic() + limit * 60
        job_env = {
            k: to_string(v)
            for k, v in _mapping(
                evaluate.resolve(job.get("env"), job.where("env"), base_scope)
            ).items()
        }
        self.env = self.setup.install_env({**self.setup.workflow_env, **job_env})
        for raw in (self.setup.workflow.raw.get("env"), job.get("env")):
            if isinstance(raw, YamlMap):
                self.tainted |= _contexts.tainted_names(dict(raw), self.tainted)
        defaults = self._defaults()
        self.temp.mkdir(parents=True, exist_ok=True)
        self.workspace.mkdir(parents=True, exist_ok=True)
        event_path = self.temp / "_github_workflow" / "event.json"
        event_path.parent.mkdir(parents=True, exist_ok=True)
        event_path.write_text(json.dumps(self.setup.github["event"], indent=2), encoding="utf-8")
        self.setup.printer.line(f"▶ {self._who()}")
        for step in job.steps:
            if self.setup.interrupted.is_set() or self.setup.refused.is_set():
                self.status = CANCELLED
                break
            if self.cancel.is_set() and self.status != CANCELLED:
                self.status = CANCELLED
            if time.monotonic() > deadline:
                self._fail(f"timed out (timeout-minutes: {to_string(limit)})")
                self.status = CANCELLED
            stop = self._step(step, log, defaults, deadline, event_path)
            if stop:
                break
        if self.result.result in (CANNOT_RUN, SKIPPED):
            return
        if self.status == FAILURE and self.result.result == SUCCESS:
            self.result.result = FAILURE
        if self.status == CANCELLED and self.result.result == SUCCESS:
            self.result.result = CANCELLED
        outputs = job.section("outputs")
        scope = self.scope()
        for key in outputs:
            where = Where(job.file, outputs.line_of(key), f"jobs.{job.id}.outputs.{key}")
            try:
                self.result.outputs[key] = evaluate.resolve_text(outputs[key], where, scope)
            except EvaluationError as error:
                self._fail(error.message)

    def _who(self) -> str:
        return f"{self.job.id} ({self.spec.label})" if self.spec.label else self.job.id

    def _cannot_run(self, what: str) -> None:
        self.result.result = CANNOT_RUN
        self.result.note = f"cannot run locally: {what}"
        self.setup.printer.line(f"  {self._who()}: {self.result.note}")

    def _defaults(self) -> dict[str, str]:
        merged: dict[str, str] = {}
        scope = self.scope()
        for section, where in (
            (self.setup.workflow.section("defaults"), self.setup.workflow.where("defaults")),
            (self.job.section("defaults"), self.job.where("defaults")),
        ):
            run = section.get("run")
            if isinstance(run, YamlMap):
                resolved = _mapping(evaluate.resolve(run, where, scope))
                merged.update({k: to_string(v) for k, v in resolved.items()})
        return merged

    # ------------------------------------------------------------ one step

    def _step(
        self,
        step: Step,
        log: IO[str],
        defaults: dict[str, str],
        deadline: float,
        event_path: Path,
    ) -> bool:
        """Run one step; True when the cell must stop here (cannot run, skipped locally)."""
        label = step.label()
        try:
            env_before = {**self.env, **self.github_env}
            step_env = {
                k: to_string(v)
                for k, v in _mapping(
                    evaluate.resolve(step.raw.get("env"), step.where("env"), self.scope(env_before))
                ).items()
            }
            env = {**env_before, **self.setup.install_env(step_env)}
            scope = self.scope(env)
            if "name" in step.raw:
                label = evaluate.resolve_text(step.raw["name"], step.where("name"), scope)
            if not evaluate.condition(step.raw.get("if"), step.where("if"), scope):
                self._record(step, SKIPPED, SKIPPED, {})
                self._log(log, f"\n=== {label}: skipped (if: false) ===\n")
                return False
            continue_on_error = truthy(
                evaluate.resolve(
                    step.raw.get("continue-on-error"), step.where("continue-on-error"), scope
                )
            )
            timeout = deadline - time.monotonic()
            if "timeout-minutes" in step.raw:
                minutes = _minutes(
                    step.raw["timeout-minutes"], step.where("timeout-minutes"), scope
                )
                timeout = min(timeout, minutes * 60)
        except EvaluationError as error:
            self._log(log, f"\n=== {label}: error ===\n{error.message}\n")
            self._step_failed(step, label, error.message, [error.message], continue_on_error=False)
            return False
        files = self._command_files(step)
        process_env = self._process_env(env, files, event_path, step)
        self._log(log, f"\n=== {label} ===\n")
        log.flush()
        output = steps.Output(log, self.setup.secrets)
        start = time.monotonic()
        step_env = step.raw.get("env")
        tainted = self.tainted | _contexts.tainted_names(
            dict(step_env) if isinstance(step_env, YamlMap) else {}, self.tainted
        )
        outcome, message, stop, action_outputs = self._execute(
            step, scope, process_env, defaults, output, timeout, tainted
        )
        seconds = time.monotonic() - start
        if message:
            output.add(message)
        outputs: dict[str, str] = dict(action_outputs)
        try:
            outputs.update(commands.read_key_values(files["GITHUB_OUTPUT"], "GITHUB_OUTPUT"))
            self.github_env.update(commands.read_key_values(files["GITHUB_ENV"], "GITHUB_ENV"))
            # read_paths gives the last line first, as GitHub puts them before the earlier ones
            self.path_prepend[:0] = commands.read_paths(files["GITHUB_PATH"])
        except CommandFileError as error:
            outcome = FAILURE if outcome == SUCCESS else outcome
            output.add(error.message)
            message = message or error.message
        summary = commands.read_summary(files["GITHUB_STEP_SUMMARY"])
        if summary.strip():
            self.result.summaries.append(summary)
        mark = {SUCCESS: "✓", FAILURE: "✗", CANCELLED: "⊘"}.get(outcome, "-")
        self.setup.printer.line(f"  {mark} {self._who()}: {label} ({seconds:.1f} s)")
        self._log(log, f"=== {label}: {outcome} in {seconds:.1f} s ===\n")
        if outcome == FAILURE:
            self._step_failed(step, label, message, output.lines(), continue_on_error, outputs)
        else:
            self._record(step, outcome, outcome, outputs)
            if outcome == CANCELLED:
                self.status = CANCELLED
        return stop

    def _step_failed(
        self,
        step: Step,
        label: str,
        message: str,
        tail: list[str],
        continue_on_error: bool,
        outputs: dict[str, str] | None = None,
    ) -> None:
        self._record(step, FAILURE, SUCCESS if continue_on_error else FAILURE, outputs or {})
        if continue_on_error:
            return
        if self.status == SUCCESS:
            self.status = FAILURE
        if not self.result.failed_step:
            self.result.failed_step = label
            self.result.tail = tail
            if message and not self.result.note:
                self.result.note = message.splitlines()[0]

    def _record(self, step: Step, outcome: str, conclusion: str, outputs: dict[str, str]) -> None:
        if step.id:
            self.records[step.id] = _StepRecord(outcome, conclusion, outputs)

    def _command_files(self, step: Step) -> dict[str, Path]:
        folder = self.temp / "_runner_file_commands" / f"step{step.index}"
        folder.mkdir(parents=True, exist_ok=True)
        files: dict[str, Path] = {}
        for name in (
            "GITHUB_OUTPUT",
            "GITHUB_ENV",
            "GITHUB_PATH",
            "GITHUB_STEP_SUMMARY",
            "GITHUB_STATE",
        ):
            path = folder / name.lower()
            path.write_text("", encoding="utf-8")
            files[name] = path
        return files

    def _process_env(
        self, env: dict[str, str], files: dict[str, Path], event_path: Path, step: Step
    ) -> dict[str, str]:
        facts = self.setup.facts
        github = self.setup.github
        result = dict(self.setup.environ)
        result.update(
            {
                "CI": "true",
                "GITHUB_ACTIONS": "true",
                "GITHUB_WORKSPACE": str(self.workspace),
                "GITHUB_EVENT_NAME": facts.event,
                "GITHUB_EVENT_PATH": str(event_path),
                "GITHUB_SHA": facts.head,
                "GITHUB_REF": to_string(github["ref"]),
                "GITHUB_REF_NAME": to_string(github["ref_name"]),
                "GITHUB_REF_TYPE": "branch",
                "GITHUB_BASE_REF": to_string(github["base_ref"]),
                "GITHUB_HEAD_REF": to_string(github["head_ref"]),
                "GITHUB_REPOSITORY": facts.repository,
                "GITHUB_REPOSITORY_OWNER": facts.repository.split("/")[0],
                "GITHUB_WORKFLOW": facts.workflow,
                "GITHUB_JOB": self.job.id,
                "GITHUB_ACTION": step.id or f"__run_{step.index}",
                "GITHUB_ACTOR": facts.actor,
                "GITHUB_RUN_ID": "1",
                "GITHUB_RUN_NUMBER": "1",
                "GITHUB_RUN_ATTEMPT": "1",
                "GITHUB_SERVER_URL": "https://github.com",
                "GITHUB_API_URL": "https://api.github.com",
                "GITHUB_GRAPHQL_URL": "https://api.github.com/graphql",
                "RUNNER_OS": "Linux",
                "RUNNER_ARCH": _arch(),
                "RUNNER_NAME": "ci-sessions-local",
                "RUNNER_ENVIRONMENT": "self-hosted",
                "RUNNER_TEMP": str(self.temp),
                "RUNNER_TOOL_CACHE": str(self.temp / "_tool"),
            }
        )
        result.update({name: str(path) for name, path in files.items()})
        result.update(env)
        base_path = env.get("PATH", self.setup.environ.get("PATH", os.defpath))
        result["PATH"] = os.pathsep.join([*self.path_prepend, base_path])
        return result

    def _execute(
        self,
        step: Step,
        scope: Scope,
        env: dict[str, str],
        defaults: dict[str, str],
        output: steps.Output,
        timeout: float,
        tainted: set[str],
    ) -> tuple[str, str, bool, dict[str, str]]:
        """(outcome, message, stop the cell, outputs) of a run: or uses: step; ``tainted``
        names the variables set from untrusted text."""
        if step.uses is not None:
            return self._uses(step, scope, env)
        shell = step.raw.get("shell")
        shell_text = (
            evaluate.resolve_text(shell, step.where("shell"), scope)
            if shell is not None
            else defaults.get("shell")
        )
        try:
            rendered = evaluate.render_script(
                step.run or "", step.where("run"), scope, shell=shell_text, tainted=tainted
            )
        except UntrustedText as error:
            return FAILURE, f"{step.where('run')}: {error.message}", False, {}
        script = rendered.script
        env = {**env, **rendered.env}
        directory = step.raw.get("working-directory")
        directory_text = (
            evaluate.resolve_text(directory, step.where("working-directory"), scope)
            if directory is not None
            else defaults.get("working-directory", "")
        )
        cwd = Path(os.path.abspath(self.workspace / directory_text))
        problem = contain.outside_problem(cwd, [self.workspace, self.cell_dir], "working-directory")
        if problem:
            raise step.where("working-directory").error(
                problem, fix="keep working-directory inside the workspace (or runner.temp)"
            )
        if not cwd.is_dir():
            return FAILURE, f"working-directory {directory_text} does not exist", False, {}
        try:
            argv = steps.shell_command(shell_text, script, self.temp, env["PATH"])
        except ShellError as error:
            return FAILURE, error.message, False, {}
        cancel = self.cancel if self.status != CANCELLED else self.setup.interrupted
        ended = steps.run_process(
            argv,
            cwd=cwd,
            env=env,
            output=output,
            timeout=max(timeout, 0.0),
            cancel=cancel,
            leftovers=self.leftovers,
        )
        if ended.cancelled:
            return CANCELLED, "the step was cancelled", False, {}
        if ended.timed_out:
            return FAILURE, f"the step timed out after {ended.seconds / 60:.1f} minutes", False, {}
        if ended.returncode != 0:
            return FAILURE, f"Process completed with exit code {ended.returncode}.", False, {}
        return SUCCESS, "", False, {}

    def _uses(
        self, step: Step, scope: Scope, env: dict[str, str]
    ) -> tuple[str, str, bool, dict[str, str]]:
        uses = step.uses or ""
        run = actions.handler(uses)
        if run is None:
            self._cannot_run(uses)
            return CANNOT_RUN, self.result.note, True, {}
        inputs = {
            k: to_string(v)
            for k, v in _mapping(
                evaluate.resolve(step.raw.get("with"), step.where("with"), scope)
            ).items()
        }
        facts = self.setup.facts
        branch_event = facts.event in ("push", "workflow_dispatch")
        call = actions.ActionCall(
            uses=uses,
            inputs=inputs,
            workspace=self.workspace,
            temp=self.temp,
            path=env["PATH"],
            source=self.setup.source,
            refs=CheckoutRefs(
                branch=facts.branch if branch_event else None,
                base_ref=facts.base_ref or None,
                base_sha=facts.base_sha,
            ),
            artifacts=self.setup.out_dir / self.job.id / "artifacts",
            repository=facts.repository,
            where=step.where("with"),
            folder=self.cell_dir,
        )
        done = run(call)
        if done.cannot_run:
            self._cannot_run(done.cannot_run)
            return CANNOT_RUN, self.result.note, True, {}
        if done.skip:
            self.result.result = SKIPPED
            self.result.note = f"skipped locally: {done.skip}"
            self.setup.printer.line(f"  {self._who()}: {self.result.note}")
            return SKIPPED, done.skip, True, {}
        self.path_prepend[:0] = done.path
        self.github_env.update(done.env)
        return (SUCCESS if done.ok else FAILURE), done.message, False, dict(done.outputs)


def _minutes(raw: Value, where: Where, scope: Scope) -> float:
    """A ``timeout-minutes`` value: a positive number, or the run stops (exit 2)."""
    value = evaluate.resolve(raw, where, scope)
    problem = static.timeout_problem(value)
    if problem:
        raise where.error(problem)
    return to_number(value)


def _link_kept(link: Path, target: Path) -> None:
    """``.ci-sessions/ci/<job>/<cell>`` points at a kept copy (which lives outside the project)."""
    link.parent.mkdir(parents=True, exist_ok=True)
    if not link.is_symlink() and not link.exists():
        link.symlink_to(target, target_is_directory=True)


def _mapping(value: Value) -> dict[str, Value]:
    return dict(value) if isinstance(value, dict) else {}


def _arch() -> str:
    machine = platform.machine().lower()
    return {"x86_64": "X64", "amd64": "X64", "aarch64": "ARM64", "arm64": "ARM64"}.get(
        machine, machine.upper()
    )


def _foreign_runner(labels: Value) -> str:
    """Why ``runs-on`` cannot run on this machine, or "" when it can (ubuntu-*, linux)."""
    if isinstance(labels, dict):
        return "runs-on a runner group cannot run here"
    names = [to_string(v) for v in labels] if isinstance(labels, list) else [to_string(labels)]
    lowered = [n.lower() for n in names]
    if any(n.startswith("ubuntu") or n == "linux" for n in lowered):
        return ""
    return f"runs-on {', '.join(names)}: cannot run here (this machine is Linux)"
