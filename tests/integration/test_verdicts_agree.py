"""Verdicts agree with the tools (issue 12): on the fixture projects, every check's numbers (files
checked, findings, tests) equal the tool run by hand with the same configuration, in the same
environment ci-sessions built for it."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from fixture_projects import NoxRun, clean_src_project, findings_project, nox_env, run_nox

pytestmark = [pytest.mark.integration, pytest.mark.slow]
PY = f"{sys.version_info.major}.{sys.version_info.minor}"
CHECKS = ("lint", "format", "typecheck", f"tests-{PY}", "sast", "secrets")


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.email=t@t", "-c", "user.name=t", *args], cwd=root,
                   check=True, capture_output=True)  # fmt: skip


def _tool(root: Path, env: str, name: str) -> str:
    found = [p for p in (root / ".nox" / "ci-sessions").glob(f"{env}-3.*") if p.is_dir()]
    return str(found[0] / "bin" / name)


def _by_hand(root: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(argv), cwd=root, env=nox_env(), capture_output=True, text=True,
                          check=False)  # fmt: skip


def _checked(run: NoxRun, label: str) -> int:
    checked = run.result(label)["checked"]
    assert checked is not None, run.output
    return int(checked["count"])


def _agree(root: Path) -> dict[str, Any]:
    """Run the checks, then every tool by hand; return both sides' numbers."""
    _git(root, "init", "-q")
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "init")
    run = run_nox(root, "-s", *CHECKS, env={"CI_SESSIONS_SAST_SECURITY_LEVEL": "low"})
    ruff, pyright, bandit = (_tool(root, e, n) for e, n in
                             (("ruff", "ruff"), ("pyright", "pyright"), ("bandit", "bandit")))  # fmt: skip
    project_python = _tool(root, "project", "python")
    ours: dict[str, Any] = {}
    theirs: dict[str, Any] = {}

    listed = _by_hand(root, ruff, "check", "--show-files")
    findings = json.loads(_by_hand(root, ruff, "check", "--output-format", "json").stdout)
    ours["lint"] = (_checked(run, "lint"), len(run.result("lint")["findings"]))
    theirs["lint"] = (len(listed.stdout.split()), len(findings))

    formatted = _by_hand(root, ruff, "format", "--check")
    counts = re.findall(
        r"(\d+) files? (?:would be reformatted|already formatted)", formatted.stdout
    )
    ours["format"] = (_checked(run, "format"), run.result("format")["metrics"]["files"])
    theirs["format"] = (sum(int(c) for c in counts), formatted.stdout.count("unformatted:"))

    report = json.loads(_by_hand(root, pyright, "--outputjson", "--pythonpath", project_python,
                                 "src/demo").stdout)  # fmt: skip
    ours["typecheck"] = (_checked(run, "typecheck"), run.result("typecheck")["metrics"]["errors"])
    theirs["typecheck"] = (report["summary"]["filesAnalyzed"], report["summary"]["errorCount"])

    junit = root / "by-hand.xml"
    _by_hand(root, project_python, "-m", "pytest", f"--junitxml={junit}", "-p", "no:cacheprovider")
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None
    metrics = run.result(f"tests-{PY}")["metrics"]
    ours["tests"] = (_checked(run, f"tests-{PY}"), metrics["tests"], metrics["failed"],
                     metrics["skipped"])  # fmt: skip
    ran = int(suite.get("tests", 0)) - int(suite.get("skipped", 0))
    theirs["tests"] = (ran, int(suite.get("tests", 0)), int(suite.get("failures", 0)),
                       int(suite.get("skipped", 0)))  # fmt: skip
    junit.unlink()

    scanned = json.loads(_by_hand(root, bandit, "-r", "src/demo", "-q", "-f", "json").stdout)
    ours["sast"] = (_checked(run, "sast"), len(run.result("sast")["findings"]))
    theirs["sast"] = (len(scanned["metrics"]) - 1, len(scanned["results"]))

    secrets = _by_hand(root, _tool(root, "detect-secrets", "detect-secrets"), "-v", "scan",
                       "--exclude-files", r"^\.ci-sessions/", "--exclude-files", r"^\.nox/",
                       "--exclude-files", r"^\.secrets\.baseline$")  # fmt: skip
    found = json.loads(secrets.stdout)["results"]
    ours["secrets"] = (_checked(run, "secrets"), len(run.result("secrets")["findings"]))
    theirs["secrets"] = (
        len(set(re.findall(r"Checking file: (.+)", secrets.stderr))),
        sum(len(items) for items in found.values()),
    )
    return {"ours": ours, "theirs": theirs, "run": run}


def test_numbers_agree_on_a_project_with_findings(tmp_path: Path) -> None:
    compared = _agree(findings_project(tmp_path / "findings"))
    run = compared["run"]
    assert {r["status"] for r in run.results["results"]} == {"FAIL"}, run.output
    assert compared["ours"] == compared["theirs"]
    # and there was something to agree on
    assert all(value[0] > 0 for value in compared["ours"].values())
    assert compared["ours"]["tests"][2] == 1 and compared["ours"]["secrets"][1] == 1


def test_numbers_agree_on_a_clean_project(tmp_path: Path) -> None:
    root = clean_src_project(tmp_path / "clean")
    (root / ".gitignore").write_text(".nox/\n.ci-sessions/\n")
    compared = _agree(root)
    run = compared["run"]
    assert {r["status"] for r in run.results["results"]} == {"PASS"}, run.output
    assert compared["ours"] == compared["theirs"]
