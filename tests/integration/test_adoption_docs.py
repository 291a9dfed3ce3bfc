"""The docs check builds with what the project says its docs need, and a missing dependency is
ERROR, not FAIL (issue 21, item 4: python-dateutil's ``docs/requirements-docs.txt``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fixture_projects import NoxRun

pytestmark = [pytest.mark.integration, pytest.mark.slow]

Make = Callable[..., Path]
Run = Callable[..., NoxRun]

SPHINX = {
    "docs/conf.py": "project = 'demo'\nhtml_theme = 'sphinx_rtd_theme'\n",
    "docs/index.rst": "demo\n====\n\nA page.\n",
}


def test_docs_requirements_under_another_name_build_the_docs(
    make_project: Make, nox_runner: Run
) -> None:
    root = make_project({**SPHINX, "docs/requirements-docs.txt": "sphinx\nsphinx_rtd_theme\n"})
    run = nox_runner(root, "-s", "docs")
    assert run.returncode == 0, run.output
    assert run.status("docs") == "PASS"
    assert run.result("docs")["checked"]["count"] == 1


def test_a_theme_nobody_named_is_an_error_naming_it(make_project: Make, nox_runner: Run) -> None:
    root = make_project(SPHINX)
    run = nox_runner(root, "-s", "docs")
    assert run.returncode == 1, run.output
    result = run.result("docs")
    assert result["status"] == "ERROR"
    assert "'sphinx_rtd_theme' is not installed" in result["summary"]
