"""Single edits of a real project for the incremental benchmarks (differential.py, engagement.py).

Each edit is a pure function of the pristine tree: it names the files it writes or removes and
their new text, so it can be applied, undone and described. Kinds:

- ``mutation``: one operator, comparison, boolean, constant, return value or loop keyword in a
  function body, in the style of mutmut (``a + b`` -> ``a - b``, ``<`` -> ``<=``, ``and`` -> ``or``,
  ``3`` -> ``4``, ``"x"`` -> ``"XXxXX"``, ``True`` -> ``False``, ``return x`` -> ``return None``,
  ``break`` -> ``continue``); in package modules, conftest files and test files;
- ``module-constant``: a constant assigned at module level;
- ``rename``, ``delete``: a module or a test file renamed or deleted in the work tree (unstaged);
- ``data``: a non-Python file among the tests or in a package changed;
- ``stub``: a ``.pyi`` file's annotation changed;
- ``new-test``: a test file added (one passing and one failing test that import a module);
- ``public-rename``: a public function of a module renamed (what planted channel tests see).

Every edit chosen is checked to still parse, so each is a program a person could have written.
"""

from __future__ import annotations

import ast
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

BINOPS = {
    ast.Add: ("+", "-"), ast.Sub: ("-", "+"), ast.Mult: ("*", "/"), ast.Div: ("/", "*"),
    ast.FloorDiv: ("//", "/"), ast.Mod: ("%", "/"), ast.Pow: ("**", "*"),
    ast.LShift: ("<<", ">>"), ast.RShift: (">>", "<<"), ast.BitAnd: ("&", "|"),
    ast.BitOr: ("|", "&"), ast.BitXor: ("^", "&"),
}  # fmt: skip
COMPARES = {
    ast.Lt: ("<", "<="), ast.LtE: ("<=", "<"), ast.Gt: (">", ">="), ast.GtE: (">=", ">"),
    ast.Eq: ("==", "!="), ast.NotEq: ("!=", "=="),
}  # fmt: skip
AUGOPS = {ast.Add: ("+=", "-="), ast.Sub: ("-=", "+=")}


@dataclass(frozen=True)
class Edit:
    """One edit: ``writes`` maps a path to its new text (None: the file is removed)."""

    kind: str
    path: str
    what: str
    writes: dict[str, str | None] = field(default_factory=dict[str, str | None])

    @property
    def label(self) -> str:
        return f"{self.kind} {self.path}: {self.what}"

    def apply(self, root: Path) -> None:
        for rel, text in self.writes.items():
            target = root / rel
            if text is None:
                target.unlink(missing_ok=True)
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text, encoding="utf-8")


# -- mutations ------------------------------------------------------------------------------------


