"""How long ``uv pip install`` of ci-sessions takes into a fresh environment, warm cache (issue 23
item 1: at most 3 s here). Every noxfile environment pays it.

    python benchmarks/install_bench.py                 # this checkout's wheel, 7 runs
    python benchmarks/install_bench.py --before main   # and a git ref's wheel, in alternating pairs

Builds the wheel (``uv build --wheel``), makes one install to warm uv's cache, then per run: a
new venv (``uv venv``, not timed) and the timed ``uv pip install <wheel>`` into it. With
``--before REF`` the wheel of REF (from ``git archive``) is measured too, runs alternating
(A, B, A, B, ...) so the load of other jobs falls on both alike. Reports the median wall time
and the median CPU time (uv and its children), which moves little with load; writes
benchmarks/install-results.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "install-results.json"
GOAL_SECONDS = 3.0


def _uv() -> str:
    found = shutil.which("uv") or str(Path(sys.executable).parent / "uv")
    if not Path(found).exists():
        raise SystemExit("uv is not installed (pip install uv)")
    return found


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONHOME")}
    env["UV_PYTHON_DOWNLOADS"] = "never"
    return env


def _python(version: str) -> str:
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    for folder in sorted(pyenv.glob(f"{version}*")):
        candidate = folder / "bin" / f"python{version}"
        if candidate.is_file():
            return str(candidate)
    found = shutil.which(f"python{version}")
    if found is None:
        raise SystemExit(f"no Python {version} found")
    return found


def build_wheel(source: Path, out: Path) -> Path:
    subprocess.run(
        [_uv(), "build", "--wheel", "--out-dir", str(out), str(source)],
        check=True,
        capture_output=True,
        env=_env(),
    )
    (wheel,) = out.glob("ci_sessions-*.whl")
    return wheel


def source_of(ref: str, into: Path) -> Path:
    """The tree of ``ref`` unpacked into ``into`` (what that commit would build)."""
    archive = into / "source.tar"
    with archive.open("wb") as handle:
        subprocess.run(["git", "archive", ref], cwd=REPO, stdout=handle, check=True)
    target = into / "source"
    with tarfile.open(archive) as tar:
        tar.extractall(target, filter="data")
    return target


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def install_once(wheel: Path, python: str, work: Path) -> tuple[float, float, int]:
    """(wall s, CPU s, packages installed) of one install into a new venv."""
    venv = work / "venv"
    if venv.exists():
        shutil.rmtree(venv)
    subprocess.run(
        [_uv(), "venv", "--quiet", "--python", python, str(venv)],
        check=True,
        capture_output=True,
        env=_env(),
    )
    cpu = _children_cpu()
    started = time.perf_counter()
    done = subprocess.run(
        [_uv(), "pip", "install", "--python", str(venv / "bin" / "python"), str(wheel)],
        capture_output=True,
        text=True,
        env=_env(),
        check=False,
    )
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"uv pip install failed:\n{done.stderr[-2000:]}")
    installed = sum(1 for line in done.stderr.splitlines() if line.startswith(" + "))
    return wall, _children_cpu() - cpu, installed


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="timed installs per wheel (>= 5)")
    parser.add_argument("--before", metavar="REF", help="also measure the wheel of a git ref")
    parser.add_argument("--python", default="3.12", help="the venvs' Python (default 3.12)")
    args = parser.parse_args(argv)
    if args.runs < 5:
        parser.error("--runs: at least 5, the figure is a median")
    python = _python(args.python)
    load_before = _load()
    with tempfile.TemporaryDirectory(prefix="ci-sessions-install-") as tmp:
        work = Path(tmp)
        wheels = {"this checkout": build_wheel(REPO, work / "dist-now")}
        if args.before:
            (work / "before").mkdir()
            wheels[args.before] = build_wheel(source_of(args.before, work / "before"), work / "b")
        for wheel in wheels.values():  # warm uv's cache with every dependency
            install_once(wheel, python, work)
        samples: dict[str, list[tuple[float, float, int]]] = {name: [] for name in wheels}
        for _ in range(args.runs):
            for name, wheel in wheels.items():  # alternating: A, B, A, B, ...
                samples[name].append(install_once(wheel, python, work))
    result: dict[str, Any] = {
        "what": "uv pip install of the ci-sessions wheel into a fresh venv, warm uv cache",
        "goal_seconds": GOAL_SECONDS,
        "python": args.python,
        "uv": subprocess.run(
            [_uv(), "--version"], capture_output=True, text=True, check=True
        ).stdout.strip(),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "load_before": load_before,
        "load_after": _load(),
        "runs": args.runs,
        "commits": {
            name: subprocess.run(
                ["git", "rev-parse", "HEAD" if name == "this checkout" else name],
                cwd=REPO,
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
            for name in samples
        },
        "wheels": {},
    }
    for name, rows in samples.items():
        walls = [r[0] for r in rows]
        cpus = [r[1] for r in rows]
        figures = {
            "packages_installed": rows[0][2],
            "median_wall_s": round(statistics.median(walls), 3),
            "median_cpu_s": round(statistics.median(cpus), 3),
            "wall_s": [round(w, 3) for w in walls],
        }
        result["wheels"][name] = figures
        print(
            f"{name:>16}: {figures['packages_installed']} packages, median "
            f"{figures['median_wall_s']:.2f} s wall, {figures['median_cpu_s']:.2f} s CPU "
            f"(runs: {', '.join(f'{w:.2f}' for w in walls)})"
        )
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"load {load_before} -> {result['load_after']}; wrote {RESULTS.relative_to(REPO)}")
    now = result["wheels"]["this checkout"]["median_wall_s"]
    return 0 if now <= GOAL_SECONDS else 1


if __name__ == "__main__":
    raise SystemExit(main())
