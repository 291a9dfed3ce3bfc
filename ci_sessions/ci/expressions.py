"""GitHub Actions expressions (``${{ ... }}`` and ``if:``): a tokenizer, a parser and an evaluator.

No maintained PyPI library evaluates these (the PyPI packages found are tree-sitter grammars: a
parse tree, no semantics, and a native dependency), so this is a small recursive-descent parser of
the subset workflows use: literals, contexts with ``.name`` / ``[index]`` / ``.*`` access, ``!``,
``< <= > >= == != && ||`` with GitHub's loose comparison (mismatched types compare as numbers,
strings case-insensitively; ``&&`` / ``||`` return an operand, not a bool), and the functions
listed in :data:`FUNCTIONS`. Semantics follow GitHub's documentation of expressions.
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeAlias

from ci_sessions.ci.globs import hash_files
from ci_sessions.ci.values import (
    Filtered,
    Value,
    compare,
    equals,
    format_number,
    lookup,
    to_number,
    to_string,
    truthy,
)
from ci_sessions.errors import ExpressionError

__all__ = [
    "FUNCTIONS",
    "Scope",
    "Status",
    "Value",
    "condition",
    "condition_holds",
    "evaluate",
    "evaluate_text",
    "format_number",
    "interpolate",
    "parse",
    "split_template",
    "to_number",
    "to_string",
    "truthy",
]


#: how deep an expression's syntax tree may go (parentheses, operators, calls): every walk over
#: it recurses, so a hostile ``((((...))))`` is refused instead of exhausting the stack
MAX_DEPTH = 100
#: how deep parentheses, ``!``, calls and indexes may nest (the parser recurses ~7 frames each)
MAX_NESTING = 50
#: how deep fromJSON() may nest what it reads
MAX_JSON_DEPTH = 100

#: functions that ask about the job's (or its ancestors') status; ``if:`` only
STATUS_FUNCTIONS = frozenset({"always", "success", "failure", "cancelled"})


# ---------------------------------------------------------------- tokens


@dataclass(frozen=True)
class _Token:
    kind: str  # num | str | ident | op | end
    text: str
    pos: int
    value: Value = None


_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<num>-?(?:0x[0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?))
  | (?P<str>'(?:[^']|'')*')
  | (?P<ident>[A-Za-z_][A-Za-z0-9_-]*)
  | (?P<op>==|!=|<=|>=|&&|\|\||[<>!()\[\].,*])
    """,
    re.VERBOSE,
)


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            if text[pos] == "'":
                raise ExpressionError(f"unterminated string starting at position {pos + 1}")
            raise ExpressionError(f"unexpected character {text[pos]!r} at position {pos + 1}")
        kind = match.lastgroup or ""
        token_text = match.group()
        if kind == "num":
            tokens.append(_Token("num", token_text, pos, _parse_number(token_text)))
        elif kind == "str":
            tokens.append(_Token("str", token_text, pos, token_text[1:-1].replace("''", "'")))
        elif kind != "space":
            tokens.append(_Token(kind, token_text, pos))
        pos = match.end()
    tokens.append(_Token("end", "", len(text)))
    return tokens


def _parse_number(text: str) -> int | float:
    body = text.lstrip("-")
    sign = -1 if text.startswith("-") else 1
    if body.lower().startswith("0x"):
        return sign * int(body, 16)
    if re.fullmatch(r"\d+", body):
        return sign * int(body)
    return sign * float(body)


# ---------------------------------------------------------------- syntax tree


@dataclass(frozen=True)
class Literal:
    value: Value


@dataclass(frozen=True)
class Name:
    """A context (``github``, ``matrix``, ...): the first word of a property chain."""

    name: str
    pos: int


@dataclass(frozen=True)
class Prop:
    target: Node
    name: str  # "*" is the object filter


@dataclass(frozen=True)
class Index:
    target: Node
    index: Node


@dataclass(frozen=True)
class Call:
    name: str  # as written; looked up case-insensitively
    args: tuple[Node, ...]
    pos: int


