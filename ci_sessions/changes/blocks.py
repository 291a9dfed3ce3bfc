"""A Python file as its outline and its function bodies, for test runs that know what code ran.

What importing a module does depends on its outline: everything but the bodies of its functions
(module-level code, class bodies, ``def`` lines with their decorators, defaults and annotations,
docstrings, and whether a function is a generator). A function's body matters to a test only
when the test runs it. So a test file depends on the outlines of what it imports and on the
bodies of the functions it was seen running, and an edit inside one function body reruns the
tests that ran that function, not every test that imports its module (pytest-testmon's idea).

Blocks are the functions not nested in another function (methods included); a nested function
or lambda is part of its enclosing block. Function bodies are blanked in the outline line by
line, so the outline keeps every line number: an edit that adds a line to a body moves what
follows and changes the outline (a test may see line numbers: a warning's, a log record's).
"""

from __future__ import annotations

import ast
import hashlib
from dataclasses import dataclass


@dataclass(frozen=True)
class Block:
    """One function body: where its code starts (its first decorator or ``def`` line, as
    ``co_firstlineno`` says), where it ends, a name stable across edits of the body
    (``Class.method#0``), and the digest of its body's text and place."""

    start: int
    end: int
    ident: str
    digest: str


def outline(source: bytes) -> tuple[str, list[Block]]:
    """(the outline's digest, the blocks); a file that does not parse is all outline."""
    skeleton, _interface, blocks = outlines(source)
    return skeleton, blocks


def outlines(source: bytes) -> tuple[str, str, list[Block]]:
    """(the outline's digest, the interface's digest, the blocks).

    The interface is what a type checker reads of a module from the files that import it: the
    outline, plus the bodies a type is inferred from: a function without a return annotation
    (its return type is its body's), and one that assigns an attribute (``self.x = ...``
    declares ``x``) or declares a global or nonlocal. Whether a body is only ``...`` (a
    protocol's or an abstract method's) counts too.
    """
    try:
        text = source.decode("utf-8")
        tree = ast.parse(text)
    except (SyntaxError, UnicodeDecodeError, ValueError):
        return _digest(source), _digest(source), []
    lines = text.splitlines(keepends=True)
    typed = list(lines)
    blocks: list[Block] = []
    flags: list[str] = []
    seen: dict[str, int] = {}
    for node, qualname in _functions(tree.body, ""):
        body = node.body
        first = 1 if _docstring(body) else 0
        if first >= len(body):
            continue  # a docstring only: nothing to blank
        body_start = body[first].lineno
        end = node.end_lineno or body_start
        if body_start <= node.lineno:
            continue  # `def f(): return 1`: the body shares the def line, it stays outline
        start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
        count = seen.get(qualname, 0)
        seen[qualname] = count + 1
        ident = f"{qualname}#{count}"
        text_of_body = "".join(lines[body_start - 1 : end])
        blocks.append(Block(start, end, ident, _digest(f"{body_start}\0{text_of_body}".encode())))
        flags.append(f"{ident} generator={_yields(body)} trivial={_trivial(body[first:])}")
        private = node.returns is not None and not _declares(body)
        for number in range(body_start - 1, end):
            lines[number] = "\n"
            if private:
                typed[number] = "\n"
    tail = "\0" + "\n".join(flags)
    skeleton = "".join(lines) + tail
    interface = "".join(typed) + tail
    return (
        _digest(skeleton.encode("utf-8", "surrogateescape")),
        _digest(interface.encode("utf-8", "surrogateescape")),
        blocks,
    )


def block_at(blocks: list[Block], line: int) -> Block | None:
    """The block whose code starts at or runs through ``line`` (a code object's first line)."""
    for block in blocks:
        if block.start <= line <= block.end:
            return block
    return None


def _functions(
    statements: list[ast.stmt], prefix: str
) -> list[tuple[ast.FunctionDef | ast.AsyncFunctionDef, str]]:
    """Functions not nested in a function, with their qualified names, in source order."""
    found: list[tuple[ast.FunctionDef | ast.AsyncFunctionDef, str]] = []
    for node in statements:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            found.append((node, f"{prefix}{node.name}"))
        elif isinstance(node, ast.ClassDef):
            found += _functions(node.body, f"{prefix}{node.name}.")
        else:
            for field in ("body", "orelse", "finalbody", "handlers", "cases"):
                inner = getattr(node, field, None)
                if isinstance(inner, list):
                    nested: list[ast.stmt] = []
                    for child in inner:  # pyright: ignore[reportUnknownVariableType]
                        if isinstance(child, ast.stmt):
                            nested.append(child)
                        elif isinstance(child, (ast.ExceptHandler, ast.match_case)):
                            nested += child.body
                    found += _functions(nested, prefix)
    return found


def _docstring(body: list[ast.stmt]) -> bool:
    first = body[0] if body else None
    return (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    )


def _yields(body: list[ast.stmt]) -> bool:
    """Whether the function itself (not a nested one) yields: calling it makes a generator."""
    pending: list[ast.AST] = list(body)
    while pending:
        node = pending.pop()
        if isinstance(node, (ast.Yield, ast.YieldFrom)):
            return True
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            continue
        pending.extend(ast.iter_child_nodes(node))
    return False


def _declares(body: list[ast.stmt]) -> bool:
    """Whether a function body declares something outside itself: an attribute assigned
    (``self.x = 1``: the class now has ``x``), a ``global`` or ``nonlocal``."""
    for node in ast.walk(ast.Module(body=body, type_ignores=[])):
        if isinstance(node, (ast.Global, ast.Nonlocal)):
            return True
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets = [node.target]
        elif isinstance(node, (ast.For, ast.AsyncFor, ast.With, ast.AsyncWith)):
            targets = (
                [node.target] if isinstance(node, (ast.For, ast.AsyncFor))
                else [i.optional_vars for i in node.items if i.optional_vars is not None]
            )  # fmt: skip
        elif isinstance(node, ast.NamedExpr):
            targets = [node.target]
        for target in targets:
            if any(isinstance(t, ast.Attribute) for t in ast.walk(target)):
                return True
    return False


def _trivial(body: list[ast.stmt]) -> bool:
    """A body that is ``...``, ``pass`` or ``raise NotImplementedError``: no implementation."""
    for node in body:
        if isinstance(node, ast.Pass):
            continue
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue
        if isinstance(node, ast.Raise):
            continue
        return False
    return True


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
