"""Speed at every scale (issue 14): every figure a ratio or a time measured side by side in one run.

    python benchmarks/speed.py                 # every figure
    python benchmarks/speed.py edit precommit  # some of them
    python benchmarks/speed.py --quick         # fewer repeats, a 20k-test suite instead of 60k

Figures (targets from issue 14):
  edit       warm ``nox -s essential`` after editing one module of the generated 200-module,
             1,000-test project, over the four tools run one after the other by hand   <= 0.35
  precommit  a one-file commit on that project with the pre-commit hooks `init` writes    < 3 s
  shards     4 shards of a suite with skewed test durations: the slowest over total / 4  <= 1.20
  xdist      ``tests.workers = 2`` against none, on a suite of 2,000 tests               speed-up
  overhead   ``nox -s tests-X -- --no-cache``, incremental off as on CI, over plain ``pytest`` on
             a 60k-test suite: median of 5 alternating rounds (also over ``pytest -q -p
             no:cacheprovider``, the by-hand side before 2026-12-06)                      <= 1.05
  tracking   the same with incremental on (what each test file reaches is recorded), Python
             3.12+: measured (its gain on real projects: benchmarks/engagement.py)
  history    bytes per run of 60k tests, and history flaky|stats|trends at 1,000 runs   < 2 MB, < 1 s
Prints a table and writes benchmarks/speed-results.json (machine facts, load and niceness
included; written atomically once every figure asked for was measured): the figures measured
replace the same figures there and keep the others; a ``--quick`` run (smaller suites, fewer
repeats) is printed only, unless ``--out`` names a file.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from harness import PY, PYTEST, HandVenv, nox_argv, sample, timed  # noqa: E402
from harness import bench_env as _bench_env  # noqa: E402
from results_file import load_average, run_facts, write_atomic  # noqa: E402
from speed_project import make_flat_suite, make_graph_project  # noqa: E402

EDITED = "src/demo/pkg3/m6.py"  # imported by m12 and m13 of its package: 3 modules, 3 test files
GIT = ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.invalid"]


def bench_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The harness's clean environment, with bytecode caching on as on a developer's machine
    (a PYTHONDONTWRITEBYTECODE inherited from a CI shell would recompile every module of every
    Python process, on both sides)."""
    env = _bench_env(extra)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def _edit(root: Path, counter: list[int]) -> None:
    """A real edit of one module: its text changes (a new constant), its behaviour does not."""
    counter[0] += 1
    path = root / EDITED
    original = path.read_text().split("\n\n\nEDIT = ")[0].rstrip("\n") + "\n"
    path.write_text(f"{original}\n\nEDIT = {counter[0]}\n")


def _median_pair(
    repeats: int, first: Callable[[], float], second: Callable[[], float]
) -> tuple[float, float, list[float], list[float]]:
    a: list[float] = []
    b: list[float] = []
    for _ in range(repeats):
        a.append(first())
        b.append(second())
    return statistics.median(a), statistics.median(b), a, b


# -- 1. edit one module -------------------------------------------------------------------------


def bench_edit(work: Path, repeats: int) -> dict[str, Any]:
    root = make_graph_project(work / "graph200")
    env = bench_env()
    hand = HandVenv(root)
    hand.prepare(env)
    timed(nox_argv("-s", "essential"), root, env)  # environments, caches, the per-file state
    hand.run(env)  # ruff's and pyright's own caches for the by-hand side too
    counter = [0]

    def essential() -> float:
        _edit(root, counter)
        return timed(nox_argv("-s", "essential"), root, env)

    def by_hand() -> float:
        _edit(root, counter)
        return hand.run(env)[0]

    ours, theirs, a, b = _median_pair(repeats, essential, by_hand)
    unchanged = statistics.median(
        timed(nox_argv("-s", "essential"), root, env) for _ in range(repeats)
    )
    return {
        "name": "edit one module: warm essential vs the four tools by hand",
        "ratio": ours / theirs,
        "target": "<= 0.35",
        "met": ours / theirs <= 0.35,
        "seconds": {"essential": ours, "by_hand": theirs, "no_change_rerun": unchanged},
        "samples": {"essential": a, "by_hand": b},
    }


# -- 2. pre-commit on a one-file commit -----------------------------------------------------------


