"""@actions/glob patterns and hashFiles(), computed as GitHub's runner computes them."""

from __future__ import annotations

import hashlib
from pathlib import Path

from ci_sessions.ci.expressions import Scope, evaluate_text
from ci_sessions.ci.globs import glob_regex, matching_files


def test_glob_patterns() -> None:
    assert glob_regex("**/*.py").match("a/b/c.py")
    assert glob_regex("**/*.py").match("c.py")
    assert not glob_regex("*.py").match("a/c.py")
    assert glob_regex("src/**").match("src/a/b.txt")
    assert glob_regex("a?.txt").match("ab.txt") and not glob_regex("a?.txt").match("a/.txt")
    assert glob_regex("[!a]x").match("bx") and not glob_regex("[!a]x").match("ax")
    assert glob_regex("dist").match("dist/pkg.whl")  # a folder selects what is below it


def _github_hash(root: Path, names: list[str]) -> str:
    """hashFiles as GitHub's runner computes it: sha256 over each file's sha256 digest."""
    total = hashlib.sha256()
    for name in names:
        total.update(hashlib.sha256((root / name).read_bytes()).digest())
    return total.hexdigest()


def test_hash_files_globs_the_workspace_and_hashes_like_github(tmp_path: Path) -> None:
    for name, text in {
        "requirements.txt": "a\n",
        "sub/requirements.txt": "b\n",
        "sub/deeper/requirements.txt": "c\n",
        "sub/other.txt": "d\n",
        ".hidden/requirements.txt": "e\n",
    }.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    found = matching_files(tmp_path, ["**/requirements.txt"])
    assert found == [
        ".hidden/requirements.txt",
        "requirements.txt",
        "sub/deeper/requirements.txt",
        "sub/requirements.txt",
    ]
    assert matching_files(tmp_path, ["**/requirements.txt", "!.hidden/**"]) == found[1:]
    assert matching_files(tmp_path, ["sub"]) == [
        "sub/deeper/requirements.txt",
        "sub/other.txt",
        "sub/requirements.txt",
    ]
    scope = Scope({}, workspace=tmp_path)
    digest = evaluate_text("hashFiles('**/requirements.txt', '!.hidden/**')", scope)
    assert digest == _github_hash(tmp_path, found[1:])
    assert evaluate_text("hashFiles('nothing/*.lock')", scope) == ""
