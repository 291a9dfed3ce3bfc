"""End to end: the workflow `ci-sessions init` writes, with `shards = 3`, run by `ci-sessions ci`.

The matrix has one cell per shard, each runs `nox -s tests-X -- --shard K/3` for real, and the
summary job combines the cells: one test count (the whole suite, no test twice) and one
coverage figure.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from ci_run import init_files, run_ci

from ci_sessions.ci import setup_python

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PY = "3.12"
TEST_FILE = """
    import pytest

    from shardy import add, scale


    @pytest.mark.parametrize("n", [0, 1, 2, 3], ids=["zero", "one", "two-3", "three x"])
    def test_add_{i}(n: int) -> None:
        assert add(n, {i}) == n + {i}


    def test_scale_{i}() -> None:
        assert scale({i}) == {i} * 3
    """
FILES = {
    ".gitignore": ".nox/\n.ci-sessions/\n__pycache__/\n",
    "pyproject.toml": f"""
        [build-system]
        requires = ["hatchling"]
        build-backend = "hatchling.build"

        [project]
        name = "shardy"
        version = "0.1.0"
        requires-python = ">={PY}"

        [tool.ci-sessions]
        python = ["{PY}"]

        [tool.ci-sessions.tests]
        shards = 3

        [tool.coverage.run]
        source = ["src/shardy"]
        """,
    "src/shardy/__init__.py": '''
        """Shardy."""


        def add(a: int, b: int) -> int:
            return a + b


        def scale(a: int) -> int:
            return a * 3


        def unused(a: int) -> int:
            return a - 1
        ''',
    **{f"tests/test_part{i}.py": TEST_FILE.replace("{i}", str(i)) for i in range(7)},
}
SUITE = 7 * 5


@pytest.fixture
def project(tmp_path: Path) -> Path:
    if setup_python.find(PY, os.environ.get("PATH", "")) is None:
        pytest.skip(f"Python {PY} is not installed here")
    return init_files(tmp_path / "shardy", FILES)


def test_three_shards_run_and_the_summary_combines_them(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    done = run_ci(project, monkeypatch=monkeypatch, capsys=capsys)
    assert done.code == 0, done.err
    cells = [f"tests-{PY}, {PY}, ubuntu-latest, {k}/3" for k in (1, 2, 3)]
    assert [(r["job"], r["cell"], r["result"]) for r in done.rows] == [
        ("changes", "", "success"),
        ("quick", "", "success"),
        *[("tests", cell, "success") for cell in cells],
        ("summary", "", "success"),
    ]
    summary = (project / ".ci-sessions" / "ci" / "summary.md").read_text(encoding="utf-8")
    assert f"**{SUITE} tests in 3 cells, 0 failed.**" in summary
    assert "**Coverage: 83.33%** (5 of 6 statements, 3 shard report(s) combined)" in summary
    uploads = project / ".ci-sessions" / "ci" / "tests" / "artifacts"
    combined = subprocess.run(
        [sys.executable, "-m", "ci_sessions.cli", "report", "--combine", str(uploads), "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    tallies = json.loads(combined.stdout)
    assert (tallies["tests"], tallies["twice"], tallies["cells"]) == (SUITE, [], 3)
    per_shard = [
        len(json.loads(p.read_text())["tests"]) for p in sorted(uploads.rglob("outcomes-*.json"))
    ]
    assert sum(per_shard) == SUITE and min(per_shard) >= 10  # balanced by count: no history