@dataclass(frozen=True)
class Not:
    operand: Node


@dataclass(frozen=True)
class Binary:
    op: str
    left: Node
    right: Node


Node: TypeAlias = "Literal | Name | Prop | Index | Call | Not | Binary"

_PRECEDENCE: tuple[tuple[str, ...], ...] = (
    ("||",),
    ("&&",),
    ("==", "!="),
    ("<", "<=", ">", ">="),
)


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.at = 0
        self.nesting = 0
        self.depth: dict[int, int] = {}  # id(node) -> height of its tree

    def height(self, node: Node) -> int:
        return self.depth.get(id(node), 1)

    def made(self, node: Node, *children: Node) -> Node:
        """Record ``node``'s height; a tree taller than :data:`MAX_DEPTH` is refused."""
        height = 1 + max((self.height(child) for child in children), default=0)
        if height > MAX_DEPTH:
            raise ExpressionError(
                f"too complex: its syntax tree is more than {MAX_DEPTH} levels deep"
            )
        self.depth[id(node)] = height
        return node

    def peek(self) -> _Token:
        return self.tokens[self.at]

    def take(self) -> _Token:
        token = self.tokens[self.at]
        self.at += 1
        return token

    def expect(self, text: str) -> _Token:
        token = self.take()
        if token.text != text or token.kind not in ("op",):
            raise ExpressionError(
                f"expected {text!r} at position {token.pos + 1}, found {token.text or 'the end'!r}"
            )
        return token

    def parse(self) -> Node:
        if self.peek().kind == "end":
            raise ExpressionError("empty expression")
        node = self.binary(0)
        token = self.peek()
        if token.kind != "end":
            raise ExpressionError(f"unexpected {token.text!r} at position {token.pos + 1}")
        return node

    def binary(self, level: int) -> Node:
        if level == len(_PRECEDENCE):
            return self.unary()
        node = self.binary(level + 1)
        while self.peek().kind == "op" and self.peek().text in _PRECEDENCE[level]:
            op = self.take().text
            right = self.binary(level + 1)
            node = self.made(Binary(op, node, right), node, right)
        return node

    def unary(self) -> Node:
        token = self.peek()
        if token.kind == "op" and token.text == "!":
            self.take()
            self.guard()
            operand = self.unary()
            self.nesting -= 1
            return self.made(Not(operand), operand)
        return self.postfix(self.primary())

    def guard(self) -> None:
        """Refuse nesting before the parser's own recursion could exhaust the stack."""
        self.nesting += 1
        if self.nesting > MAX_NESTING:
            raise ExpressionError(f"nested more than {MAX_NESTING} levels deep")

    def postfix(self, node: Node) -> Node:
        while True:
            token = self.peek()
            if token.kind == "op" and token.text == ".":
                self.take()
                name = self.take()
                if name.kind == "ident" or (name.kind == "op" and name.text == "*"):
                    node = self.made(Prop(node, name.text), node)
                else:
                    raise ExpressionError(f"expected a property name at position {name.pos + 1}")
            elif token.kind == "op" and token.text == "[":
                self.take()
                if self.peek().kind == "op" and self.peek().text == "*":
                    self.take()
                    node = self.made(Prop(node, "*"), node)
                else:
                    self.guard()
                    index = self.binary(0)
                    self.nesting -= 1
                    node = self.made(Index(node, index), node, index)
                self.expect("]")
            else:
                return node

    def primary(self) -> Node:
        token = self.take()
        if token.kind in ("num", "str"):
            return Literal(token.value)
        if token.kind == "op" and token.text == "(":
            self.guard()
            node = self.binary(0)
            self.nesting -= 1
            self.expect(")")
            return node
        if token.kind == "ident":
            word = token.text
            if self.peek().kind == "op" and self.peek().text == "(":
                return self.call(token)
            keyword = {"true": True, "false": False, "null": None}
            if word in keyword:
                return Literal(keyword[word])
            if word in ("NaN", "Infinity"):
                return Literal(math.nan if word == "NaN" else math.inf)
            return Name(word, token.pos)
        raise ExpressionError(
            f"unexpected {token.text or 'end of expression'!r} at position {token.pos + 1}"
        )

    def call(self, name: _Token) -> Node:
        self.expect("(")
        self.guard()
        args: list[Node] = []
        if not (self.peek().kind == "op" and self.peek().text == ")"):
            args.append(self.binary(0))
            while self.peek().kind == "op" and self.peek().text == ",":
                self.take()
                args.append(self.binary(0))
        self.nesting -= 1
        self.expect(")")
        return self.made(Call(name.text, tuple(args), name.pos), *args)


