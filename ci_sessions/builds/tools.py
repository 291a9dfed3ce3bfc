"""The external tools a release runs (uv, twine, towncrier, build), pinned, each in a subprocess.

twine and towncrier run with ``uv tool run --from <pin>``: an environment of their own, cached by
uv, never the project's. A command is always an argv list; output comes back for the caller to
mask and show.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ci_sessions.errors import InstallError

TWINE = "twine==7.0.0"
TOWNCRIER = "towncrier==26.9.0"
BUILD = "build==1.6.1"


@dataclass(frozen=True)
class Ran:
    """A finished command: its argv, exit code and combined output."""

    argv: tuple[str, ...]
    returncode: int
    output: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def tail(self, lines: int = 25) -> str:
        return "\n".join(self.output.strip().splitlines()[-lines:])


def find_uv() -> str | None:
    """uv from this interpreter's environment (the ``uv`` wheel) or from PATH."""
    beside = Path(sys.executable).parent / ("uv.exe" if os.name == "nt" else "uv")
    if beside.is_file():
        return str(beside)
    return shutil.which("uv")


def require_uv(purpose: str) -> str:
    uv = find_uv()
    if uv is None:
        raise InstallError(
            f"uv is needed to {purpose}, and it is not installed", fix="pip install uv"
        )
    return uv


def run(
    argv: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    timeout: float = 600,
) -> Ran:
    """Run ``argv`` (no shell) and return its exit code and merged output; never raises on exit."""
    merged = dict(os.environ if env is None else env)
    merged.setdefault("UV_PYTHON_DOWNLOADS", "never")
    try:
        done = subprocess.run(  # noqa: S603 - an argv list, never a shell
            list(argv),
            cwd=cwd,
            env=merged,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            encoding="utf-8",
            errors="replace",
            timeout=timeout,
            check=False,
        )
    except FileNotFoundError:
        raise InstallError(f"{argv[0]} is not installed or not on PATH") from None
    except subprocess.TimeoutExpired as exc:
        partial: object = exc.stdout
        output = partial if isinstance(partial, str) else ""
        return Ran(tuple(argv), 124, f"{output}\n(timed out after {timeout:g} s)")
    return Ran(tuple(argv), done.returncode, done.stdout or "")


def tool_argv(spec: str, command: str, *args: str) -> list[str]:
    """``uv tool run --from twine==7.0.0 twine ARGS``: a pinned tool in its own environment."""
    uv = require_uv(f"run {spec}")
    return [uv, "tool", "run", "--python", sys.executable, "--from", spec, command, *args]
