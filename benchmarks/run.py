"""The framework benchmark suite: every figure a ratio measured side by side in one run.

    python benchmarks/run.py            # or: nox -s bench-framework
    python benchmarks/run.py --quick    # fewer repeats, scaling up to 100 modules

Figures (targets from issue 5):
  1. warm ``nox -s essential`` vs the same tools run one after the other by hand    <= 0.75
  2. no-change rerun with the result cache vs by hand                               <= 0.10, < 1 s
  3. cold first run: ci-sessions with uv vs plain nox sessions on nox's default
     virtualenv backend, and vs tox running the same tools                         >= 3x faster
  4. ``import ci_sessions`` + ``nox -l`` vs the same with a plain noxfile           <= +150 ms
  5. scaling: essential on generated projects of 1, 10, 100, 1000 modules
Prints a table and writes benchmarks/results.json (machine facts and load included, because on a
shared 2-core machine the load decides as much as the code), atomically, and only from a run that
measured every figure on the default fixture and sizes; any other run is printed only, unless
``--output`` names a file.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
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

from harness import (
    PY,
    PYRIGHT,
    PYTEST,
    RUFF,
    HandVenv,
    Sample,
    bench_env,
    make_project,
    median_of,
    nox_argv,
    reset_state,
    sample,
    timed,
)
from results_file import write_atomic

HERE = Path(__file__).resolve().parent
DEFAULT_MODULES, DEFAULT_SIZES = 30, [1, 10, 100, 1000]

PLAIN_NOXFILE = textwrap.dedent(
    f'''
    """The same four tools as plain nox sessions, each in its own environment (nox's defaults)."""

    import nox


    @nox.session
    def lint(session: nox.Session) -> None:
        session.install("{RUFF}")
        session.run("ruff", "check", "--no-fix", ".")


    @nox.session(name="format")
    def format_(session: nox.Session) -> None:
        session.install("{RUFF}")
        session.run("ruff", "format", "--check", ".")


    @nox.session
    def typecheck(session: nox.Session) -> None:
        session.install("{PYRIGHT}", "-e", ".")
        session.run("pyright", "src")


    @nox.session
    def tests(session: nox.Session) -> None:
        session.install("{PYTEST}", "-e", ".")
        session.run("pytest", "-q", "-p", "no:cacheprovider")
    '''
).lstrip("\n")

TOX_INI = textwrap.dedent(
    f"""
    [tox]
    env_list = lint, format, typecheck, tests

    [testenv:lint]
    skip_install = true
    deps = {RUFF}
    commands = ruff check --no-fix .

    [testenv:format]
    skip_install = true
    deps = {RUFF}
    commands = ruff format --check .

    [testenv:typecheck]
    deps = {PYRIGHT}
    commands = pyright src

    [testenv:tests]
    deps = {PYTEST}
    commands = pytest -q -p no:cacheprovider
    """
).lstrip("\n")


def figure(
    name: str, ratio: float | None, target: str, met: bool | None, **seconds: float | str
) -> dict[str, Any]:
    return {"name": name, "ratio": ratio, "target": target, "met": met, "detail": seconds}


def warm_and_cached(root: Path, repeats: int) -> list[dict[str, Any]]:
    env = bench_env()
    hand = HandVenv(root)
    hand.prepare(env)
    timed(nox_argv("-s", "essential"), root, env)  # environments + cache entries
    hand.run(env)
    samples = median_of(
        repeats,
        lambda: hand.run(env),
        lambda: hand.run_parallel(env),
        lambda: sample(nox_argv("-s", "essential", "--", "--no-cache"), root, env),
        lambda: sample(nox_argv("-s", "essential", "--", "--no-cache", "--jobs", "1"), root, env),
        lambda: sample(nox_argv("-s", "essential"), root, env),
    )
    (
        (by_hand, hand_cpu),
        (hand_parallel, _),
        (warm, warm_cpu),
        (warm_seq, _),
        (cached, cached_cpu),
    ) = samples
    warm_ratio = warm / by_hand
    cached_ratio = cached / by_hand
    return [
        figure(
            "warm essential vs by hand",
            warm_ratio,
            "<= 0.75",
            warm_ratio <= 0.75,
            essential=warm,
            essential_jobs_1=warm_seq,
            by_hand=by_hand,
            by_hand_all_at_once=hand_parallel,
            cpu_essential=warm_cpu,
            cpu_by_hand=hand_cpu,
        ),
        figure(
            "no-change rerun (cache) vs by hand",
            cached_ratio,
            "<= 0.10 and < 1 s",
            cached_ratio <= 0.10 and cached < 1.0,
            essential_cached=cached,
            by_hand=by_hand,
            cpu_cached=cached_cpu,
        ),
    ]


def cold(root: Path, with_tox: bool, repeats: int) -> list[dict[str, Any]]:
    """First runs with no environments (package caches warm), interleaved, medians."""
    env = bench_env()
    essential = nox_argv("-s", "essential", "--", "--no-cache")
    tox_argv = [sys.executable, "-m", "tox", "run", "-e", "lint,format,typecheck,tests"]
    has_tox = with_tox and _has_tox()

    def first_run(argv: list[str], extra: dict[str, str] | None = None) -> Sample:
        reset_state(root)
        return sample(argv, root, {**env, **(extra or {})})

    measures = [
        lambda: first_run(essential, {"CI_SESSIONS_VENV_BACKEND": "uv"}),
        lambda: first_run(essential, {"CI_SESSIONS_VENV_BACKEND": "virtualenv"}),
        lambda: first_run(
            nox_argv("-f", "plain_noxfile.py", "-s", "lint", "format", "typecheck", "tests")
        ),
    ]
    (root / "plain_noxfile.py").write_text(PLAIN_NOXFILE)
    try:
        if has_tox:
            measures.append(lambda: _with_tox_ini(root, lambda: first_run(tox_argv)))
        medians = median_of(repeats, *measures)
    finally:
        (root / "plain_noxfile.py").unlink()
        reset_state(root)
    uv, ours_venv, plain = (m[0] for m in medians[:3])
    speedup = plain / uv
    rows = [
        figure(
            "cold: uv vs nox virtualenv (x faster)",
            speedup,
            ">= 3.0",
            speedup >= 3.0,
            ci_sessions_uv=uv,
            ci_sessions_virtualenv_backend=ours_venv,
            plain_nox_virtualenv=plain,
        )
    ]
    if has_tox:
        tox = medians[3][0]
        rows.append(
            figure(
                "cold: uv vs tox (x faster)",
                tox / uv,
                ">= 3.0",
                tox / uv >= 3.0,
                ci_sessions_uv=uv,
                tox=tox,
            )
        )
    else:
        note = "tox not installed (pip install tox, or the `bench` dependency group)"
        rows.append(figure("cold: uv vs tox (x faster)", None, ">= 3.0", None, note=note))
    return rows


def _with_tox_ini(root: Path, measure: Callable[[], Sample]) -> Sample:
    """tox.ini exists only while tox runs: ci-sessions reads tox.ini for test dependencies."""
    (root / "tox.ini").write_text(TOX_INI)
    try:
        return measure()
    finally:
        (root / "tox.ini").unlink()


def _has_tox() -> bool:
    probe = subprocess.run([sys.executable, "-c", "import tox"], capture_output=True, check=False)
    return probe.returncode == 0


def listing(root: Path, repeats: int) -> dict[str, Any]:
    env = bench_env()
    (root / "plain_noxfile.py").write_text(PLAIN_NOXFILE)
    try:
        (ours, ours_cpu), (plain, plain_cpu) = median_of(
            repeats,
            lambda: sample(nox_argv("-l"), root, env),
            lambda: sample(nox_argv("-l", "-f", "plain_noxfile.py"), root, env),
        )
        (bare_import, _), (bare, _) = median_of(
            repeats,
            lambda: sample([sys.executable, "-c", "import ci_sessions"], root, env),
            lambda: sample([sys.executable, "-c", "pass"], root, env),
        )
    finally:
        (root / "plain_noxfile.py").unlink()
    delta_ms = (ours - plain) * 1000
    return figure(
        "nox -l: ci-sessions vs plain noxfile (+ms)",
        None,
        "<= +150 ms",
        delta_ms <= 150,
        ci_sessions=ours,
        plain=plain,
        delta_ms=round(delta_ms, 1),
        cpu_delta_ms=round((ours_cpu - plain_cpu) * 1000, 1),
        import_ci_sessions_ms=round((bare_import - bare) * 1000, 1),
    )


def scaling(base: Path, sizes: list[int]) -> list[dict[str, Any]]:
    env = bench_env()
    rows: list[dict[str, Any]] = []
    for size in sizes:
        root = make_project(base / f"scale-{size}", size, work=2_000)
        cold_s = timed(nox_argv("-s", "essential"), root, env)
        warm_s = timed(nox_argv("-s", "essential", "--", "--no-cache"), root, env)
        cached_s = timed(nox_argv("-s", "essential"), root, env)
        rows.append({"modules": size, "cold": cold_s, "warm": warm_s, "cached": cached_s})
        print(
            f"  scaling {size:>5} modules: cold {cold_s:6.2f} s, warm {warm_s:6.2f} s, cached {cached_s:5.2f} s"
        )
        shutil.rmtree(root, ignore_errors=True)
    return rows


def machine() -> dict[str, Any]:
    def version(argv: list[str]) -> str:
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
        return (
            (done.stdout or done.stderr).strip().splitlines()[0] if done.returncode == 0 else "n/a"
        )

    from ci_sessions.engine.environments import find_uv

    uv = find_uv()
    return {
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "nox": version([sys.executable, "-m", "nox", "--version"]),
        "uv": version([uv, "--version"]) if uv else "n/a",
        "load_average_start": list(os.getloadavg()),
    }


def render(figures: list[dict[str, Any]], scale: list[dict[str, Any]]) -> str:
    lines = [
        "| figure | measured | ratio | target | met |",
        "|---|---|---|---|---|",
    ]
    for row in figures:
        detail = ", ".join(
            f"{k} {v:.2f} s" if isinstance(v, float) and not k.endswith("_ms") else f"{k} {v}"
            for k, v in row["detail"].items()
        )
        ratio = "" if row["ratio"] is None else f"{row['ratio']:.2f}"
        met = {True: "yes", False: "**no**", None: "n/a"}[row["met"]]
        lines.append(f"| {row['name']} | {detail} | {ratio} | {row['target']} | {met} |")
    if scale:
        lines += [
            "",
            "| modules | cold | warm (no cache) | cached rerun | warm per module |",
            "|---|---|---|---|---|",
        ]
        for row in scale:
            lines.append(
                f"| {row['modules']} | {row['cold']:.2f} s | {row['warm']:.2f} s | {row['cached']:.2f} s "
                f"| {1000 * row['warm'] / row['modules']:.1f} ms |"
            )
    return "\n".join(lines)


def committed_output(args: argparse.Namespace, sizes: list[int]) -> Path | None:
    """Where a run writes its figures: ``--output`` when given, else ``results.json`` only for a
    complete run (every figure, the default fixture and sizes), so a partial or smaller run never
    replaces the committed figures."""
    if args.output is not None:
        return Path(args.output)
    complete = not (args.quick or args.no_cold or args.no_tox)
    default = args.modules == DEFAULT_MODULES and sizes == DEFAULT_SIZES
    return HERE / "results.json" if complete and default else None


def build_parser() -> argparse.ArgumentParser:
    """The command line of ``run.py``."""
    parser = argparse.ArgumentParser(description="ci-sessions framework benchmarks")
    parser.add_argument("--modules", type=int, default=30, help="size of the main fixture")
    parser.add_argument("--repeat", type=int, default=5, help="interleaved repeats per warm figure")
    parser.add_argument("--sizes", default="1,10,100,1000", help="scaling sizes, comma separated")
    parser.add_argument("--quick", action="store_true", help="3 repeats, sizes 1,10,100")
    parser.add_argument("--cold-repeat", type=int, default=3, help="interleaved cold repeats")
    parser.add_argument("--no-cold", action="store_true")
    parser.add_argument("--no-tox", action="store_true")
    parser.add_argument("--output", type=Path, default=None,
                        help="default: results.json for a complete run, else none (printed only)")  # fmt: skip
    return parser


def sizes_of(args: argparse.Namespace) -> list[int]:
    """The project sizes the scaling figure measures."""
    return [1, 10, 100] if args.quick else [int(s) for s in args.sizes.split(",") if s.strip()]


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    repeats = 3 if args.quick else args.repeat
    cold_repeats = 1 if args.quick else args.cold_repeat
    sizes = sizes_of(args)

    facts = machine()
    print(
        f"ci-sessions benchmarks on {facts['cpus']} CPU(s), Python {PY}, load {facts['load_average_start']}"
    )
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="ci-sessions-bench-") as tmp:
        base = Path(tmp)
        root = make_project(base / "fixture", args.modules)
        figures = warm_and_cached(root, repeats)
        print("  warm and cached figures done")
        figures.append(listing(root, max(repeats, 7)))
        if not args.no_cold:
            figures += cold(root, with_tox=not args.no_tox, repeats=cold_repeats)
            print("  cold figures done")
        scale = scaling(base, sizes)
    facts["load_average_end"] = list(os.getloadavg())
    facts["seconds"] = round(time.perf_counter() - started, 1)
    table = render(figures, scale)
    print()
    print(table)
    payload = {
        "machine": facts,
        "fixture": {"modules": args.modules, "repeats": repeats, "cold_repeats": cold_repeats},
        "figures": figures,
        "scaling": scale,
        "table": table,
    }
    output = committed_output(args, sizes)
    if output is not None:
        write_atomic(output, payload)
        print(f"\nwrote {output}")
    else:
        print("\na partial or smaller run: benchmarks/results.json is left as it was")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
