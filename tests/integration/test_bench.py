"""The performance gate on a fixture project, through real nox, uv and pytest-benchmark.

One project (and one bench environment) serves every test of the module: a git repository whose
branch is ``master`` (the baseline branch is found, never assumed to be ``main``: issue 21, item 9),
a baseline is saved, the same code is measured again several times (never a regression), then a
2x slowdown is planted
in one function (only that benchmark regresses and the gate fails), and a 3% slowdown, too small
to plant reliably on a noisy machine, is synthesised by scaling a real saved baseline.
"""

from __future__ import annotations

import json
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from fixture_projects import NOXFILE, NoxRun, pyproject, run_nox, write_files

from ci_sessions.checks.bench import data as benchdata
from ci_sessions.checks.bench.significance import compare

pytestmark = [pytest.mark.integration, pytest.mark.slow]

WORK = '''
def work(n: int = 3000) -> int:
    """The hot path whose speed is gated."""
    total = 0
    for i in range(n):
        total += i * i
    return total
'''
SLOW_WORK = '''
def work(n: int = 3000) -> int:
    """The same result, computed twice: a planted 2x slowdown."""
    total = 0
    for _ in range(2):
        total = 0
        for i in range(n):
            total += i * i
    return total
'''
OTHER = '''

def other(n: int = 3000) -> list[int]:
    """A second benchmark that must not be blamed for the first one's slowdown."""
    return sorted(range(n, 0, -1), key=lambda v: v % 7)
'''
BENCHMARKS = """
from speedy import other, work


def test_work(benchmark) -> None:
    assert benchmark(work) > 0


def test_other(benchmark) -> None:
    assert len(benchmark(other)) == 3000
"""
SETTINGS = """
[tool.ci-sessions.bench]
max-time = 0.3
min-rounds = 20
"""
REPEATS = 3


@pytest.fixture(scope="module", autouse=True)
def _measured_alone(machine_alone: None) -> None:
    """The module measures speed: no other worker's test runs beside it (tests/conftest.py)."""
    del machine_alone


GIT = ["git", "-c", "user.email=t@t", "-c", "user.name=t"]


def bench(root: Path, *args: str) -> NoxRun:
    return run_nox(root, "-s", "bench", *(["--", *args] if args else []))


def verdicts(run: NoxRun) -> dict[str, str]:
    metrics: dict[str, Any] = run.result("bench")["metrics"]
    return {k.partition(":")[2]: str(v) for k, v in metrics.items() if k.startswith("verdict:")}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("bench") / "speedy"
    write_files(
        root,
        {
            "pyproject.toml": pyproject("speedy", extra=SETTINGS),
            "noxfile.py": NOXFILE,
            "src/speedy/__init__.py": WORK + OTHER,
            "benchmarks/test_speed.py": BENCHMARKS,
            ".gitignore": ".nox/\n.ci-sessions/\n",
        },
    )
    for args in (["init", "-q", "-b", "master"], ["add", "-A"], ["commit", "-qm", "init"]):
        subprocess.run([*GIT, *args], cwd=root, check=True, capture_output=True)
    return root


@pytest.fixture(scope="module")
def baseline(project: Path) -> NoxRun:
    run = bench(project, "--save-baseline")
    assert run.returncode == 0, run.output
    return run


#: how many times a measurement the machine may have disturbed is taken before a test judges the
#: last one: on CI's 2 vCPUs the same code read 1.54x slower for minutes, and twice the work read
#: 3.2x, for reasons outside the code under test. A gate that is wrong fails every attempt.
ATTEMPTS = 3


def _repeats_once(project: Path) -> list[NoxRun]:
    # the baseline saved again right before the repeats: seconds apart, the machine is the same
    # for both sides (or as close as it gets). The last attempt's baseline goes first: saving
    # compares too, and against a baseline the disturbed machine made it would fail
    benchdata.baseline_path(project, "master").unlink(missing_ok=True)
    again = bench(project, "--save-baseline")
    assert again.returncode == 0, again.output
    runs: list[NoxRun] = []
    for _ in range(REPEATS):
        run = bench(project)
        runs.append(run)
        # keep each repeat's normalised run for the synthesised 3% test
        report = project / ".ci-sessions" / "reports" / "bench.json"
        (project / f"repeat-{len(runs)}.json").write_text(
            json.dumps(json.loads(report.read_text())["run"]), encoding="utf-8"
        )
    return runs


