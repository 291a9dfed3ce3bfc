"""Job-level rules: which caller variables a local run drops, foreign runners, cell aggregation."""

from __future__ import annotations

import platform

import pytest

from ci_sessions.ci.job import _arch, _foreign_runner  # pyright: ignore[reportPrivateUsage]
from ci_sessions.ci.model import (
    CANCELLED,
    CANNOT_RUN,
    FAILURE,
    SKIPPED,
    SUCCESS,
    CellResult,
    inherited_environment,
)
from ci_sessions.ci.run_report import succeeded
from ci_sessions.ci.scheduler import aggregate


def test_steps_see_an_allow_list_of_the_callers_variables_plus_what_env_names() -> None:
    environ = {
        "PATH": "/proj/.venv/bin:/usr/bin",
        "VIRTUAL_ENV": "/proj/.venv",
        "GITHUB_TOKEN": "x",
        "RUNNER_TEMP": "/t",
        "CI_SESSIONS_TESTS_AFFECTED": "true",
        "HOME": "/root",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "UV_PYTHON_DOWNLOADS": "never",
        "NO_COLOR": "1",  # e.g. set by the tests check that runs this suite under nox
        "FORCE_COLOR": "1",
        "TWINE_PASSWORD": "pypi-secret",
        "SSH_AUTH_SOCK": "/tmp/agent",
        "AWS_SECRET_ACCESS_KEY": "k",
        "PIP_INDEX_URL": "https://user:pw@idx/simple",
        "MY_SETTING": "1",
    }
    kept = inherited_environment(environ)
    assert kept == {
        "PATH": "/usr/bin",
        "HOME": "/root",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "UV_PYTHON_DOWNLOADS": "never",
    }
    assert inherited_environment(environ, ["MY_SETTING"])["MY_SETTING"] == "1"


def test_runs_on_labels() -> None:
    assert _foreign_runner("ubuntu-latest") == ""
    assert _foreign_runner(["self-hosted", "linux"]) == ""
    assert "macos-14: cannot run here" in _foreign_runner("macos-14")
    assert "windows-latest" in _foreign_runner(["windows-latest"])
    assert "runner group" in _foreign_runner({"group": "big"})


def cell(result: str, *, coe: bool = False) -> CellResult:
    return CellResult("job", "job", "", result, continue_on_error=coe)


def test_a_jobs_result_from_its_cells() -> None:
    assert aggregate([cell(SUCCESS), cell(SUCCESS)]) == SUCCESS
    assert aggregate([cell(SUCCESS), cell(SKIPPED)]) == SUCCESS  # a local skip is not a failure
    assert aggregate([cell(SKIPPED), cell(SKIPPED)]) == SKIPPED
    assert aggregate([cell(SUCCESS), cell(FAILURE)]) == FAILURE
    assert aggregate([cell(SUCCESS), cell(FAILURE, coe=True)]) == SUCCESS
    assert aggregate([cell(CANCELLED), cell(SUCCESS)]) == CANCELLED
    assert aggregate([cell(FAILURE), cell(CANNOT_RUN)]) == CANNOT_RUN


def test_the_run_succeeds_only_without_failures_or_cells_that_cannot_run() -> None:
    assert succeeded([cell(SUCCESS), cell(SKIPPED), cell(FAILURE, coe=True)])
    assert not succeeded([cell(SUCCESS), cell(CANCELLED)])
    assert not succeeded([cell(CANNOT_RUN)])
    assert not succeeded([cell(FAILURE)])


def test_the_runner_architecture_in_githubs_words(monkeypatch: pytest.MonkeyPatch) -> None:
    for machine, arch in (
        ("x86_64", "X64"),
        ("AMD64", "X64"),
        ("aarch64", "ARM64"),
        ("arm64", "ARM64"),
        ("riscv64", "RISCV64"),
    ):
        monkeypatch.setattr(platform, "machine", lambda machine=machine: machine)
        assert _arch() == arch, machine
