"""Where the Pythons are: the one interpreter discovery, on python-discovery (nox's own), for the
environments, nox's own sessions and ``ci-sessions ci``'s setup-python. Nothing is downloaded.

pyenv's shims run only the versions pyenv has active (``python3.12`` exits 127 otherwise), so the
places are named, cheapest first: the running interpreter, ``pythonX.Y`` on PATH, the version
managers' folders (pyenv, pyenv-win, mise, asdf; newest patch first), the python.org installer's
folders on Windows; then what python-discovery finds itself, uv's managed Pythons and the
Windows registry (PEP 514). python-discovery runs each candidate once to learn what it is and
keeps the answer on disk (the user's cache folder, keyed by the file and its time): a second
run probes nothing. Its whole-PATH search, which runs every ``python*`` there and every pyenv
shim, is the last resort of :func:`discover_interpreter` only: 2.2 s on a warm cache here.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterable, Mapping, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ci_sessions._crash import cache_dir

if TYPE_CHECKING:
    from python_discovery import DiskCache

# python_discovery is imported where it is asked: importing it costs 0.12 s, which every
# `nox -l` would pay for the sessions' registration (which never needs it when the Pythons are
# configured or the running one is the default)

# python-discovery warns about an interpreter it cannot read; nox shows that in its log, and the
# ``ci-sessions`` commands must not print it as a stray line
logging.getLogger("python_discovery").addHandler(logging.NullHandler())

Version = tuple[int, int, int]


@dataclass(frozen=True)
class Interpreter:
    """A CPython found here: where it is and its version."""

    path: Path
    version: Version

    @property
    def text(self) -> str:
        return ".".join(map(str, self.version))


def current() -> str:
    """The MAJOR.MINOR of the running Python."""
    return f"{sys.version_info.major}.{sys.version_info.minor}"


@functools.cache
def _cache() -> DiskCache:
    from python_discovery import DiskCache

    return DiskCache(cache_dir(os.environ) / "python-discovery")


def describe(path: Path) -> Interpreter | None:
    """The CPython at ``path`` (as python-discovery reads it, cached), or None when it does not
    run (a shim of an inactive version), is not CPython, or is not a Python at all."""
    from python_discovery import PythonInfo

    try:
        info = PythonInfo.from_exe(str(path), _cache(), raise_on_error=False, resolve_to_host=False)
    except Exception:  # a candidate that cannot be read is not an interpreter, never a crash
        return None
    if info is None or info.implementation != "CPython":
        return None
    major, minor, micro = info.version_info[:3]
    return Interpreter(path, (int(major), int(minor), int(micro)))


# -- where to look ------------------------------------------------------------------------------


def pyenv_roots(environ: Mapping[str, str] | None = None) -> list[Path]:
    """pyenv's root folders: ``PYENV_ROOT``, ``~/.pyenv``, else what ``pyenv root`` says."""
    env = os.environ if environ is None else environ
    roots = [Path(env["PYENV_ROOT"])] if env.get("PYENV_ROOT") else []
    roots.append(Path.home() / ".pyenv")
    found = [root for root in dict.fromkeys(roots) if (root / "versions").is_dir()]
    if not found and (pyenv := shutil.which("pyenv", path=env.get("PATH"))) is not None:
        try:
            done = subprocess.run(  # noqa: S603 - the pyenv executable on PATH, fixed argv
                [pyenv, "root"], capture_output=True, text=True, timeout=20, check=False
            )
        except (OSError, subprocess.TimeoutExpired):
            return []
        root = Path(done.stdout.strip()) if done.returncode == 0 and done.stdout.strip() else None
        if root is not None and (root / "versions").is_dir():
            found.append(root)
    return found


def _install_roots() -> list[Path]:
    """Folders holding one subfolder per installed version: ``<root>/3.12.1/bin/python3.12``."""
    home = Path.home()
    env = os.environ
    roots = [root / "versions" for root in pyenv_roots()]
    data = Path(env.get("XDG_DATA_HOME") or home / ".local" / "share")
    roots.append(Path(env.get("MISE_DATA_DIR") or data / "mise") / "installs" / "python")
    roots.append(Path(env.get("ASDF_DATA_DIR") or home / ".asdf") / "installs" / "python")
    roots.append(home / ".pyenv" / "pyenv-win" / "versions")
    return [root for root in dict.fromkeys(roots) if root.is_dir()]


def _windows_roots() -> list[Path]:
    """Where the python.org installer puts Pythons: per user, for all users, C:\\PythonXY."""
    if sys.platform != "win32":
        return []
    names = ("LOCALAPPDATA", "ProgramFiles", "ProgramFiles(x86)")  # pragma: no cover - Windows
    roots = [Path(os.environ[n]) for n in names if os.environ.get(n)]  # pragma: no cover
    return [*roots, Path(os.environ.get("SYSTEMDRIVE", "C:") + "\\")]  # pragma: no cover


