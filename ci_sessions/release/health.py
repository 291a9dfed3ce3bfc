"""The health check of a published release: what a user gets from the index, installed fresh.

A new virtual environment; ``pip install --no-cache-dir --index-url <simple> NAME==VERSION``
(tried again while the index has not yet made the release visible); each top-level package
imported; the smoke command run. pip reads no configuration file and no inherited ``PIP_*``
variable (a developer's extra index or wheel folder must not stand in for the index), and every
step runs in an empty directory so the source tree cannot be imported instead.
"""

from __future__ import annotations

import os
import shlex
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ci_sessions._secrets import mask
from ci_sessions.builds.tools import Ran, find_uv, run
from ci_sessions.release.settings import IndexSettings, PublishSettings

#: pip's words for "that version is not (yet) on the index": worth another try
NOT_YET_VISIBLE = ("No matching distribution found", "Could not find a version that satisfies")
#: inherited pip settings that still apply (TLS trust, time-outs)
KEEP_PIP = ("PIP_CERT", "PIP_DEFAULT_TIMEOUT", "PIP_CLIENT_CERT")


@dataclass(frozen=True)
class HealthResult:
    ok: bool
    #: install | import | smoke | environment: the step that failed (or "" when ok)
    failed_step: str
    attempts: int
    seconds: float
    output: str

    def summary(self) -> str:
        if self.ok:
            return f"healthy (installed in {self.attempts} attempt(s), imports and smoke ok, {self.seconds:.1f} s)"  # fmt: skip
        return f"unhealthy: the {self.failed_step} step failed after {self.attempts} attempt(s)"


def clean_env(venv: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_") or k in KEEP_PIP}
    env.update(
        PIP_CONFIG_FILE=os.devnull,
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        PIP_NO_INPUT="1",
        VIRTUAL_ENV=str(venv),
        PATH=str(bin_dir(venv)) + os.pathsep + env.get("PATH", ""),
    )
    env.pop("PYTHONPATH", None)
    env.pop("PYTHONHOME", None)
    return env


def bin_dir(venv: Path) -> Path:
    return venv / ("Scripts" if os.name == "nt" else "bin")


def venv_python(venv: Path) -> Path:
    return bin_dir(venv) / ("python.exe" if os.name == "nt" else "python")


def make_venv(venv: Path, cwd: Path) -> Ran:
    """A fresh environment with pip in it (uv seeds it from its cache: ~10x faster than venv)."""
    uv = find_uv()
    if uv is not None:
        return run(
            [uv, "venv", "--seed", "--quiet", "--python", sys.executable, str(venv)], cwd=cwd
        )
    return run([sys.executable, "-m", "venv", str(venv)], cwd=cwd)


def install_argv(python: Path, name: str, version: str) -> list[str]:
    """pip install of the release; the index URLs (credentials and all) go in through
    PIP_INDEX_URL and PIP_EXTRA_INDEX_URL, never on a command line other users can read."""
    return [str(python), "-m", "pip", "install", "--no-cache-dir", f"{name}=={version}"]


def index_env(index: IndexSettings) -> dict[str, str]:
    env = {"PIP_INDEX_URL": index.simple_url}
    if index.extra_index_url:
        env["PIP_EXTRA_INDEX_URL"] = index.extra_index_url
    return env


def smoke_argv(command: Sequence[str], python: Path) -> list[str]:
    """The smoke command with ``{python}`` standing for the fresh environment's interpreter."""
    return [part.replace("{python}", str(python)) for part in command]


def health_check(
    index: IndexSettings,
    name: str,
    version: str,
    imports: Sequence[str],
    settings: PublishSettings,
    *,
    secrets: Sequence[str] = (),
    sleep: Callable[[float], None] = time.sleep,
) -> HealthResult:
    started = time.monotonic()
    log: list[str] = []
    attempts = 0

    def result(ok: bool, step: str) -> HealthResult:
        text = mask("\n".join(log), secrets)
        return HealthResult(ok, step, attempts, time.monotonic() - started, text)

    with tempfile.TemporaryDirectory(prefix="ci-sessions-health-") as scratch:
        work = Path(scratch)
        venv, empty = work / "venv", work / "cwd"
        empty.mkdir()
        made = make_venv(venv, empty)
        if not made.ok:
            log.append(made.tail())
            return result(False, "environment")
        env = {**clean_env(venv), **index_env(index)}
        python = venv_python(venv)
        for attempt in range(1, settings.retries + 1):
            attempts = attempt
            ran = run(install_argv(python, name, version), cwd=empty, env=env)
            log.append(f"$ pip install {name}=={version} (attempt {attempt})\n{ran.tail(8)}")
            if ran.ok:
                break
            if not any(words in ran.output for words in NOT_YET_VISIBLE) or attempt == settings.retries:  # fmt: skip
                return result(False, "install")
            sleep(settings.retry_delay)
        statement = "; ".join(f"import {module}" for module in imports)
        if statement:
            ran = run([str(python), "-c", statement], cwd=empty, env=env)
            log.append(f"$ python -c {statement!r} (exit {ran.returncode})\n{ran.tail(8)}".rstrip())
            if not ran.ok:
                return result(False, "import")
        if settings.smoke:
            argv = smoke_argv(settings.smoke, python)
            ran = run(argv, cwd=empty, env=env)
            log.append(f"$ {shlex.join(argv)} (exit {ran.returncode})\n{ran.tail(8)}".rstrip())
            if not ran.ok:
                return result(False, "smoke")
    return result(True, "")
