"""Run one ``run:`` step: its script in a file, the shell GitHub would use, a timeout, a log.

Shells as GitHub's runner spells them: no ``shell:`` is ``bash -e {0}``; ``bash`` is
``bash --noprofile --norc -eo pipefail {0}``; ``sh`` is ``sh -e {0}``; ``python`` is
``python {0}``; anything else with ``{0}`` is a custom command line. The process gets its own
session so a timeout or a cancellation ends the whole tree it started.
"""

from __future__ import annotations

import collections
import os
import shlex
import shutil
import signal
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import IO

_SHELLS: dict[str, tuple[str, str]] = {
    "bash": ("bash --noprofile --norc -eo pipefail {0}", ".sh"),
    "sh": ("sh -e {0}", ".sh"),
    "python": ("python {0}", ".py"),
    "pwsh": ("pwsh -command \". '{0}'\"", ".ps1"),
}
_DEFAULT = "bash -e {0}"

#: lines of a failing step's output kept to show at the end
TAIL = 40


class ShellError(Exception):
    """A ``shell:`` this runner cannot start (unknown, or its program is missing)."""


def shell_command(shell: str | None, script: str, temp: Path, path: str) -> list[str]:
    """The argv that runs ``script`` (written to a file in ``temp``) with ``shell``."""
    name = (shell or "").strip()
    if not name:
        template, suffix = (
            (_DEFAULT, ".sh") if shutil.which("bash", path=path) else ("sh -e {0}", ".sh")
        )
    elif name in _SHELLS:
        template, suffix = _SHELLS[name]
    elif "{0}" in name:
        template, suffix = name, ""
    else:
        raise ShellError(
            f"shell {name!r} is not one GitHub knows (bash, sh, python, pwsh, or a command with {{0}})"
        )
    script_path = temp / f"{uuid.uuid4().hex}{suffix}"
    script_path.write_text(script, encoding="utf-8")
    argv = [part.replace("{0}", str(script_path)) for part in shlex.split(template)]
    program = shutil.which(argv[0], path=path)
    if program is None:
        raise ShellError(f"shell program {argv[0]!r} is not on PATH")
    return [program, *argv[1:]]


@dataclass
class Ended:
    """How a process ended: its exit code, or that it was stopped and why."""

    returncode: int
    seconds: float
    timed_out: bool = False
    cancelled: bool = False


def run_process(
    argv: list[str],
    *,
    cwd: Path,
    env: dict[str, str],
    log: IO[str],
    tail: collections.deque[str],
    timeout: float | None,
    cancel: threading.Event,
    leftovers: list[Leftover],
) -> Ended:
    """Run to the end, a timeout or a cancellation; output goes to ``log`` and ``tail``.

    A step may leave a background process for later steps (a server): as on GitHub it lives
    until the job ends, when :func:`end_leftovers` stops it.
    """
    start = time.monotonic()
    process = subprocess.Popen(  # noqa: S603 - argv built from the workflow's shell template
        argv,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    stdout = process.stdout
    if stdout is None:  # pragma: no cover - stdout=PIPE always gives one
        raise OSError("no output pipe")
    reader = threading.Thread(target=_pump, args=(stdout, log, tail), daemon=True)
    reader.start()
    deadline = None if timeout is None else start + timeout
    timed_out = cancelled = False
    while True:
        try:
            process.wait(timeout=0.2)
            break
        except subprocess.TimeoutExpired:
            pass
        if cancel.is_set():
            cancelled = True
        elif deadline is not None and time.monotonic() > deadline:
            timed_out = True
        if timed_out or cancelled:
            _stop(process)
            break
    reader.join(timeout=2)
    if reader.is_alive():
        leftovers.append(Leftover(process.pid, reader))
    return Ended(process.returncode, time.monotonic() - start, timed_out, cancelled)


def _pump(stream: IO[bytes], log: IO[str], tail: collections.deque[str]) -> None:
    for raw in iter(stream.readline, b""):
        line = raw.decode("utf-8", "replace")
        log.write(line)
        tail.append(line.rstrip("\n"))
    log.flush()
    stream.close()


@dataclass(frozen=True)
class Leftover:
    """A step's process group that still holds its output open after the step ended."""

    pgid: int
    reader: threading.Thread


def end_leftovers(leftovers: list[Leftover]) -> None:
    """The job is over: stop what its steps left running (GitHub's orphan clean-up)."""
    for leftover in leftovers:
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(leftover.pgid, sig)
            except (ProcessLookupError, PermissionError):
                break
            leftover.reader.join(timeout=3)
            if not leftover.reader.is_alive():
                break
    leftovers.clear()


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the process group, then SIGKILL what is left after 5 s."""
    for sig, wait in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(process.pid, sig)
        except (ProcessLookupError, PermissionError):
            return
        try:
            process.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue
