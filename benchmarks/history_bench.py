"""How the run history behaves as it grows, and under two concurrent writers (docs/history.md).

1. ``questions``: a history of RUNS runs with TESTS test outcomes each (default 5,200 x 200, about
   one million outcomes), 20 of the tests flaky (they fail on some runs of a commit and pass on
   others). Each question the CLI asks (stats, trends, slowest, failures, flaky) and the
   ``known_flaky`` lookup the tests check makes are timed, median of 5.
2. ``writers``: two processes record 1,000 runs each into one history at the same time (what
   tests/integration/test_history_real.py does); wall time, and that nothing was lost.

Usage: python benchmarks/history_bench.py [--runs 5200] [--tests 200] [--part questions|writers|all]
Prints the figures docs/history.md quotes, with the machine's load, and writes them to
benchmarks/history-results.json: a part run alone replaces that part and keeps the other, each
with the facts of its run; a history of another size is printed only (``--out`` to keep it).
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from results_file import load_average, merge_parts, run_facts, write_atomic

from ci_sessions.history import flaky as hf
from ci_sessions.history import stats as hs
from ci_sessions.history.store import open_history, store_run
from ci_sessions.results import CheckResult, RunRecord, Status

FLAKY = 20
RUNS_PER_COMMIT = 10
RUNS, TESTS = 5200, 200  # the history docs/history.md describes
RESULTS = Path(__file__).resolve().parent / "history-results.json"

# the compact schema (history/testdata.py): a run's tests are a shared set plus packed
# durations; only outcomes other than a pass are rows of test_results
OUTCOMES = "SELECT COALESCE(SUM(s.size), 0) FROM test_runs r JOIN test_sets s ON s.id = r.test_set"
FAILING_IDS = (
    "SELECT test_id FROM (SELECT DISTINCT i.test_id FROM test_results r"
    " JOIN test_ids i ON i.id = r.test WHERE r.outcome = 'failed')"
    " UNION ALL SELECT * FROM (SELECT test_id FROM test_ids WHERE id NOT IN"
    " (SELECT test FROM test_results WHERE outcome = 'failed') LIMIT 5) LIMIT ?"
)


def _junit(path: Path, tests: int, failing: set[int]) -> None:
    cases = []
    for index in range(tests):
        body = (
            '<failure message="assert 1 == 2">E assert 1 == 2</failure>' if index in failing else ""
        )
        cases.append(
            f'<testcase classname="tests.test_mod{index // 20}" name="test_{index}" time="0.01">{body}</testcase>'
        )
    path.write_text(
        f'<?xml version="1.0"?><testsuites><testsuite name="pytest" tests="{tests}" '
        f'failures="{len(failing)}">{"".join(cases)}</testsuite></testsuites>',
        encoding="utf-8",
    )


def build(root: Path, runs: int, tests: int) -> float:
    """The history; returns the seconds it took to record it."""
    reports = root / "reports"
    reports.mkdir(parents=True)
    variants = {
        "pass": set[int](),
        "flaky-a": set(range(FLAKY // 2)),
        "flaky-b": set(range(FLAKY // 2, FLAKY)),
    }
    for name, failing in variants.items():
        _junit(reports / f"{name}.xml", tests, failing)
    started = time.perf_counter()
    day = 86400.0
    base = time.time() - 20 * day
    with open_history(root) as db:
        for n in range(runs):
            variant = ("pass", "flaky-a", "pass", "flaky-b")[n % 4]
            failed = variant != "pass"
            results = [
                CheckResult("lint", "essential", Status.PASS, duration=0.1 + (n % 3) * 0.01),
                CheckResult("typecheck", "essential", Status.PASS, duration=2.0 + (n % 4) * 0.5),
                CheckResult(
                    "tests", "essential", Status.FAIL if failed else Status.PASS, python="3.12",
                    per_python=True, duration=1.0 + (n % 5) * 0.2,
                    artifacts={"junit": f"reports/{variant}.xml"},
                    output="E       assert 1 == 2" if failed else "",
                ),
            ]  # fmt: skip
            run = RunRecord(
                run_id=f"r{n}",
                project="bench",
                started=base + n * (18 * day / runs),
                results=results,
                commit=f"c{n // RUNS_PER_COMMIT}",
            )
            run.finished = run.started + 5
            store_run(db, run, root=root)
    return time.perf_counter() - started


def median_seconds(action: Callable[[], object], repeats: int = 5) -> float:
    times: list[float] = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def questions(runs: int, tests: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        took = build(root, runs, tests)
        database = root / ".ci-sessions" / "history.db"
        with sqlite3.connect(database) as db:
            outcomes = db.execute(OUTCOMES).fetchone()[0]
        size = database.stat().st_size / 1e6
        print(f"history: {runs:,} runs, {outcomes:,} test outcomes, {size:.0f} MB "
              f"(recorded in {took:.1f} s)")  # fmt: skip
        with open_history(root) as db:
            # the flaky ones and five that never failed, as the history spells them
            failing_ids = [str(row[0]) for row in db.execute(FAILING_IDS, (FLAKY + 5,))]
            found = hf.flaky_tests(db)
            rows = {
                "stats": median_seconds(lambda: hs.stats(db)),
                "trends": median_seconds(lambda: hs.trends(db)),
                "slowest": median_seconds(lambda: hs.slowest(db)),
                "failures": median_seconds(lambda: hs.failures(db)),
                f"flaky ({len(found)} flaky tests)": median_seconds(lambda: hf.flaky_tests(db)),
            }
        known = hf.known_flaky(root, failing_ids)
        rows[f"known_flaky ({len(failing_ids)} failed tests, {len(known)} known flaky)"] = (
            median_seconds(lambda: hf.known_flaky(root, failing_ids))
        )
        print("| question | seconds (median of 5) |")
        print("| --- | --- |")
        for name, seconds in rows.items():
            print(f"| {name} | {seconds:.3f} |")
    return {
        "runs": runs, "tests": tests, "outcomes": outcomes, "megabytes": round(size),
        "record_seconds": took, "flaky_found": len(found), "seconds": rows,
    }  # fmt: skip


WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    sys.path.insert(0, sys.argv[4])
    from ci_sessions.history.store import record_run
    from ci_sessions.results import CheckResult, RunRecord, Status

    root, tag, count = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    for i in range(count):
        results = [
            CheckResult("lint", "essential", Status.PASS, duration=0.1),
            CheckResult("tests", "essential", Status.FAIL if i % 3 == 0 else Status.PASS,
                        python="3.12", per_python=True),
        ]
        record_run(root, RunRecord(run_id=f"{tag}-{i}", project="p", started=1000.0 + i,
                                   results=results))
    """
)


