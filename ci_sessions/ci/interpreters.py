"""Local Pythons for ``actions/setup-python``: found, never downloaded.

Looked for in ``$(pyenv root)/versions/*``, as ``python3.X`` on PATH, and through
``uv python find`` (with downloads off). A request setup-python would satisfy from its
tool cache (``3.12``, ``3.12.1``, ``3.x``, ``>=3.11 <3.13``) picks the newest local CPython that
matches; none is an answer (the cell is skipped locally), not an error.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from ci_sessions.errors import ConfigError

Version = tuple[int, ...]


@dataclass(frozen=True)
class Interpreter:
    path: Path
    version: Version

    @property
    def text(self) -> str:
        return ".".join(map(str, self.version))


_PROBE = "import sys, platform; print(platform.python_implementation(), *sys.version_info[:3])"


@functools.lru_cache(maxsize=256)
def _probe(path: str) -> Version | None:
    try:
        done = subprocess.run(  # noqa: S603 - an interpreter path found on disk
            [path, "-c", _PROBE], capture_output=True, text=True, timeout=20, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    words = done.stdout.split()
    if done.returncode != 0 or len(words) != 4 or words[0] != "CPython":
        return None
    return tuple(int(w) for w in words[1:])


def _pyenv_root() -> Path | None:
    configured = os.environ.get("PYENV_ROOT")
    if configured:
        return Path(configured)
    pyenv = shutil.which("pyenv")
    if pyenv:
        try:
            done = subprocess.run(  # noqa: S603 - the pyenv executable on PATH
                [pyenv, "root"], capture_output=True, text=True, timeout=20, check=False
            )
        except (OSError, subprocess.TimeoutExpired):
            done = None
        if done is not None and done.returncode == 0 and done.stdout.strip():
            return Path(done.stdout.strip())
    default = Path.home() / ".pyenv"
    return default if default.is_dir() else None


def _pyenv_candidates() -> Iterable[Interpreter]:
    root = _pyenv_root()
    if root is None or not (root / "versions").is_dir():
        return
    for folder in sorted((root / "versions").iterdir()):
        match = re.fullmatch(r"(\d+)\.(\d+)\.(\d+)", folder.name)
        executable = folder / "bin" / "python3"
        if match and executable.exists():
            yield Interpreter(executable, tuple(int(g) for g in match.groups()))


def _path_candidates(path: str) -> Iterable[Interpreter]:
    seen: set[str] = set()
    for folder in path.split(os.pathsep):
        if not folder or not Path(folder).is_dir():
            continue
        for entry in sorted(Path(folder).glob("python3*")):
            if not re.fullmatch(r"python3(\.\d+)?", entry.name) or not os.access(entry, os.X_OK):
                continue
            real = os.path.realpath(entry)
            if real in seen or "/shims/" in str(entry):
                continue
            seen.add(real)
            version = _probe(str(entry))
            if version is not None:
                yield Interpreter(entry, version)


def _uv_candidate(request: str, path: str) -> Interpreter | None:
    uv = shutil.which("uv", path=path)
    if uv is None or not re.fullmatch(r"\d+(\.\d+){0,2}", request):
        return None
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
    try:
        done = subprocess.run(  # noqa: S603 - uv on PATH, a version number
            [uv, "python", "find", request],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
            env=env,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    found = done.stdout.strip()
    version = _probe(found) if done.returncode == 0 and found else None
    return Interpreter(Path(found), version) if version else None


class UnsupportedRequest(Exception):
    """A python-version this runner cannot map to a local CPython (PyPy, free-threaded)."""


def matches(request: str, version: Version) -> bool:
    """Whether a setup-python ``python-version`` accepts a CPython version."""
    text = request.strip()
    if re.search(r"pypy|graalpy|t$", text, re.IGNORECASE):
        raise UnsupportedRequest(f"python-version {text!r} is not a CPython this runner maps")
    text = re.sub(r"-(dev|alpha.*|beta.*|rc.*)$", "", text)
    if re.search(r"[<>=~^]", text):
        return all(_compare(clause, version) for clause in re.split(r"[\s,]+", text) if clause)
    parts = text.split(".")
    wanted: list[int] = []
    for part in parts:
        if part in ("x", "X", "*"):
            break
        if not part.isdigit():
            raise UnsupportedRequest(f"python-version {request!r} is not a version")
        wanted.append(int(part))
    return list(version[: len(wanted)]) == wanted


def _compare(clause: str, version: Version) -> bool:
    match = re.fullmatch(r"(>=|<=|==|!=|>|<|~=|\^)?v?(\d+(?:\.\d+)*)(?:\.x)?", clause)
    if match is None:
        raise UnsupportedRequest(f"cannot read the version range clause {clause!r}")
    op, number = match.group(1) or "==", tuple(int(p) for p in match.group(2).split("."))
    mine = version[: len(number)] if op in ("==", "!=") else version
    padded = number + (0,) * (3 - len(number))
    if op in ("~=", "^"):
        return (
            version >= padded
            and version[: max(1, len(number) - 1)] == number[: max(1, len(number) - 1)]
        )
    return {
        "==": mine == number,
        "!=": mine != number,
        ">=": version >= padded,
        "<=": version <= padded,
        ">": version > padded,
        "<": version < padded,
    }[op]


def find(request: str, path: str) -> Interpreter | None:
    """The newest local CPython the request accepts, or None."""
    candidates = [*_pyenv_candidates(), *_path_candidates(path)]
    chosen = [c for c in candidates if matches(request, c.version)]
    if not chosen:
        found = _uv_candidate(request, path)
        if found is not None and matches(request, found.version):
            chosen.append(found)
    if not chosen:
        return None
    return max(chosen, key=lambda c: c.version)


def requested_versions(python_version: str) -> list[str]:
    """setup-python takes several versions, one a line; the last one is the default."""
    return [line.strip() for line in python_version.splitlines() if line.strip()]


def version_from_file(path: Path, name: str) -> str:
    """``python-version-file``: .python-version's first line, or pyproject's requires-python.

    A file that is not UTF-8 text (or not TOML, for pyproject.toml) is a ConfigError naming it.
    """
    if not path.is_file():
        raise FileNotFoundError(name)
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as error:
        raise ConfigError(
            name, "", f"is not UTF-8 text (byte {error.object[error.start]:#04x} at offset "
            f"{error.start}): actions/setup-python cannot read a version from it",
            fix=f"write the version as plain text, e.g. `echo 3.12 > {name}`",
        ) from None  # fmt: skip
    if path.name == "pyproject.toml":
        if sys.version_info >= (3, 11):
            import tomllib
        else:  # pragma: no cover - 3.10 only
            import tomli as tomllib
        try:
            loaded = tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            raise ConfigError(name, "", f"is not valid TOML: {error}") from None
        project = loaded.get("project", {})
        if not isinstance(project, dict):
            return ""
        return str(cast("dict[str, object]", project).get("requires-python", ""))
    lines = [
        line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
    ]
    return lines[0] if lines else ""
