"""How many packages a plain ``pip install ci-sessions`` brings (issue 23 item 1: at most 21 besides
ci-sessions itself, on CPython 3.12 / Linux).

Every noxfile environment installs ci-sessions, so its runtime closure is paid again and again.

    python benchmarks/dependency_closure.py            # from uv.lock (offline, what CI resolves)
    python benchmarks/dependency_closure.py --pip      # also resolve with pip from the index
    python benchmarks/dependency_closure.py --check    # exit 1 above the limit, write nothing
    python benchmarks/dependency_closure.py --before main   # and the count at a git ref

The closure is read from uv.lock: the dependencies of the ci-sessions entry (no extras, no
groups), followed through every package's own dependencies, each marker evaluated for CPython
3.12 on x86_64 Linux. ``--pip`` cross-checks it: ``pip install --dry-run --ignore-installed
--report`` of this checkout in an empty Python 3.12 venv, resolved from the index. Writes
benchmarks/dependency-closure.json (the list, the count, the limit).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from packaging.markers import Marker
from packaging.utils import canonicalize_name

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

REPO = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "dependency-closure.json"
ROOT = "ci-sessions"
LIMIT = 21
#: CPython 3.12 on x86_64 Linux, the platform the figure is for (PEP 508 marker variables)
ENVIRONMENT = {
    "implementation_name": "cpython",
    "implementation_version": "3.12.1",
    "os_name": "posix",
    "platform_machine": "x86_64",
    "platform_python_implementation": "CPython",
    "platform_release": "",
    "platform_system": "Linux",
    "platform_version": "",
    "python_full_version": "3.12.1",
    "python_version": "3.12",
    "sys_platform": "linux",
    "extra": "",
}


def _applies(entry: dict[str, Any]) -> bool:
    marker = entry.get("marker")
    return marker is None or Marker(marker).evaluate(dict(ENVIRONMENT))


def closure_from_lock(lock_path: Path = REPO / "uv.lock") -> dict[str, str]:
    """name -> version of every package a plain install of ci-sessions brings, itself excluded."""
    lock = tomllib.loads(lock_path.read_text(encoding="utf-8"))
    packages: dict[str, list[dict[str, Any]]] = {}
    for package in lock["package"]:
        packages.setdefault(canonicalize_name(package["name"]), []).append(package)

    def entry(name: str, version: str | None) -> dict[str, Any]:
        candidates = packages[name]
        if version is not None:
            candidates = [c for c in candidates if c.get("version") == version]
        if len(candidates) != 1:
            raise SystemExit(f"uv.lock: cannot tell which {name} ({version or 'any version'})")
        return candidates[0]

    found: dict[str, str] = {}
    todo: list[tuple[str, str | None, tuple[str, ...]]] = [(ROOT, None, ())]
    seen: set[tuple[str, str | None, tuple[str, ...]]] = set()
    while todo:
        name, version, extras = todo.pop()
        if (name, version, extras) in seen:
            continue
        seen.add((name, version, extras))
        package = entry(name, version)
        if name != ROOT:
            found[name] = str(package.get("version", "?"))
        dependencies = list(package.get("dependencies", []))
        for extra in extras:
            dependencies += package.get("optional-dependencies", {}).get(extra, [])
        for dependency in dependencies:
            if _applies(dependency):
                todo.append(
                    (
                        canonicalize_name(dependency["name"]),
                        dependency.get("version"),
                        tuple(sorted(dependency.get("extra", []))),
                    )
                )
    return dict(sorted(found.items()))


def closure_from_pip(python: str) -> dict[str, str]:
    """The same closure as pip resolves it from the index into an empty venv of ``python``."""
    with tempfile.TemporaryDirectory(prefix="ci-sessions-closure-") as tmp:
        venv = Path(tmp) / "venv"
        subprocess.run([python, "-m", "venv", str(venv)], check=True)
        report = Path(tmp) / "report.json"
        env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
        done = subprocess.run(
            [
                str(venv / "bin" / "python"),
                "-m",
                "pip",
                "install",
                "--quiet",
                "--dry-run",
                "--ignore-installed",
                "--report",
                str(report),
                str(REPO),
            ],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise SystemExit(f"pip could not resolve ci-sessions:\n{done.stderr[-2000:]}")
        installs = json.loads(report.read_text(encoding="utf-8"))["install"]
    found = {
        canonicalize_name(item["metadata"]["name"]): item["metadata"]["version"]
        for item in installs
    }
    found.pop(ROOT, None)
    return dict(sorted(found.items()))


def _python312() -> str:
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    # pyenv's own folders first: its shim on PATH may not serve 3.12 here
    candidates = [str(p / "bin" / "python3.12") for p in sorted(pyenv.glob("3.12*"))]
    candidates.append(shutil.which("python3.12"))
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return candidate
    raise SystemExit("--pip needs a CPython 3.12 (python3.12 on PATH or under pyenv)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pip", action="store_true", help="also resolve with pip from the index")
    parser.add_argument("--check", action="store_true", help="exit 1 above the limit; no write")
    parser.add_argument("--before", metavar="REF", help="also count from uv.lock at a git ref")
    args = parser.parse_args(argv)
    locked = closure_from_lock()
    for name, version in locked.items():
        print(f"{name}=={version}")
    print(f"{len(locked)} package(s) besides ci-sessions (limit {LIMIT}), from uv.lock")
    result: dict[str, Any] = {
        "what": "runtime dependencies of a plain install of ci-sessions, itself excluded",
        "platform": "CPython 3.12, x86_64 Linux",
        "limit": LIMIT,
        "count": len(locked),
        "packages": [f"{n}=={v}" for n, v in locked.items()],
        "source": "uv.lock",
        "measured_with": f"Python {platform.python_version()}",
    }
    if args.before:
        with tempfile.TemporaryDirectory(prefix="ci-sessions-closure-") as tmp:
            old_lock = Path(tmp) / "uv.lock"
            old_lock.write_bytes(
                subprocess.run(
                    ["git", "show", f"{args.before}:uv.lock"], cwd=REPO, capture_output=True,
                    check=True,
                ).stdout
            )  # fmt: skip
            before = closure_from_lock(old_lock)
        print(f"{len(before)} package(s) at {args.before}")
        result["before"] = {
            "ref": args.before,
            "commit": subprocess.run(
                ["git", "rev-parse", args.before],
                cwd=REPO,
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip(),
            "count": len(before),
            "packages": [f"{n}=={v}" for n, v in before.items()],
        }
    if args.pip:
        resolved = closure_from_pip(_python312())
        print(f"pip resolves {len(resolved)} package(s) from the index")
        if set(resolved) != set(locked):
            print(f"  only in uv.lock: {sorted(set(locked) - set(resolved))}")
            print(f"  only from pip:   {sorted(set(resolved) - set(locked))}")
        result["pip"] = {
            "count": len(resolved),
            "packages": [f"{n}=={v}" for n, v in resolved.items()],
            "same_names_as_lock": set(resolved) == set(locked),
        }
    if args.check:
        return 0 if len(locked) <= LIMIT else 1
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {RESULTS.relative_to(REPO)}")
    return 0 if len(locked) <= LIMIT else 1


if __name__ == "__main__":
    raise SystemExit(main())
