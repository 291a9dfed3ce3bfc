"""Building the project leaves its tree as it was: what build backends write is removed or put back."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from ci_sessions.checks import treeguard
from ci_sessions.checks.treeguard import lock_path, products, untouched, version_files


def _project(root: Path) -> Path:
    for name, text in {
        "pyproject.toml": "[project]\nname = 'p'\nversion = '1'\n",
        "src/p/__init__.py": "",
        "src/p/_fast.pyx": "def f(): pass\n",
        "src/p/committed.pyx": "def g(): pass\n",
        "src/p/committed.c": "/* generated, committed */\n",
        "src/p.egg-info/SOURCES.txt": "src/p/__init__.py\n",
        "build/keep.txt": "the project's own build folder\n",
    }.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    return root


def test_what_a_build_writes_is_removed_and_what_was_there_is_put_back(tmp_path: Path) -> None:
    root = _project(tmp_path)
    with untouched(root):
        # what setuptools, Cython and an in-place build_ext write
        (root / "src/p.egg-info/SOURCES.txt").write_text("rewritten\n")
        (root / "src/p.egg-info/PKG-INFO").write_text("new\n")
        (root / "src/p/_fast.c").write_text("/* cython output */\n")
        (root / "src/p/_fast.cpython-312-x86_64-linux-gnu.so").write_bytes(b"\x7fELF")
        (root / "src/p/committed.c").write_text("/* regenerated */\n")
        (root / "build/lib/p").mkdir(parents=True)
        (root / ".eggs").mkdir()
        (root / "other.egg-info").mkdir()
        (root / ".pdm-build").mkdir()
        (root / "notes.txt").write_text("a file the build did not make: never touched\n")
    assert (root / "src/p.egg-info/SOURCES.txt").read_text() == "src/p/__init__.py\n"
    assert not (root / "src/p.egg-info/PKG-INFO").exists()
    assert not (root / "src/p/_fast.c").exists()
    assert not list((root / "src/p").glob("*.so"))
    assert (root / "src/p/committed.c").read_text() == "/* generated, committed */\n"
    for gone in (".eggs", "other.egg-info", ".pdm-build"):
        assert not (root / gone).exists(), gone
    assert (root / "build/keep.txt").is_file()  # the project's own build/ stays
    assert (root / "notes.txt").is_file()


def test_a_failed_build_is_cleaned_up_too(tmp_path: Path) -> None:
    root = _project(tmp_path)
    (root / "build").rename(root / "old-build")
    try:
        with untouched(root):
            (root / "build").mkdir()
            raise RuntimeError("the backend crashed")
    except RuntimeError:
        pass
    assert not (root / "build").exists()


def test_a_version_file_is_put_back_and_a_new_one_kept_for_editable_imports(
    tmp_path: Path,
) -> None:
    root = _project(tmp_path)
    (root / "pyproject.toml").write_text(
        "[project]\nname = 'p'\ndynamic = ['version']\n\n"
        "[tool.setuptools_scm]\nversion_file = 'src/p/_version.py'\n"
    )
    (root / "src/p/_version.py").write_text("version = '1.0'\n")
    with untouched(root):
        (root / "src/p/_version.py").write_text("version = '0.1.dev1+g123'\n")
    assert (root / "src/p/_version.py").read_text() == "version = '1.0'\n"
    (root / "src/p/_version.py").unlink()
    with untouched(root):
        (root / "src/p/_version.py").write_text("version = '0.1.dev1+g123'\n")
    assert (root / "src/p/_version.py").is_file()  # `import p` needs it in an editable install


def test_version_files_come_from_setuptools_scm_and_hatch_vcs_tables_only(tmp_path: Path) -> None:
    from ci_sessions.checks.treeguard import version_files

    (tmp_path / "pyproject.toml").write_text(
        "[project]\nname = 'p'\n\n[tool.setuptools_scm]\nwrite_to = 'p/_v.py'\nversion_file = 3\n"
        "[tool.hatch.build.hooks.vcs]\nversion-file = 'p/_h.py'\n"
    )
    assert version_files(tmp_path) == ["p/_v.py", "p/_h.py"]
    (tmp_path / "pyproject.toml").write_text(
        "[project]\nname = 'p'\n\n[tool]\nsetuptools_scm = 'p/_v.py'\nhatch = {build = ['x']}\n"
    )
    assert version_files(tmp_path) == []


def test_a_failed_build_still_fails_after_the_cleanup(tmp_path: Path) -> None:
    root = _project(tmp_path)
    with pytest.raises(RuntimeError, match="crashed"), untouched(root):
        (root / "dist").mkdir()
        (root / ".mesonpy-x1").mkdir()
        raise RuntimeError("the backend crashed")
    assert not (root / ".mesonpy-x1").exists()
    assert (root / "dist").is_dir()  # not a build product: never removed


def test_products_are_found_where_each_backend_writes_them(tmp_path: Path) -> None:
    root = _project(tmp_path)
    (root / "python/r.egg-info").mkdir(parents=True)
    assert "python/r.egg-info" in products(root)  # with no lib/ beside it
    for name in ("lib/q.egg-info", "src/build", "lib/build", "_skbuild", "target"):
        (root / name).mkdir(parents=True)
    (root / "src/p/_fast.cpp").write_text("// cython --cplus\n")
    (root / "src/p/mod.pyd").write_bytes(b"MZ")
    (root / "src/p/other.c").write_text("/* hand-written, no .pyx */\n")
    folders = {"src/p": ["_fast"]}
    assert products(root, folders) == [
        "_skbuild", "build", "lib/q.egg-info", "python/r.egg-info", "src/p.egg-info",
        "src/p/_fast.cpp", "src/p/mod.pyd", "target",
    ]  # fmt: skip
    assert "src/p/mod.pyd" not in products(root)


def test_every_version_file_plugin_is_known(tmp_path: Path) -> None:
    root = _project(tmp_path)
    (root / "pyproject.toml").write_text(
        "[project]\nname = 'p'\ndynamic = ['version']\n\n"
        "[tool.setuptools_scm]\nwrite_to = 'src/p/_v1.py'\nversion_file = 7\n\n"
        "[tool.hatch.build.hooks.vcs]\nversion-file = 'src/p/_v2.py'\n"
    )
    assert version_files(root) == ["src/p/_v1.py", "src/p/_v2.py"]
    (root / "pyproject.toml").write_text(
        "[project]\nname = 'p'\nversion = '1'\n\n[tool]\nhatch = 'not a table'\n"
        "[tool.setuptools_scm]\nversion_file = 'src/p/_v.py'\n"
    )
    assert version_files(root) == ["src/p/_v.py"]


def test_builds_take_turns_on_one_lock_in_the_tree(tmp_path: Path) -> None:
    root = _project(tmp_path)
    with untouched(root):
        assert lock_path(root) == root / ".nox" / "ci-sessions" / ".tree-build.lock"
        assert lock_path(root).exists()


def test_large_saved_files_are_left_as_the_build_made_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only what fits the bound is kept to be put back (an egg-info, a generated C file)."""
    root = _project(tmp_path)
    monkeypatch.setattr(treeguard, "_MAX_SAVED", 20)
    (root / "src/p.egg-info/SOURCES.txt").write_text("x" * 20)  # exactly the bound: kept
    (root / "src/p/committed.c").write_text("c" * 80)  # C files: four times the bound
    with untouched(root):
        (root / "src/p.egg-info/SOURCES.txt").write_text("rewritten")
        (root / "src/p.egg-info/sub").mkdir()
        (root / "src/p.egg-info/sub/top_level.txt").write_text("p")
        (root / "src/p/committed.c").write_text("regenerated")
    assert (root / "src/p.egg-info/SOURCES.txt").read_text() == "x" * 20
    assert not (root / "src/p.egg-info/sub/top_level.txt").exists()
    assert (root / "src/p/committed.c").read_text() == "c" * 80
    (root / "src/p.egg-info/SOURCES.txt").write_text("y" * 12)  # 12 + 9: over the bound
    (root / "src/p.egg-info/PKG-INFO").write_text("z" * 9)
    (root / "src/p/committed.c").write_text("c" * 81)
    with untouched(root):
        (root / "src/p.egg-info/SOURCES.txt").write_text("rewritten")
        (root / "src/p/committed.c").write_text("regenerated")
    assert (root / "src/p.egg-info/SOURCES.txt").read_text() == "rewritten"
    assert (root / "src/p/committed.c").read_text() == "regenerated"


