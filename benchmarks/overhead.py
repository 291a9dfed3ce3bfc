"""What ci-sessions costs over the tools themselves, measured side by side on one fixture.

Warm: ``nox -R -s essential`` (environments ready, result cache off) against the same pinned tools
run one after the other in a prepared venv; sequential (``--jobs 1``: pure overhead, target
<= 1.3) and concurrent (default jobs). Cold: the first run with uv against the virtualenv backend.

    python benchmarks/overhead.py [--modules 30] [--repeat 5] [--no-cold]

Writes benchmarks/overhead-results.json (atomically, at the end of the run) for the default
fixture and repeats: the parts ``warm`` and ``cold``, each with the facts of its run (machine,
load, niceness); a run with ``--no-cold`` replaces ``warm`` and keeps ``cold``. Another size is
printed only (``--json FILE`` to keep it).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import (
    HandVenv,
    bench_env,
    make_project,
    median_of,
    nox_argv,
    reset_state,
    sample,
    timed,
)
from results_file import load_average, merge_parts, run_facts, write_atomic

RESULTS = Path(__file__).resolve().parent / "overhead-results.json"

WARM_TARGET = 1.3


def warm_figures(root: Path, repeats: int) -> dict[str, float]:
    """Wall and CPU seconds: by hand, warm sequential, warm concurrent, cached rerun (medians)."""
    env = bench_env()
    hand = HandVenv(root)
    hand.prepare(env)
    timed(nox_argv("-s", "essential"), root, env)  # builds environments and fills the cache
    hand.run(env)  # warms ruff's and pyright's own caches for the by-hand side too
    samples = median_of(
        repeats,
        lambda: hand.run(env),
        lambda: sample(
            nox_argv("-R", "-s", "essential", "--", "--no-cache", "--jobs", "1"), root, env
        ),
        lambda: sample(nox_argv("-R", "-s", "essential", "--", "--no-cache"), root, env),
        lambda: sample(nox_argv("-R", "-s", "essential"), root, env),
    )
    names = ("by_hand", "sequential", "concurrent", "cached")
    figures = {name: wall for name, (wall, _cpu) in zip(names, samples, strict=True)}
    figures.update({f"cpu_{name}": cpu for name, (_wall, cpu) in zip(names, samples, strict=True)})
    return figures


def cold_figure(root: Path, backend: str) -> float:
    """Seconds of a first ``nox -s essential`` with no environments, using ``backend``."""
    env = bench_env({"CI_SESSIONS_VENV_BACKEND": backend})
    reset_state(root)
    return timed(nox_argv("-s", "essential", "--", "--no-cache"), root, env)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--modules", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-cold", action="store_true", help="skip the cold uv/virtualenv runs")
    parser.add_argument("--json", type=Path, default=None,
                        help=f"default: {RESULTS.name} for the default fixture and repeats")  # fmt: skip
    args = parser.parse_args(argv)
    parts: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="ci-sessions-overhead-") as tmp:
        root = make_project(Path(tmp) / "fixture", args.modules)
        started, load = time.perf_counter(), load_average()
        warm = warm_figures(root, args.repeat)
        figures: dict[str, Any] = {"modules": args.modules, "repeat": args.repeat, **warm}
        figures["ratio_sequential"] = warm["sequential"] / warm["by_hand"]
        figures["ratio_concurrent"] = warm["concurrent"] / warm["by_hand"]
        figures["ratio_cpu_sequential"] = warm["cpu_sequential"] / warm["cpu_by_hand"]
        parts["warm"] = {**figures, "run": run_facts(started, load)}
        if not args.no_cold:
            started, load = time.perf_counter(), load_average()
            figures["cold_uv"] = cold_figure(root, "uv")
            figures["cold_virtualenv"] = cold_figure(root, "virtualenv")
            parts["cold"] = {
                "modules": args.modules,
                "cold_uv": figures["cold_uv"],
                "cold_virtualenv": figures["cold_virtualenv"],
                "run": run_facts(started, load),
            }
    print(f"fixture: {args.modules} modules, medians of {args.repeat} interleaved runs")
    print(f"  tools by hand, sequential      {figures['by_hand']:6.2f} s")
    print(
        f"  nox -R -s essential --jobs 1   {figures['sequential']:6.2f} s"
        f"   ratio {figures['ratio_sequential']:.2f} (target <= {WARM_TARGET})"
    )
    print(
        f"  nox -R -s essential            {figures['concurrent']:6.2f} s"
        f"   ratio {figures['ratio_concurrent']:.2f}"
    )
    print(f"  nox -R -s essential (cached)   {figures['cached']:6.2f} s")
    cpu_ratio = figures["cpu_sequential"] / figures["cpu_by_hand"]
    print(
        f"  CPU: by hand {figures['cpu_by_hand']:.2f} s, nox --jobs 1 {figures['cpu_sequential']:.2f} s"
        f"   ratio {cpu_ratio:.2f} (the framework's own cost, whatever the load)"
    )
    if "cold_uv" in figures:
        print(f"  cold, uv                       {figures['cold_uv']:6.2f} s")
        print(
            f"  cold, virtualenv               {figures['cold_virtualenv']:6.2f} s"
            f"   uv is {figures['cold_virtualenv'] / figures['cold_uv']:.1f}x faster"
        )
    default_size = (args.modules, args.repeat) == (30, 5)
    out = args.json or (RESULTS if default_size else None)
    if out is not None:  # written only once every part asked for was measured
        write_atomic(out, merge_parts(out, parts))
        print(f"written: {out}")
    return 0 if figures["ratio_sequential"] <= WARM_TARGET else 1


if __name__ == "__main__":
    raise SystemExit(main())
