"""How long this repository's own checks take (issue 23 item 9): the essential tier cold, at most
4 minutes here, and the longest cell of its own CI workflow, at most 15 minutes.

    python benchmarks/own_suite.py               # both figures, in a clean clone of HEAD
    python benchmarks/own_suite.py essential     # one of them
    python benchmarks/own_suite.py --no-write    # print only (a partial run never writes)

``essential``: ``nox -s essential`` in a fresh clone of HEAD (no ``.nox``, no ``.ci-sessions``:
every environment is made, nothing is cached), as a contributor's first run or the pre-commit
hook's. It runs the fast tests on pytest-xdist workers; ``tests/conftest.py`` leaves the slow
ones out.

``cell``: one cell of this repository's workflow, the test step of ``tests-<python>`` as the
runner runs it (``CI=true``, so the slow tests are in; ``tests.workers = auto``), in a fresh clone
with cold environments: ``nox -s tests-<python>``. Every cell of the matrix runs the same suite
on another Python, so the longest cell is this one on the slowest Python. The quick job
(lint, format, typecheck) and the change detection are shorter than any test cell.

Writes benchmarks/own-suite-results.json only when every figure was measured in this run (with
the machine's load before and after, and CPU seconds beside wall seconds: other work on the
machine stretches wall time, CPU time moves little).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "own-suite-results.json"
GOALS = {"essential": 4 * 60.0, "cell": 15 * 60.0}
FIGURES = tuple(GOALS)


def _env(ci: bool) -> dict[str, str]:
    """The caller's environment without ci-sessions overrides; CI set only for the CI cell."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("CI_SESSIONS_", "PYTEST_", "NOX_")) and k not in ("CI", "VIRTUAL_ENV")
    }
    env["UV_PYTHON_DOWNLOADS"] = "never"
    if ci:
        env["CI"] = "true"
    return env


def _clone(work: Path, name: str) -> Path:
    target = work / name
    subprocess.run(["git", "clone", "-q", str(REPO), str(target)], check=True)
    return target


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _timed(argv: list[str], cwd: Path, env: dict[str, str]) -> dict[str, Any]:
    load_before = os.getloadavg()[0]
    cpu = _children_cpu()
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    table = [line for line in done.stdout.splitlines() if " PASS " in line or " FAIL " in line]
    return {
        "command": " ".join(argv[2:]),
        "exit_code": done.returncode,
        "wall_s": round(wall, 1),
        "cpu_s": round(_children_cpu() - cpu, 1),
        "load_before": round(load_before, 2),
        "load_after": round(os.getloadavg()[0], 2),
        "table": [" ".join(line.split()) for line in table],
        "tail": done.stdout.splitlines()[-3:] + done.stderr.splitlines()[-3:],
    }


def measure(figure: str, work: Path, python: str) -> dict[str, Any]:
    root = _clone(work, figure)
    # the nox that `uv run --group test` gives a contributor: the one beside this interpreter
    nox = [sys.executable, "-m", "nox"]
    if figure == "essential":
        return _timed([*nox, "-s", "essential"], root, _env(ci=False))
    return _timed([*nox, "-s", f"tests-{python}"], root, _env(ci=True))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("figures", nargs="*", metavar="{essential,cell}", default=[])
    parser.add_argument("--python", default=f"{sys.version_info.major}.{sys.version_info.minor}")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)
    unknown = [f for f in args.figures if f not in FIGURES]
    if unknown:
        parser.error(f"unknown figure {unknown[0]!r}: choose from {', '.join(FIGURES)}")
    chosen = list(args.figures) or list(FIGURES)
    work = Path(tempfile.mkdtemp(prefix="own-suite-"))
    results: dict[str, Any] = {}
    try:
        for figure in chosen:
            row = measure(figure, work, args.python)
            row["goal_s"] = GOALS[figure]
            row["met"] = row["exit_code"] == 0 and row["wall_s"] <= GOALS[figure]
            results[figure] = row
            print(
                f"{figure:10} {row['wall_s']:7.1f} s wall {row['cpu_s']:7.1f} s CPU "
                f"(goal {GOALS[figure]:.0f} s, exit {row['exit_code']}, "
                f"load {row['load_before']} -> {row['load_after']})"
            )
            for line in row["table"]:
                print(f"    {line}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    complete = set(chosen) == set(FIGURES)
    if complete and not args.no_write:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True
        ).stdout.strip()
        document = {
            "commit": commit,
            "measured": time.strftime("%Y-%m-%d %H:%M:%S"),
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
            "figures": results,
        }
        tmp = RESULTS.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
        tmp.replace(RESULTS)
        print(f"written: {RESULTS.relative_to(REPO)}")
    elif not complete:
        print("a partial run: benchmarks/own-suite-results.json is left as it was")
    return 0 if all(r["met"] for r in results.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
