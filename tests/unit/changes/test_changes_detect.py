"""Change detection on small fixture git repositories: categories, renames, deletions, merge bases,
session decisions, the CLI's text / JSON output and the GitHub outputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from gitrepo import git

from ci_sessions._patterns import PathMatcher
from ci_sessions.changes import detect as changes
from ci_sessions.changes.diff import ChangedFile, changed_files, parse_name_status
from ci_sessions.errors import GitError, UsageError

BASE_FILES = {
    "pyproject.toml": '[project]\nname = "demo"\nversion = "1"\n',
    "src/demo/__init__.py": "",
    "src/demo/core.py": "X = 1\n",
    "src/demo/templates/page.html": "<p>\n",
    "tests/test_core.py": "def test_x():\n    pass\n",
    "docs/index.md": "# demo\n",
    "README.md": "demo\n",
    "noxfile.py": "import ci_sessions\n",
    "uv.lock": "version = 1\n",
    ".github/workflows/ci.yml": "on: push\n",
    "ruff.toml": "line-length = 100\n",
    "Makefile": "all:\n",
}


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)


def commit(root: Path, message: str = "change") -> None:
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    git(tmp_path, "init", "-q", "-b", "main")
    write(tmp_path, BASE_FILES)
    commit(tmp_path, "base")
    return tmp_path


def categories(report: changes.ChangeReport) -> dict[str, str]:
    return {item.change.path: item.category for item in report.files}


def test_each_category(repo: Path) -> None:
    write(repo, {path: text + "\n" for path, text in BASE_FILES.items()})
    commit(repo)
    report = changes.detect_changes(repo, "HEAD~1")
    assert categories(report) == {
        "pyproject.toml": "config",
        "src/demo/__init__.py": "source",
        "src/demo/core.py": "source",
        "src/demo/templates/page.html": "source",  # inside the package: package data
        "tests/test_core.py": "tests",
        "docs/index.md": "docs",
        "README.md": "docs",
        "noxfile.py": "ci",
        "uv.lock": "config",
        ".github/workflows/ci.yml": "ci",
        "ruff.toml": "config",
        "Makefile": "other",
    }
    assert report.run_all and not report.docs_only and report.source_changed


def test_docs_only_change_runs_only_docs(repo: Path) -> None:
    write(repo, {"docs/index.md": "# demo\nmore\n", "docs/guide.md": "new\n"})
    commit(repo)
    report = changes.detect_changes(repo, "HEAD~1")
    assert report.docs_only
    assert not report.source_changed
    assert not report.run_all
    assert report.sessions == ("docs",)
    assert report.packages == ()


def test_source_change_runs_checks_not_everything(repo: Path) -> None:
    write(repo, {"src/demo/core.py": "X = 2\n"})
    commit(repo)
    report = changes.detect_changes(repo, "HEAD~1")
    assert not report.run_all
    assert report.sessions == ("lint", "format", "typecheck", "tests", "docs")
    assert report.packages == ("demo",)


@pytest.mark.parametrize("path", ["uv.lock", "noxfile.py"])
def test_lock_file_or_noxfile_runs_everything(repo: Path, path: str) -> None:
    write(repo, {path: BASE_FILES[path] + "# more\n"})
    commit(repo)
    report = changes.detect_changes(repo, "HEAD~1")
    assert report.run_all
    assert any(path in reason for reason in report.reasons)
    assert set(report.sessions) >= {"lint", "format", "typecheck", "tests", "docs"}


def test_renames_and_deletions(repo: Path) -> None:
    git(repo, "mv", "src/demo/core.py", "src/demo/engine.py")
    git(repo, "rm", "-q", "docs/index.md")
    commit(repo)
    files = changed_files(repo, "HEAD~1")
    assert ChangedFile("src/demo/engine.py", "renamed", "src/demo/core.py") in files
    assert ChangedFile("docs/index.md", "deleted") in files


def test_rename_out_of_docs_takes_the_stricter_category(repo: Path) -> None:
    git(repo, "mv", "docs/index.md", "src/demo/index.md")
    commit(repo)
    report = changes.detect_changes(repo, "HEAD~1")
    assert categories(report) == {"src/demo/index.md": "docs"}  # *.md is docs wherever it lives
    git(repo, "mv", "README.md", "Makefile.in")
    commit(repo)
    assert categories(changes.detect_changes(repo, "HEAD~1")) == {"Makefile.in": "other"}


def test_merge_base_excludes_changes_made_on_the_base_branch(repo: Path) -> None:
    git(repo, "checkout", "-q", "-b", "feature")
    write(repo, {"docs/index.md": "feature docs\n"})
    commit(repo, "feature")
    git(repo, "checkout", "-q", "main")
    write(repo, {"src/demo/core.py": "X = 3\n"})
    commit(repo, "main moves on")
    report = changes.detect_changes(repo, "main", "feature")
    assert categories(report) == {"docs/index.md": "docs"}
    assert report.docs_only


def test_working_tree_includes_uncommitted_and_untracked(repo: Path) -> None:
    write(repo, {"src/demo/core.py": "X = 4\n", "tests/test_new.py": "def test_n():\n    pass\n"})
    report = changes.detect_changes(repo, "HEAD", working_tree=True)
    assert {item.change.path: item.change.status for item in report.files} == {
        "src/demo/core.py": "modified",
        "tests/test_new.py": "untracked",
    }
    assert changes.detect_changes(repo, "HEAD").files == ()


def test_configured_patterns_override_the_defaults(repo: Path) -> None:
    table = (
        '\n[tool.ci-sessions.changes]\ndocs = ["docs/**", "*.md", "Makefile"]\n'
        '\n[tool.ci-sessions.changes.sessions]\ndocs = ["docs", "spelling"]\n'
    )
    write(repo, {"pyproject.toml": BASE_FILES["pyproject.toml"] + table})
    commit(repo, "configure")
    write(repo, {"Makefile": "all: docs\n"})
    commit(repo)
    report = changes.detect_changes(repo, "HEAD~1")
    assert report.docs_only
    assert report.sessions == ("docs", "spelling")


def test_bad_ref_is_a_clear_usage_error(repo: Path) -> None:
    with pytest.raises(GitError) as info:
        changes.detect_changes(repo, "origin/nope")
    assert "--base origin/nope" in str(info.value)
    assert "fetch-depth: 0" in str(info.value)


def test_cli_json_and_github_output(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    write(repo, {"docs/index.md": "x\n"})
    commit(repo)
    output = repo.parent / "github_output"
    output.write_text("earlier=1\n")
    monkeypatch.setenv("GITHUB_OUTPUT", str(output))
    assert changes.main(["--base", "HEAD~1", "--json", "--root", str(repo)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["docs_only"] is True
    assert data["files"] == [
        {"path": "docs/index.md", "status": "modified", "old_path": None, "category": "docs"}
    ]
    assert output.read_text().splitlines() == [
        "earlier=1",
        "docs-only=true",
        "source-changed=false",
        "run-all=false",
        'sessions=["docs"]',
        "packages=[]",
    ]


def test_cli_text_and_usage_errors(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GITHUB_OUTPUT", raising=False)
    write(repo, {"uv.lock": "version = 2\n"})
    commit(repo)
    assert changes.main(["--base", "HEAD~1", "--root", str(repo)]) == 0
    text = capsys.readouterr().out
    assert "config  M uv.lock" in text
    assert "runs everything: uv.lock changed (run-all pattern '*.lock')" in text
    assert changes.main([]) == 2  # --base is required
    with pytest.raises(UsageError, match="cannot combine --working-tree with --head"):
        changes.main(["--base", "HEAD", "--head", "HEAD", "--working-tree", "--root", str(repo)])


def test_parse_name_status_handles_spaces_and_renames() -> None:
    out = "M\0a b.py\0R087\0old name.py\0new name.py\0D\0gone.py\0"
    assert parse_name_status(out) == [
        ChangedFile("a b.py", "modified"),
        ChangedFile("new name.py", "renamed", "old name.py"),
        ChangedFile("gone.py", "deleted"),
    ]


@pytest.mark.parametrize(
    ("pattern", "path", "expected"),
    [
        ("*.md", "README.md", True),
        ("*.md", "docs/deep/page.md", True),
        ("docs/**", "docs/a/b.txt", True),
        ("docs/**", "src/docs/a.txt", False),
        ("docs/", "docs/x", True),
        ("**/conftest.py", "conftest.py", True),
        ("**/conftest.py", "a/b/conftest.py", True),
        ("requirements*.txt", "requirements-dev.txt", True),
        (".github/*.md", ".github/workflows/x.md", False),
        ("test_?.py", "tests/test_a.py", True),
        ("[ab].py", "c.py", False),
    ],
)
def test_path_patterns(pattern: str, path: str, expected: bool) -> None:
    assert PathMatcher([pattern]).match(path) is expected
