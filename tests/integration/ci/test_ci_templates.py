"""End to end: the workflow `ci-sessions init` writes, run by `ci-sessions ci` with real nox.

Every template variant (single package, monorepo, each tier) runs to success on a clean fixture
project, and to failure, naming the job and the cell, when a test fails in one matrix cell; the
changes job's outputs drive the test matrix and the per-package cells; a docs-only pull request
skips the code jobs. And the env collision of issue 11 cannot come back: every variable a
rendered workflow sets is accepted by the configuration every command it runs reads.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from ci_run import clone, init_project, run_ci
from gitrepo import git

from ci_sessions.ci import setup_python
from ci_sessions.ci.workflow import YamlMap, load
from ci_sessions.config.loader import load_config
from ci_sessions.errors import ConfigError

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PYTHONS = ("3.12", "3.13")
CELLS = [f"tests-{v}, {v}, ubuntu-latest" for v in PYTHONS]
ROOT = Path(__file__).resolve().parents[3]
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


@pytest.fixture(autouse=True)
def _pythons_present() -> None:
    for version in PYTHONS:
        if setup_python.find(version, os.environ.get("PATH", "")) is None:
            pytest.skip(f"Python {version} is not installed here")


@pytest.fixture(scope="module")
def variants(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One initialised project per template variant, shared by this module's tests (a run
    writes only under the project's .ci-sessions/; tests that change a project clone it)."""
    base = tmp_path_factory.mktemp("variants")
    return {
        "single-essential": init_project(base / "demo"),
        # the tier variants test one Python: the tier job is what they add
        "single-extended": init_project(base / "ext", tier="extended", pythons=PYTHONS[-1:]),
        "single-full": init_project(base / "full", tier="full", pythons=PYTHONS[-1:]),
        "monorepo": init_project(base / "mono", monorepo=True),
    }


def log(root: Path, job: str, cell: str) -> str:
    """A cell's log without colour codes (the workflow sets FORCE_COLOR)."""
    text = (root / ".ci-sessions" / "ci" / job / f"{cell}.log").read_text(encoding="utf-8")
    return ANSI.sub("", text)


