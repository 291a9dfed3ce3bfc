"""Every channel the import graph does not show, through real nox runs: after an edit reached only
through a subprocess, an entry point, a computed import, a file read by path or a shared fixture,
the incremental run gives the verdict and the failing tests of a whole run, and says why it ran
what it ran. The work tree is the truth: unstaged renames and deletions give the verdict of
``git add -A``. A test file that failed is never kept as passed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from fixture_projects import NOXFILE, NoxRun, tracked_python, write_files
from gitrepo import committed_repo, git

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PY = tracked_python()
TESTS = f"tests-{PY}"
PYPROJECT = f"""
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "demo"
version = "0.1.0"

[project.entry-points."demo.plugins"]
hello = "demo.plug:hello"

[project.entry-points.pytest11]
demo = "demo.pytest_plugin"

[tool.pytest.ini_options]
testpaths = ["tests"]

[tool.ci-sessions]
python = ["{PY}"]
"""
FILES = {
    "pyproject.toml": PYPROJECT,
    "noxfile.py": NOXFILE,
    ".gitignore": ".nox/\n.ci-sessions/\n__pycache__/\n",
    "src/demo/__init__.py": "",
    "src/demo/core.py": "def base(x):\n    return x + 1\n",
    "src/demo/leaf.py": "def leaf():\n    return 'leaf'\n",
    "src/demo/cli.py": "from demo.core import base\n\nprint(base(1))\n",
    "src/demo/plug.py": "def hello():\n    return 'hi'\n",
    "src/demo/dyn.py": "VALUE = 3\n",
    "src/demo/pytest_plugin.py": "import pytest\n\n\n@pytest.fixture\ndef answer():\n    return 42\n",
    "tests/test_answer.py": "def test_answer(answer):\n    assert answer == 42\n",
    "tests/conftest.py": """
        from pathlib import Path

        import pytest


        @pytest.fixture(scope="session")
        def seven():
            return int((Path(__file__).parent / "data" / "seven.txt").read_text())
        """,
    "tests/test_core.py": "from demo.core import base\n\n\ndef test_base():\n    assert base(1) == 2\n",
    "tests/test_leaf.py": "from demo.leaf import leaf\n\n\ndef test_leaf():\n    assert leaf() == 'leaf'\n",
    "tests/test_cli.py": """
        import os
        import subprocess
        import sys


        def test_cli():
            # a copy of the environment, made before any process started (werkzeug's dev server)
            env = {**os.environ, "DEMO": "1"}
            done = subprocess.run([sys.executable, "-m", "demo.cli"], env=env, capture_output=True, text=True)
            assert done.stdout == "2\\n", done.stderr
        """,
    "tests/test_killed.py": """
        import subprocess
        import sys

        CODE = "import time\\nfrom demo.core import base\\nprint(base(1), flush=True)\\ntime.sleep(60)"


        def test_killed():
            process = subprocess.Popen([sys.executable, "-c", CODE], stdout=subprocess.PIPE, text=True)
            try:
                assert process.stdout.readline() == "2\\n"
            finally:
                process.kill()
                process.wait()
        """,
    "tests/test_bare.py": """
        import os
        import subprocess
        import sys


        def test_bare():
            # an environment of its own: without the variable that has the process followed
            env = {"PATH": os.environ.get("PATH", "")}
            done = subprocess.run([sys.executable, "-c", "print(3)"], env=env, capture_output=True, text=True)
            assert done.stdout == "3\\n"
        """,
    "tests/test_plug.py": """
        from importlib.metadata import entry_points


        def test_plugin():
            (plugin,) = entry_points(group="demo.plugins")
            assert plugin.load()() == "hi"
        """,
    "tests/test_dyn.py": """
        import importlib


        def test_dyn():
            assert importlib.import_module("demo." + "dyn").VALUE == 3
        """,
    "tests/test_data.py": """
        from pathlib import Path


        def test_data():
            assert (Path(__file__).parent / "data" / "x.txt").read_text() == "x\\n"
        """,
    "tests/test_seven.py": "def test_seven(seven):\n    assert seven == 7\n",
    "tests/data/x.txt": "x\n",
    "tests/data/seven.txt": "7\n",
}


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    root = tmp_path / "demo"
    write_files(root, FILES)
    return committed_repo(root)


def note(run: NoxRun) -> str:
    for line in run.output.splitlines():
        if line.startswith("incremental:"):
            return line
    raise AssertionError(f"no incremental line in\n{run.output}")


def failing(run: NoxRun, label: str = TESTS) -> set[str]:
    return {
        f["message"].split(":", 1)[0]
        for f in run.result(label)["findings"]
        if f["rule"] == "test-failure"
    }


def verdict(run: NoxRun, label: str = TESTS) -> tuple[str, set[str], int]:
    row = run.result(label)
    return row["status"], failing(run, label), row["metrics"].get("tests", 0)


def whole(run_nox: Callable[..., NoxRun], root: Path, *sessions: str) -> NoxRun:
    """The truth: a whole run that neither reads nor writes the per-file state."""
    return run_nox(
        root, "-s", *sessions, "--", "--no-cache", env={"CI_SESSIONS_INCREMENTAL": "never"}
    )


#: (file, old, new, the test files that must run again: their names only)
CHANNEL_EDITS = [
    # test_bare starts a Python process that cannot be followed (its environment is its own):
    # it reruns on any change; test_cli's and test_killed's processes are followed
    ("src/demo/leaf.py", "'leaf'", "'leaves'", {"test_leaf.py", "test_bare.py"}),
    # reached by test_core, by `python -m demo.cli` in test_cli's process, and by the process
    # test_killed kills (it recorded what it ran as it ran)
    (
        "src/demo/core.py",
        "x + 1",
        "x + 2",
        {"test_core.py", "test_cli.py", "test_killed.py", "test_bare.py"},
    ),
    # loaded through an entry point, and by a computed name: by the tests that asked
    ("src/demo/plug.py", "'hi'", "'ho'", {"test_plug.py", "test_dyn.py", "test_bare.py"}),
    ("src/demo/dyn.py", "3", "4", {"test_plug.py", "test_dyn.py", "test_bare.py"}),
]


def test_edits_rerun_what_reaches_them_through_imports_processes_entry_points_computed_names(
    demo: Path, nox_runner: Callable[..., NoxRun]
) -> None:
    first = nox_runner(demo, "-s", TESTS)
    assert first.returncode == 0, first.output
    for rel, old, new, reruns in CHANNEL_EDITS:
        path = demo / rel
        original = path.read_text()
        path.write_text(original.replace(old, new))
        run = nox_runner(demo, "-s", TESTS)
        truth = whole(nox_runner, demo, TESTS)
        assert verdict(run) == verdict(truth), (rel, run.output)
        assert run.result(TESTS)["status"] == "FAIL", rel
        ran = note(run)
        assert "files run again" in ran, ran
        for name in reruns:
            assert name in ran or "..." in ran, (rel, ran)
        assert run.result(TESTS)["metrics"]["files_rerun"] == len(reruns), ran
        path.write_text(original)
        assert nox_runner(demo, "-s", TESTS).returncode == 0
    cli = nox_runner(demo, "-s", TESTS)  # nothing changed since: the result cache answers
    assert cli.returncode == 0


@pytest.mark.parametrize(
    ("rel", "old", "new", "reason"),
    [
        # a pytest plugin of the project, loaded through its entry point when pytest starts: its
        # module-level code runs before any test file
        ("src/demo/pytest_plugin.py", "    return 42", "    return ANSWER\n\n\nANSWER = 43", "src/demo/pytest_plugin.py changed outside its function bodies: code that runs outside any one test file"),
        # read by a session fixture
        ("tests/data/seven.txt", "7", "8", "tests/data/seven.txt changed: code that runs outside any one test file"),
    ],
)  # fmt: skip
def test_what_a_plugin_or_a_shared_fixture_reaches_runs_everything(
    demo: Path, nox_runner: Callable[..., NoxRun], rel: str, old: str, new: str, reason: str
) -> None:
    assert nox_runner(demo, "-s", TESTS).returncode == 0
    path = demo / rel
    path.write_text(path.read_text().replace(old, new))
    run = nox_runner(demo, "-s", TESTS)
    assert note(run).startswith(f"incremental: full run: {reason}"), note(run)
    assert verdict(run) == verdict(whole(nox_runner, demo, TESTS))
    assert run.result(TESTS)["status"] == "FAIL"


def test_a_plugin_fixture_body_edit_reruns_the_tests_that_ran_it(
    demo: Path, nox_runner: Callable[..., NoxRun]
) -> None:
    """The body of a fixture a plugin defines runs inside the tests that ask for it: those rerun
    (and what spawns a process), the others are kept, and the verdict is a whole run's."""
    assert nox_runner(demo, "-s", TESTS).returncode == 0
    path = demo / "src/demo/pytest_plugin.py"
    path.write_text(path.read_text().replace("return 42", "return 43"))
    run = nox_runner(demo, "-s", TESTS)
    ran = note(run)
    assert ran.startswith("incremental: 2 of "), ran
    assert "tests/test_answer.py" in ran, ran
    assert verdict(run) == verdict(whole(nox_runner, demo, TESTS))
    assert run.result(TESTS)["status"] == "FAIL"


