"""The constants digest: it changes whenever hypothesis' harvest of a file can change (checked
against hypothesis itself over every mutation of real modules), and not on edits that change no
constant (which is what lets the tests that use hypothesis keep their results)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ci_sessions.changes.constants import BIG_FILE, constants, constants_digest

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "benchmarks"))

from edits import mutations  # noqa: E402


def digest(text: str) -> str:
    return constants_digest(text.encode())


def test_edits_that_change_no_constant_keep_the_digest() -> None:
    base = digest("def f(a, b):\n    '''Doc.'''\n    return a + b * 300\n")
    assert digest("def f(a, b):\n    '''Doc.'''\n    return (a - b) * 300\n") == base
    assert digest("def f(x, b):\n    '''Doc.'''\n\n    return x + b*300\n") == base


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("x = 300\n", "x = 301\n"),  # a value
        ("x = 300\n", "x = -300\n"),  # negated: hypothesis keeps -300
        ("x = -(300)\n", "x = -(y + 300)\n"),  # the operand of the minus only is negated
        ("x = 300\n", "x = 300.0\n"),  # a type
        ("x = 'abc'\n", "'abc'\n"),  # a statement of its own: a docstring, skipped
        ("x = 'abc'\n", "x = f'{y}abc'\n"),  # inside an f-string: skipped
        ("a = 'x'\nb = 'y'\n", "b = 'y'\na = 'x'\n"),  # the order (the harvest stops at a count)
        ("x = 300\n", "x = 300\n" + "#" * BIG_FILE + "\n"),  # a big file is skipped
        ("x = (\n", "x = (1\n"),  # no syntax: the text counts
    ],
)
def test_what_can_change_the_harvest_changes_the_digest(before: str, after: str) -> None:
    assert digest(before) != digest(after)


def test_constants_are_met_in_the_order_a_node_visitor_meets_them() -> None:
    import ast

    found = constants(ast.parse("f(1, -2, g(3), k=4)\n'doc'\nx = f'{5}'\n"))
    assert found == [("=", 1), ("-", 2), ("=", 3), ("=", 4), ("s", "doc"), ("f", 5)]


@pytest.fixture(scope="module")
def hypothesis_python(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A Python with hypothesis (not a dependency of ci-sessions' own environment)."""
    venv = tmp_path_factory.mktemp("hypothesis") / "venv"
    uv = [sys.executable, "-m", "uv"]
    subprocess.run([*uv, "venv", "-q", "-p", sys.executable, str(venv)], check=True)
    python = str(venv / "bin" / "python")
    subprocess.run([*uv, "pip", "install", "-q", "-p", python, "hypothesis"], check=True)
    return python


HARVEST = """
import json, sys
from hypothesis.internal.constants_ast import _constants_from_source

out = []
for source in json.load(open(sys.argv[1])):
    try:
        found = _constants_from_source(source, limit=True)
    except Exception as exc:
        out.append("error " + type(exc).__name__)
        continue
    out.append(repr(sorted(map(repr, found))))
print(json.dumps(out))
"""


@pytest.mark.integration
def test_the_digest_changes_whenever_hypothesis_harvest_does(
    tmp_path: Path, hypothesis_python: str
) -> None:
    """Every single mutation (values, operators, negations, anywhere in the file) of real
    modules: where hypothesis keeps other constants, the digest differs."""
    sources: list[str] = []
    for module in ("ci_sessions/changes/blocks.py", "ci_sessions/gates.py", "ci_sessions/_fs.py"):
        original = (ROOT / module).read_text(encoding="utf-8")
        sources.append(original)
        for edit in mutations(ROOT, module, bodies_only=False):
            text = edit.writes[module]
            if text is not None:
                sources.append(text)
        sources.append(original.replace('"""', "'''", 1))  # same text of the docstring
    listing = tmp_path / "sources.json"
    listing.write_text(json.dumps(sources), encoding="utf-8")
    run = subprocess.run(
        [hypothesis_python, "-c", HARVEST, str(listing)], capture_output=True, text=True, check=True
    )
    harvests: list[str] = json.loads(run.stdout)
    digests = [digest(source) for source in sources]
    pairs = [(i, j) for i in range(len(sources)) for j in range(i + 1, len(sources))]
    harvest_differs = [(i, j) for i, j in pairs if harvests[i] != harvests[j]]
    missed = [(i, j) for i, j in harvest_differs if digests[i] == digests[j]]
    assert missed == []
    # the check is not empty, and the digest is not the text: some edits keep it
    assert len(harvest_differs) > 1000
    assert len({*digests}) < len(sources) * 0.9