def test_single_package_runs_every_job_and_the_matrix_comes_from_the_changes_job(
    variants: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    root = variants["single-essential"]
    done = run_ci(root, monkeypatch=monkeypatch, capsys=capsys)
    assert done.code == 0, done.err
    matrix = json.loads(done.row("changes")["outputs"]["matrix"])
    assert [cell["session"] for cell in matrix["include"]] == [f"tests-{v}" for v in PYTHONS]
    assert [(r["job"], r["cell"], r["result"]) for r in done.rows] == [
        ("changes", "", "success"),
        ("quick", "", "success"),
        *[("tests", cell, "success") for cell in CELLS],  # one per cell of that output
        ("summary", "", "success"),
    ]
    assert "instead of ci-sessions==" in done.err  # the running ci-sessions, not the index's
    assert "1 passed" in log(root, "tests", "tests-3.12-3.12-ubuntu-latest")
    assert "valid against SARIF 2.1.0" in log(root, "quick", "quick")
    artifacts = root / ".ci-sessions" / "ci" / "quick" / "artifacts" / "reports-quick"
    assert (artifacts / "results.json").is_file()
    summary = (root / ".ci-sessions" / "ci" / "summary.md").read_text()
    assert "| change detection | success |" in summary  # the summary job's step summary
    assert "ci-sessions: PASS (lint, format, typecheck)" in summary


def test_docs_only_pull_request_skips_the_code_jobs(
    variants: dict[str, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    root = clone(variants["single-essential"], tmp_path / "demo")
    git(root, "switch", "-qc", "docs")
    (root / "docs" / "index.md").write_text("# demo\n\nBetter docs.\n")
    git(root, "commit", "-qam", "docs only")
    done = run_ci(root, "--base", "origin/main", monkeypatch=monkeypatch, capsys=capsys)
    assert done.code == 0, done.err
    assert {r["job"]: r["result"] for r in done.rows} == {
        "changes": "success",
        "quick": "skipped",
        "tests": "skipped",
        "summary": "success",
    }
    summary = (root / ".ci-sessions" / "ci" / "summary.md").read_text()
    assert "| essential checks | skipped |" in summary


def test_a_failing_test_in_one_cell_fails_the_workflow_naming_job_and_cell(
    variants: dict[str, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    root = clone(variants["single-essential"], tmp_path / "demo")
    (root / "tests" / "test_demo.py").write_text(  # uncommitted: the copy is the working tree
        "import sys\n\n\ndef test_not_on_313() -> None:\n"
        '    assert sys.version_info[:2] != (3, 13), "fails on 3.13 only"\n'
    )
    done = run_ci(root, "--job", "tests", monkeypatch=monkeypatch, capsys=capsys)
    assert done.code == 1
    assert done.result("tests", CELLS[0]) == "success"
    failed = done.row("tests", CELLS[1])
    assert failed["result"] == "failure"
    assert failed["failed_step"] == "nox -s tests-<python>"
    summary = (root / ".ci-sessions" / "ci" / "summary.md").read_text()
    assert f"| tests | {CELLS[1]} | failure |" in summary
    assert "fails on 3.13 only" in done.err  # the failing step's log tail


def test_monorepo_runs_one_cell_per_package(
    variants: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    root = variants["monorepo"]
    done = run_ci(root, monkeypatch=monkeypatch, capsys=capsys)
    assert done.code == 0, done.err
    assert json.loads(done.row("changes")["outputs"]["packages"]) == ["app", "core"]
    rows = {(r["job"], r["cell"]): r["result"] for r in done.rows}
    # the packages matrix is fromJSON(needs.changes.outputs.packages)
    assert rows[("packages", "app")] == rows[("packages", "core")] == "success"
    assert all(rows[("tests", cell)] == "success" for cell in CELLS)
    assert rows[("summary", "")] == "success"
    core = log(root, "packages", "core")
    assert "package core (packages/core)" in core and "core/lint" in core


@pytest.mark.parametrize("tier", ["extended", "full"])
def test_each_tier_runs_its_tier_session(
    tier: str,
    variants: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    root = variants[f"single-{tier}"]
    done = run_ci(root, "--job", tier, monkeypatch=monkeypatch, capsys=capsys)
    assert done.code == 0, done.err
    assert done.result(tier) == "success"
    assert f"nox > Session {tier} was successful" in log(root, tier, tier)


# ---------------------------------------------------------------- the env collision


def workflow_env(root: Path) -> dict[str, str]:
    """Every variable the workflow sets in an `env:` block, at any level (expressions as text)."""
    workflow = load(root / ".github" / "workflows" / "ci.yml", root)
    blocks = [workflow.raw.get("env")]
    for job in workflow.jobs.values():
        blocks.append(job.get("env"))
        blocks.extend(step.raw.get("env") for step in job.steps)
    return {
        name: str(value)
        for block in blocks
        if isinstance(block, YamlMap)
        for name, value in block.items()
    }


@pytest.mark.parametrize(
    "variant", ["single-essential", "single-extended", "single-full", "monorepo"]
)
def test_every_workflow_variable_is_accepted_by_every_command(
    variant: str,
    variants: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    root = variants[variant]
    env = workflow_env(root)
    assert {"NOX_INSTALL", "CIS_PACKAGE"} <= set(env)
    # every command the workflow runs (ci-sessions changes/matrix/packages, nox -s ...) reads
    # its settings through this loader, with the workflow's variables in the environment
    load_config(root, environ=env)
    # and for real: the change-detection job runs those commands with the workflow's env blocks
    done = run_ci(
        root, "--base", "main", "--job", "changes", monkeypatch=monkeypatch, capsys=capsys
    )
    assert done.code == 0, done.err
    assert done.result("changes") == "success"


def test_a_settings_name_in_the_workflow_env_would_be_caught(
    variants: dict[str, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The test above can fail: the variable issue 11 found breaks both of its halves."""
    root = clone(variants["single-essential"], tmp_path / "demo")
    path = root / ".github" / "workflows" / "ci.yml"
    text = path.read_text()
    path.write_text(text.replace("  CIS_PACKAGE:", '  CI_SESSIONS_INSTALL: "x"\n  CIS_PACKAGE:', 1))
    with pytest.raises(ConfigError, match="CI_SESSIONS_INSTALL"):
        load_config(root, environ=workflow_env(root))
    done = run_ci(root, "--job", "changes", monkeypatch=monkeypatch, capsys=capsys)
    assert done.code == 1
    assert "unknown setting" in log(root, "changes", "changes")


# ---------------------------------------------------------------- this repository


def test_this_repositorys_change_detection_job(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Our own workflow: the changes job installs ci-sessions from the checkout (`.`) and
    computes the test matrix from our noxfile. (.ci/run runs the quick job too.)"""
    done = run_ci(ROOT, "--job", "changes", monkeypatch=monkeypatch, capsys=capsys)
    assert done.code == 0, done.err
    assert "installed from" not in done.err  # CIS_PACKAGE is ".": the copy itself is tested
    matrix = json.loads(done.row("changes")["outputs"]["matrix"])
    sessions = {cell["session"] for cell in matrix["include"]}
    assert {"tests-3.10", "tests-3.11", "tests-3.12", "tests-3.13"} <= sessions
