"""Which files pyright analyses, from its include/exclude or the paths it is given."""

from __future__ import annotations

import json
from pathlib import Path

from ci_sessions.checks.pyright_scope import analysed_files, scope

FILES = [
    "src/demo/a.py", "src/demo/s.pyi", "src/demo/.hidden/b.py", "src/demo/__pycache__/c.py",
    "src/demo/node_modules/z.py", "src/demo/gen/g.py", "tests/test_a.py", "README.md", "setup.py",
]  # fmt: skip


def test_paths_given_without_a_config_use_pyrights_default_excludes() -> None:
    assert analysed_files(FILES, ["src"], None) == [
        "src/demo/a.py",
        "src/demo/gen/g.py",
        "src/demo/s.pyi",
    ]


def test_an_explicit_exclude_replaces_the_defaults_and_globs_span_folders() -> None:
    found = analysed_files(FILES, ["."], ["**/gen", "tests/*.py"])
    assert "src/demo/gen/g.py" not in found and "tests/test_a.py" not in found
    assert "src/demo/.hidden/b.py" in found and "setup.py" in found
    assert analysed_files(FILES, ["src/**/*.pyi", "tests"], None) == [
        "src/demo/s.pyi",
        "tests/test_a.py",
    ]


def test_scope_reads_pyrightconfig_before_pyproject(tmp_path: Path) -> None:
    tool = {"pyright": {"include": ["src"], "exclude": ["src/demo/gen"]}}
    assert scope(tmp_path, tool, ["ignored"], True) == (["src"], ["src/demo/gen"])
    assert scope(tmp_path, {"pyright": {"strict": ["src"]}}, [], True) == (["."], None)
    (tmp_path / "pyrightconfig.json").write_text(json.dumps({"include": ["tests"]}))
    assert scope(tmp_path, tool, [], True) == (["tests"], None)
    (tmp_path / "pyrightconfig.json").write_text("{ // a comment\n}")
    assert "not plain JSON" in str(scope(tmp_path, tool, [], True))
    assert scope(tmp_path, {}, ["src/", "./lib"], False) == (["src", "./lib"], None)


def test_include_or_exclude_of_another_shape_turns_the_scope_off(tmp_path: Path) -> None:
    for settings in ({"include": "src"}, {"include": ["src", 1]}, {"exclude": "gen"},
                     {"exclude": [None]}):  # fmt: skip
        assert "not lists of paths" in str(scope(tmp_path, {"pyright": settings}, [], True))
    assert scope(tmp_path, {"pyright": ["src"]}, [], True) == (["."], None)
    (tmp_path / "pyrightconfig.json").write_text('["src"]')
    assert scope(tmp_path, {"pyright": {"include": ["x"]}}, [], True) == (["."], None)
