"""Adoption time: ``ci-sessions init`` + the first ``nox -s essential`` on real PyPI sdists.

For each project the sdist is downloaded once (``pip download --no-binary :all:``; sdists ship
their tests), then every run extracts it into a fresh directory and times

1. ``ci-sessions init`` (detection, rendering, and the baseline run of lint/format/typecheck),
2. the first ``nox -s essential`` (must pass with zero edits: pre-existing findings baselined, the
   project's tests found and run with their own dependencies),
3. then plants a new unused import in the project's package and checks that the tier now fails.

Run 1 warms the package caches (uv, pip); the target is total init + essential < 60 s with warm
caches, i.e. from run 2 on. Usage::

    python benchmarks/init_bench.py [--package iniconfig==2.3.1 --package six==1.17.0] [--runs 2]
                                    [--json results.json]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any

DEFAULT_PACKAGES = ["iniconfig==2.3.1", "six==1.17.0"]
TARGET_SECONDS = 60.0
CACHE = Path(
    os.environ.get(
        "CI_SESSIONS_BENCH_CACHE", Path(tempfile.gettempdir()) / "ci-sessions-bench-sdists"
    )
)


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CI_SESSIONS_")}
    for name in ("CI", "GITHUB_ACTIONS"):
        env.pop(name, None)
    env["UV_PYTHON_DOWNLOADS"] = "never"
    env["COLUMNS"] = "140"
    return env


def _run(argv: list[str], cwd: Path) -> tuple[int, float, str]:
    started = time.perf_counter()
    done = subprocess.run(
        argv, cwd=cwd, env=_env(), capture_output=True, text=True, timeout=1800, check=False
    )
    return done.returncode, time.perf_counter() - started, done.stdout + done.stderr


def sdist(requirement: str) -> Path:
    """The sdist of ``requirement`` in the cache, downloaded once."""
    CACHE.mkdir(parents=True, exist_ok=True)
    name = requirement.split("==")[0].lower().replace("-", "_")
    for path in CACHE.glob("*.tar.gz"):
        stem = path.name.lower().replace("-", "_")
        if stem.startswith(name + "_") and (
            "==" not in requirement or requirement.split("==")[1] in path.name
        ):
            return path
    argv = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--no-binary",
        ":all:",
        requirement,
        "-d",
        str(CACHE),
    ]
    code, _, output = _run(argv, CACHE)
    if code != 0:
        raise SystemExit(f"could not download {requirement}:\n{output[-2000:]}")
    return sdist(requirement)


def extract(archive: Path, into: Path) -> Path:
    with tarfile.open(archive) as tar:
        try:
            tar.extractall(into, filter="data")
        except TypeError:  # Python < 3.12 without the filter argument
            tar.extractall(into)  # noqa: S202 - a PyPI sdist we chose
    (root,) = [p for p in into.iterdir() if p.is_dir()]
    return root


def plant_unused_import(root: Path) -> Path:
    """Append an unused import to the project's first package module."""
    from ci_sessions.scaffold.facts import detect

    package = detect(root).packages[0]
    path = root / package
    module = path / "__init__.py" if path.is_dir() else path
    module.write_text(
        module.read_text(encoding="utf-8") + "\nimport json  # new, unused\n", encoding="utf-8"
    )
    return module


def measure(requirement: str, run: int, workdir: Path) -> dict[str, Any]:
    root = extract(sdist(requirement), workdir)
    init_code, init_s, init_out = _run(
        [sys.executable, "-m", "ci_sessions.cli", "init", str(root)], root
    )
    essential_code, essential_s, essential_out = _run(
        [sys.executable, "-m", "nox", "-s", "essential"], root
    )
    results = json.loads(
        (root / ".ci-sessions" / "reports" / "results.json").read_text(encoding="utf-8")
    )
    baselined = sum(int(r.get("metrics", {}).get("baselined", 0) or 0) for r in results["results"])
    tests = [r for r in results["results"] if r["check"] == "tests"]
    module = plant_unused_import(root)
    new_code, _, new_out = _run([sys.executable, "-m", "nox", "-s", "essential"], root)
    row = {
        "project": requirement,
        "run": run,
        "init_s": round(init_s, 2),
        "essential_s": round(essential_s, 2),
        "total_s": round(init_s + essential_s, 2),
        "init_ok": init_code == 0,
        "essential_ok": essential_code == 0,
        "baselined": baselined,
        "tests": tests[0]["summary"] if tests else "",
        "new_finding_fails": new_code != 0 and "F401" in new_out,
        "planted_in": module.relative_to(root).as_posix(),
    }
    if not (row["init_ok"] and row["essential_ok"]):
        row["output"] = (init_out + essential_out)[-3000:]
    if not row["new_finding_fails"]:
        row["new_output"] = new_out[-2000:]
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--package", action="append", help="requirement of a PyPI sdist (repeatable)"
    )
    parser.add_argument(
        "--runs", type=int, default=2, help="runs per project; run 1 warms the caches"
    )
    parser.add_argument("--json", type=Path, help="also write the rows as JSON")
    args = parser.parse_args(argv)
    rows: list[dict[str, Any]] = []
    for requirement in args.package or DEFAULT_PACKAGES:
        for run in range(1, args.runs + 1):
            with tempfile.TemporaryDirectory(prefix="ci-sessions-init-bench-") as tmp:
                row = measure(requirement, run, Path(tmp))
            rows.append(row)
            print(
                f"{row['project']:<18} run {run}  init {row['init_s']:6.1f} s  essential {row['essential_s']:6.1f} s  "
                f"total {row['total_s']:6.1f} s  pass={row['essential_ok']}  baselined={row['baselined']}  "
                f"new import fails={row['new_finding_fails']}  tests: {row['tests']}",
                flush=True,
            )
            for key in ("output", "new_output"):
                if key in row:
                    print(row[key])
    warm = [r for r in rows if r["run"] > 1] or rows
    worst = max(r["total_s"] for r in warm)
    ok = all(r["init_ok"] and r["essential_ok"] and r["new_finding_fails"] for r in rows)
    print(
        f"\nwarm worst total {worst:.1f} s (target < {TARGET_SECONDS:.0f} s); all adopted with zero edits: {ok}"
    )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    return 0 if ok and worst < TARGET_SECONDS else 1


if __name__ == "__main__":
    raise SystemExit(main())