@functools.lru_cache(maxsize=4096)
def parse(text: str) -> Node:
    """The syntax tree of one expression (the text between ``${{`` and ``}}``)."""
    return _Parser(text).parse()


def walk(node: Node) -> Iterator[Node]:
    yield node
    if isinstance(node, Prop | Not):
        yield from walk(node.target if isinstance(node, Prop) else node.operand)
    elif isinstance(node, Index):
        yield from walk(node.target)
        yield from walk(node.index)
    elif isinstance(node, Call):
        for arg in node.args:
            yield from walk(arg)
    elif isinstance(node, Binary):
        yield from walk(node.left)
        yield from walk(node.right)


def uses_status_function(node: Node) -> bool:
    return any(isinstance(n, Call) and n.name.lower() in STATUS_FUNCTIONS for n in walk(node))


def check(
    node: Node, contexts: frozenset[str], *, status: bool = False, files: bool = False
) -> None:
    """Refuse what GitHub refuses before a run: unknown contexts and functions, bad arity."""
    for item in walk(node):
        if isinstance(item, Name) and item.name.lower() not in contexts:
            raise ExpressionError(
                f"unrecognized named-value {item.name!r} (available here: "
                f"{', '.join(sorted(contexts))})"
            )
        if isinstance(item, Call):
            name = item.name.lower()
            spec = FUNCTIONS.get(name)
            if spec is None:
                raise ExpressionError(f"unrecognized function {item.name!r}")
            if (name in STATUS_FUNCTIONS and not status) or (name == "hashfiles" and not files):
                raise ExpressionError(f"{item.name}() is not allowed here")
            low, high = spec.arity
            if not low <= len(item.args) <= high:
                want = str(low) if low == high else f"{low} to {high if high < 99 else 'any'}"
                raise ExpressionError(
                    f"{item.name}() takes {want} argument(s), {len(item.args)} given"
                )


# ---------------------------------------------------------------- templates


@dataclass(frozen=True)
class Part:
    """A piece of a template: literal text, or an expression with its offset in the template."""

    text: str
    expression: bool
    offset: int


def split_template(text: str) -> list[Part]:
    """``a ${{ b }} c`` -> literal, expression, literal (a ``}}`` inside a string does not end it)."""
    parts: list[Part] = []
    pos = 0
    while True:
        start = text.find("${{", pos)
        if start < 0:
            if pos < len(text):
                parts.append(Part(text[pos:], False, pos))
            return parts
        if start > pos:
            parts.append(Part(text[pos:start], False, pos))
        end = _closing(text, start + 3)
        parts.append(Part(text[start + 3 : end].strip(), True, start))
        pos = end + 2


def _closing(text: str, pos: int) -> int:
    in_string = False
    while pos < len(text):
        char = text[pos]
        if char == "'":
            in_string = not in_string  # '' inside a string toggles twice: still inside
        elif not in_string and text.startswith("}}", pos):
            return pos
        pos += 1
    raise ExpressionError("'${{' is not closed by '}}'")


def has_expression(text: str) -> bool:
    return "${{" in text