def bench_precommit(work: Path, repeats: int) -> dict[str, Any]:
    """The hooks `ci-sessions init` renders (language: system, so they run this checkout's nox)."""
    from ci_sessions.scaffold.facts import detect
    from ci_sessions.scaffold.init import answers_for
    from ci_sessions.scaffold.render import render

    root = make_graph_project(work / "graph200-precommit")
    env = bench_env()
    rendered = render(answers_for(detect(root), {}, {"precommit_language": "system"}))
    (root / ".pre-commit-config.yaml").write_text(rendered[".pre-commit-config.yaml"])
    subprocess.run([*GIT, "add", "-A"], cwd=root, check=True)
    subprocess.run([*GIT, "commit", "-qm", "init", "--no-verify"], cwd=root, check=True)
    bin_dir = Path(sys.executable).parent
    pre_commit = shutil.which("pre-commit", path=str(bin_dir)) or "pre-commit"
    hook_env = dict(env)
    hook_env["PATH"] = os.pathsep.join([str(bin_dir), env.get("PATH", "")])
    subprocess.run([pre_commit, "install"], cwd=root, env=hook_env, check=True, capture_output=True)
    counter = [0]

    def commit() -> tuple[float, float]:
        _edit(root, counter)
        subprocess.run([*GIT, "add", EDITED], cwd=root, check=True)
        return sample([*GIT, "commit", "-qm", f"edit {counter[0]}"], root, hook_env)

    commit()  # warm: environments, caches and the per-file state of the hooks' sessions
    commit()
    samples = [commit() for _ in range(repeats)]
    median = statistics.median(wall for wall, _cpu in samples)
    return {
        "name": "pre-commit hooks on a one-file commit (warm)",
        "ratio": None,
        "target": "< 3 s",
        "met": median < 3.0,
        "seconds": {
            "commit": median,
            "cpu_commit": statistics.median(cpu for _wall, cpu in samples),
        },
        "samples": {"commit": [wall for wall, _cpu in samples]},
    }


# -- 3. shards on a skewed suite ------------------------------------------------------------------


def _outcome_seconds(root: Path) -> float:
    total = 0.0
    for path in (root / ".ci-sessions" / "reports").glob("outcomes-tests-*shard*.json"):
        total += sum(float(row[2]) for row in json.loads(path.read_text())["tests"])
    return total


def bench_shards(work: Path, _repeats: int) -> dict[str, Any]:
    """400 tests, a few files much slower than the rest; the first run records the durations."""
    root = make_flat_suite(work / "skewed", 400, per_file=20, skew=True, sleep_unit=0.002)
    env = bench_env()
    session = f"tests-{PY}"
    timed(nox_argv("-s", session), root, env)  # the whole suite once: durations in the history
    walls: list[float] = []
    busy: list[float] = []
    for k in range(1, 5):
        for stale in (root / ".ci-sessions" / "reports").glob("outcomes-tests-*shard*.json"):
            stale.unlink()
        walls.append(timed(nox_argv("-s", session, "--", "--shard", f"{k}/4"), root, env))
        busy.append(_outcome_seconds(root))
    ideal = sum(busy) / 4
    return {
        "name": "4 shards of a skewed suite: slowest shard over total / 4",
        "ratio": max(busy) / ideal,
        "target": "<= 1.20",
        "met": max(busy) / ideal <= 1.2,
        "seconds": {"shard_test_time": busy, "shard_wall": walls, "ideal": ideal},
    }


# -- 4. xdist -------------------------------------------------------------------------------------


def bench_xdist(work: Path, repeats: int) -> dict[str, Any]:
    """2,000 tests that each do about 10 ms of CPU work: one process against two xdist workers.

    Two copies of the project, one configured with ``workers = 2``: each keeps its own project
    environment (pytest-xdist is installed only where workers are asked for).
    """
    work_line = "\n    sum(i * i for i in range(100_000))"
    roots = []
    for name, extra in (("serial", ""), ("workers", "\n[tool.ci-sessions.tests]\nworkers = 2\n")):
        root = make_flat_suite(work / f"xdist-{name}", 2000, per_file=100, extra_pyproject=extra)
        for test_file in (root / "tests").glob("test_*.py"):
            text = test_file.read_text()
            test_file.write_text(text.replace(") -> None:", ") -> None:" + work_line))
        roots.append(root)
    env = bench_env()
    args = ("-s", f"tests-{PY}", "--", "--no-cache")
    for root in roots:
        timed(nox_argv(*args), root, env)
    serial, parallel, a, b = _median_pair(
        repeats,
        lambda: timed(nox_argv(*args), roots[0], env),
        lambda: timed(nox_argv(*args), roots[1], env),
    )
    return {
        "name": "2,000 tests: workers = 2 against one process (speed-up)",
        "ratio": serial / parallel,
        "target": "> 1 on 2 cores",
        "met": serial / parallel > 1.0,
        "seconds": {"one_process": serial, "two_workers": parallel},
        "samples": {"one_process": a, "two_workers": b},
    }