class _Spots(ast.NodeVisitor):
    """Places a mutation may go: (line, byte column, end line, end column, old, new, what)."""

    def __init__(self, source: str, *, bodies_only: bool) -> None:
        self.source = source
        self.lines = source.splitlines(keepends=True)
        self.bodies_only = bodies_only
        self.depth = 0
        self.spots: list[tuple[int, int, int, int, str, str, str]] = []
        self.skip: set[int] = set()

    def _segment(self, node: ast.AST) -> str:
        return ast.get_source_segment(self.source, node) or ""

    def _gap(self, left: ast.AST, right: ast.AST, old: str, new: str, what: str) -> None:
        """Replace the operator text ``old`` between two nodes on one line."""
        if left.end_lineno != right.lineno or left.end_lineno is None:
            return
        line = self.lines[left.end_lineno - 1].encode()
        start, end = left.end_col_offset or 0, right.col_offset
        gap = line[start:end].decode(errors="replace")
        at = gap.find(old)
        if at < 0 or (old in ("<", ">") and gap[at : at + 2] in ("<=", ">=", "<<", ">>")):
            return
        col = start + len(gap[:at].encode())
        self.spots.append((left.end_lineno, col, left.end_lineno, col + len(old), old, new, what))

    def _whole(self, node: ast.AST, new: str, what: str) -> None:
        if node.end_lineno is None:
            return
        old = self._segment(node)
        self.spots.append(
            (
                node.lineno,
                node.col_offset,
                node.end_lineno,
                node.end_col_offset or 0,
                old,
                new,
                what,
            )
        )

    def _active(self) -> bool:
        return self.depth > 0 or not self.bodies_only

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        if node.body and isinstance(node.body[0], ast.Expr):
            self.skip.add(id(node.body[0].value))  # the docstring
        for annotation in [node.returns, *(a.annotation for a in _arguments(node.args))]:
            if annotation is not None:
                self.skip.update(id(n) for n in ast.walk(annotation))
        for default in [*node.args.defaults, *node.args.kw_defaults]:
            if default is not None and not self.bodies_only:
                self.visit(default)
        self.depth += 1
        for statement in node.body:
            self.visit(statement)
        self.depth -= 1

    visit_AsyncFunctionDef = visit_FunctionDef  # type: ignore[assignment]

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self.skip.update(id(n) for n in ast.walk(node.annotation))
        self.generic_visit(node)

    def visit_JoinedStr(self, node: ast.JoinedStr) -> None:
        self.skip.update(id(n) for n in ast.walk(node))

    def visit_BinOp(self, node: ast.BinOp) -> None:
        pair = BINOPS.get(type(node.op))
        if pair and self._active():
            self._gap(node.left, node.right, *pair, f"{pair[0]} -> {pair[1]}")
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        pair = AUGOPS.get(type(node.op))
        if pair and self._active():
            self._gap(node.target, node.value, *pair, f"{pair[0]} -> {pair[1]}")
        self.generic_visit(node)

    def visit_Compare(self, node: ast.Compare) -> None:
        pair = COMPARES.get(type(node.ops[0]))
        if pair and self._active():
            self._gap(node.left, node.comparators[0], *pair, f"{pair[0]} -> {pair[1]}")
        self.generic_visit(node)

    def visit_BoolOp(self, node: ast.BoolOp) -> None:
        if self._active() and len(node.values) >= 2:
            old, new = ("and", "or") if isinstance(node.op, ast.And) else ("or", "and")
            self._gap(node.values[0], node.values[1], f" {old} ", f" {new} ", f"{old} -> {new}")
        self.generic_visit(node)

    def visit_UnaryOp(self, node: ast.UnaryOp) -> None:
        if isinstance(node.op, ast.Not) and self._active():
            self._whole(node, self._segment(node.operand), "not x -> x")
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        if id(node) in self.skip or not self._active():
            return
        value = node.value
        if isinstance(value, bool):
            self._whole(node, repr(not value), f"{value} -> {not value}")
        elif isinstance(value, int) and self._segment(node).isdigit():
            self._whole(node, str(value + 1), f"{value} -> {value + 1}")
        elif isinstance(value, str) and value and "\n" not in value and len(value) < 40:
            segment = self._segment(node)
            if segment[:1] in "'\"" and "\\" not in segment:
                self._whole(node, repr(f"XX{value}XX"), f"{value!r} -> 'XX...XX'")

    def visit_Return(self, node: ast.Return) -> None:
        if node.value is not None and self.depth > 0:
            segment = self._segment(node.value)
            if segment not in ("None", "") and node.value.lineno == node.value.end_lineno:
                self._whole(node.value, "None", "return x -> return None")
        self.generic_visit(node)

    def visit_Break(self, node: ast.Break) -> None:
        if self.depth > 0:
            self._whole(node, "continue", "break -> continue")

    def visit_Continue(self, node: ast.Continue) -> None:
        if self.depth > 0:
            self._whole(node, "break", "continue -> break")


def _arguments(args: ast.arguments) -> list[ast.arg]:
    found = [*args.posonlyargs, *args.args, *args.kwonlyargs]
    found += [a for a in (args.vararg, args.kwarg) if a is not None]
    return found


def _replace(source: str, spot: tuple[int, int, int, int, str, str, str]) -> str | None:
    line, col, end_line, end_col, old, new, _what = spot
    lines = source.splitlines(keepends=True)
    first = lines[line - 1].encode()
    last = lines[end_line - 1].encode()
    head = first[:col].decode(errors="strict")
    tail = last[end_col:].decode(errors="strict")
    middle = "".join(lines[line - 1 : end_line]).encode()
    current = middle[col : len(middle) - (len(last) - end_col)].decode(errors="strict")
    if current != old:
        return None
    return "".join([*lines[: line - 1], head, new, tail, *lines[end_line:]])


def parses(edit: Edit) -> bool:
    """Every Python file the edit writes still parses (checked when an edit is chosen: parsing
    every candidate of a big module would cost more than the runs)."""
    for rel, text in edit.writes.items():
        if text is not None and rel.endswith(".py"):
            try:
                ast.parse(text)
            except SyntaxError:
                return False
    return True


def mutations(
    root: Path, path: str, *, kind: str = "mutation", bodies_only: bool = True
) -> list[Edit]:
    """Every single mutation of ``path`` (in function bodies, or anywhere)."""
    source = (root / path).read_text(encoding="utf-8")
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    spots = _Spots(source, bodies_only=bodies_only)
    spots.visit(tree)
    found: list[Edit] = []
    for spot in spots.spots:
        changed = _replace(source, spot)
        if changed is not None and changed != source:
            found.append(Edit(kind, path, f"line {spot[0]}: {spot[6]}", {path: changed}))
    return found


