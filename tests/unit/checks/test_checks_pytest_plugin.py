"""The ci-sessions pytest plugin: outcomes equal pytest's own JUnit report, and shards partition
the suite (real pytest in subprocesses, parametrized ids included)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from ci_sessions.checks.pytest import PLUGIN, PLUGIN_DIR
from ci_sessions.checks.pytest_plugin.ci_sessions_pytest import split
from ci_sessions.checks.pytest_reach import collected_counts, observed_from, reach_documents
from ci_sessions.engine.progress import read_counts
from ci_sessions.junit import parse_junit, parse_outcomes

SUITE = {
    "tests/test_kinds.py": """
        import pytest


        @pytest.fixture
        def broken():
            raise RuntimeError("fixture broke")


        @pytest.fixture
        def bad_teardown():
            yield 1
            raise RuntimeError("teardown broke")


        def test_pass():
            assert True


        def test_fail():
            assert 1 == 2, "one is not two"


        def test_error(broken):
            assert broken


        def test_teardown_error(bad_teardown):
            assert bad_teardown == 1


        @pytest.mark.skip(reason="not today")
        def test_skip():
            pass


        @pytest.mark.xfail(reason="known")
        def test_xfail():
            assert False


        @pytest.mark.xfail(reason="fixed?")
        def test_xpass():
            assert True


        @pytest.fixture
        def not_yet():
            pytest.xfail("the fixture says: known")


        def test_xfail_in_setup(not_yet):
            assert not_yet


        @pytest.mark.parametrize("n", [1, 2, 3], ids=["one", "two", "three"])
        def test_param(n):
            assert n != 2


        class TestGroup:
            def test_method(self):
                assert True
        """,
    "tests/test_broken_import.py": "import no_such_module_here\n",
    # a module that skips itself (structlog's test_twisted.py): pytest counts one skip
    "tests/test_needs_twisted.py": (
        "import pytest\n\npytest.importorskip('no_such_twisted_here')\n\n\n"
        "def test_never():\n    pass\n"
    ),
}


def pytest_run(
    root: Path, *args: str, env: dict[str, str] | None = None, python: str = sys.executable
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("CI_SESSIONS_", "PYTEST_"))}
    env = {**clean, "PYTHONPATH": str(PLUGIN_DIR), **(env or {})}
    return subprocess.run(
        [python, "-m", "pytest", "-p", PLUGIN, "-p", "no:cacheprovider", *args],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))


@pytest.mark.integration
def test_outcomes_match_pytests_junit_report(tmp_path: Path) -> None:
    write(tmp_path, SUITE)
    outcomes, junit = tmp_path / "outcomes.json", tmp_path / "junit.xml"
    run = pytest_run(
        tmp_path,
        f"--ci-sessions-outcomes={outcomes}",
        f"--junitxml={junit}",
        "--continue-on-collection-errors",
    )
    assert run.returncode == 1, run.stdout
    ours = {t.test_id: t.outcome for t in parse_outcomes(outcomes, tmp_path).outcomes}
    theirs = {t.test_id: t.outcome for t in parse_junit(junit, tmp_path).outcomes}
    # a failed collection is named by its file (JUnit spells it as a module)
    assert theirs.pop("tests.test_broken_import") == "error"
    assert ours.pop("tests/test_broken_import.py") == "error"
    # a module that skipped itself is one skip, as pytest's own summary counts it
    assert theirs.pop("tests.test_needs_twisted") == "skipped"
    assert ours.pop("tests/test_needs_twisted.py") == "skipped"
    assert ours == theirs
    assert ours["tests/test_kinds.py::test_error"] == "error"
    assert ours["tests/test_kinds.py::test_teardown_error"] == "error"
    assert ours["tests/test_kinds.py::test_param[two]"] == "failed"
    assert ours["tests/test_kinds.py::TestGroup::test_method"] == "passed"
    # an xfail ran and failed as expected: pytest says "xfailed", never "skipped"
    assert ours["tests/test_kinds.py::test_xfail"] == "xfailed"
    assert ours["tests/test_kinds.py::test_xfail_in_setup"] == "xfailed"
    assert ours["tests/test_kinds.py::test_skip"] == "skipped"
    assert ours["tests/test_kinds.py::test_xpass"] == "passed"
    failed = {t.test_id: t.message for t in parse_outcomes(outcomes, tmp_path).failed}
    assert "one is not two" in failed["tests/test_kinds.py::test_fail"]
    assert "fixture broke" in failed["tests/test_kinds.py::test_error"]


def skewed_suite(root: Path) -> dict[str, float]:
    """40 files of 6 tests (4 of them parametrized ids); every test takes 0.01 s but for six that
    take 1 s, in the last files collected (where a split in collection order does worst)."""
    durations: dict[str, float] = {}
    (root / "tests").mkdir(exist_ok=True)
    ids = ["a", "b-c", "d e", "1.5"]
    for f in range(40):
        body = [f"def test_{f}_{t}():\n    pass\n" for t in range(2)]
        body.append(
            f"import pytest\n\n@pytest.mark.parametrize('v', {ids!r})\ndef test_{f}_p(v):\n    pass\n"
        )
        name = f"tests/test_s{f:02d}.py"
        (root / name).write_text("\n\n".join(reversed(body)))
        for t in range(2):
            durations[f"{name}::test_{f}_{t}"] = 1.0 if f >= 34 and t == 0 else 0.01
        for v in ids:
            durations[f"{name}::test_{f}_p[{v}]"] = 0.01
    return durations


def collected(root: Path, *args: str) -> list[str]:
    run = pytest_run(root, "--collect-only", "-q", *args)
    return [line for line in run.stdout.splitlines() if "::" in line]


@pytest.mark.integration
def test_shards_partition_the_suite_and_balance_recorded_durations(tmp_path: Path) -> None:
    durations = skewed_suite(tmp_path)
    record = tmp_path / "durations.json"
    record.write_text(json.dumps({"root": str(tmp_path), "durations": durations}))
    suite = collected(tmp_path)
    assert len(suite) == 240 and any("[d e]" in t for t in suite)
    shards = [
        collected(tmp_path, f"--ci-sessions-shard={k}/4", f"--ci-sessions-durations={record}")
        for k in range(1, 5)
    ]
    union = [test for shard in shards for test in shard]
    assert sorted(union) == sorted(suite)  # nothing lost, nothing twice
    assert len(set(union)) == len(union)
    loads = [sum(durations[t] for t in shard) for shard in shards]
    ideal = sum(loads) / 4
    assert max(loads) <= 1.2 * ideal, loads
    again = collected(tmp_path, "--ci-sessions-shard=3/4", f"--ci-sessions-durations={record}")
    assert again == shards[2]  # deterministic


@pytest.mark.integration
def test_shards_without_durations_balance_by_count(tmp_path: Path) -> None:
    skewed_suite(tmp_path)
    sizes = [len(collected(tmp_path, f"--ci-sessions-shard={k}/3")) for k in range(1, 4)]
    assert sizes == [80, 80, 80]


def test_split_is_longest_first_to_the_least_loaded_shard() -> None:
    ids = ["a", "b", "c", "d", "e"]
    groups = split(ids, {"a": 5.0, "b": 4.0, "c": 3.0, "d": 2.0, "e": 2.0}, 2)
    assert groups == [[0, 3, 4], [1, 2]]  # 5+2+2 = 9 and 4+3 = 7
    assert split(ids, {}, 5) == [[0], [1], [2], [3], [4]]
    assert split(["x"], {}, 3) == [[0], [], []]


def test_bad_shard_is_a_pytest_usage_error(tmp_path: Path) -> None:
    (tmp_path / "test_a.py").write_text("def test_a():\n    pass\n")
    run = pytest_run(tmp_path, "--ci-sessions-shard=5/4")
    assert run.returncode == 4
    assert "K must be between 1 and N" in run.stderr


@pytest.mark.integration
def test_progress_counts_come_from_the_same_hook_as_outcomes(tmp_path: Path) -> None:
    (tmp_path / "test_a.py").write_text(
        "import os\n"
        "def test_one():\n    assert 'CI_SESSIONS_PYTEST_REACH' not in os.environ\n"
        "def test_two():\n    pass\n"
        "def test_three():\n    assert False\n"
    )
    counts, outcomes = tmp_path / "counts.json", tmp_path / "outcomes.json"
    run = pytest_run(
        tmp_path, f"--ci-sessions-progress={counts}", f"--ci-sessions-outcomes={outcomes}"
    )
    assert run.returncode == 1, run.stdout + run.stderr
    assert "1 failed, 2 passed" in run.stdout, run.stdout
    assert read_counts(counts) == (3, 3, 1)
    assert len(parse_outcomes(outcomes, tmp_path).outcomes) == 3


def test_progress_counts_are_in_the_file_at_once_with_no_thread_and_no_tracked_object(
    tmp_path: Path,
) -> None:
    """Each report stores the counts in place: a reader sees them at once (so a slow test shows
    the counts of the tests before it), no thread runs beside the tests (one in a timed wait
    cost a 60,000-test run 6%), and storing makes nothing ``gc.get_objects()`` counts
    (markupsafe's leak test counts them)."""
    import gc
    import threading

    from ci_sessions.checks.pytest_plugin.ci_sessions_pytest import Progress

    path = tmp_path / "counts.json"
    threads = threading.active_count()
    progress = Progress(str(path))
    progress.collected = 1000
    progress.update()
    for done in range(1, 1001):
        progress.done, progress.failed = done, done // 3
        progress.update()
        if done % 250 == 0:
            assert read_counts(path) == (done, 1000, done // 3)
    assert threading.active_count() == threads
    gc.collect()
    before = len(gc.get_objects())
    for done in range(1001, 3001):
        progress.done = done
        progress.update()
    assert len(gc.get_objects()) <= before
    progress.failed = 7
    progress.close()
    assert read_counts(path) == (3000, 1000, 7)
    assert json.loads(path.read_text()) == {"done": 3000, "collected": 1000, "failed": 7}
    assert [p.name for p in tmp_path.iterdir()] == ["counts.json"]  # no temporary file left


def test_progress_that_cannot_make_its_file_counts_nothing_and_fails_nothing(
    tmp_path: Path,
) -> None:
    from ci_sessions.checks.pytest_plugin.ci_sessions_pytest import Progress

    progress = Progress(str(tmp_path / "missing" / "counts.json"))
    progress.done = 1
    progress.update()
    progress.close()
    assert not (tmp_path / "missing").exists()


#: a project whose tests reach code and files through every channel the import graph misses
CHANNELS = {
    "src/demo/__init__.py": "from demo.core import base\n",
    "src/demo/core.py": "def base(x):\n    return x + 1\n",
    "src/demo/table.py": "def build():\n    return {'a': 1}\n",
    "src/demo/consts.py": "from demo.table import build\n\nTABLE = build()\n",
    "src/demo/dyn.py": "VALUE = 3\n",
    "src/demo/plug.py": "def hello():\n    return 'hi'\n",
    "src/demo/cli.py": "print('cli ran')\n",
    "src/demo/data.txt": "packaged\n",
    "site/demo_plugins-0.1.dist-info/METADATA": "Metadata-Version: 2.1\nName: demo-plugins\nVersion: 0.1\n",
    "site/demo_plugins-0.1.dist-info/entry_points.txt": "[demo.plugins]\nhello = demo.plug:hello\n",
    "tests/data/x.txt": "hello\n",
    "tests/conftest.py": """
        import pytest


        @pytest.fixture(scope="session")
        def shared():
            from demo.core import base

            return base(1)
        """,
    "tests/test_shared.py": "def test_shared(shared):\n    assert shared == 2\n",
    "tests/test_computed.py": """
        import importlib


        def test_computed():
            assert importlib.import_module("demo." + "dyn").VALUE == 3
        """,
    "tests/test_entry_point.py": """
        from importlib.metadata import entry_points


        def test_entry_point():
            (plugin,) = entry_points(group="demo.plugins")
            assert plugin.load()() == "hi"
        """,
    "tests/test_files.py": """
        import os
        from importlib.resources import files
        from pathlib import Path


        def test_files():
            here = Path(__file__).parent
            assert (here / "data" / "x.txt").read_text() == "hello\\n"
            assert os.listdir(here / "data") == ["x.txt"]
            assert files("demo").joinpath("data.txt").read_text() == "packaged\\n"
        """,
    "tests/test_subprocess.py": """
        import subprocess
        import sys


        def test_subprocess():
            done = subprocess.run([sys.executable, "-m", "demo.cli"], capture_output=True, text=True)
            assert done.stdout == "cli ran\\n"
        """,
    "tests/test_subprocess_bare.py": """
        import os
        import subprocess
        import sys


        def test_bare():
            env = {"PATH": os.environ.get("PATH", "")}  # its own: the process cannot be followed
            subprocess.run([sys.executable, "-c", "pass"], env=env, check=True)
        """,
    "tests/test_git.py": """
        import subprocess


        def test_git(tmp_path):
            subprocess.run(["git", "--version"], check=True, capture_output=True)
        """,
    "tests/test_multiprocessing.py": """
        import multiprocessing


        def work():
            return None


        def test_spawn():
            process = multiprocessing.get_context("spawn").Process(target=work)
            process.start()
            process.join()
        """,
    "tests/test_consts.py": "from demo.consts import TABLE\n\n\ndef test_consts():\n    assert TABLE\n",
    "tests/test_consts_again.py": "from demo.consts import TABLE\n\n\ndef test_again():\n    assert TABLE == {'a': 1}\n",
    "tests/test_hypothesis.py": """
        from hypothesis import given, strategies

        from demo.core import base


        @given(strategies.integers())
        def test_base(x):
            assert base(x) == x + 1
        """,
    "tests/test_environment.py": """
        import os


        def test_the_tracker_is_invisible():
            assert "CI_SESSIONS_PYTEST_REACH" not in os.environ
        """,
}


@pytest.fixture(scope="module")
def tracked_pytest(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A Python 3.12+ with pytest (tracking needs ``sys.monitoring``), or skip."""
    from ci_sessions._interpreters import find_interpreter

    found = next((p for v in ("3.13", "3.12") if (p := find_interpreter(v)) is not None), None)
    if found is None:
        pytest.skip("tracking needs Python 3.12 or later, and none is installed here")
    venv = tmp_path_factory.mktemp("tracked") / "venv"
    uv = [sys.executable, "-m", "uv"]
    subprocess.run([*uv, "venv", "-q", "-p", str(found), str(venv)], check=True)
    python = str(venv / "bin" / "python")
    subprocess.run([*uv, "pip", "install", "-q", "-p", python, "pytest", "hypothesis"], check=True)
    return python


@pytest.mark.integration
def test_what_each_test_file_reaches_is_recorded_through_every_channel(
    tmp_path: Path, tracked_pytest: str
) -> None:
    write(tmp_path, CHANNELS)
    settings, output = tmp_path / "reach-settings.json", tmp_path / "reach.json"
    settings.write_text(
        json.dumps({"root": str(tmp_path), "output": str(output), "packages": ["demo"]})
    )
    env = {
        "CI_SESSIONS_PYTEST_REACH": str(settings),
        "PYTHONPATH": os.pathsep.join(
            [str(PLUGIN_DIR), str(tmp_path / "src"), str(tmp_path / "site")]
        ),
    }
    run = pytest_run(tmp_path, "tests", env=env, python=tracked_pytest)
    assert run.returncode == 0, run.stdout + run.stderr
    observed = observed_from(reach_documents(output), tmp_path, ["src/demo"])
    units = observed.units

    def reached(unit: str) -> set[str]:
        """Everything a unit reached: its own bucket and the imports it caused."""
        found: set[str] = set()
        pending = [units[unit]]
        while pending:
            bucket = pending.pop()
            found |= set(bucket.code) | bucket.read | {f"dir:{d}" for d in bucket.listed}
            pending += [observed.imports[m] for m in bucket.caused if m in observed.imports]
        return found

    assert "src/demo/dyn.py" in reached("tests/test_computed.py")
    # asking for a module by a computed name: it may get any module loaded so, even one loaded
    # before (then no import runs, and nothing of the module need run either)
    assert units["tests/test_computed.py"].computes and units["tests/test_entry_point.py"].computes
    assert not units["tests/test_files.py"].computes
    assert observed.imports["src/demo/dyn.py"].via == "tests/test_computed.py"
    assert "src/demo/plug.py" in reached("tests/test_entry_point.py")
    assert {"tests/data/x.txt", "src/demo/data.txt", "dir:tests/data"} <= reached(
        "tests/test_files.py"
    )
    # a Python process is followed: what it ran counts for the test that started it
    assert {"src/demo/cli.py", "src/demo/__init__.py"} <= reached("tests/test_subprocess.py")
    assert units["tests/test_subprocess.py"].spawned == ()
    assert units["tests/test_subprocess_bare.py"].spawned[0].startswith("a Python process")
    assert units["tests/test_multiprocessing.py"].spawned[0].startswith("a process of multi")
    assert units["tests/test_git.py"].spawned == ()  # git --version reads no project file
    # the session fixture ran outside the test that asked first: it counts for every test
    assert "src/demo/core.py" in observed.shared.code
    assert "src/demo/core.py" not in units["tests/test_shared.py"].code
    # what the first import of a module ran counts for the module, not for its first importer
    assert "src/demo/table.py" in observed.imports["src/demo/consts.py"].code
    assert "src/demo/table.py" not in units["tests/test_consts_again.py"].code
    # hypothesis reads every project module loaded (it draws constants from them) for the
    # tests that use it, and for no other; only for their constants
    harvested, users = observed.marked["hypothesis"]
    assert users == {"tests/test_hypothesis.py"}
    assert "src/demo/core.py" in harvested.constants
    assert "src/demo/core.py" not in harvested.read | observed.shared.read
    counts = collected_counts(reach_documents(output), tmp_path)
    assert counts["tests/test_files.py"] == 1 and counts["tests/test_shared.py"] == 1
    assert "12 passed" in run.stdout


@pytest.mark.integration
def test_before_python_3_12_nothing_is_tracked_and_the_record_says_why(tmp_path: Path) -> None:
    if sys.version_info >= (3, 12):
        pytest.skip("this Python tracks")
    write(tmp_path, {"tests/test_a.py": "def test_a():\n    pass\n"})
    settings, output = tmp_path / "reach-settings.json", tmp_path / "reach.json"
    settings.write_text(json.dumps({"root": str(tmp_path), "output": str(output)}))
    run = pytest_run(tmp_path, "tests", env={"CI_SESSIONS_PYTEST_REACH": str(settings)})
    assert run.returncode == 0, run.stdout + run.stderr
    (document,) = reach_documents(output)
    assert document["how"].startswith("unavailable: Python 3.12 or later")


@pytest.mark.integration
def test_tracking_leaves_the_stack_an_import_sees_as_it_is(
    tmp_path: Path, tracked_pytest: str
) -> None:
    """python-dateutil's test_imports.py: a module that warns while it is imported names its
    importer (``stacklevel``), and the test checks the warning comes from the test file. The
    tracker's own frame in the import path took the blame: 4 tests failed in every tracked run
    and passed by hand (and the history then called them flaky)."""
    write(
        tmp_path,
        {
            "src/demo/__init__.py": "",
            "src/demo/old.py": (
                "import warnings\n\nwarnings.warn('old', DeprecationWarning, stacklevel=2)\n"
            ),
            "tests/test_warned.py": """
                import os
                import sys

                import pytest


                def test_the_warning_names_this_file():
                    sys.modules.pop("demo.old", None)
                    with pytest.warns(DeprecationWarning) as record:
                        import demo.old  # noqa: F401
                    assert [os.path.splitext(w.filename)[0] for w in record] == [
                        os.path.splitext(__file__)[0]
                    ]
            """,
        },
    )
    settings, output = tmp_path / "reach-settings.json", tmp_path / "reach.json"
    settings.write_text(
        json.dumps({"root": str(tmp_path), "output": str(output), "packages": ["demo"]})
    )
    path = os.pathsep.join([str(PLUGIN_DIR), str(tmp_path / "src")])
    by_hand = pytest_run(tmp_path, "tests", env={"PYTHONPATH": path}, python=tracked_pytest)
    assert by_hand.returncode == 0, by_hand.stdout
    env = {"CI_SESSIONS_PYTEST_REACH": str(settings), "PYTHONPATH": path}
    tracked = pytest_run(tmp_path, "tests", env=env, python=tracked_pytest)
    assert tracked.returncode == 0, tracked.stdout + tracked.stderr
    observed = observed_from(reach_documents(output), tmp_path, ["src/demo"])
    assert "src/demo/old.py" in observed.imports  # tracked all the same
