"""Import-closure keys: a file's key changes exactly when it or something it imports changes."""

from __future__ import annotations

import hashlib
from pathlib import Path

from ci_sessions.changes.closure import ProjectGraph
from ci_sessions.changes.import_graph import file_facts

FILES = {
    "pyproject.toml": '[project]\nname = "calc"\nversion = "1"\n',
    "src/calc/__init__.py": "",
    "src/calc/core.py": "def base(x: int) -> int:\n    return x + 1\n",
    "src/calc/mid.py": "from calc.core import base\n\n\ndef double(x: int) -> int:\n    return base(x) * 2\n",
    "src/calc/api.py": "from calc import mid\n\n\ndef compute(x: int) -> int:\n    return mid.double(x)\n",
    "src/calc/other.py": "def other() -> int:\n    return 42\n",
    "src/calc/ring_a.py": "from calc import ring_b\n",
    "src/calc/ring_b.py": "from calc import ring_a\n",
    "tests/conftest.py": "import pytest\n",
    "tests/helpers.py": "from calc.core import base\n",
    "tests/test_api.py": "from calc.api import compute\n",
    "tests/test_via_helper.py": "from helpers import base\n",
    "tests/test_other.py": "from calc.other import other\n",
    "tests/data/input.txt": "ok\n",
    "README.md": "calc\n",
}


def write(root: Path, files: dict[str, str]) -> dict[str, str]:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return digests(root)


