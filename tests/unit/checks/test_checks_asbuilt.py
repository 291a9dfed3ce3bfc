"""The as-built import finder (issue 21, item 1), on folders shaped like a build and a tree."""

from __future__ import annotations

import json
import sysconfig
from pathlib import Path
from typing import Any

import pytest

from ci_sessions.checks import asbuilt

EXT = str(sysconfig.get_config_var("EXT_SUFFIX"))


def _touch(path: Path, text: str = "") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.fixture
def installed(tmp_path: Path) -> tuple[Path, Path]:
    """A tree (flat layout, pkg/ with a Cython-compiled mod.py) and an environment with pkg
    installed from it: __init__.py, mod.py and its compiled mod, gone.py, _speed, _version.py."""
    root, env = tmp_path / "tree", tmp_path / "env"
    for rel in ("pkg/__init__.py", "pkg/mod.py", "pkg/gone.py", "pkg/sub/__init__.py"):
        _touch(root / rel)
    _touch(root / "pkg" / "_speed.c")
    site = env / "lib" / "python3.11" / "site-packages"
    files = [
        "pkg/__init__.py", "pkg/mod.py", f"pkg/mod{EXT}", "pkg/gone.py", f"pkg/_speed{EXT}",
        "pkg/_version.py", "pkg/sub/__init__.py",
    ]  # fmt: skip
    for rel in files:
        _touch(site / rel)
    dist = site / "pkg-1.0.dist-info"
    _touch(dist / "RECORD", "".join(f"{rel},,\n" for rel in [*files, "pkg-1.0.dist-info/RECORD"]))
    _touch(dist / "direct_url.json", json.dumps({"url": root.as_uri(), "dir_info": {}}))
    return root, env


def _finder(found: asbuilt.Layout) -> Any:
    namespace: dict[str, Any] = {
        "__name__": "finder_under_test",
        "__file__": str(found.site / f"{asbuilt.FINDER}.py"),
    }
    exec(compile(asbuilt.finder_source(found), "finder", "exec"), namespace)  # noqa: S102
    return namespace["BuiltFinder"]


def test_the_layout_maps_the_installed_packages_to_the_tree(installed: tuple[Path, Path]) -> None:
    root, env = installed
    found = asbuilt.layout(root, env)
    assert found is not None
    assert found.modules == {"pkg": (str(found.site / "pkg"), str(root / "pkg"))}
    assert found.compiled_from_tree == ("pkg/mod.py",)  # Cython compiled it: a rebuild input
    assert str(found.site / "pkg" / "__init__.py") in found.mirrored
    assert str(found.site / "pkg" / "_version.py") not in found.mirrored  # only the build has it
    assert asbuilt.layout(root / "elsewhere", env) is None  # not installed from there


def test_compiled_from_the_build_python_from_the_tree_generated_from_the_build(
    installed: tuple[Path, Path],
) -> None:
    root, env = installed
    found = asbuilt.layout(root, env)  # when the environment was built
    assert found is not None
    (root / "pkg" / "gone.py").unlink()  # deleted from the tree after the build
    finder = _finder(found)
    site = found.site
    package = finder.find_spec("pkg", None)
    assert package.origin == str(root / "pkg" / "__init__.py")
    path = package.submodule_search_locations
    assert path == [str(root / "pkg"), str(site / "pkg")]
    assert finder.find_spec("pkg._speed", path).origin == str(site / "pkg" / f"_speed{EXT}")
    # a .py the build compiled: its compiled module wins over the tree's source
    assert finder.find_spec("pkg.mod", path).origin == str(site / "pkg" / f"mod{EXT}")
    assert finder.find_spec("pkg._version", path).origin == str(site / "pkg" / "_version.py")
    sub = finder.find_spec("pkg.sub", path)
    assert sub.origin == str(root / "pkg" / "sub" / "__init__.py")
    with pytest.raises(ModuleNotFoundError, match=r"pkg\.gone"):
        finder.find_spec("pkg.gone", path)  # deleted from the tree: the build's copy is stale
    assert finder.find_spec("other", None) is None  # not the project's: not its business


def test_a_stale_compiled_module_in_the_tree_is_never_imported(
    installed: tuple[Path, Path],
) -> None:
    root, env = installed
    _touch(root / "pkg" / f"_speed{EXT}", "an in-place build of long ago")
    _touch(root / "pkg" / f"_old{EXT}", "a module the build no longer makes")
    found = asbuilt.layout(root, env)
    assert found is not None
    finder = _finder(found)
    path = [str(root / "pkg"), str(found.site / "pkg")]
    assert finder.find_spec("pkg._speed", path).origin == str(found.site / "pkg" / f"_speed{EXT}")
    with pytest.raises(ModuleNotFoundError):
        finder.find_spec("pkg._old", path)


def test_what_the_finder_imported_is_shown_and_judged(tmp_path: Path) -> None:
    report = tmp_path / "imports.jsonl"
    env = tmp_path / ".nox" / "ci-sessions" / "project-3.11"
    rows = [["pkg", str(tmp_path / "pkg" / "__init__.py")],
            ["pkg._speed", str(env / "pkg" / f"_speed{EXT}")]]  # fmt: skip
    report.write_text("".join(json.dumps(r) + "\n" for r in rows) + "not json\n")
    imports = asbuilt.read_imports(report)
    assert asbuilt.describe_imports(tmp_path, imports) == [
        "as built: pkg from the tree (pkg/__init__.py)",
        f"compiled: pkg._speed from {env / 'pkg' / f'_speed{EXT}'}",
    ]
    assert asbuilt.in_tree(tmp_path, imports) == []  # the project's own .nox is not the tree
    imports["pkg._other"] = str(tmp_path / "pkg" / f"_other{EXT}")
    assert asbuilt.in_tree(tmp_path, imports) == ["pkg._other"]


def test_files_the_finder_does_not_serve_from_the_tree_are_inputs_again(
    installed: tuple[Path, Path],
) -> None:
    """A folder read from the tree only when the build maps a package onto it: the files of any
    other (installed under another name, say) decide the build after all."""
    root, env = installed
    _touch(root / "lib" / "other" / "__init__.py")
    found = asbuilt.layout(root, env)
    assert found is not None
    from_tree = ("pkg/mod.py", "pkg/data.json", "lib/other/__init__.py", "pkgx.py")
    assert asbuilt.not_served(root, found, from_tree) == ("lib/other/__init__.py", "pkgx.py")
