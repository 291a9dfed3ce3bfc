"""pytest-xdist workers through real nox: installed only when asked for, outcomes, JUnit and
coverage unchanged (coverage of the workers' processes is collected)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from fixture_projects import NoxRun

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PY = f"{sys.version_info.major}.{sys.version_info.minor}"
TESTS = f"tests-{PY}"
TEST_FILE = """
    import os

    import pytest

    from demo import add


    @pytest.mark.parametrize("n", range(10))
    def test_add_{i}(n: int) -> None:
        assert add(n, 1) == n + 1
        assert os.environ.get("PYTEST_XDIST_WORKER", "").startswith("gw")
    """


def test_workers_run_the_suite_in_parallel_with_junit_and_coverage(
    make_project: Callable[..., Path], nox_runner: Callable[..., NoxRun]
) -> None:
    root = make_project(
        {
            "pyproject.toml": f"""
                [build-system]
                requires = ["hatchling"]
                build-backend = "hatchling.build"

                [project]
                name = "demo"
                version = "0.1.0"
                requires-python = ">=3.10"

                [tool.ci-sessions]
                python = ["{PY}"]

                [tool.ci-sessions.tests]
                workers = 2
                junit = "always"

                [tool.ci-sessions.coverage]
                min = 50

                [tool.coverage.run]
                source = ["src/demo"]
                """,
            "src/demo/__init__.py": """
                def add(a: int, b: int) -> int:
                    return a + b


                def never_called(a: int) -> int:
                    return a
                """,
            **{f"tests/test_{i}.py": TEST_FILE.replace("{i}", str(i)) for i in range(3)},
        }
    )
    (root / "tests" / "test_add.py").unlink()
    run = nox_runner(root, "-s", TESTS)
    assert run.returncode == 0, run.output  # every test asserts it ran in an xdist worker
    metrics = run.result(TESTS)["metrics"]
    assert (metrics["workers"], metrics["tests"], metrics["passed"]) == ("2", 30, 30)
    assert {"outcomes", "junit"} <= set(run.result(TESTS)["artifacts"])

    coverage = nox_runner(root, "-s", "coverage")
    assert coverage.returncode == 0, coverage.output
    assert coverage.result("coverage")["metrics"]["percent"] == 75.0  # 3 of 4 statements
