"""An object left open fails whichever test runs when it is collected, not one that reached it.

Found by the differential harness on werkzeug: a renamed function broke the reloader tests,
whose leaked processes then failed ``test_urls.py`` in the whole run (``filterwarnings =
error`` makes the finalizer's warning an error), while the incremental run kept that file's
pass. A run in which a finalizer's exception surfaces keeps nothing: it is made whole, and so
are the runs after it until one has none.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fixture_projects import NOXFILE, NoxRun, pyproject, tracked_python, write_files
from gitrepo import committed_repo
from test_incremental_channels import failing, note, verdict, whole

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PY = tracked_python()
TESTS = f"tests-{PY}"
FILES = {
    "pyproject.toml": pyproject(
        extra=f"""
        [tool.pytest.ini_options]
        testpaths = ["tests"]
        filterwarnings = ["error"]

        [tool.ci-sessions]
        python = ["{PY}"]
        """
    ),
    "noxfile.py": NOXFILE,
    ".gitignore": ".nox/\n.ci-sessions/\n__pycache__/\n",
    "src/demo/__init__.py": "",
    "src/demo/handles.py": """
        class Handle:
            def __init__(self):
                self.closed = False
                self.me = self  # a cycle: only the garbage collector frees it

            def close(self):
                self.closed = True

            def __del__(self):
                if not self.closed:
                    raise RuntimeError("a handle was left open")


        def open_handle():
            return Handle()
        """,
    "tests/test_a_handles.py": """
        from demo.handles import open_handle


        def test_open_and_close():
            handle = open_handle()
            handle.close()
        """,
    "tests/test_b_other.py": "import gc\n\n\ndef test_other():\n    gc.collect()\n",
}


@pytest.fixture
def leaky(tmp_path: Path) -> Path:
    root = tmp_path / "leaky"
    write_files(root, FILES)
    return committed_repo(root)


def test_a_finalizer_failing_after_an_edit_makes_the_run_whole(
    leaky: Path, nox_runner: Callable[..., NoxRun]
) -> None:
    first = nox_runner(leaky, "-s", TESTS)
    assert first.returncode == 0, first.output
    handles = leaky / "src/demo/handles.py"
    handles.write_text(handles.read_text().replace("self.closed = True", "self.closed = False"))
    run = nox_runner(leaky, "-s", TESTS)
    truth = whole(nox_runner, leaky, TESTS)
    # the whole run fails the test that collected the handle, which never reached close()
    assert failing(truth) == {"tests/test_b_other.py"}, truth.output
    assert verdict(run) == verdict(truth), run.output
    assert "full run: an exception raised in a finalizer surfaced in" in note(run), note(run)
    # fixed again: the run after one with a leak is whole too, then they are incremental again
    handles.write_text(handles.read_text().replace("self.closed = False", "self.closed = True"))
    fixed = nox_runner(leaky, "-s", TESTS)
    assert fixed.returncode == 0, fixed.output
    assert "full run: an exception raised in a finalizer" in note(fixed), note(fixed)
    (leaky / "tests/test_b_other.py").write_text(
        "import gc\n\n\ndef test_other():\n    gc.collect()\n    assert True\n"
    )
    after = nox_runner(leaky, "-s", TESTS)
    assert after.returncode == 0, after.output
    assert "1 of 2 files run again" in note(after), note(after)