def test_extension_modules_are_removed_from_every_source_folder(tmp_path: Path) -> None:
    root = _project(tmp_path)
    for name in ("mod.py", "pure/q/__init__.py", "csrc/x.c", "cppsrc/y.cpp", "docs/notes.txt"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("")
    built = ["mod.so", "pure/q/_q.so", "csrc/x.so", "cppsrc/y.so", "src/p/_fast.pyd"]
    with untouched(root):
        for name in [*built, "docs/not-a-module.so"]:
            (root / name).write_bytes(b"\x7fELF")
        (root / "build/lib/p").mkdir(parents=True)
        (root / "build/lib/p/x.py").write_text("")  # in the project's own build/: left there
    assert [name for name in built if (root / name).exists()] == []
    assert (root / "docs/not-a-module.so").exists()  # no sources there: not a build's
    assert (root / "build/lib/p/x.py").is_file()


def test_a_saved_file_the_build_deleted_comes_back(tmp_path: Path) -> None:
    root = _project(tmp_path)
    (root / "src/p.egg-info/nested").mkdir()
    (root / "src/p.egg-info/nested/deep.txt").write_text("deep\n")
    with untouched(root):
        shutil.rmtree(root / "src/p.egg-info")
        (root / "src/p/committed.c").unlink()
    assert (root / "src/p.egg-info/nested/deep.txt").read_text() == "deep\n"
    assert (root / "src/p/committed.c").read_text() == "/* generated, committed */\n"
