"""Run mutmut on the verdict paths and record how long it took (docs/mutation.md).

mutmut does not record a run's time, so the figures of the 8-hour budget (issue 23, item 6) come
from this wrapper: it runs ``mutmut run`` in the current folder (a copy of the tree outside any git
work tree: a mutant of release/rollback.py runs git in its working folder), measures the wall time,
the CPU time of mutmut and its children and the load average every few seconds, then writes the
scores with ``mutation_results.py`` and appends the run's timing to ``runs`` in the results file.

Usage (from the copy, with the venv that has mutmut):
    python benchmarks/mutation_run.py --commit SHA --out CHECKOUT/benchmarks/mutation-results.json \
        [--max-children 2] [MUTANT_NAME_OR_GLOB ...]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from results_file import load_average, write_atomic

#: how often the load average is sampled while mutmut runs (seconds)
SAMPLE_EVERY = 5.0


class NotACopy(SystemExit):
    """The folder is inside a git work tree: mutants would run git on that repository."""


def refuse_a_work_tree(folder: Path) -> None:
    """Stop unless ``folder`` is outside every git work tree (docs/mutation.md's warning)."""
    inside = subprocess.run(
        ["git", "rev-parse", "--is-inside-work-tree"],
        cwd=folder,
        capture_output=True,
        text=True,
        check=False,
    )
    if inside.returncode == 0 and inside.stdout.strip() == "true":
        raise NotACopy(
            f"error: {folder} is inside a git work tree; a mutant of release/rollback.py runs git "
            "there. Copy the tree first: git archive HEAD | tar -x -C /tmp/mutation-tree"
        )


class LoadSampler:
    """The 1-minute load average, sampled on a thread while a command runs."""

    def __init__(self) -> None:
        self.samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while True:
            self.samples.append(os.getloadavg()[0])
            if self._stop.wait(SAMPLE_EVERY):
                return

    def __enter__(self) -> LoadSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def timed_run(command: list[str]) -> dict[str, Any]:
    """Run ``command``; its exit code, wall and CPU seconds and the load while it ran."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    with LoadSampler() as load:
        code = subprocess.run(command, check=False).returncode
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    samples = load.samples or [0.0]
    return {
        "exit_code": code,
        "wall_seconds": round(wall, 1),
        "cpu_seconds": round(cpu, 1),
        "load_mean": round(sum(samples) / len(samples), 2),
        "load_max": round(max(samples), 2),
    }


def run_record(
    args: argparse.Namespace, command: list[str], timing: dict[str, Any]
) -> dict[str, Any]:
    """One entry of ``runs``: what ran, on which commit and machine, and how long it took."""
    return {
        "date": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
        "commit": args.commit,
        "command": ["mutmut", *command[command.index("run") :]],
        "cpus": os.cpu_count(),
        "niceness": os.nice(0),
        "load_average_end": load_average(),
        **timing,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--commit", required=True, help="the commit the copy was made from")
    parser.add_argument("--max-children", type=int, default=os.cpu_count() or 1)
    parser.add_argument("names", nargs="*", help="mutant names or globs (default: every module)")
    args = parser.parse_args(argv)
    refuse_a_work_tree(Path.cwd())
    import mutation_results  # mutmut's own modules: only in the venv that runs mutmut

    mutmut = shutil.which("mutmut", path=str(Path(sys.executable).parent)) or "mutmut"
    command = [mutmut, "run", "--max-children", str(args.max_children), *args.names]
    timing = timed_run(command)
    # the scores first (mutation_results replaces the modules this run checked), then the timing
    code = mutation_results.main(["--out", str(args.out)])
    document = json.loads(args.out.read_text(encoding="utf-8"))
    document["runs"] = [*document.get("runs", []), run_record(args, command, timing)]
    write_atomic(args.out, document)
    print(
        f"mutmut: exit {timing['exit_code']}, {timing['wall_seconds'] / 60:.1f} min wall, "
        f"{timing['cpu_seconds'] / 60:.1f} min CPU, load {timing['load_mean']} "
        f"(max {timing['load_max']})"
    )
    return timing["exit_code"] or code


if __name__ == "__main__":
    raise SystemExit(main())
