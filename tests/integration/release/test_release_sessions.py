"""The release commands as nox sessions on fixture projects: `nox -s release` runs the
reproducible gate first (and stops on a failure before committing), `nox -s publish` publishes."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from fixture_projects import NoxRun
from gitrepo import git
from release_index import IndexServer

from ci_sessions.release import records

pytestmark = [pytest.mark.integration, pytest.mark.slow]

Make = Callable[..., Path]
Run = Callable[..., NoxRun]


def committed(root: Path, *messages: str) -> Path:
    (root / ".gitignore").write_text(".ci-sessions/\n.nox/\n")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "chore: init")
    git(root, "tag", "-a", "v0.1.0", "-m", "v0.1.0")
    for message in messages:
        git(root, "commit", "-q", "--allow-empty", "-m", message)
    return root


def test_release_session_gates_then_commits_tags_and_publishes(
    make_project: Make, nox_runner: Run, index_server: Callable[..., IndexServer]
) -> None:
    staging = index_server("staging")
    publish = (
        "\n[tool.ci-sessions.publish]\n"
        'smoke = ["{python}", "-c", "from demo import add; assert add(2, 3) == 5"]\n'
        f'[tool.ci-sessions.publish.indexes.staging]\nupload-url = "{staging.url}"\n'
        f'simple-url = "{staging.simple}"\n'
    )
    root = make_project()
    with (root / "pyproject.toml").open("a") as handle:
        handle.write(publish)
    committed(root, "feat: subtraction")

    dry = nox_runner(root, "-s", "release", "--", "--dry-run")
    assert dry.returncode == 0, dry.output
    assert dry.status("reproducible") == "PASS"
    assert "release 0.1.0 -> 0.2.0 (minor from the commits)" in dry.stdout
    assert git(root, "tag").split() == ["v0.1.0"]

    run = nox_runner(root, "-s", "release")
    assert run.returncode == 0, run.output
    assert git(root, "describe", "--exact-match").strip() == "v0.2.0"
    assert git(root, "log", "-1", "--format=%s").strip() == "chore(release): 0.2.0"
    assert git(root, "status", "--porcelain", "--untracked-files=no") == ""

    published = nox_runner(root, "-s", "publish", "--", "--to", "staging")
    assert published.returncode == 0, published.output
    assert "[staging] healthy" in published.stdout
    assert staging.files() == ["demo-0.2.0-py3-none-any.whl", "demo-0.2.0.tar.gz"]
    steps = [(e.kind, e.stage, e.outcome) for e in records.read(root)]
    assert steps == [("release", "", "ok"), ("publish", "staging", "ok"), ("health", "staging", "ok")]  # fmt: skip


def test_a_failed_gate_stops_the_release_before_anything_is_committed(
    make_project: Make, nox_runner: Run
) -> None:
    root = make_project(
        {
            "pyproject.toml": """
                [build-system]
                requires = ["setuptools>=70"]
                build-backend = "setuptools.build_meta"
                [project]
                name = "demo"
                version = "0.1.0"
                [tool.setuptools.packages.find]
                where = ["src"]
            """,
            "setup.py": """
                import datetime
                from pathlib import Path

                from setuptools import setup

                Path("src", "demo", "_built.py").write_text(f"BUILT = {datetime.datetime.now().isoformat()!r}\\n")
                setup()
            """,
        }
    )
    committed(root, "fix: a bug")
    head = git(root, "rev-parse", "HEAD")

    run = nox_runner(root, "-s", "release")
    assert run.returncode != 0
    assert run.status("reproducible") == "FAIL"
    assert "not released: the gate did not pass (reproducible)" in run.output
    assert "demo/_built.py differs between two builds (content" in json.dumps(run.results)
    assert git(root, "rev-parse", "HEAD") == head
    assert git(root, "tag").split() == ["v0.1.0"]
