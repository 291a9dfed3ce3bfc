"""How often does each gate fail on identical code? ci-sessions' bench gate vs ``mean:10%``.

Makes a fixture project in a temporary directory, saves a baseline with ``nox -s bench --
--save-baseline``, then measures the same code N more times. For each rerun and benchmark it
prints the mean ratio (what ``pytest --benchmark-compare-fail=mean:10%`` gates on), the ratio of
medians with its interval, and the ci-sessions verdict. Usage::

    python benchmarks/bench_gate_noise.py --repeats 8 [--slowdown 2] [--timer wall] [--burn 3]

Writes benchmarks/bench-gate-noise-results.json (atomically, at the end of the run): one part per
setting (``timer=cpu slowdown=1 burn=0``...), with every rerun's figures, the counts and the facts
of its run (machine, load, niceness); a run of one setting replaces that setting only.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from results_file import load_average, merge_parts, run_facts, write_atomic

RESULTS = Path(__file__).resolve().parent / "bench-gate-noise-results.json"

PROJECT = {
    "pyproject.toml": """
        [build-system]
        requires = ["hatchling"]
        build-backend = "hatchling.build"

        [project]
        name = "speedy"
        version = "0.1.0"
        requires-python = ">=3.10"

        [tool.ci-sessions.bench]
        baseline-branch = "main"  # the fixture is no git repository: name the baseline to use
        max-time = 0.5
        timer = "TIMER"
    """,
    "noxfile.py": "import ci_sessions\n\nci_sessions.register()\n",
    "src/speedy/__init__.py": """
        def work(n: int = 3000) -> int:
            total = 0
            for _ in range(REPEAT):
                total = 0
                for i in range(n):
                    total += i * i
            return total


        def other(n: int = 3000) -> list[int]:
            return sorted(range(n, 0, -1), key=lambda v: v % 7)


        def big(n: int = 60000) -> list[int]:
            return sorted(range(n, 0, -1), key=lambda v: v % 7)


        REPEAT = 1
    """,
    "benchmarks/test_speed.py": """
        from speedy import big, other, work


        def test_work(benchmark) -> None:
            benchmark(work)


        def test_other(benchmark) -> None:
            benchmark(other)


        def test_big(benchmark) -> None:
            benchmark(big)
    """,
}


def write(root: Path) -> None:
    for relative, text in PROJECT.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")


def bench(root: Path, *args: str) -> dict[str, Any]:
    completed = subprocess.run(
        [sys.executable, "-m", "nox", "-s", "bench", "--", *args],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    results = root / ".ci-sessions" / "reports" / "results.json"
    if completed.returncode not in (0, 1) or not results.exists():
        raise SystemExit(completed.stdout + completed.stderr)
    data = json.loads(results.read_text())
    row: dict[str, Any] = next(r for r in data["results"] if r["check"] == "bench")
    if row["status"] == "ERROR":  # no comparison was made: there is nothing to count
        raise SystemExit(f"the bench check could not compare: {row.get('message', row)}")
    return row


def means(root: Path) -> dict[str, float]:
    raw = json.loads((root / ".ci-sessions" / "reports" / "bench-pytest.json").read_text())
    return {b["name"]: float(b["stats"]["mean"]) for b in raw["benchmarks"]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=8)
    parser.add_argument("--slowdown", type=int, default=1, help="plant REPEAT=N in work()")
    parser.add_argument("--timer", choices=("cpu", "wall"), default="cpu", help="bench.timer")
    parser.add_argument("--burn", type=int, default=0, help="busy-loop processes during reruns")
    parser.add_argument("--out", type=Path, default=RESULTS, help=f"default: {RESULTS.name}")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    started, load = time.perf_counter(), load_average()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "speedy"
        write(root)
        pyproject = root / "pyproject.toml"
        pyproject.write_text(pyproject.read_text().replace("TIMER", args.timer))
        bench(root, "--save-baseline")
        base_means = means(root)
        if args.slowdown != 1:
            source = root / "src" / "speedy" / "__init__.py"
            source.write_text(source.read_text().replace("REPEAT = 1", f"REPEAT = {args.slowdown}"))
        burners = [
            subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(args.burn)
        ]
        try:
            mean_fails, gate_fails, rows = rerun(root, args.repeats, base_means)
        finally:
            for burner in burners:
                burner.kill()
                burner.wait()
        total = len(base_means) * args.repeats
        print(
            f"mean:10% would fail {mean_fails}/{total}; the ci-sessions gate failed {gate_fails}/{total}"
        )
    setting = f"timer={args.timer} slowdown={args.slowdown} burn={args.burn}"
    part = {
        "repeats": args.repeats,
        "measurements": total,
        "mean_10pct_fails": mean_fails,
        "gate_fails": gate_fails,
        "reruns": rows,
        "run": run_facts(started, load),
    }
    if not args.no_write:
        write_atomic(args.out, merge_parts(args.out, {setting: part}))
        print(f"written: {args.out} ({setting})")
    return 0


def rerun(
    root: Path, repeats: int, base_means: dict[str, float]
) -> tuple[int, int, list[dict[str, Any]]]:
    """Measure the unchanged project ``repeats`` times; count what each gate would fail."""
    mean_fails = gate_fails = 0
    rows: list[dict[str, Any]] = []
    print("run benchmark   mean-ratio  median-ratio  interval        fastest  verdict")
    for index in range(1, repeats + 1):
        metrics = bench(root)["metrics"]
        current = means(root)
        for name in sorted(current):
            mean_ratio = current[name] / base_means[name]
            mean_fails += mean_ratio > 1.10
            verdict = metrics[f"verdict:{name}"]
            gate_fails += verdict == "regressed"
            rows.append({
                "rerun": index,
                "benchmark": name,
                "mean_ratio": mean_ratio,
                "median_ratio": metrics[f"ratio:{name}"],
                "interval": [metrics[f"ci_low:{name}"], metrics[f"ci_high:{name}"]],
                "fastest_ratio": metrics[f"fast_ratio:{name}"],
                "verdict": verdict,
            })  # fmt: skip
            print(
                f"{index:>3} {name:<11} {mean_ratio:10.3f}  {metrics[f'ratio:{name}']:12.3f}  "
                f"{metrics[f'ci_low:{name}']:.3f}-{metrics[f'ci_high:{name}']:.3f}  "
                f"{metrics[f'fast_ratio:{name}']:8.3f}  {verdict}"
            )
    return mean_fails, gate_fails, rows


if __name__ == "__main__":
    raise SystemExit(main())
