"""Shared pieces of the framework benchmarks: fixture projects, subprocess timing, the by-hand run.

Every figure is measured side by side in one run on the same generated project, so a ratio
compares like with like on this machine at this moment. Fixtures import the ci_sessions of this
checkout (PYTHONPATH), so the numbers describe the code next to them.
"""

from __future__ import annotations

import os
import resource
import shutil
import statistics
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PY = f"{sys.version_info.major}.{sys.version_info.minor}"
RUFF = "ruff==0.17.6"
PYRIGHT = "pyright==1.1.414"
PYTEST = "pytest>=8"
NOXFILE = "import ci_sessions\n\nci_sessions.register()\n"


def bench_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """A clean environment: no CI_SESSIONS_* or CI variables, this checkout first on the path."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CI_SESSIONS_")}
    for name in ("CI", "GITHUB_ACTIONS", "VIRTUAL_ENV", "PYTHONHOME"):
        env.pop(name, None)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])])
    env["UV_PYTHON_DOWNLOADS"] = "never"
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env["PYRIGHT_PYTHON_IGNORE_WARNINGS"] = "1"
    env["COLUMNS"] = "120"
    env.update(extra or {})
    return env


def module_source(index: int) -> str:
    return textwrap.dedent(
        f'''
        """Module {index}: a little real work for the type checker and the tests."""

        from __future__ import annotations

        from dataclasses import dataclass


        @dataclass(frozen=True)
        class Point{index}:
            x: int
            y: int

            def scaled(self, factor: int) -> Point{index}:
                return Point{index}(self.x * factor, self.y * factor)


        def checksum_{index}(values: list[int]) -> int:
            total = 0
            for position, value in enumerate(values):
                total = (total * 31 + value * (position + 1)) % 1_000_003
            return total


        def primes_{index}(limit: int) -> list[int]:
            sieve = [True] * (limit + 1)
            sieve[0:2] = [False, False]
            for number in range(2, int(limit**0.5) + 1):
                if sieve[number]:
                    sieve[number * number :: number] = [False] * len(sieve[number * number :: number])
            return [n for n, is_prime in enumerate(sieve) if is_prime]
        '''
    ).lstrip("\n")


def test_source(indices: Sequence[int], work: int) -> str:
    imports = "\n".join(
        f"from demo.mod{i} import Point{i}, checksum_{i}, primes_{i}" for i in indices
    )
    tests = "\n\n\n".join(
        textwrap.dedent(
            f"""
            def test_module_{i}() -> None:
                assert Point{i}(1, 2).scaled(3) == Point{i}(3, 6)
                assert checksum_{i}(list(range({work}))) == checksum_{i}(list(range({work})))
                assert primes_{i}(30) == [2, 3, 5, 7, 11, 13, 17, 19, 23, 29]
                assert len(primes_{i}({work})) > 0
            """
        ).strip()
        for i in indices
    )
    return f"{imports}\n\n\n{tests}\n"


def demo_pyproject(extra: str = "") -> str:
    """The generated projects' pyproject.toml: hatchling, the bench Python, ruff's usual rules."""
    return (
        textwrap.dedent(
            f"""
            [build-system]
            requires = ["hatchling"]
            build-backend = "hatchling.build"

            [project]
            name = "demo"
            version = "0.1.0"
            requires-python = ">={PY}"

            [tool.ci-sessions]
            python = ["{PY}"]

            [tool.ruff]
            line-length = 100

            [tool.ruff.lint]
            select = ["E", "F", "W", "I", "B", "UP"]
            """
        ).lstrip("\n")
        + extra
    )


def make_project(root: Path, modules: int, *, work: int = 160_000, per_test_file: int = 10) -> Path:
    """A src-layout project with ``modules`` modules and tests that exercise each of them.

    ``work`` sizes the tests' CPU work; the default makes the suite take about as long as the type
    check on 30 modules, the shape of a typical small library (checks in parallel only pay when
    more than one of them is long).
    """
    if root.exists():
        shutil.rmtree(root)
    package = root / "src" / "demo"
    package.mkdir(parents=True)
    (root / "tests").mkdir()
    (root / "pyproject.toml").write_text(demo_pyproject())
    (root / "noxfile.py").write_text(NOXFILE)
    (package / "__init__.py").write_text('"""Demo package."""\n')
    for index in range(modules):
        (package / f"mod{index}.py").write_text(module_source(index))
    for start in range(0, modules, per_test_file):
        indices = range(start, min(modules, start + per_test_file))
        (root / "tests" / f"test_mod{start}.py").write_text(test_source(list(indices), work))
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    (root / ".gitignore").write_text(".nox/\n.tox/\n.handvenv/\n")
    return root


#: (wall seconds, CPU seconds of the process and all its children)
Sample = tuple[float, float]


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def sample(
    argv: Sequence[str], cwd: Path, env: Mapping[str, str], *, expect: int | tuple[int, ...] = 0
) -> Sample:
    """Wall and CPU seconds of one subprocess. CPU time hardly moves with the machine's load, so
    it shows the framework's own cost even when other jobs share the cores."""
    cpu = _children_cpu()
    wall = timed(argv, cwd, env, expect=expect)
    return wall, _children_cpu() - cpu


