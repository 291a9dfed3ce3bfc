"""The one delete, the one listed copy and the state folder: never outside, never through a link."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from ci_sessions._fs import contained, copy_listed, remove_tree, state_dir
from ci_sessions.errors import ConfigError, UnsafePathError


def _outside(tmp_path: Path) -> Path:
    outside = tmp_path / "outside"
    (outside / "keep").mkdir(parents=True)
    (outside / "keep" / "canary.txt").write_text("canary\n")
    return outside


def test_remove_tree_deletes_a_folder_inside_with_read_only_parts(tmp_path: Path) -> None:
    owned = tmp_path / "owned"
    (owned / "a" / "b").mkdir(parents=True)
    (owned / "a" / "b" / "f.txt").write_text("x")
    os.chmod(owned / "a" / "b", stat.S_IRUSR | stat.S_IXUSR)
    remove_tree(owned / "a", within=owned)
    assert list(owned.iterdir()) == []
    remove_tree(owned, within=owned)
    assert not owned.exists()
    remove_tree(owned / "gone", within=tmp_path)  # nothing there: nothing to do


@pytest.mark.parametrize("name", ["..", "../outside", "a/../../outside"])
def test_remove_tree_refuses_a_path_outside_the_folder(tmp_path: Path, name: str) -> None:
    outside = _outside(tmp_path)
    owned = tmp_path / "owned"
    (owned / "a").mkdir(parents=True)
    with pytest.raises(UnsafePathError, match="outside"):
        remove_tree(owned / name, within=owned)
    assert (outside / "keep" / "canary.txt").read_text() == "canary\n"
    with pytest.raises(UnsafePathError, match="outside"):
        remove_tree(outside, within=owned)
    assert (outside / "keep" / "canary.txt").exists()


def test_remove_tree_never_goes_through_a_link(tmp_path: Path) -> None:
    outside = _outside(tmp_path)
    owned = tmp_path / "owned"
    owned.mkdir()
    (owned / "link").symlink_to(outside, target_is_directory=True)
    with pytest.raises(UnsafePathError, match="symbolic link"):
        remove_tree(owned / "link" / "keep", within=owned)
    assert (outside / "keep" / "canary.txt").exists()
    remove_tree(owned / "link", within=owned)  # the link goes, what it points at stays
    assert not (owned / "link").is_symlink()
    assert (outside / "keep" / "canary.txt").exists()
    linked_root = tmp_path / "linked-root"
    linked_root.symlink_to(outside, target_is_directory=True)
    with pytest.raises(UnsafePathError, match="symbolic link"):
        remove_tree(linked_root / "keep", within=linked_root)
    assert (outside / "keep" / "canary.txt").exists()


def test_remove_tree_keeps_what_links_inside_the_tree_point_at(tmp_path: Path) -> None:
    outside = _outside(tmp_path)
    owned = tmp_path / "owned"
    (owned / "deep").mkdir(parents=True)
    (owned / "deep" / "to-outside").symlink_to(outside / "keep", target_is_directory=True)
    (owned / "deep" / "to-file").symlink_to(outside / "keep" / "canary.txt")
    remove_tree(owned, within=owned)
    assert not owned.exists()
    assert (outside / "keep" / "canary.txt").read_text() == "canary\n"


def test_state_dir_refuses_a_link(tmp_path: Path) -> None:
    outside = _outside(tmp_path)
    project = tmp_path / "project"
    project.mkdir()
    (project / ".ci-sessions").symlink_to(outside, target_is_directory=True)
    with pytest.raises(ConfigError, match="symbolic link") as raised:
        state_dir(project)
    assert raised.value.exit_code == 2
    assert sorted(p.name for p in outside.iterdir()) == ["keep"]


@pytest.mark.parametrize(
    ("relative", "problem"),
    [("../x", "outside"), ("/etc/passwd", "outside"), ("a/../../x", "outside"), ("link/x", "link")],
)
def test_contained_refuses_what_leaves_or_crosses_a_link(
    tmp_path: Path, relative: str, problem: str
) -> None:
    base = tmp_path / "base"
    base.mkdir()
    (base / "link").symlink_to(_outside(tmp_path), target_is_directory=True)
    with pytest.raises(UnsafePathError, match=problem):
        contained(base, relative, what="changelog")
    assert contained(base, "docs/CHANGES.md", what="changelog") == base / "docs" / "CHANGES.md"


def test_copy_listed_copies_links_as_links_and_refuses_entries_behind_one(tmp_path: Path) -> None:
    outside = _outside(tmp_path)
    source, dest = tmp_path / "src", tmp_path / "dest"
    (source / "pkg").mkdir(parents=True)
    (source / "pkg" / "mod.py").write_text("X = 1\n")
    (source / "sub").mkdir()  # a submodule's folder: left out
    (source / "out").symlink_to(outside, target_is_directory=True)
    copied = copy_listed(source, dest, ["pkg/mod.py", "out", "sub", "gone.py"], mtime=1_000_000)
    assert copied == ["out", "pkg/mod.py"]
    assert os.readlink(dest / "out") == str(outside)
    assert (dest / "pkg" / "mod.py").stat().st_mtime == 1_000_000
    with pytest.raises(ConfigError, match="behind the symbolic link out") as raised:
        copy_listed(source, tmp_path / "dest2", ["out", "out/keep/canary.txt"])
    assert "git rm -r --cached out/" in raised.value.render()
    assert sorted(p.name for p in outside.iterdir()) == ["keep"]
    with pytest.raises(UnsafePathError):
        copy_listed(source, tmp_path / "dest3", ["../outside/keep/canary.txt"])
