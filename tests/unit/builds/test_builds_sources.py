"""Where the version lives, detected per build backend, and written back keeping the file's form."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from packaging.version import Version

from ci_sessions.builds.pyproject import load_pyproject
from ci_sessions.builds.sources import detect
from ci_sessions.errors import ConfigError
from ci_sessions.release.edits import version_edit

NEW = Version("2.0.0")


def project(tmp_path: Path, pyproject: str, files: dict[str, str] | None = None) -> Path:
    (tmp_path / "pyproject.toml").write_text(textwrap.dedent(pyproject).lstrip(), encoding="utf-8")
    for name, text in (files or {}).items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return tmp_path


def write(root: Path, setting: str = "auto") -> tuple[str, str]:
    source = detect(root, load_pyproject(root), setting)
    edit = version_edit(root, source, NEW)
    assert edit is not None
    edit.apply(root)
    return source.path, (root / source.path).read_text(encoding="utf-8")


def test_static_project_version_keeps_comments_and_layout(tmp_path: Path) -> None:
    text = """
        [project]
        name = "demo"   # the name
        version = "1.2.0"   # bumped by ci-sessions
        dependencies = [
          "rich>=1.2.0",  # terminal; the same digits must stay
        ]
    """
    root = project(tmp_path, text)
    source = detect(root, load_pyproject(root))
    assert (source.kind, source.current) == ("pyproject", Version("1.2.0"))
    path, new = write(root)
    assert path == "pyproject.toml"
    assert new == textwrap.dedent(text).lstrip().replace('version = "1.2.0"', 'version = "2.0.0"')


def test_hatch_version_path(tmp_path: Path) -> None:
    root = project(
        tmp_path,
        """
        [build-system]
        requires = ["hatchling"]
        build-backend = "hatchling.build"
        [project]
        name = "demo"
        dynamic = ["version"]
        [tool.hatch.version]
        path = "src/demo/__about__.py"
        """,
        {"src/demo/__about__.py": "# about\n__version__: str = 'v1.2.0'\nother = '1.2.0'\n"},
    )
    path, new = write(root)
    assert path == "src/demo/__about__.py"
    assert new == "# about\n__version__: str = '2.0.0'\nother = '1.2.0'\n"


def test_setuptools_attr_in_src_layout(tmp_path: Path) -> None:
    root = project(
        tmp_path,
        """
        [build-system]
        requires = ["setuptools>=61"]
        build-backend = "setuptools.build_meta"
        [project]
        name = "demo"
        dynamic = ["version"]
        [tool.setuptools.dynamic]
        version = {attr = "demo.version.VERSION"}
        """,
        {"src/demo/__init__.py": "", "src/demo/version.py": 'VERSION = "1.2.0"\n'},
    )
    source = detect(root, load_pyproject(root))
    assert (source.path, source.attribute, source.current) == ("src/demo/version.py", "VERSION", Version("1.2.0"))  # fmt: skip
    assert write(root)[1] == 'VERSION = "2.0.0"\n'


def test_setup_cfg_attr(tmp_path: Path) -> None:
    (tmp_path / "setup.cfg").write_text(
        "[metadata]\nname = demo\nversion = attr: demo.__version__\n"
    )
    (tmp_path / "demo").mkdir()
    (tmp_path / "demo" / "__init__.py").write_text('__version__ = "1.2.0"\n')
    source = detect(tmp_path, {})
    assert (source.kind, source.path) == ("file", "demo/__init__.py")


def test_flit_module_docstring_and_version(tmp_path: Path) -> None:
    root = project(
        tmp_path,
        """
        [build-system]
        requires = ["flit_core>=3.4"]
        build-backend = "flit_core.buildapi"
        [project]
        name = "demo-pkg"
        dynamic = ["version", "description"]
        """,
        {"demo_pkg.py": '"""The demo."""\n\n__version__ = "1.2.0"\n'},
    )
    path, new = write(root)
    assert (path, new) == ("demo_pkg.py", '"""The demo."""\n\n__version__ = "2.0.0"\n')


@pytest.mark.parametrize(
    "build",
    [
        'requires = ["hatchling", "hatch-vcs"]\nbuild-backend = "hatchling.build"\n[tool.hatch.version]\nsource = "vcs"',
        'requires = ["setuptools>=64", "setuptools-scm>=8"]\nbuild-backend = "setuptools.build_meta"',
        'requires = ["pdm-backend"]\nbuild-backend = "pdm.backend"\n[tool.pdm.version]\nsource = "scm"',
    ],
)
def test_vcs_versioned_projects_use_the_tag_only(tmp_path: Path, build: str) -> None:
    text = f'[project]\nname = "demo"\ndynamic = ["version"]\n[build-system]\n{build}\n'
    (tmp_path / "pyproject.toml").write_text(text)
    source = detect(tmp_path, load_pyproject(tmp_path))
    assert source.kind == "tag"
    assert version_edit(tmp_path, source, NEW) is None


def test_setting_overrides_detection(tmp_path: Path) -> None:
    root = project(tmp_path, '[project]\nname = "demo"\nversion = "1.2.0"\n', {"VERSION.py": '__version__ = "1.2.0"\n'})  # fmt: skip
    assert detect(root, load_pyproject(root), "tag").kind == "tag"
    assert write(root, "VERSION.py") == ("VERSION.py", '__version__ = "2.0.0"\n')


def test_unknown_dynamic_backend_names_the_fix(tmp_path: Path) -> None:
    root = project(
        tmp_path,
        '[project]\nname = "demo"\ndynamic = ["version"]\n[build-system]\nbuild-backend = "mystery.api"\n',
    )
    with pytest.raises(ConfigError) as caught:
        detect(root, load_pyproject(root))
    assert "mystery.api" in caught.value.render()
    assert "version-source" in caught.value.render()


def test_missing_assignment_is_a_clear_error(tmp_path: Path) -> None:
    root = project(tmp_path, '[project]\nname = "demo"\nversion = "1.0"\n', {"v.py": "x = 1\n"})
    with pytest.raises(ConfigError, match=r'has no `__version__ = "X\.Y\.Z"` line'):
        detect(root, load_pyproject(root), "v.py")


def test_apply_keeps_the_file_mode(tmp_path: Path) -> None:
    root = project(tmp_path, '[project]\nname = "demo"\nversion = "1.0"\n')
    (root / "pyproject.toml").chmod(0o640)
    write(root)
    assert (root / "pyproject.toml").stat().st_mode & 0o777 == 0o640


def test_an_attr_version_wins_over_a_scm_plugin_never_configured(tmp_path: Path) -> None:
    """cachetools 8.0.0: setuptools-scm only in build-system.requires, the version an attr."""
    text = (
        '[build-system]\nrequires = ["setuptools >= 80", "setuptools-scm >= 8.2"]\n'
        'build-backend = "setuptools.build_meta"\n[project]\nname = "cachetools"\n'
        'dynamic = ["version"]\n[tool.setuptools]\npackage-dir = {"" = "src"}\n'
        '[tool.setuptools.dynamic]\nversion = {attr = "cachetools.__version__"}\n'
    )
    (tmp_path / "pyproject.toml").write_text(text)
    (tmp_path / "src" / "cachetools").mkdir(parents=True)
    (tmp_path / "src" / "cachetools" / "__init__.py").write_text('__version__ = "8.0.0"\n')
    source = detect(tmp_path, load_pyproject(tmp_path))
    assert (source.kind, source.path, str(source.current)) == (
        "file",
        "src/cachetools/__init__.py",
        "8.0.0",
    )
    configured = text + "[tool.setuptools_scm]\n"
    (tmp_path / "pyproject.toml").write_text(configured)
    assert detect(tmp_path, load_pyproject(tmp_path)).kind == "tag"
    simple = text.replace('"setuptools-scm >= 8.2"', '"setuptools-scm[simple] >= 8.2"').replace(
        '[tool.setuptools.dynamic]\nversion = {attr = "cachetools.__version__"}\n', ""
    )
    (tmp_path / "pyproject.toml").write_text(simple)
    assert "setuptools-scm[simple]" in detect(tmp_path, load_pyproject(tmp_path)).how
