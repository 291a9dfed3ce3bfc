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


def pytest_run(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CI_SESSIONS_", "PYTEST_"))}
    env["PYTHONPATH"] = str(PLUGIN_DIR)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", PLUGIN, "-p", "no:cacheprovider", *args],
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
