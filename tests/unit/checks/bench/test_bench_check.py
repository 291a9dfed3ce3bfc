"""The bench check's pure parts: posargs, environment spec, gates from metrics, report files."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from ci_sessions.checks.base import CheckContext, ToolRun
from ci_sessions.checks.bench.check import BenchCheck, _failures, baseline_label
from ci_sessions.checks.bench.compare import compare_and_report
from ci_sessions.checks.bench.data import Benchmark, BenchRun, baseline_path, save_run
from ci_sessions.checks.bench.findings import line_of
from ci_sessions.checks.bench.options import BenchOptions, parse_posargs
from ci_sessions.checks.bench.report import duration, markdown, svg
from ci_sessions.checks.bench.significance import Comparison
from ci_sessions.config import load_config
from ci_sessions.config.project import load_project
from ci_sessions.errors import ConfigError
from ci_sessions.results import CheckResult, Status


def context(root: Path, pyproject: str = "") -> CheckContext:
    (root / "pyproject.toml").write_text(
        '[project]\nname = "demo"\nversion = "0"\n\n[dependency-groups]\ntest = ["pytest>=8", "hypothesis"]\n'
        + pyproject
    )
    return CheckContext(
        root=root,
        config=load_config(root, environ={}),
        project=load_project(root),
        python="3.11",
        session="bench",
    )


def comparison(name: str, ratio: float, verdict: str, threshold: float = 0.1) -> Comparison:
    return Comparison(
        name=name,
        baseline_median=1e-5,
        current_median=1e-5 * ratio,
        ratio=ratio,
        ci_low=ratio * 0.97,
        ci_high=ratio * 1.03,
        fast_ratio=ratio,
        p_slower=0.001,
        p_faster=0.9,
        threshold=threshold,
        alpha=0.01,
        rounds_baseline=100,
        rounds_current=100,
        verdict=verdict,
    )


def test_posargs() -> None:
    assert parse_posargs([]) == BenchOptions()
    assert parse_posargs(["--save-baseline"]) == BenchOptions(save_baseline="")
    assert parse_posargs(["--save-baseline=release"]).save_baseline == "release"
    options = parse_posargs(["--compare", "main", "-k", "sort"])
    assert options.compare == "main" and options.pytest_args == ("-k", "sort")
    assert parse_posargs(["--compare=old.json"]).compare == "old.json"
    for bad in (["--compare"], ["--compare", "-k"], ["--compare="]):
        with pytest.raises(ConfigError, match="--compare needs"):
            parse_posargs(bad)


def test_environment_has_project_test_deps_and_pinned_pytest_benchmark(tmp_path: Path) -> None:
    spec = BenchCheck().environments(context(tmp_path))["bench"]
    assert spec.name == "bench" and spec.python == "3.11"
    assert spec.requirements[:2] == ("-e", ".")
    assert "hypothesis" in spec.requirements and "pytest>=8" in spec.requirements
    assert "pytest-benchmark==5.3.1" in spec.requirements
    assert "pyproject.toml" in spec.inputs


def test_project_pin_of_pytest_benchmark_is_not_duplicated(tmp_path: Path) -> None:
    ctx = context(tmp_path)
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "demo"\nversion = "0"\n\n[dependency-groups]\ntest = ["pytest-benchmark==4.0.0"]\n'
    )
    ctx.project = load_project(tmp_path)
    requirements = BenchCheck().environments(ctx)["bench"].requirements
    assert [r for r in requirements if r.startswith("pytest-benchmark")] == [
        "pytest-benchmark==4.0.0"
    ]


def test_bad_alpha_is_a_config_error(tmp_path: Path) -> None:
    ctx = context(tmp_path, "\n[tool.ci-sessions.bench]\nalpha = 0.7\n")
    with pytest.raises(ConfigError, match=r"bench\.alpha"):
        BenchCheck().run(ctx, {})


def result_with(metrics: dict[str, float | int | str]) -> CheckResult:
    return CheckResult(check="bench", session="bench", status=Status.PASS, metrics=metrics)


def per_benchmark(
    name: str, verdict: str, ratio: float, evidence: float
) -> dict[str, float | int | str]:
    return {
        f"verdict:{name}": verdict,
        f"ratio:{name}": ratio,
        f"ci_low:{name}": evidence,
        f"ci_high:{name}": ratio + 0.05,
        f"evidence:{name}": evidence,
        f"threshold:{name}": 0.1,
    }


def test_evaluate_fails_only_the_regressed_benchmark(tmp_path: Path) -> None:
    metrics: dict[str, float | int | str] = {"benchmarks": 2, "reference": "main"}
    metrics |= per_benchmark("test_a", "regressed", 2.0, 1.9)
    metrics |= per_benchmark("test_b", "same", 1.01, 0.97)
    result = BenchCheck().evaluate(context(tmp_path), result_with(metrics))
    assert result.status is Status.FAIL
    assert [(g.name, g.status) for g in result.gates] == [
        ("test_a", Status.FAIL),
        ("test_b", Status.PASS),
    ]
    assert result.gates[0].describe() == "test_a 1.90 > 1.10"
    assert "regressed" in result.gates[0].message


def test_evaluate_without_baseline_warns_and_without_benchmarks_skips(tmp_path: Path) -> None:
    ctx = context(tmp_path)
    warned = BenchCheck().evaluate(ctx, result_with({"benchmarks": 3}))
    assert warned.status is Status.WARN
    assert "--save-baseline" in warned.gates[0].message
    assert BenchCheck().evaluate(ctx, result_with({"benchmarks": 0})).status is Status.SKIP
    strict = context(tmp_path, "\n[tool.ci-sessions.bench]\nallow-no-benchmarks = false\n")
    assert BenchCheck().evaluate(strict, result_with({"benchmarks": 0})).status is Status.FAIL


def test_evaluate_counts_failed_benchmark_tests(tmp_path: Path) -> None:
    metrics: dict[str, float | int | str] = {"benchmarks": 1, "failed": 1, "reference": "main"}
    metrics |= per_benchmark("test_a", "same", 1.0, 0.98)
    result = BenchCheck().evaluate(context(tmp_path), result_with(metrics))
    assert result.status is Status.FAIL
    assert result.gates[0].name == "failed benchmarks"


def test_failures_and_line_lookup(tmp_path: Path) -> None:
    assert _failures("...\n==== 1 failed, 3 passed, 2 errors in 1.2s ====") == 3
    assert _failures("==== 4 passed in 1.0s ====") == 0
    (tmp_path / "test_x.py").write_text("import x\n\n\ndef test_sort(benchmark):\n    pass\n")
    assert line_of(tmp_path, "test_x.py", "test_sort[100]") == 4
    assert line_of(tmp_path, "missing.py", "test_sort") == 0


def test_markdown_and_svg() -> None:
    comparisons = [
        comparison("test_a", 2.0, "regressed"),
        comparison("test_<b>", 0.8, "faster", 0.25),
    ]
    text = markdown(
        comparisons, reference="`main` (abc)", new=["test_new"], notes=["other machine"]
    )
    assert "| `test_a` | 10 µs | 20 µs | 2.000x (1.940-2.060) | +10% | **regressed** |" in text
    assert "+25%" in text and "`test_new`" in text and "> other machine" in text
    root = ET.fromstring(svg(comparisons))
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "test_<b>" in texts and "regressed" in texts
    assert len(list(root.iter("{http://www.w3.org/2000/svg}circle"))) == 2
    ET.fromstring(svg([]))  # no comparison: still a valid picture


def test_duration_units() -> None:
    assert duration(1.5) == "1.5 s"
    assert duration(0.0123) == "12.3 ms"
    assert duration(4.2e-6) == "4.2 µs"
    assert duration(5e-8) == "50 ns"


def bench_run(scale: float, timer: str = "process_time") -> BenchRun:
    rounds = tuple(1e-5 * scale * (1 + 0.01 * (i % 7)) for i in range(60))
    return BenchRun(
        benchmarks=(
            Benchmark("test_a", "benchmarks/test_x.py::test_a", rounds),
            Benchmark("test_b", "benchmarks/test_x.py::test_b", tuple(r * 3 for r in rounds)),
        ),
        commit="abc",
        python="3.11.7",
        machine={"system": "Linux"},
        timer=timer,
    )


def test_compare_and_report_writes_every_file(tmp_path: Path) -> None:
    ctx = context(tmp_path)
    save_run(baseline_path(tmp_path, "main"), bench_run(1.0))
    result = result_with({"benchmarks": 2, "load-per-cpu": 2.5})
    result, _ = compare_and_report(ctx, result, bench_run(1.0), BenchOptions(), "main")
    assert result.metrics["reference"] == "main"
    assert result.metrics["same"] == 2 and result.metrics["regressed"] == 0
    reports = tmp_path / ".ci-sessions" / "reports"
    text = (reports / "bench.md").read_text()
    assert "| `test_a` |" in text and "load 2.5 per CPU" in text
    assert set(result.artifacts) == {"bench-md", "bench-svg", "bench-json", "summary-section"}
    assert json.loads((reports / "bench.json").read_text())["reference"] == "main"


def test_a_baseline_timed_with_another_timer_is_refused(tmp_path: Path) -> None:
    ctx = context(tmp_path)
    save_run(baseline_path(tmp_path, "main"), bench_run(1.0, timer="perf_counter"))
    with pytest.raises(ValueError, match="timed with perf_counter"):
        compare_and_report(
            ctx, result_with({"benchmarks": 2}), bench_run(1.0), BenchOptions(), "main"
        )
    # --save-baseline replaces it instead of refusing (else a timer could never be changed)
    result, _ = compare_and_report(
        ctx, result_with({"benchmarks": 2}), bench_run(1.0), BenchOptions(save_baseline=""), "main"
    )
    assert "reference" not in result.metrics
    assert "not compared; this run replaces it" in (ctx.reports_dir / "bench.md").read_text()


def test_new_and_missing_benchmarks_are_listed_not_judged(tmp_path: Path) -> None:
    ctx = context(tmp_path)
    old = bench_run(1.0)
    save_run(
        baseline_path(tmp_path, "main"), BenchRun(benchmarks=old.benchmarks[:1], timer=old.timer)
    )
    result, _ = compare_and_report(
        ctx, result_with({"benchmarks": 2}), bench_run(1.0), BenchOptions(), "main"
    )
    assert result.metrics["new"] == 1
    assert [k for k in result.metrics if k.startswith("verdict:")] == ["verdict:test_a"]
    assert (
        "New benchmarks (no baseline yet): `test_b`" in (ctx.reports_dir / "bench.md").read_text()
    )


def test_a_regression_that_does_not_show_twice_is_noise(tmp_path: Path) -> None:
    ctx = context(tmp_path)
    save_run(baseline_path(tmp_path, "main"), bench_run(1.0))
    asked: list[list[str]] = []

    def calm_again(fullnames: list[str]) -> BenchRun:
        asked.append(fullnames)
        return BenchRun(benchmarks=bench_run(1.0).benchmarks[:1], timer="process_time")

    result, saved = compare_and_report(
        ctx,
        result_with({"benchmarks": 2}),
        bench_run(2.0),
        BenchOptions(),
        "main",
        remeasure=calm_again,
    )
    assert asked == [["benchmarks/test_x.py::test_a", "benchmarks/test_x.py::test_b"]]
    assert result.metrics["verdict:test_a"] == "same"  # the second measurement was calm
    assert result.metrics["verdict:test_b"] == "regressed"  # not re-measured: still regressed
    assert result.metrics["remeasured"] == 2
    assert saved.benchmarks[0].rounds == bench_run(1.0).benchmarks[0].rounds  # the better rounds
    assert "1 regressed again, 1 did not" in (ctx.reports_dir / "bench.md").read_text()


def test_a_regression_that_shows_twice_stands(tmp_path: Path) -> None:
    ctx = context(tmp_path)
    save_run(baseline_path(tmp_path, "main"), bench_run(1.0))
    result, _ = compare_and_report(
        ctx,
        result_with({"benchmarks": 2}),
        bench_run(2.0),
        BenchOptions(),
        "main",
        remeasure=lambda names: bench_run(1.9),
    )
    assert result.metrics["verdict:test_a"] == "regressed"
    assert result.metrics["ratio:test_a"] == pytest.approx(1.9, rel=0.01)  # the better of the two
    assert [f.rule for f in result.findings] == ["performance-regression"] * 2


@pytest.mark.parametrize(
    ("given", "branch", "reference", "label"),
    [
        ("release", "main", "main", "release"),  # the name given wins
        ("", "feature", "main", "feature"),  # else the branch checked out
        ("", "HEAD", "main", "main"),  # detached: the reference compared with
        ("", "", "origin-main", "origin-main"),
    ],
)
def test_a_baseline_is_saved_under_the_name_given_else_the_branch_else_the_reference(
    given: str, branch: str, reference: str, label: str
) -> None:
    options = BenchOptions(save_baseline=given)
    assert baseline_label(options, branch, reference) == label


@pytest.mark.parametrize(
    ("returncode", "status"), [(5, Status.PASS), (0, Status.PASS), (1, Status.ERROR)]
)
def test_a_run_that_measured_nothing_checked_nothing_unless_pytest_failed(
    tmp_path: Path, returncode: int, status: Status
) -> None:
    ctx = context(tmp_path)
    base = CheckResult("bench", "bench", Status.PASS, output="collected 0 items")
    run = ToolRun(["pytest"], returncode, "collected 0 items", "boom", 0.1)
    result = BenchCheck()._nothing_measured(ctx, base, run, tmp_path / "bench-pytest.json")
    assert result.status is status
    if status is Status.PASS:
        assert result.checked is not None and result.checked.count == 0
        assert result.summary.startswith("no benchmarks collected in")
    else:
        assert "wrote no bench-pytest.json" in result.summary