@pytest.fixture(scope="module")
def repeats(project: Path, baseline: NoxRun) -> list[NoxRun]:
    """The same code measured REPEATS times against a baseline saved just before; again, up to
    ATTEMPTS times, while one of them regressed (the machine, not the code: see ATTEMPTS)."""
    del baseline
    runs = _repeats_once(project)
    for _ in range(ATTEMPTS - 1):
        if all(r.returncode == 0 and "regressed" not in verdicts(r).values() for r in runs):
            break
        runs = _repeats_once(project)
    return runs


def test_first_run_saves_a_baseline_and_warns_there_was_none(
    project: Path, baseline: NoxRun
) -> None:
    result = baseline.result("bench")
    assert result["status"] == "WARN", baseline.output
    assert result["metrics"]["benchmarks"] == 2
    saved = benchdata.load_run(project / ".ci-sessions" / "benchmarks" / "master.json")
    assert sorted(b.name for b in saved.benchmarks) == ["test_other", "test_work"]
    assert all(len(b.rounds) >= 20 for b in saved.benchmarks)
    assert saved.python.startswith("3.") and saved.machine["system"]
    assert "saved as baseline 'master'" in result["summary"]
    assert "none for 'master'" in json.dumps(result["gates"])


def test_same_code_measured_again_never_regresses(project: Path, repeats: list[NoxRun]) -> None:
    # every repeat really measured: a benchmark is never replayed from the result cache
    stamps = {
        json.loads((project / f"repeat-{i}.json").read_text())["datetime"]
        for i in range(1, REPEATS + 1)
    }
    assert len(stamps) == REPEATS
    for run in repeats:
        assert run.returncode == 0, run.output
        assert run.result("bench")["cached"] is False
        assert run.status("bench") in ("PASS", "WARN"), run.output
        assert set(verdicts(run)) == {"test_work", "test_other"}
        assert "regressed" not in verdicts(run).values(), run.output


def test_planted_2x_slowdown_regresses_only_that_benchmark(
    project: Path, repeats: list[NoxRun]
) -> None:
    source = project / "src" / "speedy" / "__init__.py"
    source.write_text(SLOW_WORK + OTHER, encoding="utf-8")
    try:
        for _ in range(ATTEMPTS):  # judged on the last attempt (see ATTEMPTS)
            run = bench(project)
            ratio = run.result("bench")["metrics"].get("ratio:test_work", 0)
            if verdicts(run).get("test_other") != "regressed" and 1.1 < ratio < 2.6:
                break
    finally:
        source.write_text(WORK + OTHER, encoding="utf-8")
    assert run.returncode == 1, run.output
    result = run.result("bench")
    assert result["status"] == "FAIL"
    assert verdicts(run)["test_work"] == "regressed"
    assert verdicts(run)["test_other"] != "regressed"
    # twice the work: well past the 10% threshold, never more than twice and a half (other work
    # on a 2-core machine shrinks the measured ratio: 1.22 was seen at load 6, so no tighter floor)
    assert 1.1 < result["metrics"]["ratio:test_work"] < 2.6
    assert result["metrics"]["remeasured"] == 1  # measured twice before failing the gate
    failed = [g["name"] for g in result["gates"] if g["status"] == "FAIL"]
    assert failed == ["test_work"]
    [finding] = result["findings"]
    assert finding["path"] == "benchmarks/test_speed.py"
    assert finding["line"] == 4  # def test_work
    reports = project / ".ci-sessions" / "reports"
    assert "| `test_work` |" in (reports / "bench.md").read_text()
    assert "**regressed**" in (reports / "bench.md").read_text()
    svg = ET.parse(reports / "bench.svg").getroot()
    assert svg.tag.endswith("svg")
    assert "regressed" in (reports / "bench.svg").read_text()


