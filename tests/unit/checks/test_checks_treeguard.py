"""Building the project leaves its tree as it was: what build backends write is removed or put back."""

from __future__ import annotations

import subprocess
from pathlib import Path

from ci_sessions.checks.treeguard import untouched


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