def digests(root: Path) -> dict[str, str]:
    found: dict[str, str] = {}
    for path in root.rglob("*"):
        rel = path.relative_to(root).as_posix()
        if path.is_file() and not rel.startswith(".ci-sessions"):
            found[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def keys_after(root: Path, changes: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    before = ProjectGraph(root, digests(root))
    old = before.keys(before.python)
    after = ProjectGraph(root, write(root, changes))
    return old, after.keys(after.python)


def changed(old: dict[str, str], new: dict[str, str]) -> set[str]:
    return {p for p in set(old) | set(new) if old.get(p) != new.get(p)}


def test_an_edit_changes_the_keys_of_the_file_and_its_transitive_importers(tmp_path: Path) -> None:
    write(tmp_path, FILES)
    old, new = keys_after(  # a def line: what importers see
        tmp_path, {"src/calc/core.py": "def base(x: int, y: int = 0) -> int:\n    return x + 1\n"}
    )
    assert changed(old, new) == {
        "src/calc/core.py", "src/calc/mid.py", "src/calc/api.py",
        "tests/helpers.py", "tests/test_api.py", "tests/test_via_helper.py",
    }  # fmt: skip


def test_an_edit_of_a_leaf_changes_only_its_own_importers(tmp_path: Path) -> None:
    write(tmp_path, FILES)
    old, new = keys_after(tmp_path, {"src/calc/other.py": "def other() -> str:\n    return 43\n"})
    assert changed(old, new) == {"src/calc/other.py", "tests/test_other.py"}


def test_a_package_init_is_an_input_of_every_module_below_it(tmp_path: Path) -> None:
    write(tmp_path, FILES)
    old, new = keys_after(tmp_path, {"src/calc/__init__.py": "VERSION = 2\n"})
    assert {p for p in changed(old, new) if p.startswith("src/")} == {
        p for p in FILES if p.startswith("src/calc/") and p.endswith(".py")
    }
    assert "tests/test_other.py" in changed(old, new)


def test_import_cycles_share_their_inputs(tmp_path: Path) -> None:
    write(tmp_path, FILES)
    old, new = keys_after(tmp_path, {"src/calc/ring_b.py": "from calc import ring_a\nX = 1\n"})
    assert changed(old, new) == {"src/calc/ring_a.py", "src/calc/ring_b.py"}


def test_a_new_file_that_an_import_now_resolves_to_changes_the_importer(tmp_path: Path) -> None:
    write(tmp_path, {**FILES, "tests/test_new.py": "from calc.fresh import thing\n"})
    old, new = keys_after(tmp_path, {"src/calc/fresh.py": "thing = 1\n"})
    assert "tests/test_new.py" in changed(old, new)
    assert "tests/test_api.py" not in changed(old, new)


def test_a_computed_import_is_no_edge_of_either_kind(tmp_path: Path) -> None:
    """What ``import_module(name)`` reaches a type checker never follows, and a test run is seen
    reaching (``changes/reached.py``): the keys do not widen to every file."""
    plugin = "import importlib\n\n\ndef load(name: str) -> object:\n    return importlib.import_module(name)\n"
    write(
        tmp_path,
        {
            **FILES,
            "src/calc/plugins.py": plugin,
            "tests/test_plugins.py": "from calc.plugins import load\n",
        },
    )
    graph = ProjectGraph(tmp_path, digests(tmp_path))
    assert graph.dynamic("src/calc/plugins.py") == (
        "src/calc/plugins.py line 5: import_module() of a computed name"
    )
    for kind in ("types", "runtime"):
        before = ProjectGraph(tmp_path, digests(tmp_path)).keys(graph.python, kind)
        old = (tmp_path / "src/calc/other.py").read_text()
        write(tmp_path, {"src/calc/other.py": "X = 1\n\n\ndef other() -> int:\n    return 42\n"})
        after = ProjectGraph(tmp_path, digests(tmp_path)).keys(graph.python, kind)
        write(tmp_path, {"src/calc/other.py": old})
        assert changed(before, after) == {"src/calc/other.py", "tests/test_other.py"}, kind


def test_a_stub_is_an_input_of_types_only(tmp_path: Path) -> None:
    write(tmp_path, {**FILES, "src/calc/core.pyi": "def base(x: int) -> int: ...\n"})
    for kind, reaches in (("types", True), ("runtime", False)):
        before = ProjectGraph(tmp_path, digests(tmp_path)).keys(["tests/test_api.py"], kind)
        write(tmp_path, {"src/calc/core.pyi": "def base(x: int) -> str: ...\n"})
        after = ProjectGraph(tmp_path, digests(tmp_path)).keys(["tests/test_api.py"], kind)
        write(tmp_path, {"src/calc/core.pyi": "def base(x: int) -> int: ...\n"})
        assert (before != after) is reaches, kind


def test_context_holds_what_the_graph_cannot_place(tmp_path: Path) -> None:
    write(tmp_path, {**FILES, "src/calc/py.typed": "", "src/calc/table.csv": "a,b\n"})
    graph = ProjectGraph(tmp_path, digests(tmp_path))
    runtime = graph.context_files("runtime")
    assert {"pyproject.toml", "tests/conftest.py", "tests/data/input.txt"} <= set(runtime)
    assert {"src/calc/table.csv", "src/calc/py.typed"} <= set(runtime)
    assert "README.md" not in runtime and "src/calc/core.py" not in runtime
    # a data file a test was seen reading is that test's input, not everyone's
    assert "tests/data/input.txt" not in graph.context_files("runtime", {"tests/data/input.txt"})
    types = graph.context_files("types")
    assert set(types) == {"pyproject.toml", "src/calc/py.typed"}  # no data, no conftest
    assert "conftest fixtures can reach any test" in graph.blind_reason("tests/conftest.py")
    assert "a data file among the tests" in graph.blind_reason("tests/data/input.txt")
    assert "was removed" in graph.blind_reason("tests/gone.txt")


def test_a_conftest_is_keyed_by_its_closure(tmp_path: Path) -> None:
    write(tmp_path, {**FILES, "tests/conftest.py": "from calc.core import base\n"})
    before = ProjectGraph(tmp_path, digests(tmp_path)).context_files("runtime")
    write(
        tmp_path,
        {"src/calc/core.py": "LIMIT = 3\n\n\ndef base(x: int) -> int:\n    return x + 1\n"},
    )
    after = ProjectGraph(tmp_path, digests(tmp_path)).context_files("runtime")
    assert before["tests/conftest.py"] != after["tests/conftest.py"]
    assert before["pyproject.toml"] == after["pyproject.toml"]


def test_runtime_keys_see_outlines_and_a_units_own_text(tmp_path: Path) -> None:
    """A test file's key holds its own text whole and the outlines of what it imports: a body
    edit elsewhere is for the tests seen running it; a module-level edit, a def line, or a body
    edit that moves the lines below, reaches every importer."""
    write(tmp_path, FILES)

    def runtime_keys() -> dict[str, str]:
        graph = ProjectGraph(tmp_path, digests(tmp_path), ignored_python=False)
        return graph.keys(graph.python, "runtime")

    start = runtime_keys()
    for text, importers_change in [
        ("def base(x: int) -> int:\n    return x + 7\n", False),  # the body, in place
        ("def base(x: int) -> int:\n    y = x\n    return y + 7\n", True),  # a line more
        ("def base(x: int, z: int = 0) -> int:\n    y = x\n    return y + 7\n", True),
        ("def base(x: int, z: int = 0) -> int:\n    y = x\n    yield y\n", True),  # a generator now
    ]:
        before = runtime_keys()
        write(tmp_path, {"src/calc/core.py": text})
        after = runtime_keys()
        assert before["src/calc/core.py"] != after["src/calc/core.py"]
        assert (before["tests/test_api.py"] != after["tests/test_api.py"]) is importers_change, text
    write(tmp_path, {"tests/test_api.py": "from calc.api import compute  # its own text\n"})
    assert runtime_keys()["tests/test_api.py"] != start["tests/test_api.py"]


def test_test_files_follow_pytest_patterns_in_test_folders(tmp_path: Path) -> None:
    write(tmp_path, FILES)
    files = ProjectGraph(tmp_path, digests(tmp_path)).files
    assert files.tests == ("tests/test_api.py", "tests/test_other.py", "tests/test_via_helper.py")
    assert "src/calc/core.py" in files.python and not files.doctests


def test_imports_are_read_once_per_content(tmp_path: Path) -> None:
    known = write(tmp_path, FILES)
    first = ProjectGraph(tmp_path, known).keys(["src/calc/mid.py"])
    assert (tmp_path / ".ci-sessions" / "cache" / "imports.json").is_file()
    (tmp_path / "src/calc/mid.py").write_text("X = 1\n")  # new text under the old digest
    # the imports come from the cache, keyed by the digest: the file is not parsed again
    assert ProjectGraph(tmp_path, known).keys(["src/calc/mid.py"]) == first
    assert ProjectGraph(tmp_path, digests(tmp_path)).keys(["src/calc/mid.py"]) != first


def test_dynamic_imports_are_found_by_form(tmp_path: Path) -> None:
    source = tmp_path / "m.py"
    source.write_text("import runpy\nrunpy.run_path(path)\n")
    assert file_facts(source)[1] == "line 2: run_path() loads code by path"
    source.write_text("pytest_plugins = PLUGINS\n")
    assert "pytest_plugins" in file_facts(source)[1]
    source.write_text("__import__('fixed')\n")
    assert file_facts(source) == ({"fixed"}, "")


def test_types_see_interfaces_the_bodies_a_type_is_inferred_from(tmp_path: Path) -> None:
    """pyright reads a module from its importers by its interface: an annotated function's body
    is private to it; an unannotated one's is its return type; an attribute a body assigns is
    the class's; a body that becomes an implementation changes a protocol."""
    cases = [
        ("def base(x: int) -> int:\n    return x + 1\n", "def base(x: int) -> int:\n    return x + 2\n", False),
        ("def base(x):\n    return x + 1\n", "def base(x):\n    return str(x)\n", True),
        ("class B:\n    def f(self) -> None:\n        self.a = 1\n",
         "class B:\n    def f(self) -> None:\n        self.a = 'one'\n", True),
        ("class B:\n    def f(self) -> int:\n        ...\n",
         "class B:\n    def f(self) -> int:\n        return 1\n", True),
        ("def base() -> int:\n    global G\n    G = 1\n    return 1\n",
         "def base() -> int:\n    global G\n    G = 'x'\n    return 1\n", True),
    ]  # fmt: skip
    write(tmp_path, FILES)
    for before_text, after_text, reaches in cases:
        write(tmp_path, {"src/calc/core.py": before_text})
        before = ProjectGraph(tmp_path, digests(tmp_path)).keys(["src/calc/mid.py"], "types")
        write(tmp_path, {"src/calc/core.py": after_text})
        after = ProjectGraph(tmp_path, digests(tmp_path)).keys(["src/calc/mid.py"], "types")
        assert (before != after) is reaches, before_text
