"""Virtual environments for checks: made with uv (or venv + pip), reused while their inputs hold.

An environment's identity is a hash of what went into it: requirements, interpreter, backend and
the content of the project files that decide what gets installed (pyproject.toml, requirements,
lock files). A warm run reuses it; a changed input rebuilds it, with no ``-r`` by hand.
Environments live in ``.nox/ci-sessions/<name>-<python>`` so ``rm -rf .nox`` resets everything.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Generator
from pathlib import Path
from typing import cast

from ci_sessions._fs import atomic_write_text
from ci_sessions.checks.base import Environment, EnvSpec
from ci_sessions.config.pythons import discover_interpreter, missing_hint
from ci_sessions.errors import EnvError

MARKER = ".ci-sessions-env.json"
FORMAT_VERSION = 1


def find_uv() -> str | None:
    """The uv binary: the one installed beside nox (``uv`` package) or on PATH."""
    try:
        from uv import find_uv_bin  # pyright: ignore[reportMissingImports, reportUnknownVariableType]

        return str(find_uv_bin())  # pyright: ignore[reportUnknownArgumentType]
    except (ImportError, FileNotFoundError):
        return shutil.which("uv")


def choose_backend(configured: str) -> str:
    """``uv`` when available (or required), else ``virtualenv`` (python -m venv + pip)."""
    if configured == "uv":
        if find_uv() is None:
            raise EnvError(
                "venv-backend = 'uv' but uv is not installed: `pip install uv` or `pip install 'nox[uv]'`"
            )
        return "uv"
    if configured == "virtualenv":
        return "virtualenv"
    return "uv" if find_uv() is not None else "virtualenv"


class EnvManager:
    """Creates and reuses the environments of one project."""

    def __init__(
        self,
        root: Path,
        *,
        backend: str,
        download_python: bool = False,
        log: Callable[[str], None] = print,
        force_reinstall: bool = False,
    ) -> None:
        self.root = root
        self.backend = backend
        self.download_python = download_python
        self.log = log
        self.force_reinstall = force_reinstall
        self.base = root / ".nox" / "ci-sessions"

    def location(self, spec: EnvSpec) -> Path:
        return self.base / spec.key

    def interpreter(self, version: str) -> Path:
        """The interpreter of ``version``: found here, else (``download-python``) downloaded."""
        found = discover_interpreter(version)
        if found is not None:
            return found
        if not self.download_python:
            raise EnvError(missing_hint(version), missing_interpreter=True)
        return self._download(version)

    def _download(self, version: str) -> Path:
        """``uv python install VERSION`` (python-build-standalone, from GitHub), then its path."""
        uv = find_uv()
        if uv is None:
            raise EnvError(
                f"Python {version} was not found and download-python needs uv to download it",
                fix=f"pip install uv (or install Python {version} yourself)",
            )
        started = time.perf_counter()
        self.log(f"downloading Python {version} with `uv python install {version}`")
        self._run(
            [uv, "python", "install", version],
            f"downloading Python {version} (needs github.com: python-build-standalone)",
            log=f"python-install-{version}",
            env={"UV_PYTHON_DOWNLOADS": "automatic"},  # asked for, whatever the shell says
        )
        env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
        completed = subprocess.run(  # noqa: S603 - argv list
            [uv, "python", "find", version], capture_output=True, text=True, env=env, check=False
        )
        path = Path(completed.stdout.strip()) if completed.returncode == 0 else None
        if path is None or not path.exists():
            raise EnvError(
                f"`uv python install {version}` succeeded but `uv python find {version}` "
                f"does not find it: {last_error_line(completed.stderr)}"
            )
        self.log(f"Python {version} ready in {time.perf_counter() - started:.1f} s: {path}")
        return path

    def fingerprint(self, spec: EnvSpec, interpreter: Path) -> str:
        digest = hashlib.sha256()
        facts = {
            "format": FORMAT_VERSION,
            "backend": self.backend,
            "interpreter": str(interpreter),
            "interpreter_build": _interpreter_build(interpreter),
            "requirements": list(spec.requirements),
        }
        digest.update(json.dumps(facts, sort_keys=True).encode())
        for relative in sorted(spec.inputs):
            path = self.root / relative
            digest.update(relative.encode())
            if path.is_file():
                digest.update(hashlib.sha256(path.read_bytes()).digest())
        return digest.hexdigest()

    def ensure(self, spec: EnvSpec) -> Environment:
        """Return a ready environment for ``spec``, building it only when its inputs changed."""
        interpreter = self.interpreter(spec.python)
        location = self.location(spec)
        python = location / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
        fingerprint = self.fingerprint(spec, interpreter)
        with _locked(location.with_name(location.name + ".lock")):
            marker = location / MARKER
            if not self.force_reinstall and python.exists() and _read_marker(marker) == fingerprint:
                return Environment(spec=spec, location=location, python=python)
            started = time.perf_counter()
            reason = "rebuilding (inputs changed)" if location.exists() else "creating"
            self.log(f"environment {spec.key}: {reason} with {self.backend} ({interpreter})")
            if location.exists():
                shutil.rmtree(location)
            self._create(location, interpreter)
            created = time.perf_counter()
            if spec.requirements:
                self.log(f"environment {spec.key}: installing {describe_requirements(spec.requirements)}")  # fmt: skip
                self._install(location, python, spec.requirements)
            atomic_write_text(
                marker, json.dumps({"fingerprint": fingerprint, "spec": spec.key}) + "\n"
            )
            done = time.perf_counter()
            installed = f", install {done - created:.1f} s" if spec.requirements else ""
            self.log(
                f"environment {spec.key}: ready in {done - started:.1f} s "
                f"(venv {created - started:.1f} s{installed})"
            )
        return Environment(spec=spec, location=location, python=python)

    def _run(
        self, argv: list[str], what: str, *, log: str = "", env: dict[str, str] | None = None
    ) -> None:
        extra = env or {}
        env = dict(os.environ)
        if not self.download_python:
            env["UV_PYTHON_DOWNLOADS"] = "never"
        env.update(extra)
        env.pop("VIRTUAL_ENV", None)
        env.setdefault("PIP_DISABLE_PIP_VERSION_CHECK", "1")
        completed = subprocess.run(  # noqa: S603 - argv list
            argv,
            cwd=self.root,
            env=env,
            capture_output=True,
            text=True,
            errors="replace",
            check=False,
        )
        if completed.returncode != 0:
            output = (completed.stdout + completed.stderr).strip()
            kept = self._keep_log(log or what, argv, completed.returncode, output)
            raise EnvError(
                f"{what} failed: {last_error_line(output)}"
                + (f"\n  full log: {kept}" if kept else f"\n{output[-3000:]}"),
            )

    def _keep_log(self, log: str, argv: list[str], code: int, output: str) -> str:
        """Write the whole output of a failed step to .ci-sessions/logs/; its relative path."""
        from ci_sessions._fs import state_dir
        from ci_sessions.errors import CiSessionsError

        name = re.sub(r"[^A-Za-z0-9.-]+", "-", log).strip("-") + ".log"
        try:
            path = state_dir(self.root) / "logs" / name
            atomic_write_text(path, f"$ {' '.join(argv)}\n(exit {code})\n\n{output}\n")
        except (OSError, CiSessionsError):
            return ""
        return path.relative_to(self.root).as_posix()

    def _create(self, location: Path, interpreter: Path) -> None:
        location.parent.mkdir(parents=True, exist_ok=True)
        if self.backend == "uv":
            uv = find_uv()
            assert uv is not None  # noqa: S101 - choose_backend guarantees it
            self._run(
                [uv, "venv", "--quiet", "--python", str(interpreter), str(location)], "uv venv"
            )
        else:
            self._run([str(interpreter), "-m", "venv", str(location)], "python -m venv")

    def _install(self, location: Path, python: Path, requirements: tuple[str, ...]) -> None:
        if self.backend == "uv":
            uv = find_uv()
            assert uv is not None  # noqa: S101
            argv = [uv, "pip", "install", "--quiet", "--python", str(python), *requirements]
        else:
            argv = [str(python), "-m", "pip", "install", "--quiet", *requirements]
        project = "." in requirements or any(r.startswith("-e") for r in requirements)
        what = "installing the project" if project else "installing " + ", ".join(requirements)
        self._run(argv, what, log=f"install-{location.name}")


_ERROR_LINE = re.compile(r"^\s*(?:[\w.]*(?:Error|Exception|Failure)|error|ERROR)\b:?\s")


def last_error_line(output: str) -> str:
    """The line that says what went wrong, out of a tool's (or a build backend's) output.

    A backend's traceback ends with its exception (``ValueError: Unknown classifier ...``); pip
    and uv print ``error: ...`` lines around it. The last exception line wins, then the last
    ``error`` line, then the last line that is not a hint.
    """
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    exceptions = [line for line in lines if re.match(r"^[\w.]*(Error|Exception)\b: ", line)]
    if exceptions:
        return exceptions[-1]
    errors = [line for line in lines if _ERROR_LINE.match(line)]
    if errors:
        return errors[-1]
    plain = [line for line in lines if not line.lower().startswith(("hint", "note"))]
    return plain[-1] if plain else "no output"


def describe_requirements(requirements: tuple[str, ...], shown: int = 6) -> str:
    """``ruff==0.17.6`` or ``pytest, -e ., coverage==7.6 (+3 more)``: what an install brings."""
    items: list[str] = []
    pending = ""
    for requirement in requirements:
        if requirement in ("-e", "-r", "-c", "--editable", "--requirement", "--constraint"):
            pending = requirement + " "
            continue
        items.append(pending + requirement)
        pending = ""
    more = f" (+{len(items) - shown} more)" if len(items) > shown else ""
    return ", ".join(items[:shown]) + more


def _interpreter_build(interpreter: Path) -> list[object]:
    """The real interpreter binary's identity: an in-place patch upgrade changes it."""
    try:
        real = interpreter.resolve()
        stat = real.stat()
    except OSError:
        return [str(interpreter)]
    return [str(real), stat.st_size, stat.st_mtime_ns]


def _read_marker(marker: Path) -> str | None:
    try:
        data = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    value = cast("dict[str, object]", data).get("fingerprint") if isinstance(data, dict) else None
    return value if isinstance(value, str) else None


@contextlib.contextmanager
def _locked(path: Path) -> Generator[None, None, None]:
    """An exclusive lock so two nox runs never build the same environment at once."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if sys.platform == "win32":  # pragma: no cover
        yield
        return
    import fcntl

    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