def writers(count: int = 1000) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        script = root / "writer.py"
        script.write_text(WRITER)
        checkout = str(Path(__file__).resolve().parent.parent)
        started = time.perf_counter()
        processes = [
            subprocess.Popen([sys.executable, str(script), str(root), tag, str(count), checkout])
            for tag in ("a", "b")
        ]
        codes = [p.wait() for p in processes]
        took = time.perf_counter() - started
        with sqlite3.connect(root / ".ci-sessions" / "history.db") as db:
            runs = db.execute("SELECT COUNT(DISTINCT run_id) FROM runs").fetchone()[0]
            integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
        print(f"two writers x {count:,} runs: {took:.1f} s, exit codes {codes}, "
              f"{runs:,} runs recorded, integrity {integrity}")  # fmt: skip
    return {"runs_each": count, "seconds": took, "exit_codes": codes, "recorded": runs,
            "integrity": integrity}  # fmt: skip


def merged(out: Path, parts: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The results file with this run's parts replacing the same parts (a part run alone keeps
    the other as it was measured, with the facts of its own run)."""
    return merge_parts(out, parts)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=RUNS)
    parser.add_argument("--tests", type=int, default=TESTS)
    parser.add_argument("--part", choices=("questions", "writers", "all"), default="all")
    parser.add_argument("--out", type=Path, default=None, help=f"default: {RESULTS.name} for "
                        f"a history of {RUNS:,} x {TESTS}, else none (printed only)")  # fmt: skip
    args = parser.parse_args()
    out = args.out or (RESULTS if (args.runs, args.tests) == (RUNS, TESTS) else None)
    print(f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}, load {load_average()}")
    parts: dict[str, dict[str, Any]] = {}
    if args.part in ("questions", "all"):
        started, load = time.perf_counter(), load_average()
        parts["questions"] = {**questions(args.runs, args.tests), "run": run_facts(started, load)}
    if args.part in ("writers", "all"):
        started, load = time.perf_counter(), load_average()
        parts["writers"] = {**writers(), "run": run_facts(started, load)}
    print(f"load average at the end: {load_average()}")
    if out is not None:  # written only once every part asked for was measured
        write_atomic(out, merged(out, parts))
        print(f"written: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