def timed(
    argv: Sequence[str],
    cwd: Path,
    env: Mapping[str, str],
    *,
    expect: int | tuple[int, ...] | None = 0,
) -> float:
    """Wall seconds of one subprocess; a wrong exit status is a broken benchmark, not a number."""
    started = time.perf_counter()
    completed = subprocess.run(
        list(argv), cwd=cwd, env=dict(env), capture_output=True, text=True, check=False
    )
    elapsed = time.perf_counter() - started
    allowed = (expect,) if isinstance(expect, int) else expect
    if allowed is not None and completed.returncode not in allowed:
        tail = "\n".join((completed.stdout + completed.stderr).splitlines()[-30:])
        raise RuntimeError(f"{' '.join(argv)} exited {completed.returncode} in {cwd}:\n{tail}")
    return elapsed


def nox_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "nox", *args]


@dataclass
class HandVenv:
    """One prepared venv holding the project and the same pinned tools, run without any framework."""

    root: Path

    @property
    def location(self) -> Path:
        return self.root / ".handvenv"

    @property
    def bin(self) -> Path:
        return self.location / "bin"

    def prepare(self, env: Mapping[str, str]) -> None:
        from ci_sessions.engine.environments import find_uv

        uv = find_uv()
        if uv is None:
            raise RuntimeError("uv is needed: pip install uv")
        if not (self.bin / "python").exists():
            timed(
                [uv, "venv", "--quiet", "--python", sys.executable, str(self.location)],
                self.root,
                env,
            )
        timed(
            [
                uv,
                "pip",
                "install",
                "--quiet",
                "--python",
                str(self.bin / "python"),
                RUFF,
                PYRIGHT,
                PYTEST,
                "-e",
                ".",
            ],
            self.root,
            env,
        )

    def commands(self) -> list[list[str]]:
        """lint, format, typecheck and tests, as a developer types them."""
        return [
            [str(self.bin / "ruff"), "check", "--no-fix", "."],
            [str(self.bin / "ruff"), "format", "--check", "."],
            [str(self.bin / "pyright"), "--pythonpath", str(self.bin / "python"), "src"],
            [str(self.bin / "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        ]

    def run(self, env: Mapping[str, str]) -> Sample:
        """The four tools one after the other, as by hand; total wall and CPU seconds."""
        hand_env = dict(env)
        hand_env["PATH"] = os.pathsep.join([str(self.bin), env.get("PATH", "")])
        hand_env["VIRTUAL_ENV"] = str(self.location)
        runs = [sample(argv, self.root, hand_env) for argv in self.commands()]
        return sum(r[0] for r in runs), sum(r[1] for r in runs)

    def run_parallel(self, env: Mapping[str, str]) -> Sample:
        """The four tools started at once: the best any scheduler could do on this machine now."""
        hand_env = dict(env)
        hand_env["PATH"] = os.pathsep.join([str(self.bin), env.get("PATH", "")])
        hand_env["VIRTUAL_ENV"] = str(self.location)
        cpu = _children_cpu()
        started = time.perf_counter()
        processes = [
            subprocess.Popen(
                argv,
                cwd=self.root,
                env=hand_env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for argv in self.commands()
        ]
        codes = [p.wait() for p in processes]
        wall = time.perf_counter() - started
        if any(codes):
            raise RuntimeError(f"a tool failed when run in parallel by hand: exit codes {codes}")
        return wall, _children_cpu() - cpu


def median_of(repeats: int, *measures: Callable[[], Sample]) -> list[Sample]:
    """Run the measures interleaved ``repeats`` times (so drift hits all alike); their medians."""
    walls: list[list[float]] = [[] for _ in measures]
    cpus: list[list[float]] = [[] for _ in measures]
    for _ in range(repeats):
        for index, measure in enumerate(measures):
            wall, cpu = measure()
            walls[index].append(wall)
            cpus[index].append(cpu)
    return [(statistics.median(w), statistics.median(c)) for w, c in zip(walls, cpus, strict=True)]


def reset_state(root: Path) -> None:
    """Forget environments and caches: the next run is cold (package caches of uv/pip stay warm)."""
    for name in (".nox", ".tox", ".ci-sessions", ".ruff_cache", ".pytest_cache"):
        shutil.rmtree(root / name, ignore_errors=True)
