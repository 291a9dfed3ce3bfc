"""Counts on adoption day equal pytest's own (issue 21, item 8): an xfailed test is not a skip."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from fixture_projects import NoxRun, nox_env

pytestmark = [pytest.mark.integration, pytest.mark.slow]
PY = f"{sys.version_info.major}.{sys.version_info.minor}"

Make = Callable[..., Path]
Run = Callable[..., NoxRun]

OUTCOMES = """
    import pytest

    from demo import add


    def test_ok() -> None:
        assert add(1, 1) == 2


    @pytest.mark.skip(reason="later")
    def test_later() -> None:
        pass


    @pytest.mark.xfail(reason="known bug")
    def test_known() -> None:
        assert add(1, 1) == 3


    @pytest.mark.xfail(reason="known bug", strict=False)
    def test_fixed_since() -> None:
        assert add(1, 1) == 2
    """


def test_xfailed_tests_are_counted_as_pytest_counts_them(
    make_project: Make, nox_runner: Run
) -> None:
    root = make_project({"tests/test_outcomes.py": OUTCOMES})
    run = nox_runner(root, "-s", f"tests-{PY}")
    assert run.returncode == 0, run.output
    metrics = run.result(f"tests-{PY}")["metrics"]
    python = next((root / ".nox" / "ci-sessions").glob("project-3.*")) / "bin" / "python"
    by_hand = subprocess.run(
        [str(python), "-m", "pytest", "-p", "no:cacheprovider"],
        cwd=root, env=nox_env(), capture_output=True, text=True, check=False,
    )  # fmt: skip
    said = {kind: int(n) for n, kind in re.findall(r"(\d+) (\w+)", by_hand.stdout.splitlines()[-1])}
    assert said == {"passed": 2, "skipped": 1, "xfailed": 1, "xpassed": 1}, by_hand.stdout
    assert (metrics["passed"], metrics["skipped"], metrics["xfailed"]) == (
        said["passed"] + said["xpassed"], said["skipped"], said["xfailed"],
    )  # fmt: skip
    assert (metrics["skipped"], metrics["xfailed"]) == (1, 1)
    assert run.result(f"tests-{PY}")["checked"]["count"] == 4  # the xfailed test ran
    assert "1 xfailed" in run.result(f"tests-{PY}")["summary"]


def test_coverage_measures_the_project_not_ci_sessions_own_plugin(
    make_project: Make, nox_runner: Run
) -> None:
    """The pytest plugin ci-sessions loads from its own folder is not the project's code: it is
    never in the project's coverage, so the percent is coverage.py's own by hand."""
    root = make_project()
    run = nox_runner(root, "-s", "coverage")
    assert run.status("coverage") == "PASS", run.output
    report = json.loads((root / ".ci-sessions" / "reports" / "coverage.json").read_text())
    assert sorted(report["files"]) == ["src/demo/__init__.py", "tests/test_add.py"]
    python = next((root / ".nox" / "ci-sessions").glob("project-cov-3.*")) / "bin" / "python"
    env = nox_env({"COVERAGE_FILE": str(root / ".by-hand")})
    for argv in (["-m", "coverage", "run", "-m", "pytest", "-p", "no:cacheprovider"],
                 ["-m", "coverage", "json", "-o", "by-hand.json"]):  # fmt: skip
        subprocess.run([str(python), *argv], cwd=root, env=env, check=True, capture_output=True)
    by_hand = json.loads((root / "by-hand.json").read_text())["totals"]["percent_covered"]
    assert run.result("coverage")["metrics"]["percent"] == round(by_hand, 2)