def module_constants(root: Path, path: str) -> list[Edit]:
    """Constants assigned at module level (``LIMIT = 10`` -> ``LIMIT = 11``)."""
    source = (root / path).read_text(encoding="utf-8")
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    found: list[Edit] = []
    for node in tree.body:
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and isinstance(node.value, ast.Constant):
            spots = _Spots(source, bodies_only=False)
            spots.visit_Constant(node.value)
            for spot in spots.spots:
                changed = _replace(source, spot)
                if changed is not None:
                    what = f"line {spot[0]}: module constant {spot[6]}"
                    found.append(Edit("module-constant", path, what, {path: changed}))
    return found


def public_renames(root: Path, path: str) -> list[Edit]:
    """A public function defined at module level, renamed (its callers now fail)."""
    source = (root / path).read_text(encoding="utf-8")
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    found: list[Edit] = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
            line = source.splitlines(keepends=True)[node.lineno - 1]
            if f"def {node.name}(" not in line:
                continue
            lines = source.splitlines(keepends=True)
            lines[node.lineno - 1] = line.replace(
                f"def {node.name}(", f"def {node.name}_renamed(", 1
            )
            what = f"def {node.name} -> {node.name}_renamed"
            found.append(Edit("public-rename", path, what, {path: "".join(lines)}))
    return found


# -- other kinds ----------------------------------------------------------------------------------


def rename(root: Path, path: str) -> Edit:
    """``path`` renamed in the work tree, not staged (its importers now fail)."""
    target = path.replace(".py", "_moved.py") if path.endswith(".py") else f"{path}.moved"
    text = (root / path).read_text(encoding="utf-8")
    return Edit("rename", path, f"renamed to {target}", {path: None, target: text})


def delete(root: Path, path: str) -> Edit:
    del root
    return Edit("delete", path, "deleted (not staged)", {path: None})


def data_edit(root: Path, path: str) -> Edit | None:
    """A data file changed: a line added to a text file, a byte flipped in a binary one."""
    raw = (root / path).read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None  # binary files are left alone: Edit writes text
    return Edit(
        "data",
        path,
        "a line appended",
        {
            path: text
            + ("" if text.endswith("\n") or not text else "\n")
            + "changed by the harness\n"
        },
    )


def stub_edits(root: Path, path: str) -> list[Edit]:
    """A ``.pyi`` return annotation changed (``-> int`` becomes ``-> str``), or a def added."""
    source = (root / path).read_text(encoding="utf-8")
    found: list[Edit] = []
    for old, new in (
        ("-> int", "-> str"),
        ("-> bool", "-> int"),
        ("-> str", "-> bytes"),
        ("-> None", "-> int"),
    ):
        if old in source:
            found.append(
                Edit("stub", path, f"{old} -> {new} (first)", {path: source.replace(old, new, 1)})
            )
    found.append(
        Edit(
            "stub",
            path,
            "a function added",
            {path: source + "\ndef harness_added(x: int) -> int: ...\n"},
        )
    )
    return found


def new_test(folder: str, module: str) -> Edit:
    """A new test file: it imports ``module``, one test passes and one fails."""
    path = f"{folder}/test_harness_new.py"
    text = (
        f"import {module}\n\n\ndef test_harness_passes():\n    assert {module} is not None\n\n\n"
        "def test_harness_fails():\n    assert 1 == 2\n"
    )
    return Edit("new-test", path, f"added, importing {module}", {path: text})


def sample(edits: list[Edit], count: int, rng: random.Random) -> list[Edit]:
    """Up to ``count`` of ``edits``, spread over files (a file with many candidates is not
    favoured over one with few)."""
    by_file: dict[str, list[Edit]] = {}
    for edit in edits:
        by_file.setdefault(edit.path, []).append(edit)
    for group in by_file.values():
        rng.shuffle(group)
    chosen: list[Edit] = []
    files = sorted(by_file)
    rng.shuffle(files)
    while len(chosen) < count and any(by_file[f] for f in files):
        for name in files:
            while by_file[name] and len(chosen) < count:
                edit = by_file[name].pop()
                if parses(edit):
                    chosen.append(edit)
                    break
    return chosen


def python_files(root: Path, folders: list[str]) -> Iterator[str]:
    for folder in folders:
        for path in sorted((root / folder).rglob("*.py")):
            if "__pycache__" not in path.parts:
                yield path.relative_to(root).as_posix()
