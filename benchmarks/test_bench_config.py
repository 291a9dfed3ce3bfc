"""How long loading and validating a project's configuration takes (runs in every session)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ci_sessions.config import load_config

PYPROJECT = """
[project]
name = "demo"
requires-python = ">=3.10"

[tool.ci-sessions]
python = ["3.11", "3.12"]
exclude = ["format"]

[tool.ci-sessions.lint]
max-findings = 3
args = ["--extend-select", "B"]

[tool.ci-sessions.tests]
max-failures = 0
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    return tmp_path


def test_load_config(benchmark, project: Path) -> None:  # type: ignore[no-untyped-def]
    config = benchmark(load_config, project, environ={"CI_SESSIONS_JOBS": "2"})
    assert config.top.int("jobs") == 2
