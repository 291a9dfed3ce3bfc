"""The three-line noxfile under a pyright config that includes it: ``nox`` and ``ci_sessions``
live where nox runs, not in the project's environment, and pyright still resolves them (found on
cachetools and python-dateutil: ``Import "ci_sessions" could not be resolved`` failed the tier of
every project whose pyright config includes ``.`` and that did not run ``init``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fixture_projects import NOXFILE, pyproject, run_nox, write_files

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PYPROJECT = pyproject(
    extra="""
[tool.pyright]
include = ["."]
exclude = [".nox", ".ci-sessions", "**/__pycache__"]
typeCheckingMode = "strict"
"""
)
NOX_SESSION = """
import nox


@nox.session(python=False)
def hello(session: nox.Session) -> None:
    session.log("hello")
"""


def test_the_noxfile_is_checked_and_its_imports_resolve(tmp_path: Path) -> None:
    root = tmp_path / "demo"
    write_files(
        root,
        {
            "pyproject.toml": PYPROJECT,
            "noxfile.py": NOXFILE + NOX_SESSION,
            "src/demo/__init__.py": "def one() -> int:\n    return 1\n",
        },
    )
    run = run_nox(root, "-s", "typecheck")
    assert run.returncode == 0, run.output
    assert run.result("typecheck")["metrics"]["files"] == 2
    # the noxfile is really checked: an error in it fails the check, where it is
    (root / "noxfile.py").write_text(NOXFILE + NOX_SESSION + "\nWRONG: int = 'text'\n")
    run = run_nox(root, "-s", "typecheck")
    assert run.returncode == 1, run.output
    findings = run.result("typecheck")["findings"]
    assert [(f["path"], f["rule"]) for f in findings] == [("noxfile.py", "reportAssignmentType")], (
        run.output
    )
