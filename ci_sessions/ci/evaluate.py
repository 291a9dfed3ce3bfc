"""Expressions inside workflow values, evaluated while the run is under way.

A failure here is what GitHub reports as "Error when evaluating ...": the job fails, and the
message names the file, the line and the expression (:class:`EvaluationError`).
"""

from __future__ import annotations

from ci_sessions.ci import expressions, untrusted
from ci_sessions.ci.expressions import Scope, Value
from ci_sessions.ci.workflow import Where, YamlList, YamlMap
from ci_sessions.errors import EvaluationError, ExpressionError


def resolve(value: Value, where: Where, scope: Scope) -> Value:
    """The value with every ``${{ }}`` in it evaluated; maps and lists keep their shape."""
    if isinstance(value, str):
        if not expressions.has_expression(value):
            return value
        try:
            return expressions.interpolate(value, scope)
        except ExpressionError as error:
            raise EvaluationError(where, _first_expression(value), error.message) from None
    if isinstance(value, YamlMap):
        return {
            key: resolve(item, Where(where.file, value.line_of(key), f"{where.key}.{key}"), scope)
            for key, item in value.items()
        }
    if isinstance(value, YamlList):
        return [
            resolve(item, Where(where.file, value.line_of(i), f"{where.key}[{i}]"), scope)
            for i, item in enumerate(value)
        ]
    if isinstance(value, dict):
        return {k: resolve(v, where, scope) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, where, scope) for v in value]
    return value


def resolve_text(value: Value, where: Where, scope: Scope) -> str:
    return expressions.to_string(resolve(value, where, scope))


def condition(value: Value, where: Where, scope: Scope) -> bool:
    """An ``if:`` (None means the default ``success()``)."""
    try:
        return expressions.condition_holds(value, scope)
    except ExpressionError as error:
        shown = value if isinstance(value, str) else expressions.to_string(value)
        raise EvaluationError(
            where, shown.strip().removeprefix("${{").removesuffix("}}").strip(), error.message
        ) from None


def _first_expression(text: str) -> str:
    try:
        parts = [p.text for p in expressions.split_template(text) if p.expression]
    except ExpressionError:
        return text
    return " }} ... ${{ ".join(parts) if parts else text


def render_script(
    value: str, where: Where, scope: Scope, *, shell: str | None, tainted: set[str]
) -> untrusted.Rendered:
    """A ``run:`` script: untrusted values as variables (see :mod:`ci_sessions.ci.untrusted`)."""
    try:
        return untrusted.render(value, scope, shell=shell, tainted_env=tainted)
    except ExpressionError as error:
        raise EvaluationError(where, _first_expression(value), error.message) from None
