"""Affected-test selection against real pytest runs on fixture git repositories.

The acceptance property: for every planted mutation, every test file that fails in a full run is
among the selected files (or the whole suite runs). Nothing is mocked: git, grimp and pytest run.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from gitrepo import git

from ci_sessions.changes.affected import AffectedSelection, select_affected_tests

pytestmark = pytest.mark.integration

FILES = {
    "pyproject.toml": '[project]\nname = "calc"\nversion = "1.0"\n\n[tool.pytest.ini_options]\ntestpaths = ["tests"]\n',
    "src/calc/__init__.py": "",
    "src/calc/core.py": "def base(x):\n    return x + 1\n",
    "src/calc/mid.py": "from calc.core import base\n\n\ndef double(x):\n    return base(x) * 2\n",
    "src/calc/api.py": "from calc import mid\n\n\ndef compute(x):\n    return mid.double(x) + 1\n",
    "src/calc/other.py": "def other():\n    return 42\n",
    "src/calc/sub/__init__.py": "from .leaf import LEAF\n",
    "src/calc/sub/leaf.py": "LEAF = 'leaf'\n",
    "tests/conftest.py": "import pytest\n\n\n@pytest.fixture\ndef seven():\n    return 7\n",
    "tests/helpers.py": "from calc.core import base\n\n\ndef expect_base(x):\n    return x + 1 == base(x)\n",
    "tests/test_api.py": "from calc.api import compute\n\n\ndef test_compute(seven):\n    assert compute(seven) == 17\n",
    "tests/test_mid.py": "from calc.mid import double\n\n\ndef test_double():\n    assert double(1) == 4\n",
    "tests/test_core_via_helper.py": "from helpers import expect_base\n\n\ndef test_base():\n    assert expect_base(3)\n",
    "tests/test_other.py": (
        "from pathlib import Path\n\nfrom calc.other import other\n\n\n"
        "def test_other():\n    assert other() == 42\n\n\n"
        "def test_data():\n    assert (Path(__file__).parent / 'data' / 'input.txt').read_text() == 'ok\\n'\n"
    ),
    "tests/test_leaf.py": "from calc.sub import LEAF\n\n\ndef test_leaf():\n    assert LEAF == 'leaf'\n",
    "tests/data/input.txt": "ok\n",
    "docs/index.md": "# calc\n",
    "README.md": "calc\n",
}

MUTATIONS = {
    "src/calc/core.py": ("x + 1", "x + 2"),
    "src/calc/mid.py": ("* 2", "* 3"),
    "src/calc/api.py": ("+ 1", "+ 2"),
    "src/calc/other.py": ("42", "43"),
    "src/calc/sub/leaf.py": ("'leaf'", "'leaves'"),
    "tests/helpers.py": ("x + 1 ==", "x + 5 =="),
}


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "calc"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    write(root, FILES)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    return root


def commit(root: Path, message: str = "change") -> None:
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)


def failing_files(root: Path, files: list[str] | None = None) -> set[str]:
    """Test files with a failure in a real pytest run (all tests when ``files`` is None)."""
    env = {**os.environ, "PYTHONPATH": str(root / "src")}
    args = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-rfE",
        "-p",
        "no:cacheprovider",
        "--continue-on-collection-errors",
        *(files or []),
    ]
    done = subprocess.run(args, cwd=root, env=env, capture_output=True, text=True, check=False)
    assert done.returncode in (0, 1), done.stdout + done.stderr
    return set(re.findall(r"^(?:FAILED|ERROR) ([^\s:]+)", done.stdout, flags=re.MULTILINE))


def test_clean_fixture_passes(repo: Path) -> None:
    assert failing_files(repo) == set()


@pytest.mark.parametrize("target", sorted(MUTATIONS))
def test_affected_run_never_misses_a_failing_test(repo: Path, target: str) -> None:
    old, new = MUTATIONS[target]
    path = repo / target
    path.write_text(path.read_text().replace(old, new))
    commit(repo, f"mutate {target}")

    selection = select_affected_tests(repo, "HEAD~1")
    failing = failing_files(repo)

    assert failing, f"the mutation in {target} should break a test"
    assert not selection.run_all, selection.reason
    assert failing <= set(selection.test_files), (target, failing, selection)
    assert failing_files(repo, selection.test_files) == failing  # the affected run itself fails


def test_transitive_change_selects_importers_only(repo: Path) -> None:
    (repo / "src/calc/core.py").write_text("def base(x):\n    return x + 2\n")
    commit(repo)
    selection = select_affected_tests(repo, "main~1")
    assert selection == AffectedSelection(
        run_all=False,
        reason=selection.reason,
        test_files=["tests/test_api.py", "tests/test_core_via_helper.py", "tests/test_mid.py"],
        changed_modules=["calc.core"],
    )
    assert "3 of 5 test files" in selection.reason


def test_unrelated_change_selects_nothing_outside(repo: Path) -> None:
    (repo / "src/calc/other.py").write_text("def other():\n    return 42  # same\n")
    commit(repo)
    selection = select_affected_tests(repo, "HEAD~1")
    assert selection.test_files == ["tests/test_other.py"]


@pytest.mark.parametrize(
    ("rel", "text", "expected"),
    [
        (
            "tests/conftest.py",
            "import pytest\n\n\n@pytest.fixture\ndef seven():\n    return 8\n",
            "conftest",
        ),
        ("tests/data/input.txt", "changed\n", "fixture or data file"),
        (
            "pyproject.toml",
            FILES["pyproject.toml"] + 'dependencies = ["attrs"]\n',
            "dependency or config",
        ),
        ("src/calc/template.txt", "x\n", "non-Python file in a package"),
        ("scripts/tool.py", "print(1)\n", "outside the import graph"),
    ],
)
def test_unsafe_changes_run_the_whole_suite(repo: Path, rel: str, text: str, expected: str) -> None:
    write(repo, {rel: text})
    commit(repo)
    selection = select_affected_tests(repo, "HEAD~1")
    assert selection.run_all
    assert expected in selection.reason
    assert rel in selection.reason


def test_conftest_importing_changed_module_runs_all(repo: Path) -> None:
    write(repo, {"tests/conftest.py": "from calc.other import other\n"})
    commit(repo, "conftest imports other")
    (repo / "src/calc/other.py").write_text("def other():\n    return 41\n")
    commit(repo)
    selection = select_affected_tests(repo, "HEAD~1")
    assert selection.run_all
    assert "tests/conftest.py imports a changed module" in selection.reason


def test_docs_only_change_selects_no_tests(repo: Path) -> None:
    write(repo, {"docs/index.md": "# calc\n\nmore\n", "README.md": "calc!\n"})
    commit(repo)
    selection = select_affected_tests(repo, "HEAD~1")
    assert (selection.run_all, selection.test_files) == (False, [])
    assert "0 of 5 test files" in selection.reason


def test_deleted_module_selects_its_importers(repo: Path) -> None:
    git(repo, "rm", "-q", "src/calc/mid.py")
    commit(repo, "delete mid")
    selection = select_affected_tests(repo, "HEAD~1")
    failing = failing_files(repo)
    assert {"tests/test_mid.py", "tests/test_api.py"} <= failing
    assert failing <= set(selection.test_files)
    assert "calc.mid" in selection.changed_modules


def test_renamed_module_and_working_tree(repo: Path) -> None:
    git(repo, "mv", "src/calc/other.py", "src/calc/renamed.py")
    selection = select_affected_tests(repo, "HEAD", working_tree=True)  # uncommitted rename
    assert "tests/test_other.py" in selection.test_files
    assert set(selection.changed_modules) == {"calc.other", "calc.renamed"}


def test_changed_test_file_selects_itself(repo: Path) -> None:
    write(repo, {"tests/test_new.py": "def test_new():\n    assert True\n"})
    selection = select_affected_tests(repo, "HEAD", working_tree=True)
    assert selection.test_files == ["tests/test_new.py"]


def test_merge_base_ignores_changes_made_on_the_base_branch(repo: Path) -> None:
    git(repo, "checkout", "-q", "-b", "feature")
    (repo / "src/calc/other.py").write_text("def other():\n    return 43\n")
    commit(repo, "feature")
    git(repo, "checkout", "-q", "main")
    (repo / "src/calc/core.py").write_text("def base(x):\n    return x + 3\n")
    commit(repo, "main moves on")
    git(repo, "checkout", "-q", "feature")
    selection = select_affected_tests(repo, "main")
    assert selection.test_files == ["tests/test_other.py"]
    assert selection.changed_modules == ["calc.other"]


def test_syntax_error_in_a_test_file_runs_all(repo: Path) -> None:
    write(repo, {"tests/test_broken.py": "def test_x(:\n"})
    selection = select_affected_tests(repo, "HEAD", working_tree=True)
    assert selection.run_all
    assert "cannot parse" in selection.reason


def test_version_bump_and_linter_settings_in_pyproject_do_not_force_a_full_run(repo: Path) -> None:
    bumped = (
        FILES["pyproject.toml"].replace('version = "1.0"', 'version = "1.1"')
        + "\n[tool.ruff]\nline-length = 99\n"
    )
    write(
        repo,
        {"pyproject.toml": bumped, "src/calc/other.py": "def other():\n    return 42  # same\n"},
    )
    commit(repo)
    selection = select_affected_tests(repo, "HEAD~1")
    assert (selection.run_all, selection.test_files) == (False, ["tests/test_other.py"])
    assert "pyproject.toml (project.version, tool.ruff.line-length)" in selection.reason
