"""The pure parts of affected-test selection: import extraction, names, reachability, safety rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from ci_sessions.changes import affected
from ci_sessions.changes.diff import ChangedFile
from ci_sessions.changes.import_graph import (
    GraphUnavailable,
    file_facts,
    file_imports,
    prefixes,
    reverse_reachable,
)


def test_file_imports_covers_every_import_form(tmp_path: Path) -> None:
    source = tmp_path / "mod.py"
    source.write_text(
        "import a.b, c\n"
        "from d.e import f, g\n"
        "from . import sibling\n"
        "from ..up import thing\n"
        "import importlib\n"
        "importlib.import_module('plug.in')\n"
        "pytest_plugins = ['tests.fixtures', 'other.plugin']\n"
        "def f():\n    import late\n"
    )
    names = file_imports(source, "pkg.sub.mod")
    assert names == {
        "a.b", "c", "d.e", "d.e.f", "d.e.g", "pkg.sub", "pkg.sub.sibling", "pkg.up", "pkg.up.thing",
        "importlib", "plug.in", "tests.fixtures", "other.plugin", "late",
        "importlib.import_module",  # an attribute chain on an imported module
    }  # fmt: skip


def test_attribute_chains_on_imported_modules_are_imports(tmp_path: Path) -> None:
    """A package that loads its submodules on first access (PEP 562 ``__getattr__``) imports
    ``pkg.sub`` for ``pkg.sub.f()``: the chain is an edge; a computed ``getattr`` is not."""
    source = tmp_path / "test_x.py"
    source.write_text(
        "import pkg\nimport other as o\nfrom pkg import tz\n"
        "pkg.utils.within(1)\no.deep.name\ntz.gettz\nx = object()\nx.attr.more\n"
        "getattr(pkg, 'easter')\n"
    )
    names, dynamic = file_facts(source)
    assert {
        "pkg.utils",
        "pkg.utils.within",
        "other.deep.name",
        "pkg.tz.gettz",
        "pkg.easter",
    } <= names
    assert not any(n.startswith("x.") for n in names) and dynamic == ""
    source.write_text("import pkg\n\nfor name in pkg.__all__:\n    getattr(pkg, name)\n")
    assert file_facts(source)[1] == "line 4: getattr() of a computed name on a module"
    source.write_text("class A:\n    def f(self, name):\n        return getattr(self, name)\n")
    assert file_facts(source)[1] == ""


def test_relative_import_without_a_known_package_is_left_to_name_matching(tmp_path: Path) -> None:
    source = tmp_path / "test_x.py"
    source.write_text("from .helpers import x\nimport os\n")
    assert file_imports(source, None) == {"os"}


def test_unparsable_file_makes_the_graph_unavailable(tmp_path: Path) -> None:
    source = tmp_path / "bad.py"
    source.write_text("def (:\n")
    with pytest.raises(GraphUnavailable, match=r"cannot parse bad\.py"):
        file_imports(source)


def test_prefixes_and_reverse_reachability() -> None:
    assert prefixes("a.b.c") == ["a", "a.b", "a.b.c"]
    graph = {"t1": {"m1"}, "m1": {"m2"}, "m2": set(), "t2": {"m3"}, "m3": set()}
    assert reverse_reachable(graph, {"m2"}) == {"m2", "m1", "t1"}
    assert reverse_reachable(graph, set()) == set()


def test_candidate_names_cover_rootdir_and_package_imports() -> None:
    assert affected.candidate_names("tests/unit/helpers.py") == [
        "tests.unit.helpers",
        "unit.helpers",
        "helpers",
    ]
    assert affected.candidate_names("tests/__init__.py") == ["tests"]


def test_dotted_name_follows_init_files(tmp_path: Path) -> None:
    (tmp_path / "tests" / "unit").mkdir(parents=True)
    (tmp_path / "tests" / "__init__.py").write_text("")
    (tmp_path / "tests" / "unit" / "__init__.py").write_text("")
    assert affected.dotted_name(tmp_path, "tests/unit/test_a.py")[0] == "tests.unit.test_a"
    (tmp_path / "tests" / "__init__.py").unlink()
    assert affected.dotted_name(tmp_path, "tests/unit/test_a.py")[0] == "unit.test_a"


def make_project(root: Path, pytest_table: str = "") -> None:
    (root / "pkg").mkdir()
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "a.py").write_text("")
    (root / "tests").mkdir()
    (root / "tests" / "test_a.py").write_text("import pkg.a\n")
    (root / "tests" / "check_b.py").write_text("import pkg\n")
    (root / "pyproject.toml").write_text('[project]\nname = "pkg"\nversion = "1"\n' + pytest_table)


def test_layout_reads_pytest_python_files_and_doctest_options(tmp_path: Path) -> None:
    make_project(
        tmp_path,
        '[tool.pytest.ini_options]\npython_files = ["check_*.py"]\naddopts = "--doctest-modules"\n',
    )
    layout = affected.Layout.load(tmp_path)
    assert layout.packages == {"pkg": "."}
    assert layout.test_dirs == ["tests"]
    assert layout.is_test_file("tests/check_b.py") and not layout.is_test_file("tests/test_a.py")
    assert layout.package_of("pkg/a.py") == "pkg.a"
    assert layout.package_of("pkg/__init__.py") == "pkg"
    selection = affected.select_for_changes(tmp_path, [ChangedFile("pkg/a.py", "modified")])
    assert selection.run_all and "doctests" in selection.reason


def test_docs_and_ignored_files_select_nothing(tmp_path: Path) -> None:
    make_project(tmp_path)
    changes = [ChangedFile("docs/guide.md", "modified"), ChangedFile(".gitignore", "modified")]
    selection = affected.select_for_changes(tmp_path, changes)
    assert (selection.run_all, selection.test_files) == (False, [])


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("requirements-dev.txt", "dependency or config file"),
        ("tests/conftest.py", "conftest fixtures"),
        ("tests/snapshots/out.json", "fixture or data file"),
        ("Makefile", "not part of the import graph"),
        ("tools/gen.py", "outside the import graph"),
    ],
)
def test_safety_rules(tmp_path: Path, path: str, reason: str) -> None:
    make_project(tmp_path)
    selection = affected.select_for_changes(tmp_path, [ChangedFile(path, "modified")])
    assert selection.run_all
    assert reason in selection.reason and path in selection.reason


def test_pyproject_diff_spares_the_suite_only_for_inert_keys() -> None:
    from ci_sessions.changes.pyproject_diff import changed_keys, inert_change

    old = '[project]\nname = "x"\nversion = "1"\ndependencies = ["a"]\n[tool.ruff]\nline-length = 88\n'
    bumped = old.replace('version = "1"', 'version = "2"').replace("88", "100")
    assert changed_keys({"a": {"b": 1, "c": 2}}, {"a": {"b": 1, "c": 3}, "d": 4}) == ["a.c", "d"]
    assert inert_change(old, bumped) == ["project.version", "tool.ruff.line-length"]
    assert inert_change(old, old.replace('["a"]', '["a", "b"]')) is None
    assert inert_change(old, old + "[tool.pytest.ini_options]\naddopts = '-x'\n") is None
    assert inert_change(old, "not toml [") is None
    assert inert_change(None, old) is None
    assert inert_change(
        '[project]\nname = "x"\n', '[project]\nname = "x"\n[tool.mypy]\nstrict = true\n'
    ) == ["tool.mypy.strict"]