def condition(raw: Value) -> tuple[str, bool]:
    """The expression an ``if:`` value stands for, and whether it is a template (a string test).

    ``if:`` is an expression with or without ``${{ }}``; a value that mixes text and ``${{ }}`` is
    a string template, true when not empty (GitHub's rule, a classic trap). Without a status
    function the condition is ``success() && (...)``.
    """
    if raw is None:
        return "success()", False
    if isinstance(raw, bool):
        text = "true" if raw else "false"
    elif isinstance(raw, int | float):
        text = format_number(raw)
    elif isinstance(raw, str):
        text = raw.strip()
    else:
        raise ExpressionError("an if: condition must be a string")
    if not has_expression(text):
        return text, False
    parts = split_template(text)
    if len(parts) == 1 and parts[0].expression:
        return parts[0].text, False
    return text, True


# ---------------------------------------------------------------- evaluation


@dataclass(frozen=True)
class Status:
    """What the status functions answer: for a step, the job so far; for a job, its ancestors."""

    success: bool = True
    failure: bool = False
    cancelled: bool = False


@dataclass(frozen=True)
class Scope:
    """The contexts an expression may read, the status facts, the workspace for hashFiles()."""

    contexts: Mapping[str, Value]
    status: Status = field(default_factory=Status)
    workspace: Path | None = None


def evaluate(node: Node, scope: Scope) -> Value:
    if isinstance(node, Literal):
        return node.value
    if isinstance(node, Name):
        return lookup(dict(scope.contexts), node.name)
    if isinstance(node, Prop):
        target = evaluate(node.target, scope)
        if node.name == "*":
            if isinstance(target, dict):
                return Filtered(target.values())
            return Filtered(target) if isinstance(target, list) else Filtered()
        return lookup(target, node.name)
    if isinstance(node, Index):
        target = evaluate(node.target, scope)
        index = evaluate(node.index, scope)
        if isinstance(target, list) and not isinstance(index, str):
            position = to_number(index)
            if not math.isnan(position) and position >= 0 and int(position) < len(target):
                return target[int(position)]
            return None
        return lookup(target, to_string(index))
    if isinstance(node, Not):
        return not truthy(evaluate(node.operand, scope))
    if isinstance(node, Binary):
        left = evaluate(node.left, scope)
        if node.op == "&&":
            return evaluate(node.right, scope) if truthy(left) else left
        if node.op == "||":
            return left if truthy(left) else evaluate(node.right, scope)
        right = evaluate(node.right, scope)
        if node.op == "==":
            return equals(left, right)
        if node.op == "!=":
            return not equals(left, right)
        return compare(node.op, left, right)
    spec = FUNCTIONS.get(node.name.lower())
    if spec is None:
        raise ExpressionError(f"unrecognized function {node.name!r}")
    return spec.call([evaluate(arg, scope) for arg in node.args], scope)


def evaluate_text(text: str, scope: Scope) -> Value:
    """Evaluate one expression given as text."""
    return _plain(evaluate(parse(text), scope))


def interpolate(text: str, scope: Scope) -> Value:
    """A value with ``${{ }}`` in it: exactly one expression keeps its type, else a string."""
    parts = split_template(text)
    if len(parts) == 1 and parts[0].expression:
        return _plain(evaluate(parse(parts[0].text), scope))
    return "".join(
        to_string(evaluate(parse(p.text), scope)) if p.expression else p.text for p in parts
    )


def condition_holds(raw: Value, scope: Scope) -> bool:
    """Whether an ``if:`` value is true, with the implicit ``success() &&``."""
    text, template = condition(raw)
    if template:
        return truthy(interpolate(text, scope))
    node = parse(text)
    if not uses_status_function(node):
        node = Binary("&&", Call("success", (), 0), node)
    return truthy(evaluate(node, scope))


def _plain(value: Value) -> Value:
    return list(value) if isinstance(value, Filtered) else value


# ---------------------------------------------------------------- functions


@dataclass(frozen=True)
class _Function:
    arity: tuple[int, int]
    call: Callable[[list[Value], Scope], Value]


def _contains(args: list[Value], _scope: Scope) -> Value:
    search, item = args
    if isinstance(search, list):
        return any(equals(element, item) for element in search)
    return to_string(item).casefold() in to_string(search).casefold()


def _starts_with(args: list[Value], _scope: Scope) -> Value:
    return to_string(args[0]).casefold().startswith(to_string(args[1]).casefold())


