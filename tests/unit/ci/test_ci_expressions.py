"""GitHub Actions expressions: parsing, GitHub's loose comparison, functions, ``if:`` rules."""

from __future__ import annotations

import math

import pytest

from ci_sessions.ci.expressions import (
    Scope,
    Status,
    Value,
    check,
    condition,
    condition_holds,
    evaluate_text,
    interpolate,
    parse,
    split_template,
    to_string,
)
from ci_sessions.errors import ExpressionError

CONTEXTS: dict[str, Value] = {
    "github": {"event_name": "pull_request", "base_ref": "main", "ref": "refs/pull/1/merge"},
    "matrix": {"python": "3.12", "os": "ubuntu-latest", "n": 3, "experimental": False},
    "needs": {
        "changes": {"result": "success", "outputs": {"code": "true", "matrix": '{"a": [1, 2]}'}},
        "quick": {"result": "skipped", "outputs": {}},
    },
    "steps": {"changes": {"outputs": {"docs-only": "false"}, "outcome": "success"}},
    "env": {"NAME": "world"},
}


def ev(text: str, status: Status | None = None) -> Value:
    return evaluate_text(text, Scope(CONTEXTS, status or Status()))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 == 1.0", True),
        ("'abc' == 'ABC'", True),  # strings compare ignoring case
        ("'1' == 1", True),  # mismatched types compare as numbers
        ("'' == 0", True),
        ("null == 0", True),
        ("true == 1", True),
        ("'x' == 0", False),  # NaN equals nothing
        ("'3.10' == 3.1", True),
        ("github.event_name == 'pull_request'", True),
        ("github.EVENT_NAME == 'PULL_REQUEST'", True),  # context keys ignore case too
        ("github['base_ref']", "main"),
        ("matrix.n > 2 && matrix.n <= 3", True),
        ("'b' > 'A'", True),
        ("!matrix.experimental", True),
        ("matrix.missing", None),
        ("matrix.missing.deeper", None),
        ("steps.changes.outputs.docs-only != 'true'", True),
        ("needs.changes.outputs.code == 'true'", True),
        ("matrix.missing || 'fallback'", "fallback"),  # || returns an operand, not a bool
        ("matrix.python && matrix.os", "ubuntu-latest"),
        ("(1 == 2) || (2 == 2)", True),
        ("0x10 == 16", True),
        ("-1 < 0", True),
    ],
)
def test_operators_follow_github(text: str, expected: Value) -> None:
    assert ev(text) == expected


def test_object_filter_collects_a_property_of_every_need() -> None:
    assert ev("needs.*.result") == ["success", "skipped"]
    assert ev("contains(needs.*.result, 'skipped')") is True
    assert ev("contains(needs.*.result, 'failure')") is False


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("contains('Hello world', 'WORLD')", True),
        ("contains(fromJSON('[\"a\", \"b\"]'), 'B')", True),
        ("startsWith(github.ref, 'refs/PULL')", True),
        ("endsWith('file.py', '.PY')", True),
        ("format('{0}-{1}', matrix.python, matrix.os)", "3.12-ubuntu-latest"),
        ("format('{{literal}} {0}', 1)", "{literal} 1"),
        ("join(fromJSON('[1, 2, 3]'), '+')", "1+2+3"),
        ('join(fromJSON(\'["a", "b"]\'))', "a,b"),
        ("join('single')", "single"),
        ("fromJSON('{\"a\": [1, 2]}').a[1]", 2),
        ("fromJSON(needs.changes.outputs.matrix).a[0]", 1),
        ("toJSON(matrix.n)", "3"),
        ("fromJSON('true')", True),
        ("FROMJSON('3')", 3),  # function names ignore case
    ],
)
def test_functions(text: str, expected: Value) -> None:
    assert ev(text) == expected


def test_to_json_is_pretty_printed_like_github() -> None:
    assert ev("toJSON(fromJSON('{\"a\":1}'))") == '{\n  "a": 1\n}'


def test_status_functions_read_the_status() -> None:
    failed = Status(success=False, failure=True)
    assert ev("success()") is True
    assert ev("failure()") is False
    assert ev("failure()", failed) is True
    assert ev("always()", failed) is True
    assert ev("cancelled()", Status(success=False, cancelled=True)) is True
    assert ev("success()", Status(success=True, cancelled=True)) is False


