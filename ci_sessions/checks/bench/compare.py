"""The comparison step of the bench check: baseline lookup, verdicts, metrics and report files.

Verdicts travel to ``evaluate`` through metrics (``verdict:<name>`` and the numbers behind it),
so a result read back from results.json or a cache is judged exactly as a fresh one.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from ci_sessions._fs import atomic_write_text
from ci_sessions.checks.bench import data as benchdata
from ci_sessions.checks.bench import report as benchreport
from ci_sessions.checks.bench.significance import Comparison, compare
from ci_sessions.results import SUMMARY_SECTION

if TYPE_CHECKING:
    from ci_sessions.checks.base import CheckContext
    from ci_sessions.checks.bench.options import BenchOptions
    from ci_sessions.results import CheckResult

_MACHINE_FACTS = (
    "system",
    "machine",
    "cpu",
    "cpu_count",
    "python_implementation",
    "python_version",
)


def display_names(run: benchdata.BenchRun) -> dict[str, str]:
    """fullname -> the short name, or the full one where two files share a test name."""
    short = [b.name for b in run.benchmarks]
    return {
        b.fullname or b.name: (b.name if short.count(b.name) == 1 else b.fullname)
        for b in run.benchmarks
    }


def machine_difference(baseline: benchdata.BenchRun, current: benchdata.BenchRun) -> str:
    """What differs between the machines, or an empty string when a comparison is fair."""
    changed = [
        f"{key} {baseline.machine.get(key, '?')} -> {current.machine.get(key, '?')}"
        for key in _MACHINE_FACTS
        if baseline.machine.get(key, "") != current.machine.get(key, "")
    ]
    return "baseline from another machine or Python: " + ", ".join(changed) if changed else ""


def compare_runs(
    ctx: CheckContext,
    baseline: benchdata.BenchRun,
    current: benchdata.BenchRun,
    names: Mapping[str, str] | None = None,
) -> tuple[list[Comparison], list[str], list[str]]:
    """Comparisons of the benchmarks in both runs, then the new and the missing ones."""
    settings = ctx.settings("bench")
    from ci_sessions._fs import config_file

    thresholds = benchdata.load_thresholds(
        config_file("performance-thresholds.yaml"), settings.str_map("thresholds")
    )
    names = names or display_names(current)
    before = baseline.by_name()
    comparisons: list[Comparison] = []
    new: list[str] = []
    for key, bench in current.by_name().items():
        old = before.get(key)
        if old is None:
            new.append(names[key])
            continue
        comparisons.append(
            compare(
                names[key],
                old.rounds,
                bench.rounds,
                threshold=thresholds.for_benchmark(bench.name, bench.fullname),
                alpha=settings.float("alpha"),
                resamples=settings.int("resamples"),
                max_rounds=settings.int("max-rounds"),
            )
        )
    missing = [b.name for key, b in before.items() if key not in current.by_name()]
    return comparisons, new, missing


Remeasure = Callable[[list[str]], "benchdata.BenchRun | None"]


def confirm_regressions(
    ctx: CheckContext,
    baseline: benchdata.BenchRun,
    current: benchdata.BenchRun,
    comparisons: list[Comparison],
    remeasure: Remeasure,
) -> tuple[list[Comparison], benchdata.BenchRun, str]:
    """Measure the regressed benchmarks again; a regression stands only when it shows twice.

    A runner that was busy for a few seconds slows one measurement, rarely two in a row, while
    slower code is slower every time. Each re-measured benchmark keeps the better of its two
    measurements (as the comparison and as this run's rounds).
    """
    names = display_names(current)
    by_name = {names[key]: bench for key, bench in current.by_name().items()}
    regressed = [c for c in comparisons if c.verdict == "regressed"]
    again = remeasure([by_name[c.name].fullname or by_name[c.name].name for c in regressed])
    if again is None:
        return (
            comparisons,
            current,
            "Re-measuring the regressed benchmarks failed; the first measurement stands.",
        )
    second = {c.name: c for c in compare_runs(ctx, baseline, again, names)[0]}
    rounds = {b.fullname or b.name: b for b in again.benchmarks}
    final: list[Comparison] = []
    replaced: dict[str, benchdata.Benchmark] = {}
    for c in comparisons:
        other = second.get(c.name)
        better = (
            other
            if other is not None and (other.verdict != "regressed" or other.ratio < c.ratio)
            else c
        )
        if better is not c:
            key = by_name[c.name].fullname or by_name[c.name].name
            replaced[key] = rounds[key]
        final.append(better)
    benchmarks = tuple(replaced.get(b.fullname or b.name, b) for b in current.benchmarks)
    confirmed = sum(1 for c in final if c.verdict == "regressed")
    note = (
        f"Measured {len(regressed)} regressed benchmark(s) a second time: {confirmed} regressed "
        f"again, {len(regressed) - confirmed} did not (noise)."
    )
    return final, dataclasses.replace(current, benchmarks=benchmarks), note


def compare_and_report(
    ctx: CheckContext,
    result: CheckResult,
    current: benchdata.BenchRun,
    options: BenchOptions,
    reference: str,
    *,
    remeasure: Remeasure | None = None,
) -> tuple[CheckResult, benchdata.BenchRun]:
    """Load the baseline, compare (confirming regressions), write bench.md / .svg / .json.

    Returns the filled result and this run as it should be saved as a baseline.
    """
    from ci_sessions.checks.bench.options import missing_reference

    ref = reference  # --compare REF|FILE, else the baseline branch
    ref_path = benchdata.resolve_reference(ctx.root, ref)
    if ref_path is None and options.compare:
        raise ValueError(missing_reference(ref))
    comparisons: list[Comparison] = []
    new: list[str] = []
    missing: list[str] = []
    notes: list[str] = []
    baseline = benchdata.load_run(ref_path) if ref_path is not None else None
    baseline = _same_timer(baseline, current, ref, options, notes)
    if baseline is None:
        reference = f"No baseline for `{ref}` yet: save one with `nox -s bench -- --save-baseline` on {ref}."
        new = list(display_names(current).values())
    else:
        comparisons, new, missing = compare_runs(ctx, baseline, current)
        if remeasure is not None and any(c.verdict == "regressed" for c in comparisons):
            first = sum(1 for c in comparisons if c.verdict == "regressed")
            comparisons, current, note = confirm_regressions(
                ctx, baseline, current, comparisons, remeasure
            )
            notes.append(note)
            result.metrics["remeasured"] = first
        reference = benchreport.describe_reference(ref, baseline)
        _record_baseline(result, ref, baseline, current, notes)
    _record_comparisons(ctx, result, comparisons, current, ref)
    load = float(result.metrics.get("load-per-cpu", 0.0))
    if load > 1:
        notes.append(_busy_note(load, current))
    counts = {
        v: sum(1 for c in comparisons if c.verdict == v)
        for v in ("regressed", "slower", "same", "faster")
    }
    result.metrics.update(counts)
    result.metrics["new"] = len(new)
    report = benchreport.markdown(
        comparisons, reference=reference, new=new, missing=missing, notes=notes
    )
    _write_reports(ctx, result, comparisons, current, ref, report)
    if comparisons:
        tally = ", ".join(f"{n} {v}" for v, n in counts.items() if n)
        result.summary = f"{len(comparisons)} benchmark(s) vs {ref}: {tally}"
    else:
        result.summary = (
            f"{len(current.benchmarks)} benchmark(s), no baseline {ref!r} to compare with"
        )
    result.output = (
        result.output + "\n\n" + "\n".join([plain_table(comparisons, ref), *notes])
    ).strip()
    return result, current


def _same_timer(
    baseline: benchdata.BenchRun | None,
    current: benchdata.BenchRun,
    ref: str,
    options: BenchOptions,
    notes: list[str],
) -> benchdata.BenchRun | None:
    """The baseline when it was timed like this run; None (with a note) when this run replaces
    it; ValueError when the timers differ and nothing replaces it."""
    if baseline is None or not baseline.timer or not current.timer:
        return baseline
    if baseline.timer == current.timer:
        return baseline
    mismatch = f"baseline {ref!r} was timed with {baseline.timer}, this run with {current.timer}"
    if options.save_baseline is None:
        raise ValueError(
            f"{mismatch}: the numbers do not compare; set bench.timer back or replace the "
            "baseline with --save-baseline"
        )
    notes.append(f"{mismatch}: not compared; this run replaces it.")
    return None


def _record_baseline(
    result: CheckResult,
    ref: str,
    baseline: benchdata.BenchRun,
    current: benchdata.BenchRun,
    notes: list[str],
) -> None:
    """Name the baseline compared with, and warn when it was measured on another machine."""
    result.metrics["reference"] = ref
    result.metrics["reference-commit"] = baseline.commit
    difference = machine_difference(baseline, current)
    if difference:
        result.metrics["machine-differs"] = difference
        notes.append(difference + "; differences may be the machine, not the code.")


def _record_comparisons(
    ctx: CheckContext,
    result: CheckResult,
    comparisons: list[Comparison],
    current: benchdata.BenchRun,
    ref: str,
) -> None:
    """Each comparison as metrics (what ``evaluate`` judges) and each regression as a finding."""
    from ci_sessions.checks.bench.findings import regression_finding

    shown = display_names(current)
    by_display = {shown[b.fullname or b.name]: b for b in current.benchmarks}
    for c in comparisons:
        result.metrics[f"verdict:{c.name}"] = c.verdict
        result.metrics[f"ratio:{c.name}"] = round(c.ratio, 4)
        result.metrics[f"ci_low:{c.name}"] = round(c.ci_low, 4)
        result.metrics[f"ci_high:{c.name}"] = round(c.ci_high, 4)
        result.metrics[f"fast_ratio:{c.name}"] = round(c.fast_ratio, 4)
        result.metrics[f"evidence:{c.name}"] = round(min(c.ci_low, c.fast_ratio), 4)
        result.metrics[f"threshold:{c.name}"] = c.threshold
        if c.verdict == "regressed":
            bench = by_display[c.name]
            result.findings.append(
                regression_finding(
                    ctx.root,
                    bench.name,
                    bench.path,
                    f"benchmark {c.name} is {c.ratio:.2f}x slower than baseline {ref} "
                    f"(interval {c.ci_low:.2f}-{c.ci_high:.2f}, allowed +{c.threshold * 100:.0f}%)",
                )
            )


def _busy_note(load: float, current: benchdata.BenchRun) -> str:
    return f"The machine was busy while measuring (load {load:.1f} per CPU): " + (
        "CPU-time rounds hold up well, but caches and memory were shared."
        if current.timer == "process_time"
        else "wall-clock rounds include time spent waiting for a CPU."
    )


def _write_reports(
    ctx: CheckContext,
    result: CheckResult,
    comparisons: list[Comparison],
    current: benchdata.BenchRun,
    ref: str,
    markdown: str,
) -> None:
    """bench.md, bench.svg and bench.json in the reports folder, named in the artifacts."""
    reports = ctx.reports_dir
    atomic_write_text(reports / "bench.md", markdown)
    atomic_write_text(
        reports / "bench.svg", benchreport.svg(comparisons, title=f"bench: current vs {ref}")
    )
    benchdata.save_json(
        reports / "bench.json",
        {
            "run": current.to_json(),
            "reference": ref,
            "comparisons": [c.to_json() for c in comparisons],
        },
    )
    for name in ("bench.md", "bench.svg", "bench.json"):
        result.artifacts[name.replace(".", "-")] = (reports / name).relative_to(ctx.root).as_posix()
    result.artifacts[SUMMARY_SECTION] = result.artifacts["bench-md"]


def plain_table(comparisons: list[Comparison], ref: str) -> str:
    """The comparison as log lines."""
    if not comparisons:
        return f"bench: no comparison (no baseline {ref!r})"
    width = max(len(c.name) for c in comparisons)
    lines = [f"bench: current vs baseline {ref} (ratio of medians, interval, allowed slowdown)"]
    lines += [
        f"  {c.verdict:<9} {c.name:<{width}}  {c.ratio:6.3f}x  [{c.ci_low:.3f}, {c.ci_high:.3f}]  "
        f"+{c.threshold * 100:.0f}%"
        for c in comparisons
    ]
    return "\n".join(lines)