def _ends_with(args: list[Value], _scope: Scope) -> Value:
    return to_string(args[0]).casefold().endswith(to_string(args[1]).casefold())


def _format(args: list[Value], _scope: Scope) -> Value:
    template = to_string(args[0])
    values = [to_string(a) for a in args[1:]]
    out: list[str] = []
    pos = 0
    while pos < len(template):
        char = template[pos]
        if template.startswith("{{", pos) or template.startswith("}}", pos):
            out.append(char)
            pos += 2
        elif char == "{":
            end = template.find("}", pos)
            index = template[pos + 1 : end] if end > 0 else ""
            if not index.isdigit():
                raise ExpressionError(f"format(): invalid placeholder in {template!r}")
            if int(index) >= len(values):
                raise ExpressionError(f"format(): no argument for {{{index}}} in {template!r}")
            out.append(values[int(index)])
            pos = end + 1
        elif char == "}":
            raise ExpressionError(f"format(): unbalanced '}}' in {template!r}")
        else:
            out.append(char)
            pos += 1
    return "".join(out)


def _join(args: list[Value], _scope: Scope) -> Value:
    separator = to_string(args[1]) if len(args) > 1 else ","
    if isinstance(args[0], list):
        return separator.join(to_string(item) for item in args[0])
    return to_string(args[0])


def _json_ready(value: Value) -> Value:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return int(value)
    if isinstance(value, list):
        return [_json_ready(v) for v in value]
    if isinstance(value, dict):
        return {k: _json_ready(v) for k, v in value.items()}
    return value


def _to_json(args: list[Value], _scope: Scope) -> Value:
    return json.dumps(_json_ready(_plain(args[0])), indent=2, ensure_ascii=False)


def _from_json(args: list[Value], _scope: Scope) -> Value:
    text = to_string(args[0])
    shown = text if len(text) <= 60 else text[:57] + "..."
    try:
        loaded: Value = json.loads(text)
    except json.JSONDecodeError as error:
        raise ExpressionError(f"fromJSON(): not valid JSON ({error.msg}): {shown!r}") from None
    except RecursionError:
        loaded = None
        deep = True
    else:
        deep = json_depth(loaded) > MAX_JSON_DEPTH
    if deep:
        raise ExpressionError(
            f"fromJSON(): nested more than {MAX_JSON_DEPTH} levels deep: {shown!r}"
        )
    return loaded


def json_depth(value: Value) -> int:
    """How deep lists and objects nest in ``value`` (counted without recursion)."""
    deepest = 0
    todo: list[tuple[Value, int]] = [(value, 1)]
    while todo:
        item, depth = todo.pop()
        deepest = max(deepest, depth)
        if isinstance(item, dict):
            todo.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            todo.extend((v, depth + 1) for v in item)
    return deepest


def _always(_args: list[Value], _scope: Scope) -> Value:
    return True


def _success(_args: list[Value], scope: Scope) -> Value:
    return scope.status.success and not scope.status.cancelled


def _failure(_args: list[Value], scope: Scope) -> Value:
    return scope.status.failure


def _cancelled(_args: list[Value], scope: Scope) -> Value:
    return scope.status.cancelled


def _hash_files(args: list[Value], scope: Scope) -> Value:
    if scope.workspace is None:
        raise ExpressionError("hashFiles() needs a workspace")
    return hash_files(scope.workspace, [to_string(a) for a in args])


FUNCTIONS: dict[str, _Function] = {
    "contains": _Function((2, 2), _contains),
    "startswith": _Function((2, 2), _starts_with),
    "endswith": _Function((2, 2), _ends_with),
    "format": _Function((1, 99), _format),
    "join": _Function((1, 2), _join),
    "tojson": _Function((1, 1), _to_json),
    "fromjson": _Function((1, 1), _from_json),
    "hashfiles": _Function((1, 99), _hash_files),
    "always": _Function((0, 0), _always),
    "success": _Function((0, 0), _success),
    "failure": _Function((0, 0), _failure),
    "cancelled": _Function((0, 0), _cancelled),
}
