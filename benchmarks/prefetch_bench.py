"""A cold tier with every environment built from the first moment, against one that builds each
environment only when its check starts (docs/performance.md, "Concurrent tiers").

Both sides run ``nox -s essential`` on the same generated project after removing its
environments and caches (package caches of uv stay warm); the second side's noxfile turns the
runner's environment prefetch off. The runs are interleaved (A, B, A, B, ...) and the medians
compared.

    python benchmarks/prefetch_bench.py [--modules 30] [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import bench_env, make_project, median_of, nox_argv, reset_state, sample

WITHOUT_PREFETCH = """\
import ci_sessions
import ci_sessions.engine.runner as runner

runner._prefetch_environments = lambda pool, planned: []  # each check builds its own, late
ci_sessions.register()
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modules", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as scratch:
        root = make_project(Path(scratch) / "project", args.modules)
        (root / "noxfile_late.py").write_text(WITHOUT_PREFETCH)
        env = bench_env()

        def cold(*noxfile: str) -> tuple[float, float]:
            reset_state(root)
            return sample(nox_argv(*noxfile, "-s", "essential"), root, env)

        cold()  # warms uv's package cache, so both sides install from it
        prefetch, late = median_of(args.repeat, cold, lambda: cold("-f", "noxfile_late.py"))
    print(f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}, {args.modules} modules, "
          f"medians of {args.repeat} interleaved cold runs, load average {load:.1f} -> "
          f"{os.getloadavg()[0]:.1f}")  # fmt: skip
    print("| cold nox -s essential | wall s | CPU s |")
    print("| --- | --- | --- |")
    print(f"| environments built when each check starts | {late[0]:.2f} | {late[1]:.2f} |")
    print(f"| every environment built from the start | {prefetch[0]:.2f} | {prefetch[1]:.2f} |")
    print(f"ratio (prefetch / late): {prefetch[0] / late[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
