"""Every rendered workflow passes actionlint, zizmor --offline and the GitHub workflow schema;
the rendered noxfile lists the ci-sessions sessions with real nox."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from fixture_projects import installed_tool, nox_env, write_files

from ci_sessions.scaffold import init as scaffold
from ci_sessions.scaffold.facts import detect
from ci_sessions.scaffold.render import render

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
PINS: dict[str, dict[str, str]] = yaml.safe_load(
    (ROOT / "configs" / "action-pins.yaml").read_text(encoding="utf-8")
)
#: pins only the opt-in release workflow uses (tests/integration/release/test_release_template.py)
RELEASE_ONLY = {"pypa/gh-action-pypi-publish"}
USES = re.compile(r"^\s*(?:-\s+)?uses:\s*([^@\s]+)@(\S+)(?:\s+#\s*(\S+))?\s*$", re.MULTILINE)
VARIANTS: list[dict[str, Any]] = [
    {},
    {"tier": "extended", "os_list": ["ubuntu-latest", "windows-latest", "macos-latest"]},
    {"tier": "full", "precommit_language": "system", "ci_sessions_install": "."},
    {"monorepo": True},
]
CURRENT = f"{sys.version_info.major}.{sys.version_info.minor}"


def _tool(name: str) -> str:
    return installed_tool(name)


def _rendered(tmp_path: Path, overrides: dict[str, Any]) -> Path:
    root = tmp_path / f"render-{len(list(tmp_path.iterdir()))}"
    write_files(
        root,
        {
            "pyproject.toml": f"""
                [project]
                name = "demo"
                version = "0.1.0"
                requires-python = ">={CURRENT}"
                """,
            "src/demo/__init__.py": "",
        },
    )
    answers = scaffold.answers_for(detect(root), {}, overrides)
    scaffold.write(root, scaffold.plan(root, render(answers), force=False))
    return root


def _run(*argv: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("GH_TOKEN", "GITHUB_TOKEN", "ZIZMOR_GITHUB_TOKEN")
    }
    return subprocess.run(
        list(argv), cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.mark.parametrize(
    "overrides", VARIANTS, ids=["essential", "extended-3os", "full-system", "monorepo"]
)
def test_rendered_workflow_passes_linters(tmp_path: Path, overrides: dict[str, Any]) -> None:
    root = _rendered(tmp_path, overrides)
    workflow = ".github/workflows/ci.yml"
    actionlint = _run(_tool("actionlint"), "-no-color", workflow, cwd=root)
    assert actionlint.returncode == 0, actionlint.stdout + actionlint.stderr
    zizmor = _run(
        _tool("zizmor"), "--offline", "--no-progress", workflow, ".github/dependabot.yml", cwd=root
    )
    assert zizmor.returncode == 0, zizmor.stdout + zizmor.stderr
    for schema, path in (
        ("vendor.github-workflows", workflow),
        ("vendor.dependabot", ".github/dependabot.yml"),
    ):
        checked = _run(_tool("check-jsonschema"), "--builtin-schema", schema, path, cwd=root)
        assert checked.returncode == 0, checked.stdout + checked.stderr


def test_linters_do_catch_a_broken_workflow(tmp_path: Path) -> None:
    """The checks above can fail: an unpinned action and a typo in `needs` are reported."""
    root = _rendered(tmp_path, {})
    workflow = root / ".github" / "workflows" / "ci.yml"
    text = workflow.read_text(encoding="utf-8")
    checkout = PINS["actions/checkout"]
    assert f"actions/checkout@{checkout['sha']} # {checkout['version']}" in text
    text = text.replace(f"actions/checkout@{checkout['sha']}", "actions/checkout@v5")
    workflow.write_text(
        text.replace("needs.changes.outputs.code", "needs.change.outputs.code"), encoding="utf-8"
    )
    assert (
        _run(_tool("zizmor"), "--offline", "--no-progress", str(workflow), cwd=root).returncode != 0
    )
    assert _run(_tool("actionlint"), "-no-color", str(workflow), cwd=root).returncode != 0


def _pins_used(text: str) -> dict[str, set[tuple[str, str]]]:
    used: dict[str, set[tuple[str, str]]] = {}
    for name, ref, version in USES.findall(text):
        used.setdefault(name, set()).add((ref, version))
    return used


@pytest.mark.parametrize(
    "overrides", VARIANTS, ids=["essential", "extended-3os", "full-system", "monorepo"]
)
def test_rendered_workflow_uses_exactly_the_pinned_actions(
    tmp_path: Path, overrides: dict[str, Any]
) -> None:
    """configs/action-pins.yaml is the one place: every `uses:` is one of its pins, verbatim."""
    text = (_rendered(tmp_path, overrides) / ".github" / "workflows" / "ci.yml").read_text()
    used = _pins_used(text)
    assert used, text
    for name, refs in used.items():
        assert name in PINS, f"{name} is used but not pinned in configs/action-pins.yaml"
        assert refs == {(PINS[name]["sha"], PINS[name]["version"])}, (name, refs)
    assert set(used) == set(PINS) - RELEASE_ONLY  # and no pin is left unused


@pytest.mark.parametrize(
    "overrides", VARIANTS, ids=["essential", "extended-3os", "full-system", "monorepo"]
)
def test_rendered_workflow_follows_the_conventions(
    tmp_path: Path, overrides: dict[str, Any]
) -> None:
    """merge_group trigger, a timeout on every job, a SARIF upload that cannot turn a run red."""
    text = (_rendered(tmp_path, overrides) / ".github" / "workflows" / "ci.yml").read_text()
    # BaseLoader makes only strings (no objects): `on` stays a string key
    workflow = yaml.load(text, Loader=yaml.BaseLoader)  # noqa: S506
    assert {"push", "pull_request", "merge_group", "workflow_dispatch"} <= set(workflow["on"])
    for name, job in workflow["jobs"].items():
        assert int(job.get("timeout-minutes", "0")) > 0, f"job {name} has no timeout-minutes"
    uploads = [
        step
        for job in workflow["jobs"].values()
        for step in job.get("steps", [])
        if step.get("uses", "").startswith("github/codeql-action/upload-sarif@")
    ]
    assert uploads
    assert all(step.get("continue-on-error") == "true" for step in uploads)
    assert not [k for k in workflow["env"] if k.startswith("CI_SESSIONS_")]  # not settings


def test_own_workflow_uses_exactly_the_pinned_actions() -> None:
    text = (ROOT / ".github" / "workflows" / "ci.yml").read_text(encoding="utf-8")
    used = _pins_used(text)
    assert {name: refs for name, refs in used.items()} == {
        name: {(pin["sha"], pin["version"])}
        for name, pin in PINS.items()
        if name not in RELEASE_ONLY
    }


def test_pins_are_full_commit_shas_with_a_release_version() -> None:
    for name, pin in PINS.items():
        assert re.fullmatch(r"[0-9a-f]{40}", pin["sha"]), name
        assert re.fullmatch(r"v\d+\.\d+\.\d+", pin["version"]), name


def test_rendered_noxfile_lists_the_sessions(tmp_path: Path) -> None:
    root = _rendered(tmp_path, {})
    listed = subprocess.run(
        [sys.executable, "-m", "nox", "-l", "--json", "-t", "essential"],
        cwd=root,
        env=nox_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert listed.returncode == 0, listed.stdout + listed.stderr
    names = {s["session"] for s in json.loads(listed.stdout)}
    assert {"lint", "format", "typecheck", f"tests-{CURRENT}"} <= names
    # the matrix the workflow computes from this noxfile
    matrix = subprocess.run(
        [sys.executable, "-m", "ci_sessions.cli", "matrix", "--tag", "tests"],
        cwd=root,
        env=nox_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert matrix.returncode == 0, matrix.stderr
    assert {"session": f"tests-{CURRENT}", "python": CURRENT, "os": "ubuntu-latest"} in json.loads(
        matrix.stdout
    )["include"]


def test_repo_review_runs_the_ci_sessions_family(tmp_path: Path) -> None:
    """The validate rules are a repo-review plugin: `repo-review` shows them beside sp-repo-review's."""
    root = _rendered(tmp_path, {"tier": "extended"})
    reviewed = _run(
        _tool("repo-review"), str(root), "--format", "json", "--select", "CIS", cwd=root
    )
    payload = json.loads(reviewed.stdout)
    assert "ci-sessions" in payload["families"]
    results = {k: v["result"] for k, v in payload["checks"].items()}
    assert results["CIS101"] is True
    assert results["CIS122"] is True
    assert reviewed.returncode == 0, reviewed.stdout
    (root / "noxfile.py").write_text("import nox\n", encoding="utf-8")
    broken = _run(_tool("repo-review"), str(root), "--format", "json", "--select", "CIS", cwd=root)
    assert json.loads(broken.stdout)["checks"]["CIS101"]["result"] is False
    assert broken.returncode != 0


def test_monorepo_workflow_runs_one_cell_per_selected_package(tmp_path: Path) -> None:
    root = _rendered(tmp_path, {"monorepo": True})
    text = (root / ".github" / "workflows" / "ci.yml").read_text(encoding="utf-8")
    assert "package: ${{ fromJSON(needs.changes.outputs.packages) }}" in text
    assert 'nox -s essential -- --package "$PACKAGE"' in text
    assert "ci-sessions packages --json" in text
    plain = _rendered(tmp_path, {})
    assert "--package" not in (plain / ".github" / "workflows" / "ci.yml").read_text(
        encoding="utf-8"
    )
