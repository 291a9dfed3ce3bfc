"""Benchmark runs on disk, baselines and per-benchmark thresholds."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ci_sessions._fs import config_file
from ci_sessions.checks.bench import data as benchdata
from ci_sessions.checks.bench.check import read_run
from ci_sessions.errors import ConfigError


def pytest_benchmark_json(rounds: int = 50) -> dict[str, Any]:
    """The shape ``pytest --benchmark-json`` writes (pytest-benchmark 5.3)."""
    return {
        "machine_info": {
            "node": "box",
            "machine": "x86_64",
            "system": "Linux",
            "release": "6.1",
            "python_implementation": "CPython",
            "python_version": "3.11.7",
            "cpu": {"brand_raw": "Some CPU", "count": 2},
        },
        "commit_info": {"id": "abc123", "branch": "feature", "dirty": False},
        "benchmarks": [
            {
                "group": None,
                "name": "test_work",
                "fullname": "benchmarks/test_speed.py::test_work",
                "params": None,
                "stats": {
                    "min": 1e-5,
                    "median": 1.1e-5,
                    "data": [1e-5 + i * 1e-8 for i in range(rounds)],
                },
            }
        ],
        "datetime": "2026-11-22T00:00:00",
        "version": "5.3.1",
    }


def test_from_pytest_benchmark_keeps_raw_rounds_and_facts() -> None:
    run = benchdata.from_pytest_benchmark(pytest_benchmark_json(), commit="def456")
    [bench] = run.benchmarks
    assert bench.name == "test_work" and bench.path == "benchmarks/test_speed.py"
    assert len(bench.rounds) == 50
    assert run.commit == "def456"  # git's answer wins over pytest-benchmark's
    assert run.branch == "feature"
    assert run.python == "3.11.7"
    assert run.machine["cpu"] == "Some CPU" and run.machine["cpu_count"] == "2"


def test_rounds_are_thinned_to_a_bound() -> None:
    run = benchdata.from_pytest_benchmark(pytest_benchmark_json(rounds=3000), max_rounds=500)
    assert len(run.benchmarks[0].rounds) == 500


def test_missing_raw_rounds_is_a_clear_error() -> None:
    data = pytest_benchmark_json()
    del data["benchmarks"][0]["stats"]["data"]
    with pytest.raises(ValueError, match=r"no raw rounds \(stats.data\)"):
        benchdata.from_pytest_benchmark(data)


def test_saved_run_round_trips_and_raw_json_loads_too(tmp_path: Path) -> None:
    run = benchdata.from_pytest_benchmark(pytest_benchmark_json(), commit="c1", branch="main")
    path = tmp_path / "main.json"
    benchdata.save_run(path, run)
    assert benchdata.load_run(path) == run
    raw = tmp_path / "raw.json"
    raw.write_text(json.dumps(pytest_benchmark_json()))
    assert benchdata.load_run(raw).benchmarks == run.benchmarks


def test_load_run_names_the_bad_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ValueError, match=r"bad\.json"):
        benchdata.load_run(bad)
    bad.write_text('{"something": 1}')
    with pytest.raises(ValueError, match="not a benchmark run"):
        benchdata.load_run(bad)


def test_a_run_of_another_shape_is_an_error_naming_where(tmp_path: Path) -> None:
    cases: list[tuple[str, Any]] = [
        (r"benchmarks\[0\]: expected a JSON object", {"benchmarks": ["junk"]}),
        (r"benchmarks: expected a JSON list", {"benchmarks": {"a": 1}}),
        (r"benchmarks\[0\]\.stats\.data: expected numbers",
         {"benchmarks": [{"name": "t", "stats": {"data": [1e-5, "fast"]}}]}),
        (r"benchmarks\[0\]\.stats\.data: expected numbers",
         {"benchmarks": [{"name": "t", "stats": {"data": [1e-5, True]}}]}),
        (r"benchmarks\[0\]\.stats\.data: expected a JSON list",
         {"benchmarks": [{"name": "t", "stats": {"data": "1e-5"}}]}),
        (r"benchmarks\[0\]: no name", {"kind": benchdata.RUN_KIND, "benchmarks": [{"rounds": [1]}]}),
        (r"benchmarks\[0\]\.rounds: expected a JSON list",
         {"kind": benchdata.RUN_KIND, "benchmarks": [{"name": "t"}]}),
    ]  # fmt: skip
    bad = tmp_path / "bad.json"
    for message, document in cases:
        bad.write_text(json.dumps(document))
        with pytest.raises(ValueError, match=message):
            benchdata.load_run(bad)
    bad.write_text("[1, 2]")
    with pytest.raises(ValueError, match="not a benchmark run"):
        benchdata.load_run(bad)
    with pytest.raises(ValueError, match=r"bad\.json: expected a JSON object"):
        read_run(bad, "", "", 0)  # what the check reads pytest-benchmark's output with
    # optional facts of another type are left out, the rounds kept
    odd = pytest_benchmark_json()
    odd["machine_info"] = {"cpu": "x", "node": ["box"]}
    odd["commit_info"] = None
    run = benchdata.from_pytest_benchmark(odd)
    assert run.machine["node"] == "" and "cpu" not in run.machine and run.commit == ""
    assert len(run.benchmarks[0].rounds) == 50


def test_baseline_path_and_reference_resolution(tmp_path: Path) -> None:
    path = benchdata.baseline_path(tmp_path, "feature/x y")
    assert path == tmp_path / ".ci-sessions" / "benchmarks" / "feature_x_y.json"
    assert benchdata.resolve_reference(tmp_path, "main") is None
    benchdata.save_run(benchdata.baseline_path(tmp_path, "main"), benchdata.BenchRun(benchmarks=()))
    assert benchdata.resolve_reference(tmp_path, "main") == benchdata.baseline_path(
        tmp_path, "main"
    )
    (tmp_path / "main").mkdir()  # a directory is not a file: the branch baseline still wins
    assert benchdata.resolve_reference(tmp_path, "main") == benchdata.baseline_path(
        tmp_path, "main"
    )
    (tmp_path / "old.json").write_text("{}")
    assert benchdata.resolve_reference(tmp_path, "old.json") == tmp_path / "old.json"


@pytest.mark.parametrize(
    ("value", "expected"), [("10%", 0.10), ("2.5%", 0.025), (0.2, 0.2), ("0.3", 0.3)]
)
def test_parse_fraction(value: object, expected: float) -> None:
    assert benchdata.parse_fraction(value, "src", "key") == pytest.approx(expected)


@pytest.mark.parametrize("value", ["ten", "0%", -0.1, True, "-5%"])
def test_parse_fraction_rejects_nonsense_naming_the_key(value: object) -> None:
    with pytest.raises(ConfigError) as info:
        benchdata.parse_fraction(value, "pyproject.toml", "bench.thresholds.x")
    assert "bench.thresholds.x" in str(info.value) and "15%" in str(info.value)


def test_thresholds_default_patterns_and_project_overrides(tmp_path: Path) -> None:
    packaged = benchdata.load_thresholds(config_file("performance-thresholds.yaml"), {})
    assert packaged.default == pytest.approx(0.10)
    assert packaged.for_benchmark("test_anything") == pytest.approx(0.10)

    own = tmp_path / "performance-thresholds.yaml"
    own.write_text('default: 5%\nbenchmarks:\n  "test_io_*": 30%\n')
    thresholds = benchdata.load_thresholds(own, {"*": "20%", "benchmarks/slow.py::*": "50%"})
    assert thresholds.default == pytest.approx(0.20)
    assert thresholds.for_benchmark("test_io_read") == pytest.approx(0.30)
    assert thresholds.for_benchmark("test_x", "benchmarks/slow.py::test_x") == pytest.approx(0.50)
    assert thresholds.for_benchmark("test_x", "benchmarks/fast.py::test_x") == pytest.approx(0.20)


def test_thresholds_file_errors_name_file_and_key(tmp_path: Path) -> None:
    own = tmp_path / "performance-thresholds.yaml"
    own.write_text("default: 10%\nbenchmark: {}\n")
    with pytest.raises(ConfigError, match="benchmark"):
        benchdata.load_thresholds(own, {})
    own.write_text("default: lots\n")
    with pytest.raises(ConfigError, match=r"performance-thresholds\.yaml: default"):
        benchdata.load_thresholds(own, {})
