"""Monorepo discovery and selection on fixture git repositories."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from gitrepo import git

from ci_sessions.changes import detect as changes
from ci_sessions.changes.monorepo import Package, discover_packages, package_config_table
from ci_sessions.changes.selection import main, packages_from_args, select_packages
from ci_sessions.errors import ConfigError, UsageError


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)


def commit(root: Path, message: str = "change") -> None:
    git(
        root, "add", "-A", "--", ".", ":!build", ":!stray", ":!packages/x.egg-info"
    )  # keep them untracked
    git(root, "commit", "-q", "-m", message)


def pyproject(name: str, *deps: str, extra: str = "") -> str:
    listed = ", ".join(f'"{d}"' for d in deps)
    return f'[project]\nname = "{name}"\nversion = "1"\ndependencies = [{listed}]\n{extra}'


MONOREPO = {
    "pyproject.toml": '[tool.ci-sessions]\njobs = 2\n\n[tool.ci-sessions.lint]\nmax-findings = 5\nargs = ["--x"]\n',
    "packages/core/pyproject.toml": pyproject("core", "attrs>=23")
    + "\n[tool.ci-sessions.lint]\nmax-findings = 0\n",
    "packages/core/src/core/__init__.py": "",
    "packages/app/pyproject.toml": pyproject("app", "Core[fast]>=1", "requests"),
    "packages/app/src/app/__init__.py": "import core\n",
    "packages/cli/pyproject.toml": pyproject("cli") + '\n[dependency-groups]\ntest = ["app"]\n',
    "packages/cli/src/cli/__init__.py": "",
    "packages/unrelated/pyproject.toml": pyproject("unrelated", "requests"),
    "packages/unrelated/src/unrelated/__init__.py": "",
    # fixtures of a packaging tool: data, not packages
    "packages/core/tests/fixtures/sample/pyproject.toml": pyproject("sample"),
    "tests/data/broken/pyproject.toml": pyproject("core"),
    "examples/demo/pyproject.toml": pyproject("demo"),
    "docs/index.md": "# mono\n",
}


@pytest.fixture
def mono(tmp_path: Path) -> Path:
    git(tmp_path, "init", "-q", "-b", "main")
    write(tmp_path, MONOREPO)
    commit(tmp_path, "base")
    # untracked build metadata must never count
    write(
        tmp_path,
        {
            "build/lib/pyproject.toml": pyproject("ghost"),
            "packages/x.egg-info/pyproject.toml": pyproject("egg"),
        },
    )
    write(tmp_path, {"stray/pyproject.toml": pyproject("stray")})  # untracked too
    return tmp_path


def names(packages: list[Package]) -> list[str]:
    return [p.name for p in packages]


def test_discovery_skips_fixtures_and_untracked_metadata(mono: Path) -> None:
    assert discover_packages(mono) == [
        Package("app", "packages/app", ("core",)),
        Package("cli", "packages/cli", ("app",)),
        Package("core", "packages/core", ()),
        Package("unrelated", "packages/unrelated", ()),
    ]


def test_changing_core_selects_core_and_its_dependants_only(mono: Path) -> None:
    write(mono, {"packages/core/src/core/__init__.py": "VALUE = 1\n"})
    commit(mono)
    assert names(select_packages(mono, [], changed_since="HEAD~1")) == ["app", "cli", "core"]
    report = changes.detect_changes(mono, "HEAD~1")
    assert report.packages == ("app", "cli", "core")


def test_change_in_a_leaf_package_selects_it_alone(mono: Path) -> None:
    write(mono, {"packages/unrelated/src/unrelated/__init__.py": "X = 1\n"})
    assert names(select_packages(mono, [], changed_since="HEAD")) == ["unrelated"]  # uncommitted


def test_docs_change_selects_no_package_but_a_root_lock_selects_all(mono: Path) -> None:
    write(mono, {"docs/index.md": "# more\n", "packages/core/README.md": "core\n"})
    commit(mono)
    assert select_packages(mono, [], changed_since="HEAD~1") == []
    write(mono, {"uv.lock": "version = 1\n"})
    commit(mono)
    assert names(select_packages(mono, [], changed_since="HEAD~1")) == [
        "app",
        "cli",
        "core",
        "unrelated",
    ]


def test_explicit_names_and_unknown_names(mono: Path) -> None:
    assert names(select_packages(mono, ["APP"], changed_since=None)) == ["app", "cli"]
    with pytest.raises(ConfigError) as info:
        select_packages(mono, ["cor"], changed_since=None)
    assert "did you mean `core`" in str(info.value)


def test_uv_workspace_members_and_excludes(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "pyproject.toml": pyproject("root", "lib-a")
            + '\n[tool.uv.workspace]\nmembers = ["libs/*"]\nexclude = ["libs/skip"]\n',
            "libs/lib-a/pyproject.toml": pyproject("lib-a"),
            "libs/skip/pyproject.toml": pyproject("skip"),
            "tests/pyproject.toml": pyproject("fixture"),
        },
    )
    # not a git repository: the filesystem is read (declared members only)
    assert discover_packages(tmp_path) == [
        Package("root", ".", ("lib-a",)),
        Package("lib-a", "libs/lib-a", ()),
    ]


def test_configured_globs_win_over_discovery(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "pyproject.toml": '[tool.ci-sessions]\npackages = ["tools/*"]\n',
            "tools/one/pyproject.toml": pyproject("one"),
            "other/two/pyproject.toml": pyproject("two"),
        },
    )
    assert names(discover_packages(tmp_path)) == ["one"]


def test_duplicate_names_are_a_config_error(tmp_path: Path) -> None:
    write(tmp_path, {"a/pyproject.toml": pyproject("same"), "b/pyproject.toml": pyproject("Same")})
    with pytest.raises(ConfigError, match=r"also used by a/pyproject\.toml"):
        discover_packages(tmp_path)


def test_package_config_overrides_root_key_by_key(mono: Path) -> None:
    core = Package("core", "packages/core")
    assert package_config_table(mono, core) == {
        "jobs": 2,
        "lint": {"max-findings": 0, "args": ["--x"]},
    }


def test_cli_lists_packages(mono: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--json", "--root", str(mono)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data[2] == {
        "name": "core",
        "path": "packages/core",
        "dependencies": [],
        "dependants": ["app"],
    }
    assert main(["--root", str(mono), "--package", "core"]) == 0
    text = capsys.readouterr().out
    assert "core" in text and "used by: app" in text and "unrelated" not in text


def test_session_arguments(mono: Path) -> None:
    with pytest.raises(UsageError, match="needs --base REF"):
        packages_from_args(mono, [], changed_only=True, since=None)
    assert len(packages_from_args(mono, [], changed_only=False, since=None)) == 4
    assert names(packages_from_args(mono, ["cli"], changed_only=True, since="HEAD")) == ["cli"]
