"""A failing edit tried and reverted without a commit is not a flaky test (issue 21, item 6):
the same commit with other uncommitted content is other inputs. A test that flips on one and the
same work tree still is flaky."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from fixture_projects import NoxRun, nox_env

pytestmark = [pytest.mark.integration, pytest.mark.slow]
PY = f"{sys.version_info.major}.{sys.version_info.minor}"
GIT = ["git", "-c", "user.email=t@t", "-c", "user.name=t"]

Make = Callable[..., Path]
Run = Callable[..., NoxRun]

#: a test whose outcome does not depend on the tree: it fails on the 3rd and 4th runs, both on
#: the clean tree (a real flake), and passes on its rerun
FLIPPING = """
    import os
    from pathlib import Path


    def test_flips() -> None:
        counter = Path(os.environ["FLIP_COUNTER"])
        runs = int(counter.read_text()) if counter.exists() else 0
        counter.write_text(str(runs + 1))
        assert runs not in (2, 3)
    """


def _flaky(root: Path) -> list[str]:
    shown = subprocess.run(
        [str(Path(sys.executable).parent / "ci-sessions"), "history", "flaky", "--json"],
        cwd=root, env=nox_env(), capture_output=True, text=True, check=True,
    )  # fmt: skip
    return [row["test_id"] for row in json.loads(shown.stdout)]


def test_an_uncommitted_edit_and_revert_loop_is_not_flaky(
    make_project: Make, nox_runner: Run, tmp_path: Path
) -> None:
    root = make_project({"tests/test_flips.py": FLIPPING, ".gitignore": ".nox/\n.ci-sessions/\n"})
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-qm", "init"]):
        subprocess.run([*GIT, *args], cwd=root, check=True)
    env = {"FLIP_COUNTER": str(tmp_path / "counter"), "CI_SESSIONS_CACHE": "false"}
    test_add = root / "tests" / "test_add.py"
    good = test_add.read_text()
    runs = []
    for text in (good, good.replace("== 5", "== 6"), good):  # pass, plant a bug, revert
        test_add.write_text(text)
        runs.append(nox_runner(root, "-s", f"tests-{PY}", env=env))
    label = f"tests-{PY}"
    assert [r.result(label)["metrics"]["failed"] for r in runs] == [0, 1, 1], [
        r.output for r in runs
    ]  # the planted bug fails test_add (2nd run); test_flips fails on the 3rd
    assert _flaky(root) == ["tests/test_flips.py::test_flips"]  # never test_add
    # the flipping test is a known flake now and is rerun; the reverted bug is not
    last = nox_runner(root, "-s", label, env=env)
    metrics = last.result(label)["metrics"]
    assert (metrics.get("flaky_reruns"), metrics.get("flaky_passed")) == (1, 1), last.output
    assert last.status(label) == "PASS"
    assert "test_add" not in json.dumps(last.result(label)["findings"])
