"""Start-up time of the commands (issue 23 item 3): where imports may stay lazy.

    python benchmarks/startup_bench.py                  # this checkout against main
    python benchmarks/startup_bench.py --before REF --runs 9

Measures, for the tree of a git ref (``before``, from ``git archive``) and for this checkout
(``after``), both run by this Python with the tree first on PYTHONPATH, in alternating pairs
(before, after, before, after, ...) so the load of other jobs falls on both alike:

- ``ci-sessions --help`` and ``ci-sessions <command> --help`` for every command,
- ``nox -l`` on a small fixture project (the three-line noxfile: every check is registered),
- ``eager``: importing every command module at once, which is what ``ci-sessions --help`` would
  cost if ``cli.py`` imported the commands at its top (the reason the dispatch stays lazy).

Prints median wall and median CPU seconds (the process and its children; CPU moves little
with load) per row and tree; writes benchmarks/startup-results.json with the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "startup-results.json"
CLI = "import sys; from ci_sessions.cli import main; sys.exit(main())"
COMMANDS = [
    "config",
    "init",
    "update",
    "validate",
    "migrate",
    "matrix",
    "baseline",
    "changes",
    "packages",
    "history",
    "ratchet",
    "report",
    "release",
    "ci",
]
COMMAND_MODULES = [
    "ci_sessions.validate.effective",
    "ci_sessions.scaffold.init",
    "ci_sessions.scaffold.update",
    "ci_sessions.validate.cli",
    "ci_sessions.scaffold.migrate",
    "ci_sessions.sessions.matrix",
    "ci_sessions.baseline.record",
    "ci_sessions.changes.detect",
    "ci_sessions.changes.selection",
    "ci_sessions.history.cli",
    "ci_sessions.history.ratchet",
    "ci_sessions.reports.cli",
    "ci_sessions.release.cli",
    "ci_sessions.ci.cli",
]
FIXTURE = {
    "pyproject.toml": '[project]\nname = "demo"\nversion = "0.1"\nrequires-python = ">=3.10"\n',
    "noxfile.py": "import ci_sessions\n\nci_sessions.register()\n",
    "src/demo/__init__.py": "VALUE = 1\n",
    "tests/test_demo.py": "def test_value():\n    assert True\n",
}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def sample(argv: list[str], cwd: Path, tree: Path) -> tuple[float, float]:
    """(wall s, CPU s) of one run; a failing command is a broken benchmark, not a number."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CI_SESSIONS_", "NOX_"))}
    env["PYTHONPATH"] = str(tree)
    env.pop("CI", None)
    env.pop("GITHUB_ACTIONS", None)
    cpu = _children_cpu()
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{argv} exited {done.returncode} with {tree}:\n{done.stderr[-2000:]}")
    return wall, _children_cpu() - cpu


def tree_of(ref: str, into: Path) -> Path:
    archive = into / "tree.tar"
    with archive.open("wb") as handle:
        subprocess.run(["git", "archive", ref], cwd=REPO, stdout=handle, check=True)
    target = into / "tree"
    with tarfile.open(archive) as tar:
        tar.extractall(target, filter="data")
    return target


def rows(fixture: Path) -> dict[str, tuple[list[str], Path]]:
    python = sys.executable
    table: dict[str, tuple[list[str], Path]] = {
        "ci-sessions --help": ([python, "-c", CLI, "--help"], fixture),
    }
    for command in COMMANDS:
        table[f"ci-sessions {command} --help"] = ([python, "-c", CLI, command, "--help"], fixture)
    table["nox -l (fixture)"] = ([python, "-m", "nox", "-l"], fixture)
    every = "; ".join(f"import {m}" for m in COMMAND_MODULES)
    table["eager: import every command module"] = ([python, "-c", every], fixture)
    return table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default="main", metavar="REF", help="default: main")
    parser.add_argument("--runs", type=int, default=7, help="samples per row and tree (>= 5)")
    args = parser.parse_args(argv)
    if args.runs < 5:
        parser.error("--runs: at least 5, the figures are medians")
    load_before = [round(x, 2) for x in os.getloadavg()]
    with tempfile.TemporaryDirectory(prefix="ci-sessions-startup-") as tmp:
        work = Path(tmp)
        trees = {"before": tree_of(args.before, work), "after": REPO}
        fixture = work / "fixture"
        for rel, text in FIXTURE.items():
            (fixture / rel).parent.mkdir(parents=True, exist_ok=True)
            (fixture / rel).write_text(text, encoding="utf-8")
        table = rows(fixture)
        figures: dict[str, dict[str, Any]] = {}
        for label, (command, cwd) in table.items():
            for tree in trees.values():  # one unmeasured run each: bytecode written, caches warm
                sample(command, cwd, tree)
            walls: dict[str, list[float]] = {name: [] for name in trees}
            cpus: dict[str, list[float]] = {name: [] for name in trees}
            for _ in range(args.runs):
                for name, tree in trees.items():
                    wall, cpu = sample(command, cwd, tree)
                    walls[name].append(wall)
                    cpus[name].append(cpu)
            figures[label] = {
                name: {
                    "median_wall_s": round(statistics.median(walls[name]), 3),
                    "median_cpu_s": round(statistics.median(cpus[name]), 3),
                }
                for name in trees
            }
            shown = "  ".join(
                f"{name} {f['median_wall_s']:.3f} s ({f['median_cpu_s']:.3f} CPU)"
                for name, f in figures[label].items()
            )
            print(f"{label:<36} {shown}")
    result = {
        "what": "median seconds per command, trees run in alternating pairs",
        "before": args.before,
        "before_commit": subprocess.run(
            ["git", "rev-parse", args.before], cwd=REPO, capture_output=True, text=True, check=True
        ).stdout.strip(),
        "after_commit": subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True
        ).stdout.strip(),
        "after": "this checkout",
        "runs": args.runs,
        "python": platform.python_version(),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "load_before": load_before,
        "load_after": [round(x, 2) for x in os.getloadavg()],
        "rows": figures,
    }
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"load {load_before} -> {result['load_after']}; wrote {RESULTS.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