# -- 5. overhead on a big suite -------------------------------------------------------------------


def plain_venv(root: Path, python: str, env: dict[str, str]) -> list[str]:
    """Plain pytest in a venv of its own holding the project: the by-hand side, ``pytest`` as a
    person types it (the project's configuration, pytest's defaults: the cache provider on, as
    in the run ci-sessions makes)."""
    venv = root / ".plainvenv"
    subprocess.run(["uv", "venv", "-q", "-p", python, str(venv)], check=True, env=env)
    subprocess.run(
        ["uv", "pip", "install", "-q", "-p", str(venv / "bin" / "python"), PYTEST, "-e", str(root)],
        check=True, env=env,
    )  # fmt: skip
    return [str(venv / "bin" / "python"), "-m", "pytest"]


#: pytest made leaner than a person runs it: what the by-hand side was before 2026-12-06
LEAN = ["-q", "-p", "no:cacheprovider"]


def _pairs(
    repeats: int,
    ours_argv: list[str],
    plain: list[str],
    root: Path,
    env: dict[str, str],
    lean: list[str] | None = None,
) -> dict[str, Any]:
    """``repeats`` alternating rounds (ours, plain[, lean]): median, least-disturbed and CPU
    ratios of ours over plain (and over lean, when given)."""
    rounds = [
        (sample(ours_argv, root, env), sample(plain, root, env), sample(lean, root, env) if lean else None)
        for _ in range(repeats)
    ]  # fmt: skip
    ours = [a for a, _b, _c in rounds]
    theirs = [b for _a, b, _c in rounds]
    found: dict[str, Any] = {
        "wall_median": statistics.median(w for w, _c in ours)
        / statistics.median(w for w, _c in theirs),
        "wall_min": min(w for w, _c in ours) / min(w for w, _c in theirs),
        "cpu_median": statistics.median(c for _w, c in ours)
        / statistics.median(c for _w, c in theirs),
        "pair_ratios": [a[0] / b[0] for a, b, _c in rounds],
        "seconds": {
            "ours_median": statistics.median(w for w, _c in ours),
            "plain_median": statistics.median(w for w, _c in theirs),
        },
        "samples": {"ours": ours, "plain": theirs},
    }
    leans = [c for _a, _b, c in rounds if c is not None]
    if leans:
        found["against_lean"] = {
            "argv": " ".join(["pytest", *LEAN]),
            "wall_median": statistics.median(w for w, _c in ours)
            / statistics.median(w for w, _c in leans),
            "cpu_median": statistics.median(c for _w, c in ours)
            / statistics.median(c for _w, c in leans),
        }
        found["seconds"]["lean_median"] = statistics.median(w for w, _c in leans)
        found["samples"]["lean"] = leans
    return found


def bench_overhead(work: Path, repeats: int, tests: int) -> dict[str, Any]:
    """The tests check as CI runs it (no incremental state, no tracking; JUnit left to CI)
    against plain pytest as a person runs it (``python -m pytest``, the project's configuration):
    the one plugin's outcomes and progress, nox, ci-sessions' reports. Also against pytest made
    leaner than that (``-q -p no:cacheprovider``), the by-hand side of earlier runs: the
    difference between the two is pytest's own cache and output, which ci-sessions leaves as
    the project has them."""
    root = make_flat_suite(work / f"flat{tests}", tests, per_file=100)
    env = bench_env({"CI_SESSIONS_INCREMENTAL": "never"})
    session = f"tests-{PY}"
    plain = plain_venv(root, sys.executable, env)
    ours_argv = nox_argv("-s", session, "--", "--no-cache")
    timed(nox_argv("-s", session), root, env)
    found = _pairs(repeats, ours_argv, plain, root, env, lean=[*plain, *LEAN])
    ratio = found["wall_median"]
    return {
        "name": f"tests check (incremental off) over plain pytest, {tests:,} tests, median of {repeats} rounds",
        "ratio": ratio,
        "target": "<= 1.05",
        "met": ratio <= 1.05,
        **{k: v for k, v in found.items() if k not in ("seconds", "samples")},
        "seconds": found["seconds"],
        "samples": found["samples"],
    }


