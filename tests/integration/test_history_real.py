"""The history with real processes: concurrent writers, and real nox runs of a fixture project."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from ci_sessions.history.flaky import known_flaky

pytestmark = [pytest.mark.integration, pytest.mark.slow]
BIN = Path(sys.executable).parent

WRITER = """
import sys
from pathlib import Path
from ci_sessions.history.store import record_run
from ci_sessions.results import RunRecord
from ci_sessions.results import CheckResult, Status

root, tag, count = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
for i in range(count):
    results = [
        CheckResult("lint", "essential", Status.PASS, duration=0.1),
        CheckResult("tests", "essential", Status.FAIL if i % 3 == 0 else Status.PASS, python="3.12", per_python=True),
    ]
    record_run(root, RunRecord(run_id=f"{tag}-{i}", project="p", started=1000.0 + i, results=results))
"""


def test_two_processes_writing_1000_runs_each_lose_none(tmp_path: Path) -> None:
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    writers = [
        subprocess.Popen(
            [sys.executable, str(script), str(tmp_path), tag, "1000"],
            stderr=subprocess.PIPE,
            text=True,
        )
        for tag in ("a", "b")
    ]
    errors = [w.communicate(timeout=300)[1] for w in writers]
    assert [w.returncode for w in writers] == [0, 0], errors
    db = sqlite3.connect(tmp_path / ".ci-sessions" / "history.db")
    try:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert db.execute("SELECT COUNT(DISTINCT run_id) FROM runs").fetchone()[0] == 2000
        assert db.execute("SELECT COUNT(*) FROM checks").fetchone()[0] == 4000
        # 334 of each writer's 1000 runs (i = 0, 3, ..., 999) failed their tests
        assert db.execute("SELECT COUNT(*) FROM runs WHERE status = 'FAIL'").fetchone()[0] == 668
        for tag in ("a", "b"):
            ids = {
                r[0]
                for r in db.execute("SELECT run_id FROM runs WHERE run_id LIKE ?", (f"{tag}-%",))
            }
            assert ids == {f"{tag}-{i}" for i in range(1000)}
    finally:
        db.close()


def _fixture(root: Path) -> None:
    (root / "fxpkg").mkdir()
    (root / "tests").mkdir()
    (root / "pyproject.toml").write_text(
        textwrap.dedent(
            """\
            [project]
            name = "fxpkg"
            version = "0.1"
            requires-python = ">=3.10"

            [build-system]
            requires = ["hatchling"]
            build-backend = "hatchling.build"

            [tool.ci-sessions]
            python = ["{py}"]
            cache = false

            # the statistics below are counted by hand over plain runs: no flaky reruns
            [tool.ci-sessions.history]
            rerun-flaky = false
            """
        ).replace("{py}", f"{sys.version_info.major}.{sys.version_info.minor}")
    )
    (root / "noxfile.py").write_text("import ci_sessions\n\nci_sessions.register()\n")
    (root / "fxpkg" / "__init__.py").write_text(
        "import os\n\n\ndef add(a: int, b: int) -> int:\n    return a + b\n"
    )
    (root / "tests" / "test_a.py").write_text(
        textwrap.dedent(
            """\
            import os

            from fxpkg import add


            def test_add() -> None:
                assert add(1, 2) == 3


            def test_flaky() -> None:
                assert os.environ.get("FLAKY_FAIL") != "1", "flaked"
            """
        )
    )
    git = ["git", "-c", "user.email=ci@example.com", "-c", "user.name=ci"]
    subprocess.run([*git, "init", "-q"], cwd=root, check=True)
    subprocess.run([*git, "add", "-A"], cwd=root, check=True)
    subprocess.run([*git, "commit", "-qm", "fixture"], cwd=root, check=True)


def _nox(root: Path, session: str, *, flaky_fail: bool) -> int:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CI_SESSIONS_", "NOX_"))}
    env["FLAKY_FAIL"] = "1" if flaky_fail else "0"
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    completed = subprocess.run(
        [str(BIN / "nox"), "-s", session],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    return completed.returncode


def _cli(root: Path, *args: str) -> str:
    completed = subprocess.run(
        [str(BIN / "ci-sessions"), "history", "--root", str(root), *args],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return completed.stdout


def test_real_nox_runs_build_a_history_with_flaky_tests_and_failure_groups(tmp_path: Path) -> None:
    root = tmp_path / "project"
    root.mkdir()
    _fixture(root)
    py = f"{sys.version_info.major}.{sys.version_info.minor}"
    assert _nox(root, "lint", flaky_fail=False) == 1  # `import os` unused: F401
    plan = [False, True, False, True, False]  # test_flaky: P F P F P on one commit
    codes = [_nox(root, f"tests-{py}", flaky_fail=fail) for fail in plan]
    assert codes == [0, 1, 0, 1, 0]

    stats = json.loads(_cli(root, "stats", "--json"))
    assert (stats["runs"], stats["passed_runs"]) == (6, 3)
    checks = {c["label"]: c for c in stats["checks"]}
    assert (checks[f"tests-{py}"]["runs"], checks[f"tests-{py}"]["passed"]) == (5, 3)
    assert (checks["lint"]["runs"], checks["lint"]["failed"]) == (1, 1)

    flaky = json.loads(_cli(root, "flaky", "--json"))
    assert [f["test_id"] for f in flaky] == ["tests/test_a.py::test_flaky"]
    assert (flaky[0]["runs"], flaky[0]["failures"], flaky[0]["flips"], flaky[0]["flip_rate"]) == (
        5,
        2,
        4,
        1.0,
    )
    assert known_flaky(root, ["tests/test_a.py::test_flaky", "tests/test_a.py::test_add"]) == [
        "tests/test_a.py::test_flaky"
    ]

    failures = json.loads(_cli(root, "failures", "--json"))
    assert failures["categories"] == {"test assertion": 2, "lint": 1}
    groups = {g["category"]: g for g in failures["groups"]}
    assert groups["test assertion"]["count"] == 2  # both flaky failures share one signature
    assert "test_flaky" in groups["test assertion"]["message"]
    assert groups["lint"]["message"] == "F401"

    # a CI cell's artifacts (results.json + the JUnit file it names) merge into another history
    cell = tmp_path / "artifacts" / "cell"
    shutil.copytree(root / ".ci-sessions" / "reports", cell)
    merged = tmp_path / "merged"
    merged.mkdir()
    out = _cli(merged, "import", str(tmp_path / "artifacts"))
    assert out.startswith("imported 1 run(s) with 2 test outcome(s)")
    assert json.loads(_cli(merged, "stats", "--json", "--days", "0"))["runs"] == 1
