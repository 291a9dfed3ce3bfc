"""Environment helpers: which installer errors mean "needs another Python", what builds the
project, and the remembered Python of a tool environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from ci_sessions.checks.base import EnvSpec
from ci_sessions.engine import environments

UV_MESSAGE = (
    "error: No solution found when resolving dependencies\n  cause: Because the current Python "
    "version (3.10.13) does not satisfy Python>=3.11 and pre-commit==4.7.0 depends on "
    "Python>=3.11, we can conclude that pre-commit==4.7.0 cannot be used."
)
PIP_MESSAGE = "ERROR: Package 'pre-commit' requires a different Python: 3.10.13 not in '>=3.11'"


@pytest.mark.parametrize("message", [UV_MESSAGE, PIP_MESSAGE])
def test_a_requirement_that_needs_another_python_is_recognised(message: str) -> None:
    assert environments._WRONG_PYTHON.search(message)  # pyright: ignore[reportPrivateUsage]


def test_other_install_failures_are_not_taken_for_a_python_mismatch() -> None:
    missing = "cause: Because internal-lib was not found in the package registry and ..."
    assert not environments._WRONG_PYTHON.search(missing)  # pyright: ignore[reportPrivateUsage]


@pytest.mark.parametrize(
    ("requirement", "local"),
    [(".", True), (".[test]", True), ("./sub", True), ("-e", False), ("ruff==0.17.6", False)],
)
def test_requirements_that_build_the_project_are_recognised(requirement: str, local: bool) -> None:
    assert environments._local(requirement) is local  # pyright: ignore[reportPrivateUsage]


def test_a_tools_fallback_python_is_remembered_until_its_pin_changes(tmp_path: Path) -> None:
    link = tmp_path / "pre-commit-3.10"
    spec = EnvSpec("pre-commit", "3.10", ("pre-commit==4.7.0",), any_python=True)
    assert environments._read_choice(link, spec) is None  # pyright: ignore[reportPrivateUsage]
    environments._write_choice(link, spec, "3.13")  # pyright: ignore[reportPrivateUsage]
    assert environments._read_choice(link, spec) == "3.13"  # pyright: ignore[reportPrivateUsage]
    bumped = EnvSpec("pre-commit", "3.10", ("pre-commit==4.8.0",), any_python=True)
    assert environments._read_choice(link, bumped) is None  # pyright: ignore[reportPrivateUsage]