def bench_tracking(work: Path, repeats: int, tests: int) -> dict[str, Any]:
    """A whole run that records what each test file reaches (incremental on, ``--no-cache``)
    against plain pytest, on Python 3.12+ (where tests are tracked): the tracking's own cost on
    a suite of tiny tests, its worst case."""
    from ci_sessions._interpreters import find_interpreter

    version = next((v for v in ("3.13", "3.12") if find_interpreter(v) is not None), None)
    if version is None:
        return {"name": "tracking", "ratio": None, "target": "measured", "met": True,
                "skipped": "no Python 3.12+ here"}  # fmt: skip
    root = make_flat_suite(work / f"tracked{tests}", tests, per_file=100)
    pyproject = root / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace(f'python = ["{PY}"]', f'python = ["{version}"]')
    )
    env = bench_env()
    python = str(find_interpreter(version))
    plain = plain_venv(root, python, env)
    ours_argv = nox_argv("-s", f"tests-{version}", "--", "--no-cache")
    timed(nox_argv("-s", f"tests-{version}"), root, env)
    found = _pairs(repeats, ours_argv, plain, root, env)
    return {
        "name": f"tracked whole run (incremental on) over plain pytest, {tests:,} tests, Python {version}",
        "ratio": found["wall_median"],
        "target": "measured (corpus: benchmarks/engagement.py)",
        "met": True,
        **{k: v for k, v in found.items() if k not in ("seconds", "samples")},
        "seconds": found["seconds"],
        "samples": found["samples"],
    }


# -- 6. history size and queries ------------------------------------------------------------------


def bench_history(work: Path, runs: int, tests: int) -> dict[str, Any]:
    """``runs`` recorded runs of a ``tests``-test suite, a handful of flaky tests among them."""
    from ci_sessions.history import flaky as flaky_mod
    from ci_sessions.history import stats as hs
    from ci_sessions.history import store
    from ci_sessions.history.testdata import store_tests
    from ci_sessions.junit import TestOutcome
    from ci_sessions.results import CheckResult, RunRecord, Status

    root = work / "history"
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    rng = random.Random(14)  # noqa: S311 - reproducible data
    ids = [f"tests/test_f{i // 100}.py::test_f{i // 100}_{i % 100}" for i in range(tests)]
    flaky = set(rng.sample(range(tests), 10))
    db_file = store.db_path(root)
    sizes: list[int] = []
    store_seconds: list[float] = []
    with store.open_history(root) as db:
        for n in range(runs):
            outcomes = [
                TestOutcome(
                    test_id,
                    "failed" if i in flaky and rng.random() < 0.2 else "passed",
                    rng.random() / 100,
                    "boom" if i in flaky else "",
                )
                for i, test_id in enumerate(ids)
            ]
            result = CheckResult(
                "tests", "tests-3.12", Status.PASS, python="3.12", per_python=True,
                duration=50.0, metrics={"tests": tests},
            )  # fmt: skip
            run = RunRecord(
                run_id=f"r{n}", project="p", started=1.7e9 + n * 60, results=[result],
                commit=f"c{n // 3}",
            )  # fmt: skip
            started = time.perf_counter()
            row = store.store_run(db, run, root=root)  # the run and its check rows
            check_id = db.execute("SELECT id FROM checks WHERE run = ?", (row,)).fetchone()[0]
            with store.transaction(db):  # the outcomes, as a recorded test run writes them
                store_tests(db, int(check_id), outcomes)
            store_seconds.append(time.perf_counter() - started)
            if n in (0, 9, runs - 1):
                db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                sizes.append(db_file.stat().st_size)
    per_run = (sizes[-1] - sizes[1]) / max(1, runs - 10)
    queries: dict[str, float] = {}
    for name in ("flaky", "stats", "trends"):
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "ci_sessions.cli", "history", "--root", str(root), name, "--days", "0"],
            capture_output=True, text=True, env=bench_env(), check=True,
        )  # fmt: skip
        queries[name] = time.perf_counter() - started
        if name == "flaky":
            found = done.stdout.count("tests/test_f")
    with store.open_history(root) as db:
        started = time.perf_counter()
        in_process = len(flaky_mod.flaky_tests(db))
        queries["flaky_in_process"] = time.perf_counter() - started
        started = time.perf_counter()
        hs.stats(db)
        hs.trends(db)
        queries["stats_trends_in_process"] = time.perf_counter() - started
    slowest = max(queries[q] for q in ("flaky", "stats", "trends"))
    return {
        "name": f"history: bytes per run of {tests:,} tests; slowest query at {runs:,} runs",
        "ratio": None,
        "target": "< 2 MB per run, queries < 1 s",
        "met": per_run < 2_000_000 and slowest < 1.0,
        "bytes": {"first_run": sizes[0], "per_run": per_run, "total": sizes[-1]},
        "seconds": {**queries, "store_median": statistics.median(store_seconds)},
        "flaky_found": {"cli_rows": found, "in_process": in_process, "planted": len(flaky)},
    }