def _numbers(name: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", name))


def _managed(version: str | None) -> list[Path]:
    """The version managers' interpreters of ``version`` (MAJOR.MINOR; None: every 3.x),
    newest patch first."""
    found: list[Path] = []
    for installs in _install_roots():
        homes = sorted(
            (p for p in installs.glob(f"{version or '3'}.*") if p.is_dir()),
            key=lambda p: _numbers(p.name),
            reverse=True,
        )
        for home in homes:
            names = [f"python{version}"] if version else []
            found += [home / "bin" / name for name in [*names, "python3"]]
            found.append(home / "python.exe")
    if version is not None:
        nodot = version.replace(".", "")
        for base in _windows_roots():
            found += [base / f"Python{nodot}" / "python.exe", base / "Programs" / "Python" /
                      f"Python{nodot}" / "python.exe"]  # fmt: skip
    return found


def _on_path(version: str | None, path: str) -> list[Path]:
    """``pythonX.Y`` on ``path`` (None: every ``python3``/``python3.X``), shims left out: a
    shim runs whatever version its manager has active, the folders above find the real ones."""
    found: list[Path] = []
    for folder in path.split(os.pathsep):
        directory = Path(folder)
        if not folder or directory.name == "shims" or not directory.is_dir():
            continue
        if version is not None:
            names = [f"python{version}", f"python{version}.exe"]
            found += [directory / n for n in names if (directory / n).is_file()]
            continue
        for entry in sorted(directory.glob("python3*")):
            if re.fullmatch(r"python3(\.\d+)?(\.exe)?", entry.name) and entry.is_file():
                found.append(entry)
    return found


def _found_by_discovery(spec: str) -> Iterable[Interpreter]:
    """What python-discovery finds without searching PATH: uv's managed Pythons, the running
    interpreter and, on Windows, the registry."""
    from python_discovery import iter_interpreters

    env = {**os.environ, "PATH": ""}
    try:
        for info in iter_interpreters(spec, cache=_cache(), env=env):
            executable = info.system_executable or info.executable
            if executable and info.implementation == "CPython":
                major, minor, micro = info.version_info[:3]
                yield Interpreter(Path(executable), (int(major), int(minor), int(micro)))
    except Exception:  # a discovery failure means "not found", never a crash
        return


# -- the questions --------------------------------------------------------------------------------


@functools.cache
def find_interpreter(version: str) -> Path | None:
    """An interpreter of exactly MAJOR.MINOR ``version`` that really runs, or None; never
    searches all of PATH, so it is cheap enough for ``nox -l``."""
    candidates = [Path(sys.executable)] if current() == version else []
    candidates += _on_path(version, os.environ.get("PATH", "")) + _managed(version)
    for candidate in candidates:
        found = describe(candidate) if candidate.exists() else None
        if found is not None and found.text.startswith(f"{version}."):
            return candidate
    for found in _found_by_discovery(f"cpython{version}"):
        if found.text.startswith(f"{version}."):
            return found.path
    return None


@functools.cache
def discover_interpreter(version: str) -> Path | None:
    """Like :func:`find_interpreter`, then python-discovery's whole search (every interpreter on
    PATH, version-manager shims): the last resort of an environment that needs ``version``."""
    found = find_interpreter(version)
    if found is not None:
        return found
    from python_discovery import get_interpreter

    try:
        info = get_interpreter(f"cpython{version}", cache=_cache())
    except Exception:  # a discovery failure means "not found", never a crash
        return None
    if info is None or not info.executable:
        return None
    described = describe(Path(info.executable))
    return described.path if described and described.text.startswith(f"{version}.") else None


@functools.lru_cache(maxsize=32)
def installed(path: str) -> tuple[Interpreter, ...]:
    """Every CPython 3 found here with ``path`` as PATH: the version managers' folders,
    ``python3*`` on ``path``, uv's Pythons, the running one. One per real file."""
    seen: dict[str, Interpreter] = {}
    for candidate in [*_managed(None), *_on_path(None, path)]:
        found = describe(candidate) if candidate.exists() else None
        if found is not None:
            seen.setdefault(os.path.realpath(candidate), found)
    for found in _found_by_discovery("cpython3"):
        seen.setdefault(os.path.realpath(found.path), found)
    return tuple(seen.values())


def missing_hint(version: str) -> str:
    """How to get a missing interpreter."""
    return (
        f"Python {version} was not found (PATH, pyenv, mise, asdf, uv, python-discovery). "
        f"Install it with "
        f"`uv python install {version}` or `pyenv install {version}`, or drop it from "
        "[tool.ci-sessions] python"
    )


def expose_pyenv_versions(environ: MutableMapping[str, str]) -> None:
    """Let nox's own sessions (python-discovery through pyenv's shims) find every pyenv Python,
    not only the global one: ``PYENV_VERSION`` lists them all, the global first, unless set."""
    if "PYENV_VERSION" in environ:
        return
    for root in pyenv_roots(environ):
        try:
            first = (root / "version").read_text(encoding="utf-8").split()[0]
        except (OSError, IndexError):
            continue
        others = sorted(
            p.name for p in (root / "versions").iterdir() if p.is_dir() and p.name != first
        )
        environ["PYENV_VERSION"] = ":".join([first, *others])
        return
