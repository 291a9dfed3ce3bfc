"""What the ci-sessions pytest plugin costs inside pytest, on a big suite of tiny tests.

    python benchmarks/plugin_cost.py [--tests 60000] [--repeats 3]
    python benchmarks/plugin_cost.py --instructions [--tests 1000]   # valgrind's callgrind

Interleaved rounds of the same suite, in one venv (pytest and the project), each a plain
``python -m pytest``:

- ``pytest``: alone, the baseline;
- ``plugin``: with the plugin's outcomes and progress counts, as the tests check runs it;
- ``thread_timed_wait``: with a plugin that only starts a thread sleeping 5 s at a time;
- ``thread_untimed_wait``: with a plugin that only starts a thread blocked without a timeout.

The two thread rows are why the progress counts are stored in a memory-mapped file and not
written by a thread: on this machine a thread in a timed wait slowed the tests' own thread (the
old progress writer slept 0.5 s between writes), a thread blocked without a timeout did not.

Writes ``benchmarks/plugin-cost-results.json`` (atomically): medians, ratios over ``pytest``
and the facts of the run.

``--instructions`` counts instructions instead of seconds (``valgrind --tool=callgrind``, one
hash seed): the same count for the same code and input whatever else the machine runs. It runs
``pytest`` and ``plugin`` on suites of N and 2N tests, so the plugin's cost per test (the
difference of the differences over N tests) is apart from its cost once per run (imports, the
map, the outcomes file). Writes ``benchmarks/plugin-instructions-results.json``.
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from harness import PY, sample  # noqa: E402
from results_file import load_average, run_facts, write_atomic  # noqa: E402
from speed import bench_env, plain_venv  # noqa: E402
from speed_project import make_flat_suite  # noqa: E402

OUT = HERE / "plugin-cost-results.json"
INSTRUCTIONS_OUT = HERE / "plugin-instructions-results.json"
PLUGIN_FOLDER = HERE.parent / "ci_sessions" / "checks" / "pytest_plugin"

#: plugins that start one thread and nothing else: its kind of wait is all that differs
THREAD_PLUGINS = {
    "timed_wait_thread": (
        "import threading, time\n\n\ndef _sleep():\n    while True:\n        time.sleep(5)\n\n\n"
        "def pytest_configure(config):\n    threading.Thread(target=_sleep, daemon=True).start()\n"
    ),
    "untimed_wait_thread": (
        "import threading\n\n_NEVER = threading.Event()\n\n\n"
        "def pytest_configure(config):\n    threading.Thread(target=_NEVER.wait, daemon=True).start()\n"
    ),
}


def measure(work: Path, tests: int, repeats: int) -> dict[str, Any]:
    root = make_flat_suite(work / f"flat{tests}", tests, per_file=100)
    env = bench_env()
    pytest = plain_venv(root, sys.executable, env)
    plugins = work / "plugins"
    plugins.mkdir(exist_ok=True)
    for name, text in THREAD_PLUGINS.items():
        (plugins / f"{name}.py").write_text(text)
    with_plugin = {**env, "PYTHONPATH": str(PLUGIN_FOLDER)}
    with_threads = {**env, "PYTHONPATH": str(plugins)}
    outcomes, counts = work / "outcomes.json", work / "counts.json"
    sides = {
        "pytest": (pytest, env),
        "plugin": ([*pytest, "-p", "ci_sessions_pytest", f"--ci-sessions-outcomes={outcomes}", f"--ci-sessions-progress={counts}"], with_plugin),
        "thread_timed_wait": ([*pytest, "-p", "timed_wait_thread"], with_threads),
        "thread_untimed_wait": ([*pytest, "-p", "untimed_wait_thread"], with_threads),
    }  # fmt: skip
    sample(pytest, root, env)  # warms the bytecode caches
    walls: dict[str, list[float]] = {name: [] for name in sides}
    cpus: dict[str, list[float]] = {name: [] for name in sides}
    for _ in range(repeats):
        for name, (argv, side_env) in sides.items():
            wall, cpu = sample(argv, root, side_env)
            walls[name].append(wall)
            cpus[name].append(cpu)
            print(f"  {name}: {wall:.2f} s (CPU {cpu:.2f} s)", flush=True)
    base_wall, base_cpu = statistics.median(walls["pytest"]), statistics.median(cpus["pytest"])
    return {
        "tests": tests,
        "repeats": repeats,
        "python": PY,
        "sides": {
            name: {
                "wall_median": statistics.median(walls[name]),
                "cpu_median": statistics.median(cpus[name]),
                "ratio": statistics.median(walls[name]) / base_wall,
                "cpu_ratio": statistics.median(cpus[name]) / base_cpu,
                "walls": walls[name],
            }
            for name in sides
        },
    }


def instructions(argv: list[str], root: Path, env: dict[str, str], out: Path) -> int:
    """Instructions one run executes, counted by callgrind (its ``summary:`` line)."""
    done = subprocess.run(
        ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", *argv],
        cwd=root, env={**env, "PYTHONHASHSEED": "0"}, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(
            f"{' '.join(argv)} under callgrind exited {done.returncode}:\n{done.stderr[-2000:]}"
        )
    found = re.search(r"^summary: (\d+)", out.read_text(encoding="utf-8"), re.MULTILINE)
    if found is None:
        raise RuntimeError(f"no summary line in {out}")
    return int(found.group(1))


def measure_instructions(work: Path, tests: int) -> dict[str, Any]:
    """pytest alone and with the plugin, on ``tests`` and ``2 * tests`` tests."""
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (Debian: apt-get install valgrind)")
    env = bench_env()
    with_plugin = {**env, "PYTHONPATH": str(PLUGIN_FOLDER)}
    counts: dict[str, dict[str, int]] = {}
    for size in (tests, 2 * tests):
        root = make_flat_suite(work / f"flat{size}", size, per_file=100)
        pytest = plain_venv(root, sys.executable, env)
        plugin = [*pytest, "-p", "ci_sessions_pytest", f"--ci-sessions-outcomes={work / 'o.json'}",
                  f"--ci-sessions-progress={work / 'p.json'}"]  # fmt: skip
        sample(pytest, root, env)  # warms the bytecode caches
        sample(plugin, root, with_plugin)
        counts[str(size)] = {
            "pytest": instructions(pytest, root, env, work / "pytest.out"),
            "plugin": instructions(plugin, root, with_plugin, work / "plugin.out"),
        }
        print(f"  {size} tests: {counts[str(size)]}", flush=True)
    small, big = counts[str(tests)], counts[str(2 * tests)]
    per_test = {side: (big[side] - small[side]) / tests for side in ("pytest", "plugin")}
    once = {side: small[side] - per_test[side] * tests for side in ("pytest", "plugin")}
    return {
        "tests": [tests, 2 * tests],
        "python": PY,
        "instructions": counts,
        "per_test": per_test,
        "plugin_per_test_share": per_test["plugin"] / per_test["pytest"] - 1,
        "plugin_once": once["plugin"] - once["pytest"],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tests", type=int, default=60_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--instructions", action="store_true", help="count with callgrind")
    args = parser.parse_args()
    started, load_start = time.perf_counter(), load_average()
    if args.instructions:
        with tempfile.TemporaryDirectory(prefix="ci-sessions-plugin-instructions-") as work:
            counted = measure_instructions(Path(work), 1000 if args.tests == 60_000 else args.tests)
        counted["run"] = run_facts(started, load_start)
        print(
            f"per test: pytest {counted['per_test']['pytest']:,.0f}, with the plugin "
            f"{counted['per_test']['plugin']:,.0f} instructions "
            f"(+{counted['plugin_per_test_share']:.2%}); once per run: "
            f"+{counted['plugin_once']:,.0f}"
        )
        write_atomic(args.out or INSTRUCTIONS_OUT, counted)
        return 0
    with tempfile.TemporaryDirectory(prefix="ci-sessions-plugin-cost-") as work:
        found = measure(Path(work), args.tests, args.repeats)
    found["run"] = run_facts(started, load_start)
    for name, side in found["sides"].items():
        print(
            f"{name:<22} {side['wall_median']:7.2f} s  {side['ratio']:.3f}x  (CPU {side['cpu_ratio']:.3f}x)"
        )
    write_atomic(args.out or OUT, found)
    print(f"written: {args.out or OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