FIGURES = ("edit", "precommit", "shards", "xdist", "overhead", "tracking", "history")


#: the figures of a results file written before each row named its figure, in its order
_OLD_ORDER = ("edit", "precommit", "shards", "xdist", "overhead", "history")


def merged(out: Path, machine: dict[str, Any], results: list[dict[str, Any]]) -> dict[str, Any]:
    """The results file with this run's figures replacing the same figures of earlier runs (a
    figure measured alone keeps the others), each row with the machine facts of its run."""
    for row in results:
        row["run"] = machine
    kept: list[dict[str, Any]] = []
    if out.exists():
        earlier = json.loads(out.read_text())
        for index, row in enumerate(earlier.get("figures", [])):
            figure = row.get("figure") or (_OLD_ORDER[index] if index < len(_OLD_ORDER) else "")
            row["figure"] = figure
            row.setdefault("run", earlier.get("machine", {}))
            kept.append(row)
    fresh = {row["figure"] for row in results}
    rows = [row for row in kept if row["figure"] not in fresh] + results
    rows.sort(key=lambda row: FIGURES.index(row["figure"]) if row["figure"] in FIGURES else 99)
    return {"machine": machine, "figures": rows}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("figures", nargs="*", help=f"any of {', '.join(FIGURES)} (default: all)")
    parser.add_argument("--quick", action="store_true", help="fewer repeats and smaller suites")
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=None,
                        help="default: speed-results.json, none for --quick (printed only)")  # fmt: skip
    args = parser.parse_args()
    chosen = args.figures or list(FIGURES)
    unknown = [f for f in chosen if f not in FIGURES]
    if unknown:
        parser.error(f"unknown figure(s) {', '.join(unknown)}; choose from {', '.join(FIGURES)}")
    repeats = args.repeats or (3 if args.quick else 5)
    big = 20_000 if args.quick else 60_000
    runs = 200 if args.quick else 1000
    work = args.workdir or Path(tempfile.mkdtemp(prefix="ci-sessions-speed-"))
    started = time.perf_counter()
    load_start = load_average()
    results: list[dict[str, Any]] = []
    for figure in chosen:
        print(f"... {figure}", flush=True)
        if figure == "edit":
            results.append(bench_edit(work, repeats))
        elif figure == "precommit":
            results.append(bench_precommit(work, repeats))
        elif figure == "shards":
            results.append(bench_shards(work, repeats))
        elif figure == "xdist":
            results.append(bench_xdist(work, repeats))
        elif figure == "overhead":
            results.append(bench_overhead(work, repeats, big))
        elif figure == "tracking":
            results.append(bench_tracking(work, repeats, big))
        else:
            results.append(bench_history(work, runs, big))
        results[-1]["figure"] = figure
        print(json.dumps(results[-1], indent=2, default=str), flush=True)
    machine = {**run_facts(started, load_start), "repeats": repeats, "quick": args.quick}
    print(f"\n{'figure':<70} {'measured':>12} {'target':>28}  met")
    for row in results:
        shown = f"{row['ratio']:.2f}" if row["ratio"] is not None else ""
        if not shown and "bytes" in row:
            shown = f"{row['bytes']['per_run'] / 1e6:.2f} MB"
        elif not shown:
            shown = f"{next(iter(row['seconds'].values())):.2f} s"
        print(f"{row['name']:<70} {shown:>12} {row['target']:>28}  {'yes' if row['met'] else 'NO'}")
    out = args.out or (None if args.quick else HERE / "speed-results.json")
    if out is not None:  # a quick run's smaller figures never replace the committed ones
        write_atomic(out, merged(out, machine, results))
        print(f"\nwritten: {out} (work files in {work})")
    return 0 if all(row["met"] for row in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
