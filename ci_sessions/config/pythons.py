"""Which Python versions a project tests, and where their interpreters are.

pyenv shims hide every version but the global one (``python3.12`` exits 127), so besides PATH we
look in the version managers' folders (pyenv, mise, asdf, pyenv-win), uv's managed Pythons and the
Windows installer's folders, then ask python-discovery. Nothing is ever downloaded here (the
environments do that, with ``uv python install``, when ``download-python`` is on).
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ci_sessions.config.schema import OLDEST_PYTHON

if TYPE_CHECKING:
    from ci_sessions.config.loader import Config

_VERSION = re.compile(r"^(\d+)\.(\d+)$")
#: The newest CPython release line a requires-python range is expanded to.
NEWEST_KNOWN = (3, 15)


def parse_version(version: str) -> tuple[int, int]:
    match = _VERSION.match(version.strip())
    if not match:
        raise ValueError(f"not a MAJOR.MINOR Python version: {version!r}")
    return int(match.group(1)), int(match.group(2))


def current() -> str:
    return f"{sys.version_info.major}.{sys.version_info.minor}"


@functools.cache
def _probe(executable: str) -> str | None:
    """The MAJOR.MINOR of an interpreter, or None when it does not run (e.g. a pyenv shim)."""
    try:
        completed = subprocess.run(  # noqa: S603 - fixed argv
            [executable, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if completed.returncode != 0:
        return None
    return completed.stdout.strip() or None


def _pyenv_roots() -> list[Path]:
    roots: list[Path] = []
    env_root = os.environ.get("PYENV_ROOT")
    if env_root:
        roots.append(Path(env_root))
    roots.append(Path.home() / ".pyenv")
    return [root for root in roots if (root / "versions").is_dir()]


def _candidates(version: str) -> list[Path]:
    """Where an interpreter of ``version`` may be, cheapest first, without running anything.

    PATH, then the version managers' install folders (pyenv, mise, asdf, pyenv-win), uv's managed
    Pythons and the python.org installer's folders on Windows.
    """
    found: list[Path] = []
    if current() == version:
        found.append(Path(sys.executable))
    for name in (f"python{version}", f"python{version}.exe"):
        on_path = shutil.which(name)
        if on_path:
            found.append(Path(on_path))
    for installs in _install_roots():
        versions = sorted(
            (p for p in installs.glob(f"{version}.*") if p.is_dir()),
            key=lambda p: _patch_key(p.name),
            reverse=True,
        )
        for home in versions:
            found += [home / "bin" / f"python{version}", home / "python.exe"]
    for uv_dir in _uv_roots():
        found.extend(sorted(uv_dir.glob(f"cpython-{version}.*/bin/python{version}"), reverse=True))
        found.extend(sorted(uv_dir.glob(f"cpython-{version}.*/python.exe"), reverse=True))
    nodot = version.replace(".", "")
    for base in _windows_roots():
        found += [base / f"Python{nodot}" / "python.exe", base / "Programs" / "Python" /
                  f"Python{nodot}" / "python.exe"]  # fmt: skip
    return found


def _install_roots() -> list[Path]:
    """Folders holding one subfolder per installed version: ``<root>/3.12.1/bin/python3.12``."""
    home = Path.home()
    env = os.environ
    roots = [root / "versions" for root in _pyenv_roots()]
    data = Path(env.get("XDG_DATA_HOME") or home / ".local" / "share")
    roots.append(Path(env.get("MISE_DATA_DIR") or data / "mise") / "installs" / "python")
    roots.append(Path(env.get("ASDF_DATA_DIR") or home / ".asdf") / "installs" / "python")
    roots.append(home / ".pyenv" / "pyenv-win" / "versions")
    return [root for root in roots if root.is_dir()]


def _uv_roots() -> list[Path]:
    env = os.environ
    data = Path(env.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    roots = [Path(env["UV_PYTHON_INSTALL_DIR"])] if env.get("UV_PYTHON_INSTALL_DIR") else []
    roots.append(data / "uv" / "python")
    if env.get("APPDATA"):
        roots.append(Path(env["APPDATA"]) / "uv" / "python")
    return [root for root in roots if root.is_dir()]


def _windows_roots() -> list[Path]:
    """Where the python.org installer puts Pythons: per user, for all users, C:\\PythonXY."""
    if sys.platform != "win32":
        return []
    names = ("LOCALAPPDATA", "ProgramFiles", "ProgramFiles(x86)")  # pragma: no cover - Windows
    roots = [Path(os.environ[n]) for n in names if os.environ.get(n)]  # pragma: no cover
    return [*roots, Path(os.environ.get("SYSTEMDRIVE", "C:") + "\\")]  # pragma: no cover


def _patch_key(name: str) -> tuple[int, ...]:
    parts = re.findall(r"\d+", name)
    return tuple(int(p) for p in parts)


@functools.cache
def find_interpreter(version: str) -> Path | None:
    """An interpreter of exactly MAJOR.MINOR ``version`` that really runs, or None (cheap)."""
    for candidate in _candidates(version):
        if candidate.exists() and _probe(str(candidate)) == version:
            return candidate
    return None


@functools.cache
def discover_interpreter(version: str) -> Path | None:
    """Like :func:`find_interpreter`, then python-discovery's search (nox's own): version-manager
    shims, the Windows registry (PEP 514), interpreters named only ``python3``. It probes every
    interpreter on PATH, so it is the last resort of an environment that needs ``version``.
    """
    found = find_interpreter(version)
    if found is not None:
        return found
    try:
        from python_discovery import get_interpreter
    except ImportError:  # pragma: no cover - python-discovery comes with nox
        return None
    try:
        info = get_interpreter(version)
    except Exception:  # a discovery failure means "not found", never a crash
        return None
    if info is None or not info.executable or _probe(str(info.executable)) != version:
        return None
    return Path(str(info.executable))


def declared_versions(configured: list[str], pyproject: dict[str, object]) -> tuple[list[str], str]:
    """The Python versions to test and where they came from.

    Explicit config wins; then the project's ``Programming Language :: Python :: 3.X``
    classifiers; then ``requires-python`` expanded up to the newest known release and limited to
    interpreters that exist here. Falls back to the running Python. A Python older than
    ci-sessions tests on (``OLDEST_PYTHON``) is never derived: it would be refused as a setting.
    """
    if configured:
        return _sorted_unique(configured), "[tool.ci-sessions] python"
    project = pyproject.get("project")
    if isinstance(project, dict):
        classifiers = [str(c) for c in project.get("classifiers", []) or []]  # pyright: ignore[reportUnknownVariableType, reportUnknownMemberType, reportUnknownArgumentType]
        from_classifiers = [
            m.group(1)
            for c in classifiers
            if (m := re.fullmatch(r"Programming Language :: Python :: (\d+\.\d+)", c.strip()))
            and parse_version(m.group(1)) >= OLDEST_PYTHON
        ]
        if from_classifiers:
            return _sorted_unique(from_classifiers), "classifiers"
        requires = project.get("requires-python")  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]
        if isinstance(requires, str) and requires.strip():
            allowed = _expand_requires_python(requires)
            existing = [v for v in allowed if find_interpreter(v) is not None]
            if existing:
                return existing, "requires-python (interpreters found here)"
    return [current()], "the running Python"


def _expand_requires_python(spec: str) -> list[str]:
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    try:
        specifier = SpecifierSet(spec)
    except InvalidSpecifier:
        return []
    versions: list[str] = []
    for minor in range(OLDEST_PYTHON[1], NEWEST_KNOWN[1] + 1):  # never one tests cannot run on
        # a minor line is allowed when its first patch release satisfies the range
        if specifier.contains(f"3.{minor}.0", prereleases=True) or specifier.contains(
            f"3.{minor}.99", prereleases=True
        ):
            versions.append(f"3.{minor}")
    return versions


def _sorted_unique(versions: list[str]) -> list[str]:
    unique = {v.strip() for v in versions if v.strip()}
    try:
        return sorted(unique, key=parse_version)
    except ValueError:
        return sorted(unique)


def default_version(declared: list[str], configured: str = "") -> str:
    """The Python tier sessions run on: config, else the running one, else the newest found."""
    if configured:
        return configured
    if current() in declared:
        return current()
    for version in reversed(declared):
        if find_interpreter(version) is not None:
            return version
    return current()


def missing_hint(version: str) -> str:
    """How to get a missing interpreter."""
    return (
        f"Python {version} was not found (PATH, pyenv, mise, asdf, uv, python-discovery). "
        f"Install it with "
        f"`uv python install {version}` or `pyenv install {version}`, or drop it from "
        "[tool.ci-sessions] python"
    )


def found_here() -> list[str]:
    """The MAJOR.MINOR Pythons this machine has that tests can run on, oldest first."""
    major, newest = NEWEST_KNOWN
    return [
        f"{major}.{m}"
        for m in range(OLDEST_PYTHON[1], newest + 1)
        if find_interpreter(f"{major}.{m}")
    ]


def require_default_python(config: Config) -> None:
    """A configured ``default-python`` this machine lacks is a configuration error.

    Every tier runs on it, so each row would be SKIP ("not found") and the run would check
    nothing; unless ``download-python`` may fetch it, say so before anything runs. The matrix
    (``python``) is not judged here: a cell whose Python is missing is a SKIP of that cell.
    """
    from ci_sessions.errors import ConfigError

    version = config.top.str("default-python")
    if not version or config.top.bool("download-python"):
        return
    if discover_interpreter(version) is not None:
        return
    found = found_here()
    source = config.source_of("default-python")
    raise ConfigError(
        "pyproject.toml [tool.ci-sessions]" if source == "pyproject.toml" else source,
        "default-python",
        f"Python {version} was not found on this machine (found here: "
        f"{', '.join(found) or 'none'})",
        fix=f"set default-python to one of {', '.join(found)}, install Python {version} "
        f"(`uv python install {version}`), or set download-python = true",
    )