def test_three_percent_slower_passes_a_ten_percent_threshold(
    project: Path, baseline: NoxRun
) -> None:
    """3% cannot be planted reliably on a noisy 2-core box, so real rounds are scaled instead.

    The baseline's own measured rounds are scaled, so the shift is exactly 3% and the machine's
    noise between two runs (covered by the rerun test above, through the whole gate) does not
    decide this one.
    """
    base = benchdata.load_run(project / ".ci-sessions" / "benchmarks" / "master.json").by_name()
    assert base
    for key, bench_run in base.items():
        slower = [v * 1.03 for v in bench_run.rounds]
        assert compare(key, bench_run.rounds, slower, threshold=0.10).verdict != "regressed", key
        # the same real data scaled far beyond the threshold does fail: the test can fail
        far = [v * 1.6 for v in bench_run.rounds]
        assert compare(key, bench_run.rounds, far, threshold=0.10).verdict == "regressed", key


def faster_or_slower_baseline(project: Path, factor: float, name: str) -> str:
    """The branch baseline, saved seconds ago, with every round multiplied by ``factor``."""
    again = bench(project, "--save-baseline")
    assert again.returncode == 0, again.output
    saved = json.loads((project / ".ci-sessions" / "benchmarks" / "master.json").read_text())
    for item in saved["benchmarks"]:
        item["rounds"] = [v * factor for v in item["rounds"]]
    (project / name).write_text(json.dumps(saved), encoding="utf-8")
    return name


def test_compare_with_a_file_that_says_the_code_took_twice_as_long(
    project: Path, repeats: list[NoxRun]
) -> None:
    """``--compare FILE`` measures against that file, not against the branch's baseline.

    The factor is 2, not 3%: two runs seconds apart on CI's machine differed by 12% (a 3% file
    failed the gate there), so a small shift through the whole gate tests the machine. The 3%
    case is decided on real rounds scaled exactly (the test above); this one proves the file is
    what is compared: against the branch baseline the same code would be "same", not "faster".
    """
    del repeats
    run = bench(project, "--compare", faster_or_slower_baseline(project, 2.0, "slow-past.json"))
    assert run.returncode == 0, run.output
    assert run.result("bench")["metrics"]["reference"] == "slow-past.json"
    assert verdicts(run) == {"test_work": "faster", "test_other": "faster"}, run.output


def test_compare_with_a_file_that_says_the_code_was_twice_as_fast_fails(
    project: Path, repeats: list[NoxRun]
) -> None:
    del repeats
    run = bench(project, "--compare", faster_or_slower_baseline(project, 0.5, "fast-past.json"))
    assert run.returncode == 1, run.output
    result = run.result("bench")
    assert result["status"] == "FAIL"
    assert result["metrics"]["reference"] == "fast-past.json"
    assert verdicts(run) == {"test_work": "regressed", "test_other": "regressed"}, run.output


def test_a_detached_head_without_a_remote_names_the_setting_that_says_the_branch(
    project: Path, baseline: NoxRun
) -> None:
    subprocess.run([*GIT, "checkout", "-q", "--detach"], cwd=project, check=True)
    try:
        run = bench(project)
    finally:
        subprocess.run([*GIT, "checkout", "-q", "master"], cwd=project, check=True)
    assert run.returncode == 1, run.output
    result = run.result("bench")
    assert result["status"] == "ERROR"
    assert "bench.baseline-branch" in result["summary"]


def test_compare_with_an_unknown_branch_is_an_error(project: Path, baseline: NoxRun) -> None:
    run = bench(project, "--compare", "no-such-branch")
    assert run.returncode == 1, run.output
    result = run.result("bench")
    assert result["status"] == "ERROR"
    assert "no baseline 'no-such-branch'" in result["summary"]


def test_project_with_tests_but_no_benchmarks_is_skip_not_error(tmp_path: Path) -> None:
    from fixture_projects import clean_src_project

    root = clean_src_project(tmp_path / "nobench")
    text = (root / "pyproject.toml").read_text()
    (root / "pyproject.toml").write_text(
        text + "\n[tool.ci-sessions.bench]\nallow-no-benchmarks = true\n"
    )
    run = run_nox(root, "-s", "bench")
    assert run.returncode == 0, run.output
    assert run.status("bench") == "SKIP"
    assert run.result("bench")["summary"].startswith("no benchmarks")
