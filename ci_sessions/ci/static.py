"""Every expression of a workflow parsed and checked before anything runs.

GitHub refuses a workflow whose expressions do not parse or read a context that is not available
where they stand (``matrix`` in a job's ``if:``, ``env`` in ``strategy``); so does this, with the
file, the line and the expression, before a minute is spent running jobs. The contexts per key
follow GitHub's table of context availability.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

from ci_sessions.ci import contain, expressions, matrix_cells
from ci_sessions.ci.workflow import Step, Where, Workflow, YamlList, YamlMap
from ci_sessions.errors import ConfigError, ExpressionError, MatrixError

_BASE = frozenset({"github", "vars", "inputs"})
WORKFLOW_ENV = _BASE | {"secrets"}
JOB_IF = _BASE | {"needs"}
JOB_STRATEGY = JOB_IF
JOB_MATRIXED = JOB_IF | {"strategy", "matrix"}
JOB_ENV = JOB_MATRIXED | {"secrets"}
JOB_DEFAULTS = JOB_MATRIXED | {"env"}
STEP_IF = JOB_MATRIXED | {"job", "runner", "env", "steps"}
STEP = STEP_IF | {"secrets"}
JOB_OUTPUTS = STEP

_JOB_KEYS: dict[str, frozenset[str]] = {
    "name": JOB_MATRIXED,
    "runs-on": JOB_MATRIXED,
    "continue-on-error": JOB_MATRIXED,
    "timeout-minutes": JOB_MATRIXED,
    "concurrency": JOB_MATRIXED,
    "env": JOB_ENV,
    "environment": JOB_ENV,
    "container": JOB_ENV,
    "services": JOB_ENV,
    "with": JOB_ENV,
    "secrets": JOB_ENV,
    "strategy": JOB_STRATEGY,
    "defaults": JOB_DEFAULTS,
    "outputs": JOB_OUTPUTS,
}


def check_workflow(workflow: Workflow) -> None:
    """Raise ConfigError at the first expression GitHub would reject."""
    for key in ("env", "run-name", "concurrency"):
        if key in workflow.raw:
            _check_tree(
                workflow.raw[key],
                Where(workflow.file, workflow.raw.line_of(key), key),
                WORKFLOW_ENV if key == "env" else _BASE,
            )
    for job in workflow.jobs.values():
        for key, value in job.raw.items():
            where = job.where(key)
            if key == "if":
                check_condition(value, where, JOB_IF, files=False)
            elif key in _JOB_KEYS:
                _check_tree(value, where, _JOB_KEYS[key])
        for step in job.steps:
            for key, value in step.raw.items():
                if key == "if":
                    check_condition(value, step.where(key), STEP_IF, files=True)
                else:
                    _check_tree(value, step.where(key), STEP, files=True)


#: ``with:`` inputs that name a path, per action (``uses:`` without its ref)
PATH_INPUTS: dict[str, tuple[str, ...]] = {
    "actions/upload-artifact": ("path",),
    "actions/download-artifact": ("path",),
    "actions/checkout": ("path",),
    "actions/setup-python": ("python-version-file",),
    "github/codeql-action/upload-sarif": ("sarif_file",),
}
NAME_INPUTS: dict[str, tuple[str, ...]] = {"actions/upload-artifact": ("name",)}


def check_literals(workflow: Workflow) -> None:
    """What can be refused before anything runs: literal names (:func:`check_names`), a literal
    matrix of more than 256 jobs, a literal ``timeout-minutes`` that is not a positive number."""
    check_names(workflow)
    for job in workflow.jobs.values():
        strategy = job.section("strategy")
        value = strategy.get("matrix")
        if value is not None and not _has_expression(value):
            where = Where(job.file, strategy.line_of("matrix"), f"jobs.{job.id}.strategy.matrix")
            try:
                matrix_cells.expand(value)
            except MatrixError as error:
                raise where.error(error.message) from None
        for raw, where in [
            (job.get("timeout-minutes"), job.where("timeout-minutes")),
            *(
                (step.raw.get("timeout-minutes"), step.where("timeout-minutes"))
                for step in job.steps
            ),
        ]:
            if raw is not None and not _has_expression(raw):
                problem = timeout_problem(raw)
                if problem:
                    raise where.error(problem)


def timeout_problem(value: expressions.Value) -> str:
    """What is wrong with a ``timeout-minutes`` value, or ""."""
    number = expressions.to_number(value)
    if isinstance(value, bool) or math.isnan(number) or math.isinf(number) or number <= 0:
        return (
            f"timeout-minutes {expressions.to_string(value)!r} is not a positive number of minutes"
        )
    return ""


def _has_expression(value: expressions.Value) -> bool:
    if isinstance(value, str):
        return expressions.has_expression(value)
    if isinstance(value, dict):
        return any(_has_expression(item) for item in value.values())
    if isinstance(value, list):
        return any(_has_expression(item) for item in value)
    return False


def check_names(workflow: Workflow) -> None:
    """Refuse, before anything runs, a literal name that could only lead out of the sandbox: an
    artifact name GitHub refuses, a path input or ``working-directory`` that is absolute, starts
    with ``~`` or climbs above the job's folder. Names made by expressions are checked when
    evaluated (the run then stops with the same error)."""
    defaults = workflow.section("defaults").get("run")
    _check_directory(defaults, workflow.where("defaults"), "working-directory")
    for job in workflow.jobs.values():
        _check_directory(
            job.section("defaults").get("run"), job.where("defaults"), "working-directory"
        )
        for step in job.steps:
            directory = step.raw.get("working-directory")
            if isinstance(directory, str):
                _check_path(directory, step.where("working-directory"), "working-directory")
            uses = (step.uses or "").split("@", 1)[0].strip().lower()
            inputs = step.raw.get("with")
            if not isinstance(inputs, YamlMap):
                continue
            for key in NAME_INPUTS.get(uses, ()):
                value = inputs.get(key)
                if isinstance(value, str) and not expressions.has_expression(value):
                    problem = contain.artifact_name_problem(value.strip())
                    if problem:
                        raise _where(step, inputs, key).error(
                            problem, fix="name the artifact with letters, digits, - _ and ."
                        )
            for key in PATH_INPUTS.get(uses, ()):
                value = inputs.get(key)
                if isinstance(value, str):
                    for line in value.splitlines():
                        _check_path(
                            line.strip().removeprefix("!"), _where(step, inputs, key),
                            f"{uses} {key}", workspace=uses == "actions/checkout",
                        )  # fmt: skip


def _where(step: Step, inputs: YamlMap, key: str) -> Where:
    return Where(
        step.file, inputs.line_of(key), f"jobs.{step.job_id}.steps[{step.index}].with.{key}"
    )


def _check_directory(run: expressions.Value, where: Where, key: str) -> None:
    if isinstance(run, YamlMap) and isinstance(run.get(key), str):
        _check_path(
            str(run[key]), Where(where.file, run.line_of(key), f"{where.key}.run.{key}"), key
        )


def _check_path(text: str, where: Where, what: str, *, workspace: bool = False) -> None:
    """A literal path leaving the job's folder (its workspace's parent; the workspace itself
    for ``workspace``) by its very spelling."""
    if not text or expressions.has_expression(text):
        return
    parts = Path(os.path.normpath(text)).parts
    climbs = parts[: 1 if workspace else 2] == ("..",) * (1 if workspace else 2)
    if text.startswith(("/", "~")) or climbs:
        raise where.error(
            f"{what} {text!r} leads outside the job's folders (its workspace and runner.temp)",
            fix="keep the path inside the workspace; ci-sessions reads and writes nothing else",
        )


def check_condition(
    value: expressions.Value, where: Where, contexts: frozenset[str], *, files: bool
) -> None:
    try:
        text, template = expressions.condition(value)
    except ExpressionError as error:
        raise where.error(error.message) from None
    if template:
        _check_text(text, where, contexts, status=True, files=files)
        return
    _check_one(text, where, contexts, status=True, files=files)


def _check_tree(
    value: expressions.Value, where: Where, contexts: frozenset[str], *, files: bool = False
) -> None:
    if isinstance(value, str):
        _check_text(value, where, contexts, status=False, files=files)
    elif isinstance(value, YamlMap):
        for key, item in value.items():
            _check_tree(
                item,
                Where(where.file, value.line_of(key), f"{where.key}.{key}"),
                contexts,
                files=files,
            )
    elif isinstance(value, YamlList):
        for index, item in enumerate(value):
            _check_tree(
                item,
                Where(where.file, value.line_of(index), f"{where.key}[{index}]"),
                contexts,
                files=files,
            )


def _check_text(
    text: str, where: Where, contexts: frozenset[str], *, status: bool, files: bool
) -> None:
    if not expressions.has_expression(text):
        return
    try:
        parts = expressions.split_template(text)
    except ExpressionError as error:
        raise where.error(f"{error.message} in {text.strip()!r}") from None
    for part in parts:
        if part.expression:
            line = where.line + text[: part.offset].count("\n")
            _check_one(
                part.text,
                Where(where.file, line, where.key),
                contexts,
                status=status,
                files=files,
            )


def _check_one(
    text: str, where: Where, contexts: frozenset[str], *, status: bool, files: bool
) -> None:
    try:
        expressions.check(expressions.parse(text), contexts, status=status, files=files)
    except ExpressionError as error:
        raise expression_error(where, text, error.message) from None


def expression_error(where: Where, text: str, problem: str) -> ConfigError:
    """The one shape of a bad-expression error: file, line, key, the expression, why."""
    return ConfigError(
        where.file,
        f"line {where.line}: {where.key}",
        f"cannot evaluate `${{{{ {text} }}}}`: {problem}",
    )