@pytest.mark.parametrize(
    ("raw", "status", "expected"),
    [
        (None, Status(), True),  # no if: is success()
        (None, Status(success=False, failure=True), False),
        ("github.event_name == 'pull_request'", Status(), True),
        # without a status function the condition is success() && (...)
        ("github.event_name == 'pull_request'", Status(success=False, failure=True), False),
        ("always() && github.event_name == 'push'", Status(success=False, failure=True), False),
        ("${{ failure() }}", Status(success=False, failure=True), True),
        ("${{ always() }}", Status(success=False, failure=True), True),
        (True, Status(), True),
        (False, Status(), False),
        # text around ${{ }} makes a string template: non-empty, so always true (GitHub's trap)
        ("${{ false }} == true", Status(), True),
    ],
)
def test_if_conditions(raw: Value, status: Status, expected: bool) -> None:
    assert condition_holds(raw, Scope(CONTEXTS, status)) is expected


def test_condition_unwraps_a_single_expression() -> None:
    assert condition("${{ a == 'b' }}") == ("a == 'b'", False)
    assert condition("a == 'b'") == ("a == 'b'", False)
    assert condition("x ${{ a }}") == ("x ${{ a }}", True)


def test_interpolation_keeps_the_type_of_a_lone_expression() -> None:
    scope = Scope(CONTEXTS)
    assert interpolate("${{ fromJSON(needs.changes.outputs.matrix) }}", scope) == {"a": [1, 2]}
    assert interpolate("${{ matrix.n }}", scope) == 3
    assert interpolate("py${{ matrix.python }} on ${{ matrix.os }}", scope) == (
        "py3.12 on ubuntu-latest"
    )
    assert interpolate("hello ${{ env.NAME }}!", scope) == "hello world!"
    assert interpolate("${{ matrix }}", scope) == CONTEXTS["matrix"]
    assert interpolate("x ${{ matrix }}", scope) == "x Object"


def test_a_closing_brace_pair_inside_a_string_does_not_end_the_expression() -> None:
    parts = split_template("a ${{ format('{0}}}', 1) }} b")
    assert [p.text for p in parts] == ["a ", "format('{0}}}', 1)", " b"]


def test_numbers_print_as_github_prints_them() -> None:
    assert to_string(3.0) == "3"
    assert to_string(3.1) == "3.1"
    assert to_string(math.nan) == "NaN"
    assert to_string(None) == ""
    assert to_string(True) == "true"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("github.event_name ==", "unexpected"),
        ("'unterminated", "unterminated string"),
        ("a == b)", r"unexpected '\)'"),
        ("format(", "unexpected"),
        ("a = b", "unexpected character '='"),
        ("", "empty expression"),
    ],
)
def test_syntax_errors_say_where(text: str, message: str) -> None:
    with pytest.raises(ExpressionError, match=message):
        parse(text)


def test_check_refuses_contexts_and_functions_github_refuses() -> None:
    contexts = frozenset({"github", "needs"})
    check(parse("needs.a.outputs.b == github.sha"), contexts)
    with pytest.raises(ExpressionError, match="unrecognized named-value 'matrix'"):
        check(parse("matrix.os == 'x'"), contexts)
    with pytest.raises(ExpressionError, match="unrecognized function 'fromJson2'"):
        check(parse("fromJson2('x')"), contexts)
    with pytest.raises(ExpressionError, match="takes 2 argument"):
        check(parse("contains('a')"), contexts)
    with pytest.raises(ExpressionError, match="not allowed here"):
        check(parse("always()"), contexts)
    with pytest.raises(ExpressionError, match="not allowed here"):
        check(parse("hashFiles('x')"), contexts, status=True)
    check(parse("always()"), contexts, status=True)


def test_runtime_errors_are_expression_errors() -> None:
    with pytest.raises(ExpressionError, match="not valid JSON"):
        ev("fromJSON('{not json')")
    with pytest.raises(ExpressionError, match=r"no argument for \{1\}"):
        ev("format('{0} {1}', 'a')")
