"""Path patterns mean what they mean in a .gitignore: every case is compared with git itself."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from ci_sessions._patterns import PathMatcher

#: (patterns, path): 32 cases, among them the ones a hand-written matcher got wrong
CASES: list[tuple[tuple[str, ...], str]] = [
    (("*.md",), "README.md"),
    (("*.md",), "docs/deep/page.md"),
    (("docs/**",), "docs/a/b.txt"),
    (("docs/**",), "src/docs/a.txt"),
    (("docs/",), "docs/x"),
    (("docs/",), "src/docs/x"),
    (("docs",), "docs/a.md"),  # a bare name matches the directory, so everything in it
    (("docs",), "src/docs/a.md"),
    (("docs",), "docsite/a.md"),
    (("/docs",), "src/docs/a.md"),
    (("foo/*",), "foo/a"),
    (("foo/*",), "foo/b/c"),  # the directory foo/b is matched, so its contents are too
    (("foo/*",), "x/foo/a"),
    (("**/conftest.py",), "conftest.py"),
    (("**/conftest.py",), "a/b/conftest.py"),
    (("a/**/b.py",), "a/b.py"),
    (("a/**/b.py",), "a/x/y/b.py"),
    (("requirements*.txt",), "requirements-dev.txt"),
    ((".github/*.md",), ".github/workflows/x.md"),
    (("test_?.py",), "tests/test_a.py"),
    (("test_?.py",), "tests/test_ab.py"),
    (("[ab].py",), "c.py"),
    (("[ab].py",), "b.py"),
    (("[!ab].py",), "c.py"),
    ((r"\*.md",), "*.md"),  # an escaped star is a star
    ((r"\*.md",), "a.md"),
    ((r"\!x.md",), "!x.md"),  # an escaped ! is a name, not a negation
    (("*.md", "!keep.md"), "keep.md"),  # negation re-includes
    (("*.md", "!keep.md"), "other.md"),
    (("*.md", "!keep.md", "keep.md"), "keep.md"),  # the last matching pattern decides
    (("/setup.py",), "setup.py"),
    (("/setup.py",), "pkg/setup.py"),
]


def _git_says(tmp_path: Path, patterns: tuple[str, ...], path: str) -> bool:
    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / ".gitignore").write_text("\n".join(patterns) + "\n")
    target = repo / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("x\n")
    done = subprocess.run(["git", "check-ignore", "-q", "--no-index", path], cwd=repo, check=False)
    assert done.returncode in (0, 1), done
    return done.returncode == 0


def test_there_are_32_cases() -> None:
    assert len(CASES) == 32


@pytest.mark.parametrize(("patterns", "path"), CASES)
def test_patterns_agree_with_git(tmp_path: Path, patterns: tuple[str, ...], path: str) -> None:
    assert PathMatcher(patterns).match(path) is _git_says(tmp_path, patterns, path)


def test_first_names_the_pattern_that_decided() -> None:
    matcher = PathMatcher(["*.txt", "docs", "!docs/keep.md"])
    assert matcher.first("docs/a.md") == "docs"
    assert matcher.first("docs/keep.md") is None
    assert matcher.first("a.txt") == "*.txt"
    assert PathMatcher([]).first("a") is None
    assert not PathMatcher([]).match("a")
