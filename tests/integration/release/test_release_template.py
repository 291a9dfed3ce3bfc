"""The opt-in release workflow (`ci-sessions init --release`): it passes actionlint, zizmor
--offline and the workflow schema; OIDC only on the two publishing jobs, each behind an
environment; pinned actions; the same nox sessions; and its build job runs with `ci-sessions ci`."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, cast

import pytest
import yaml
from fixture_projects import installed_tool, nox_env, write_files
from gitrepo import git

from ci_sessions.scaffold import init as scaffold
from ci_sessions.scaffold.facts import detect
from ci_sessions.scaffold.render import render

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[3]
PINS: dict[str, dict[str, str]] = yaml.safe_load(
    (ROOT / "configs" / "action-pins.yaml").read_text(encoding="utf-8")
)
WORKFLOW = ".github/workflows/release.yml"
PUBLISHING = {"testpypi": "testpypi", "pypi": "pypi"}  # job -> its environment
CURRENT = f"{sys.version_info.major}.{sys.version_info.minor}"


def tool(name: str) -> str:
    return installed_tool(name)


def run(*argv: str, cwd: Path, timeout: int = 300) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in nox_env().items() if k not in ("GH_TOKEN", "GITHUB_TOKEN", "ZIZMOR_GITHUB_TOKEN")}  # fmt: skip
    return subprocess.run(list(argv), cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)  # fmt: skip


def rendered(root: Path, *, release: bool) -> Path:
    write_files(
        root,
        {
            "pyproject.toml": f"""
                [build-system]
                requires = ["hatchling"]
                build-backend = "hatchling.build"

                [project]
                name = "demo"
                version = "0.1.0"
                readme = "README.md"
                requires-python = ">={CURRENT}"
                """,
            "README.md": "# demo\n",
            ".gitignore": ".ci-sessions/\n.nox/\n",
            "src/demo/__init__.py": "",
        },
    )
    answers = scaffold.answers_for(detect(root), {}, {"release": True} if release else {})
    scaffold.write(root, scaffold.plan(root, render(answers), force=False))
    return root


def jobs(root: Path) -> dict[str, dict[str, Any]]:
    data = cast("dict[str, Any]", yaml.safe_load((root / WORKFLOW).read_text(encoding="utf-8")))
    return cast("dict[str, dict[str, Any]]", data["jobs"])


def test_release_workflow_passes_the_linters_and_keeps_oidc_to_the_publishing_jobs(tmp_path: Path) -> None:  # fmt: skip
    root = rendered(tmp_path / "demo", release=True)
    for argv in (
        (tool("actionlint"), "-no-color", WORKFLOW),
        (tool("zizmor"), "--offline", "--no-progress", "--persona", "pedantic", WORKFLOW),
        (tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", WORKFLOW),
    ):
        checked = run(*argv, cwd=root)
        assert checked.returncode == 0, checked.stdout + checked.stderr

    text = (root / WORKFLOW).read_text(encoding="utf-8")
    assert yaml.safe_load(text)["permissions"] == {}
    for name, job in jobs(root).items():
        permissions = job.get("permissions")
        if name in PUBLISHING:
            assert permissions == {"id-token": "write"}, name
            assert job["environment"]["name"] == PUBLISHING[name]
            publish = job["steps"][-1]
            assert publish["uses"].startswith("pypa/gh-action-pypi-publish@")
            assert publish["with"]["attestations"] is True
        else:
            assert "id-token" not in (permissions or {}), name
            assert "environment" not in job, name
    # every action pinned as configs/action-pins.yaml says
    for name, sha, version in re.findall(r"uses: ([^@\s]+)@(\S+) # (\S+)", text):
        assert (sha, version) == (PINS[name]["sha"], PINS[name]["version"]), name
    # the same nox sessions as on a laptop, in order: build once, double build, health checks
    runs = [step.get("run", "") for job in jobs(root).values() for step in job["steps"]]
    assert any("nox -s build" in r for r in runs) and any("nox -s reproducible" in r for r in runs)
    assert any("nox -s publish -- --to staging --dist dist --skip-upload" in r for r in runs)
    assert any("nox -s publish -- --to production --dist dist --skip-upload" in r for r in runs)
    assert jobs(root)["pypi"]["needs"] == "testpypi-health"

    # the checks can fail: an unpinned publish action is reported
    (root / WORKFLOW).write_text(text.replace(PINS["pypa/gh-action-pypi-publish"]["sha"], "release/v1"), encoding="utf-8")  # fmt: skip
    assert run(tool("zizmor"), "--offline", "--no-progress", WORKFLOW, cwd=root).returncode != 0


def test_release_workflow_is_opt_in(tmp_path: Path) -> None:
    root = rendered(tmp_path / "plain", release=False)
    assert (root / ".github" / "workflows" / "ci.yml").is_file()
    assert not (root / WORKFLOW).exists()


def test_ci_sessions_ci_runs_the_build_job_locally(tmp_path: Path) -> None:
    root = rendered(tmp_path / "local", release=True)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "chore: init")
    ran = run(sys.executable, "-m", "ci_sessions.ci", "--workflow", WORKFLOW, "--job", "build", "--json", cwd=root)  # fmt: skip
    assert ran.returncode == 0, ran.stdout[-3000:] + ran.stderr[-3000:]
    report = json.loads(ran.stdout[ran.stdout.index("{") :])
    assert [(j["job"], j["result"]) for j in report["jobs"]] == [("build", "success")]
    log = Path(report["jobs"][0]["log"]).read_text(encoding="utf-8")
    assert "differing distributions 0 <= 0" in log  # the double build ran and passed
