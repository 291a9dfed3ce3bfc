"""The running ci-sessions stands in for the one the workflow installs from the index.

A workflow installs ci-sessions through a workflow-level variable (:data:`INSTALL_VARIABLES`).
Run locally, that spec would test the released version, not the one being run; so each such
variable whose value is an index requirement (not a local path like ``.``) is set to a wheel of
the running ci-sessions: built once per run from its source checkout with ``uv build --wheel``
(cached by a hash of the package's files), or, when it runs from an installed distribution, that
distribution (its local wheel if it was installed from one, else the same version pinned).
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

from ci_sessions.errors import InstallError

#: workflow variables that name how ci-sessions is installed; replaced in a local run
INSTALL_VARIABLES: tuple[str, ...] = ("CIS_PACKAGE",)

_PACKAGE = Path(__file__).resolve().parents[1]
_CHECKOUT = _PACKAGE.parent
_HASHED = ("ci_sessions", "configs", "templates", "pyproject.toml", "README.md")


@dataclass(frozen=True)
class Substitute:
    """What the install variables are set to, and how to say so."""

    spec: str
    origin: str  # "source checkout <path>" / "installed distribution"


def is_local(spec: str) -> bool:
    """A path the copy can install from itself (``.``, ``./pkg``, ``/abs``, ``file:``)."""
    text = spec.strip()
    return text.startswith((".", "/", "file:", "~")) or text == ""


def source_checkout() -> Path | None:
    """The checkout ci-sessions runs from, if it runs from one (not from site-packages)."""
    pyproject = _CHECKOUT / "pyproject.toml"
    if not pyproject.is_file() or not (_CHECKOUT / "ci_sessions").is_dir():
        return None
    text = pyproject.read_text(encoding="utf-8")
    return _CHECKOUT if 'name = "ci-sessions"' in text else None


def package_hash(checkout: Path) -> str:
    digest = hashlib.sha256()
    for top in _HASHED:
        path = checkout / top
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            if "__pycache__" in file.parts or file.suffix == ".pyc" or not file.is_file():
                continue
            digest.update(file.relative_to(checkout).as_posix().encode() + b"\0")
            digest.update(file.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def _uv() -> list[str]:
    found = shutil.which("uv")
    if found:
        return [found]
    beside = Path(sys.executable).parent / "uv"
    if beside.exists():
        return [str(beside)]
    raise InstallError(
        "uv is needed to build a wheel of the running ci-sessions",
        fix="pip install uv (or put uv on PATH)",
    )


def build_wheel(checkout: Path) -> Path:
    """A wheel of the checkout, reused while its files are unchanged."""
    cache = checkout / ".ci-sessions" / "ci-wheels" / package_hash(checkout)
    existing = sorted(cache.glob("*.whl")) if cache.is_dir() else []
    if existing:
        return existing[0]
    cache.parent.mkdir(parents=True, exist_ok=True)
    ignore = checkout / ".ci-sessions" / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# written by ci-sessions: machine output, never committed\n*\n")
    with tempfile.TemporaryDirectory(dir=cache.parent) as scratch:
        env = {**os.environ, "UV_PYTHON_DOWNLOADS": os.environ.get("UV_PYTHON_DOWNLOADS", "never")}
        try:
            done = subprocess.run(  # noqa: S603 - uv with fixed arguments
                [*_uv(), "build", "--wheel", "--out-dir", scratch, str(checkout)],
                capture_output=True,
                text=True,
                timeout=600,
                check=False,
                env=env,
            )
        except subprocess.TimeoutExpired:
            raise InstallError("uv build of the running ci-sessions took over 10 minutes") from None
        wheels = sorted(Path(scratch).glob("*.whl"))
        if done.returncode != 0 or not wheels:
            tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])
            raise InstallError(f"uv build of the running ci-sessions failed:\n{tail}")
        staged = Path(scratch) / "out"
        staged.mkdir()
        shutil.move(str(wheels[0]), staged / wheels[0].name)
        with contextlib.suppress(OSError):  # a concurrent run won the race: same wheel
            os.replace(staged, cache)
    return sorted(cache.glob("*.whl"))[0]


def installed_distribution() -> Substitute:
    try:
        dist = importlib.metadata.distribution("ci-sessions")
    except importlib.metadata.PackageNotFoundError:
        raise InstallError(
            "ci-sessions runs neither from a source checkout nor from an installed distribution",
            fix="install ci-sessions (pip install ci-sessions) and run it from there",
        ) from None
    direct = dist.read_text("direct_url.json")
    if direct:
        url = str(json.loads(direct).get("url", ""))
        parsed = urlparse(url)
        if parsed.scheme == "file" and Path(unquote(parsed.path)).exists():
            return Substitute(unquote(parsed.path), "the installed distribution's own file")
    return Substitute(f"ci-sessions=={dist.version}", "the installed distribution")


def running_ci_sessions() -> Substitute:
    checkout = source_checkout()
    if checkout is not None:
        return Substitute(str(build_wheel(checkout)), f"a wheel of the source checkout {checkout}")
    return installed_distribution()
