"""The result cache through real nox runs: hits when nothing changed, misses when an input did."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from fixture_projects import NoxRun, write_files

pytestmark = [pytest.mark.integration, pytest.mark.slow]

Make = Callable[..., Path]
Run = Callable[..., NoxRun]
CHECKS = ("lint", "format", "typecheck")


def _cached(run: NoxRun) -> dict[str, bool]:
    assert run.results is not None, run.output
    return {r["label"].split("-3.")[0]: bool(r["cached"]) for r in run.results["results"]}


def _git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.email=t@t", "-c", "user.name=t", *args],
        cwd=root,
        check=True,
        capture_output=True,
    )


def test_cache_hits_and_invalidates_on_source_config_and_tool_version(
    make_project: Make, nox_runner: Run
) -> None:
    root = make_project()
    _git(root, "init", "-q")
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "init")

    first = nox_runner(root, "-s", "essential")
    assert first.returncode == 0, first.output
    assert set(_cached(first).values()) == {False}

    second = nox_runner(root, "-s", "essential")
    assert second.returncode == 0, second.output
    assert _cached(second) == {"lint": True, "format": True, "typecheck": True, "tests": True}
    assert "PASS (cached)" in second.stdout
    assert {r["status"] for r in second.results["results"]} == {"PASS"}  # type: ignore[index]

    # a source file changes: everything that reads it runs again
    module = root / "src" / "demo" / "__init__.py"
    module.write_text(module.read_text() + "\n\nTWO = 2\n")
    edited = nox_runner(root, "-s", "essential")
    assert edited.returncode == 0, edited.output
    assert set(_cached(edited).values()) == {False}

    # a config value of one check changes: only that check runs again
    config = nox_runner(root, "-s", "essential", env={"CI_SESSIONS_LINT_MAX_FINDINGS": "3"})
    assert config.returncode == 0, config.output
    assert _cached(config) == {"lint": False, "format": True, "typecheck": True, "tests": True}

    # the ruff version changes: the two ruff checks run again in a rebuilt environment
    tool = nox_runner(root, "-s", "essential", env={"CI_SESSIONS_TOOLS_RUFF": "ruff==0.17.5"})
    assert tool.returncode == 0, tool.output
    assert _cached(tool) == {"lint": False, "format": False, "typecheck": True, "tests": True}

    # --no-cache and CI_SESSIONS_CACHE=false force a run; --no-cache refreshes the entries
    forced = nox_runner(root, "-s", "essential", "--", "--no-cache")
    assert set(_cached(forced).values()) == {False}, forced.output
    assert set(_cached(nox_runner(root, "-s", "essential")).values()) == {True}
    env_forced = nox_runner(root, "-s", "essential", env={"CI_SESSIONS_CACHE": "false"})
    assert set(_cached(env_forced).values()) == {False}, env_forced.output


def test_corrupted_entry_and_failures_are_never_trusted(
    make_project: Make, nox_runner: Run
) -> None:
    root = make_project()
    assert nox_runner(root, "-s", "lint").returncode == 0
    entries = list((root / ".ci-sessions" / "cache").glob("lint-*.json"))
    assert len(entries) == 1
    entries[0].write_text('{"format": 1, "key": "')  # torn / corrupted
    rerun = nox_runner(root, "-s", "lint")
    assert rerun.returncode == 0, rerun.output
    assert _cached(rerun) == {"lint": False}
    assert json.loads(entries[0].read_text())["result"]["status"] == "PASS"  # rebuilt
    assert _cached(nox_runner(root, "-s", "lint")) == {"lint": True}

    # a FAIL is never cached: the failing check runs every time until it passes
    write_files(root, {"tests/test_bad.py": "def test_bad() -> None:\n    assert 1 == 2\n"})
    for _ in range(2):
        failing = nox_runner(root, "-s", "essential", "--", "--jobs", "2")
        assert failing.returncode == 1, failing.output
        assert failing.results is not None
        statuses = {r["label"].split("-3.")[0]: r["status"] for r in failing.results["results"]}
        # run concurrently, one failing check does not stop or hide the others
        assert statuses == {"lint": "PASS", "format": "PASS", "typecheck": "PASS", "tests": "FAIL"}
        assert _cached(failing)["tests"] is False
    blocks = [failing.stdout.index(f"── {name}") for name in CHECKS]
    assert blocks == sorted(blocks)  # outputs printed whole, in the tier's order
    assert failing.stdout.index("── tests-3.") > blocks[-1]
    assert failing.stdout.index("ci-sessions · essential") > failing.stdout.index("── tests-3.")