def test_a_data_file_read_by_a_test_reruns_that_test_only(
    demo: Path, nox_runner: Callable[..., NoxRun]
) -> None:
    assert nox_runner(demo, "-s", TESTS).returncode == 0
    (demo / "tests/data/x.txt").write_text("y\n")  # test_data.py reads it (test_bare: any)
    run = nox_runner(demo, "-s", TESTS)
    assert note(run).startswith("incremental: 2 of "), note(run)  # test_data, test_bare
    assert "tests/test_data.py" in note(run)
    assert verdict(run) == verdict(whole(nox_runner, demo, TESTS))
    (demo / "tests/data/new.txt").write_text("new\n")
    added = nox_runner(demo, "-s", TESTS)
    assert "tests/data/new.txt was added" in note(added), note(added)


def test_the_work_tree_is_the_truth_for_unstaged_renames_and_deletions(
    demo: Path, nox_runner: Callable[..., NoxRun]
) -> None:
    sessions = ("typecheck", TESTS)
    assert nox_runner(demo, "-s", *sessions).returncode == 0
    # cli.py imports demo.core: pyright reports it (a FAIL, not "file not found"); test_core fails
    (demo / "src/demo/core.py").rename(demo / "src/demo/cores.py")
    (demo / "tests/test_leaf.py").unlink()
    unstaged = nox_runner(demo, "-s", *sessions)
    assert unstaged.result("typecheck")["status"] == "FAIL", unstaged.output  # not ERROR
    assert unstaged.result(TESTS)["status"] == "FAIL", unstaged.output
    git(demo, "add", "-A")
    staged = whole(nox_runner, demo, *sessions)
    for label in sessions:
        assert verdict(unstaged, label)[:2] == verdict(staged, label)[:2], label
    assert unstaged.result("typecheck")["findings"] == staged.result("typecheck")["findings"]


