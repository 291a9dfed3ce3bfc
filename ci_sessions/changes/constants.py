"""The literal constants of a Python file, for the tests that depend on them and not its text.

Hypothesis draws examples from the literal constants of every project module loaded
(``hypothesis.internal.constants_ast``): it reads each module's source, walks its syntax tree
and keeps the constants it finds, so a test that uses hypothesis reads every project module, and
an edit anywhere would rerun it. What hypothesis keeps is a function of the constants the walk
meets, in the order it meets them (it stops at a count), and of where each one stands: the
operand of a unary minus (``-1`` is kept as -1), a statement of its own (a docstring: skipped),
inside an f-string (skipped), the file's size (a big file: skipped). The digest here is over all
of that, so any edit that can change what any version of the harvest keeps changes it; an edit
that changes no constant (``return x`` made ``return (x)``, ``a + b`` made ``a - b``) leaves it,
and the tests that used hypothesis keep their results unless what they ran changed too.
"""

from __future__ import annotations

import ast
import hashlib

#: what hypothesis skips a file over (512 KiB); the digest says on which side a file is
BIG_FILE = 512 * 1024

#: where a constant stands, as a prefix of its record
NEGATED, STATEMENT, FORMATTED, PLAIN = "-", "s", "f", "="


def constants_digest(source: bytes) -> str:
    """The digest of ``source``'s constants and their places; a file that does not parse is
    its whole text (any edit of it counts)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return "text:" + hashlib.sha256(source).hexdigest()
    digest = hashlib.sha256(b"big\n" if len(source) > BIG_FILE else b"small\n")
    for place, value in constants(tree):
        digest.update(f"{place}{type(value).__name__}:{value!r}\n".encode("utf-8", "replace"))
    return "constants:" + digest.hexdigest()


def constants(tree: ast.AST) -> list[tuple[str, object]]:
    """Every constant of ``tree`` with its place, in the order ``ast.NodeVisitor`` meets them
    (depth first, fields in order), as hypothesis' harvest walks."""
    found: list[tuple[str, object]] = []
    pending: list[tuple[ast.AST, str]] = [(tree, PLAIN)]
    while pending:
        node, place = pending.pop()
        if isinstance(node, ast.Constant):
            found.append((place, node.value))
            continue
        if isinstance(node, ast.JoinedStr) or place == FORMATTED:
            inner = FORMATTED  # hypothesis does not look into f-strings
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            inner = NEGATED  # its operand only: ``-1`` is kept as -1, ``-(x + 1)`` keeps 1
        elif isinstance(node, ast.Expr):
            inner = STATEMENT  # its value only: a string there is a docstring
        else:
            inner = PLAIN
        children = [(child, inner) for child in ast.iter_child_nodes(node)]
        pending.extend(reversed(children))
    return found
