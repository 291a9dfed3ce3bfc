"""Every expression of a workflow parsed and checked before anything runs.

GitHub refuses a workflow whose expressions do not parse or read a context that is not available
where they stand (``matrix`` in a job's ``if:``, ``env`` in ``strategy``); so does this, with the
file, the line and the expression, before a minute is spent running jobs. The contexts per key
follow GitHub's table of context availability.
"""

from __future__ import annotations

from ci_sessions.ci import expressions
from ci_sessions.ci.workflow import Where, Workflow, YamlList, YamlMap
from ci_sessions.errors import ConfigError

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


def check_condition(
    value: expressions.Value, where: Where, contexts: frozenset[str], *, files: bool
) -> None:
    try:
        text, template = expressions.condition(value)
    except expressions.ExpressionError as error:
        raise where.error(str(error)) from None
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
    except expressions.ExpressionError as error:
        raise where.error(f"{error} in {text.strip()!r}") from None
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
    except expressions.ExpressionError as error:
        raise expression_error(where, text, str(error)) from None


def expression_error(where: Where, text: str, problem: str) -> ConfigError:
    """The one shape of a bad-expression error: file, line, key, the expression, why."""
    return ConfigError(
        where.file,
        f"line {where.line}: {where.key}",
        f"cannot evaluate `${{{{ {text} }}}}`: {problem}",
    )
