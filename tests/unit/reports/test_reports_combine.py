"""Combining CI cells: tests counted once per Python and OS, coverage merged line by line."""

from __future__ import annotations

import json
from pathlib import Path

from ci_sessions.reports.combine import combine, render, tallies
from ci_sessions.results import CheckResult, RunRecord, Status


def cell(folder: Path, python: str, shard: int, tests: dict[str, str], lines: list[int]) -> None:
    folder.mkdir(parents=True)
    outcomes = folder / f"outcomes-tests-{python}-shard{shard}of2.json"
    rows = [[test, outcome, 0.1, ""] for test, outcome in tests.items()]
    outcomes.write_text(json.dumps({"format": 1, "rootdir": "/ci/work", "tests": rows}))
    result = CheckResult(
        "tests", f"tests-{python}", Status.PASS, python=python, per_python=True,
        artifacts={"outcomes": f".ci-sessions/reports/{outcomes.name}"},
    )  # fmt: skip
    run = RunRecord(run_id=f"r{python}{shard}", project="p", started=1.0, results=[result])
    run.os = "linux"
    (folder / "results.json").write_text(json.dumps(run.to_json()))
    coverage = {"files": {"src/p/m.py": {"executed_lines": lines, "missing_lines": [n for n in range(1, 11) if n not in lines]}}}  # fmt: skip
    (folder / f"coverage-tests-{python}-shard{shard}of2.json").write_text(json.dumps(coverage))


def test_shards_add_up_once_per_python_and_coverage_is_the_union(tmp_path: Path) -> None:
    cell(tmp_path / "a", "3.12", 1, {"t.py::a": "passed", "t.py::b[x y]": "failed"}, [1, 2, 3])
    cell(tmp_path / "b", "3.12", 2, {"t.py::c": "skipped", "t.py::a": "passed"}, [3, 4, 5, 6])
    cell(tmp_path / "c", "3.13", 1, {"t.py::a": "passed"}, [])
    combined = combine([tmp_path])
    numbers = tallies(combined)
    assert (numbers["tests"], numbers["failed"], numbers["cells"]) == (4, 1, 3)
    assert numbers["twice"] == ["t.py::a"]  # ran in both 3.12 shards: named, counted once
    assert numbers["coverage"] == 60.0  # lines 1-6 of 10, whichever shard ran them
    text = render(combined)
    assert "| 3.12 | linux | 2 | 3 | 1 | 1 | 1 |" in text
    assert "**4 tests in 3 cells, 1 failed.**" in text
    assert "**Coverage: 60.00%** (6 of 10 statements, 3 shard report(s) combined)" in text
    assert "1 test(s) ran in more than one shard" in text


def test_nothing_found_says_so(tmp_path: Path) -> None:
    assert "No test results were found" in render(combine([tmp_path]))
