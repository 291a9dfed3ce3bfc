"""Virtual environments for checks: made with uv (or venv + pip), reused while their inputs hold.

An environment's identity is a hash of what went into it: requirements, interpreter, backend and
the content of the project files that decide what gets installed (pyproject.toml, requirements,
lock files; for a project that compiles something, every file of its package). A warm run reuses
it; a changed input rebuilds it, with no ``-r`` by hand.

``.nox/ci-sessions/<name>-<python>`` is a link to the build in use, ``.builds/<name>-<python>-<id>``.
A rebuild makes a new build beside it and swaps the link, so a run that is using the old build
(another nox, the pre-commit hook) keeps it until it ends: every run holds a shared lock on the
builds it uses, and an old build is deleted only when nobody holds one. ``rm -rf .nox`` resets
everything. Installing the project runs under :func:`ci_sessions.checks.treeguard.untouched`, so
nothing the build backend writes stays in the source tree.
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
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import IO, cast

from ci_sessions._fs import atomic_write_text, exclusive_lock, remove_tree
from ci_sessions._interpreters import discover_interpreter, find_interpreter, missing_hint
from ci_sessions.checks import asbuilt
from ci_sessions.checks.base import Environment, EnvSpec
from ci_sessions.checks.treeguard import untouched
from ci_sessions.config.pythons import NEWEST_KNOWN
from ci_sessions.errors import EnvError, WrongPython

MARKER = ".ci-sessions-env.json"
FORMAT_VERSION = 2
BUILDS = ".builds"
#: Windows has neither symlinks without privileges nor flock: builds replace the environment in
#: place there, as before (a rebuild under a running check can still disturb it)
IN_PLACE = sys.platform == "win32"
#: an installer saying the requirement does not support this Python (uv, pip)
_WRONG_PYTHON = re.compile(
    r"current Python version \([^)]*\) does not satisfy|requires a different Python|"
    r"require a different python version|Requires-Python",
    re.IGNORECASE,
)


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
        self._rebuilt: set[str] = set()
        self._held: dict[str, IO[str]] = {}
        self._held_lock = threading.Lock()

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

    def fingerprint(
        self, spec: EnvSpec, interpreter: Path, extra_inputs: tuple[str, ...] = ()
    ) -> str:
        """What the environment is made of: ``extra_inputs`` are project files a build showed
        to be compiled (a ``.py`` Cython compiled), hashed like ``spec.inputs``."""
        digest = hashlib.sha256()
        facts = {
            "format": FORMAT_VERSION,
            "backend": self.backend,
            # the interpreter itself, whichever PATH entry or venv found it (nox run by one
            # virtualenv, the pre-commit hook by another): the same Python, the same environment
            "interpreter": _resolved(interpreter),
            "interpreter_build": _interpreter_build(interpreter),
            "requirements": list(spec.requirements),
        }
        if spec.as_built:  # the import finder names the tree's folders: a moved tree rebuilds
            facts["as_built"] = [str(self.root.resolve()), asbuilt.FINDER]
        digest.update(json.dumps(facts, sort_keys=True).encode())
        for relative in sorted({*spec.inputs, *extra_inputs}):
            path = self.root / relative
            digest.update(relative.encode())
            if path.is_file():
                digest.update(hashlib.sha256(path.read_bytes()).digest())
        return digest.hexdigest()

    def ensure(self, spec: EnvSpec) -> Environment:
        """Return a ready environment for ``spec``, building it only when its inputs changed.

        The build returned stays locked (shared) until :meth:`release`: no other run deletes it
        while this one uses it.
        """
        link = self.location(spec)
        interpreter = self._interpreter_for(spec)
        with exclusive_lock(link.with_name(link.name + ".lock")):
            current = self._current(link)
            extra = _read_extra_inputs(current / MARKER) if current is not None else ()
            fingerprint = self.fingerprint(spec, interpreter, extra)
            if (
                current is not None
                and _read_marker(current / MARKER) == fingerprint
                and not self._must_rebuild(link)
                and _python(current).exists()
            ):
                build = current
            else:
                try:
                    build = self._build(spec, link, interpreter, fingerprint)
                except WrongPython as error:
                    if not spec.any_python:
                        raise
                    build = self._build_on_newer(spec, link, interpreter, error)
                self._rebuilt.add(str(link))
            self._hold(build)
            self._collect(link, keep=build)
        return Environment(spec=spec, location=build, python=_python(build))

    def release(self) -> None:
        """Let other runs delete the builds this run used (call when the run is over)."""
        with self._held_lock:
            for handle in self._held.values():
                handle.close()
            self._held.clear()

    def _interpreter_for(self, spec: EnvSpec) -> Path:
        """The interpreter of ``spec.python``; for a tool that does not support it (found when
        an earlier build fell back), the newer one that build used."""
        interpreter = self.interpreter(spec.python)
        if spec.any_python:
            chosen = _read_choice(self.location(spec), spec)
            if chosen and chosen != spec.python:
                newer = find_interpreter(chosen)
                if newer is not None:
                    return newer
        return interpreter

    def _must_rebuild(self, link: Path) -> bool:
        """``--reinstall`` rebuilds each environment once per run."""
        return self.force_reinstall and str(link) not in self._rebuilt

    def _current(self, link: Path) -> Path | None:
        """The build a link points at (None when there is none yet)."""
        if IN_PLACE:
            return link if link.is_dir() else None
        if link.is_symlink():
            target = link.resolve()
            return target if target.is_dir() else None
        return None

    def _build(self, spec: EnvSpec, link: Path, interpreter: Path, fingerprint: str) -> Path:
        """A new build beside the current one, then the link swapped to it."""
        started = time.perf_counter()
        reason = "rebuilding (inputs changed)" if link.exists() else "creating"
        if self._must_rebuild(link) and link.exists():
            reason = "rebuilding (--reinstall)"
        self.log(f"environment {spec.key}: {reason} with {self.backend} ({interpreter})")
        build = link.parent / BUILDS / f"{spec.key}-{uuid.uuid4().hex[:8]}"
        if IN_PLACE:
            build = link
            with contextlib.suppress(OSError):
                remove_tree(link, within=link.parent)
        extra: tuple[str, ...] = ()
        try:
            self._create(build, interpreter)
            created = time.perf_counter()
            if spec.requirements:
                self.log(f"environment {spec.key}: installing {describe_requirements(spec.requirements)}")  # fmt: skip
                self._install(build, _python(build), spec.requirements)
            if spec.as_built:
                extra = self._as_built(spec, build)
                fingerprint = self.fingerprint(spec, interpreter, extra)
        except EnvError:
            with contextlib.suppress(OSError):
                remove_tree(build, within=link.parent)
            raise
        marker: dict[str, object] = {
            "fingerprint": fingerprint,
            "spec": spec.key,
            "build": build.name,
        }
        if extra:
            marker["extra_inputs"] = list(extra)
        atomic_write_text(build / MARKER, json.dumps(marker) + "\n")
        if not IN_PLACE:
            _swap(link, build)
        done = time.perf_counter()
        installed = f", install {done - created:.1f} s" if spec.requirements else ""
        self.log(
            f"environment {spec.key}: ready in {done - started:.1f} s "
            f"(venv {created - started:.1f} s{installed})"
        )
        return build

    def _as_built(self, spec: EnvSpec, build: Path) -> tuple[str, ...]:
        """Make the installed project import as built (``checks/asbuilt.py``); the tree files
        the build compiled, which join the environment's inputs."""
        found = asbuilt.layout(self.root, build)
        if found is None:
            self.log(
                f"environment {spec.key}: the project's installed distribution was not found: "
                "its modules import as sys.path finds them"
            )
            return spec.from_tree  # no finder: every file decides the build again
        asbuilt.install_finder(found)
        unserved = asbuilt.not_served(self.root, found, spec.from_tree)
        names = ", ".join(sorted(found.modules))
        self.log(
            f"environment {spec.key}: {names} imported as built: compiled modules from the "
            "build, Python from the tree (a .py edit needs no rebuild)"
        )
        return tuple(sorted({*found.compiled_from_tree, *unserved}))

    def _build_on_newer(self, spec: EnvSpec, link: Path, tried: Path, error: EnvError) -> Path:
        """A tool that does not install on ``spec.python`` gets the newest Python it installs on
        (tool environments need not share the project's Python, as with pipx or pre-commit)."""
        major, newest = NEWEST_KNOWN
        for minor in range(newest, 0, -1):
            version = f"{major}.{minor}"
            interpreter = find_interpreter(version)
            if interpreter is None or interpreter.resolve() == tried.resolve():
                continue
            try:
                build = self._build(spec, link, interpreter, self.fingerprint(spec, interpreter))
            except WrongPython:
                continue
            _write_choice(link, spec, version)
            self.log(
                f"environment {spec.key}: {' '.join(spec.requirements)} does not install on "
                f"Python {spec.python}; built on Python {version} instead"
            )
            return build
        raise error

    def _hold(self, build: Path) -> None:
        """A shared lock on ``build`` for as long as this run uses it."""
        if sys.platform == "win32":  # pragma: no cover
            return
        import fcntl

        key = str(build)
        with self._held_lock:
            if key in self._held:
                return
            handle = build.with_name(build.name + ".lock").open("a")
            fcntl.flock(handle, fcntl.LOCK_SH)
            self._held[key] = handle

    def _collect(self, link: Path, *, keep: Path) -> None:
        """Delete earlier builds of this environment that no run holds (called under its lock)."""
        if sys.platform == "win32":  # pragma: no cover
            return
        import fcntl

        prefix = link.name + "-"
        for build in (link.parent / BUILDS).glob(prefix + "*"):
            if build == keep or build.suffix == ".lock" or not build.is_dir():
                continue
            if len(build.name) != len(prefix) + 8:  # another environment's name shares the prefix
                continue
            if str(build) in self._held:
                continue
            lock = build.with_name(build.name + ".lock")
            with lock.open("a") as handle:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except OSError:
                    continue  # in use by another run: its turn comes later
                with contextlib.suppress(OSError):
                    remove_tree(build, within=build.parent)
            lock.unlink(missing_ok=True)

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
        # cargo (maturin, setuptools-rust) builds beside the environments, not in the tree
        env.setdefault("CARGO_TARGET_DIR", str(self.base / ".cargo-target"))
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
            error = WrongPython if _WRONG_PYTHON.search(output) else EnvError
            raise error(
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
        project = any(_local(r) for r in requirements)
        what = "installing the project" if project else "installing " + ", ".join(requirements)
        log = f"install-{location.name.rsplit('-', 1)[0]}"
        if project:  # builds the project in its tree: one at a time, nothing left behind
            with untouched(self.root):
                self._run(argv, what, log=log)
        else:
            self._run(argv, what, log=log)


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


def _python(location: Path) -> Path:
    return location / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _local(requirement: str) -> bool:
    """A requirement that builds something from the project's tree (``.``, ``.[x]``, ``./sub``)."""
    return requirement == "." or requirement.startswith(("./", ".[", "../"))


def _swap(link: Path, build: Path) -> None:
    """Point ``link`` at ``build`` in one step (a rename over the old link)."""
    if link.exists() and not link.is_symlink():  # an environment made by an older ci-sessions
        with contextlib.suppress(OSError):
            remove_tree(link, within=link.parent)
    temporary = link.with_name(f"{link.name}.{uuid.uuid4().hex[:8]}.link")
    temporary.symlink_to(Path(BUILDS) / build.name, target_is_directory=True)
    os.replace(temporary, link)


def _choice_path(link: Path) -> Path:
    return link.with_name(link.name + ".python.json")


def _read_choice(link: Path, spec: EnvSpec) -> str | None:
    """The Python an earlier build of this tool environment fell back to, for these pins."""
    try:
        data = json.loads(_choice_path(link).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    choice = cast("dict[str, object]", data)
    if choice.get("requirements") != list(spec.requirements):
        return None
    version = choice.get("python")
    return version if isinstance(version, str) else None


def _write_choice(link: Path, spec: EnvSpec, version: str) -> None:
    atomic_write_text(
        _choice_path(link),
        json.dumps({"requirements": list(spec.requirements), "python": version}) + "\n",
    )


def _resolved(interpreter: Path) -> str:
    try:
        return str(interpreter.resolve())
    except OSError:
        return str(interpreter)


def _interpreter_build(interpreter: Path) -> list[object]:
    """The real interpreter binary's identity: an in-place patch upgrade changes it."""
    try:
        real = interpreter.resolve()
        stat = real.stat()
    except OSError:
        return [str(interpreter)]
    return [str(real), stat.st_size, stat.st_mtime_ns]


def _read_extra_inputs(marker: Path) -> tuple[str, ...]:
    """The project files a build showed to be compiled (``.py`` files Cython compiled)."""
    try:
        data = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ()
    value = cast("dict[str, object]", data).get("extra_inputs") if isinstance(data, dict) else None
    if not isinstance(value, list):
        return ()
    return tuple(str(item) for item in cast("list[object]", value))


def _read_marker(marker: Path) -> str | None:
    try:
        data = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    value = cast("dict[str, object]", data).get("fingerprint") if isinstance(data, dict) else None
    return value if isinstance(value, str) else None


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