def test_a_kept_failing_test_file_is_never_reused_as_passed(
    demo: Path, nox_runner: Callable[..., NoxRun]
) -> None:
    assert nox_runner(demo, "-s", TESTS).returncode == 0
    state_path = demo / ".ci-sessions" / "cache" / "files" / f"tests-{PY}.json"
    state = json.loads(state_path.read_text())
    rows = state["units"]["tests/test_leaf.py"][1]
    rows[0][1] = "failed"  # as if a merge had ever kept a failing file
    state_path.write_text(json.dumps(state))
    (demo / "README.md").write_text("touched\n")  # reaches test_bare only (any change does)
    run = nox_runner(demo, "-s", TESTS)
    assert "tests/test_leaf.py" in note(run), note(run)  # it runs again, and passes
    assert run.result(TESTS)["metrics"]["files_rerun"] == 2
    assert run.returncode == 0, run.output


def test_a_module_asked_for_by_a_computed_name_after_a_static_import_counts(
    demo: Path, nox_runner: Callable[..., NoxRun]
) -> None:
    """``import_module`` of a module an earlier test file imported statically runs no import:
    the module comes from ``sys.modules``. Found by the differential harness on werkzeug (a
    renamed function kept a planted test's pass): what the asker gets must count for it."""
    write_files(
        demo,
        {
            "src/demo/names.py": "def named():\n    return 1\n",
            "tests/test_early.py": "import demo.names\n\n\ndef test_early():\n    assert demo.names\n",
            "tests/test_late_dyn.py": """
                import importlib


                def test_late_dyn():
                    module = importlib.import_module("demo." + "names")
                    assert hasattr(module, "named")
                """,
        },
    )
    git(demo, "add", "-A")
    git(demo, "commit", "-q", "-m", "a computed import of a module loaded before")
    first = nox_runner(demo, "-s", TESTS)
    assert first.returncode == 0, first.output
    names = demo / "src/demo/names.py"
    names.write_text(names.read_text().replace("def named(", "def renamed("))
    run = nox_runner(demo, "-s", TESTS)
    truth = whole(nox_runner, demo, TESTS)
    assert verdict(run) == verdict(truth), run.output
    assert failing(run) == {"tests/test_late_dyn.py"}, run.output
