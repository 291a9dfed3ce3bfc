"""Run one ``run:`` step: its script in a file, the shell GitHub would use, a timeout, a log.

Shells as GitHub's runner spells them: no ``shell:`` is ``bash -e {0}``; ``bash`` is
``bash --noprofile --norc -eo pipefail {0}``; ``sh`` is ``sh -e {0}``; ``python`` is
``python {0}``; anything else with ``{0}`` is a custom command line.

Every process a step starts ends by the end of its job, as on GitHub: on Linux the step runs
below :mod:`ci_sessions.ci.reaper`, a child subreaper that adopts what the step leaves behind
(closed output, double fork, ``setsid``) and ends all of it when told; elsewhere the step gets its
own session and its process group is ended. Its output goes whole to the log (secrets masked) and
its last lines to the terminal, at most :data:`LINE_LIMIT` bytes a line and :data:`STEP_LIMIT` a
step.
"""

from __future__ import annotations

import codecs
import collections
import os
import select
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from ci_sessions._secrets import Secrets
from ci_sessions.errors import ShellError

_SHELLS: dict[str, tuple[str, str]] = {
    "bash": ("bash --noprofile --norc -eo pipefail {0}", ".sh"),
    "sh": ("sh -e {0}", ".sh"),
    "python": ("python {0}", ".py"),
    "pwsh": ("pwsh -command \". '{0}'\"", ".ps1"),
}
_DEFAULT = "bash -e {0}"

#: lines of a failing step's output kept to show at the end
TAIL = 40
#: bytes of one line, and of one step, shown on the terminal (the log has everything)
LINE_LIMIT = 64 * 1024
STEP_LIMIT = 1024 * 1024
#: the reaper runs where a subreaper exists
REAPER = Path(__file__).with_name("reaper.py") if sys.platform.startswith("linux") else None


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


class Output:
    """A step's output on its way: all of it to the log, masked; its last lines for the terminal,
    each cut at :data:`LINE_LIMIT` bytes. A line ``::add-mask::VALUE`` makes VALUE a secret from
    then on (GitHub's workflow command)."""

    def __init__(self, log: IO[str], secrets: Secrets) -> None:
        self.log = log
        self.secrets = secrets
        self.tail: collections.deque[str] = collections.deque(maxlen=TAIL)
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self._pending = ""
        self._head: str | None = None  # the shown start of a line too long to hold
        self._cut = 0  # characters of that line not shown
        self._lock = threading.Lock()

    def feed(self, data: bytes) -> None:
        with self._lock:
            self._pending += self._decoder.decode(data)
            while "\n" in self._pending:
                line, self._pending = self._pending.split("\n", 1)
                self._line(line)
            if len(self._pending) > 2 * LINE_LIMIT:
                self._flush_part()

    def close(self) -> None:
        with self._lock:
            self._pending += self._decoder.decode(b"", final=True)
            if self._pending or self._head is not None:
                self._line(self._pending, newline=False)
            self._pending = ""
            self.log.flush()

    def add(self, message: str) -> None:
        """A line of ours (why the step failed), to the log and the tail."""
        with self._lock:
            self._line(message)

    def _line(self, line: str, *, newline: bool = True) -> None:
        if line.startswith("::add-mask::"):
            self.secrets.add(line.removeprefix("::add-mask::").strip())
            line = "::add-mask::***"
        masked = self.secrets.mask(line)
        self.log.write(masked + ("\n" if newline else ""))
        if self._head is not None:
            head, cut = self._head, self._cut + len(masked)
            self._head, self._cut = None, 0
            self.tail.append(_clipped(head, cut))
        else:
            self.tail.append(_clip(masked))

    def _flush_part(self) -> None:
        """A line longer than any terminal shows: its start goes to the log now (a secret's
        length is kept back, so one split in two is still masked)."""
        keep = self.secrets.longest
        part = self._pending[: len(self._pending) - keep] if keep else self._pending
        self._pending = self._pending[len(part) :]
        masked = self.secrets.mask(part)
        self.log.write(masked)
        if self._head is None:
            self._head = masked[:LINE_LIMIT]
            self._cut = len(masked) - len(self._head)
        else:
            self._cut += len(masked)

    def lines(self) -> list[str]:
        """The tail, at most :data:`STEP_LIMIT` bytes of it (the latest lines)."""
        with self._lock:
            shown: list[str] = []
            total = 0
            for line in reversed(self.tail):
                size = len(line.encode("utf-8", "replace")) + 1
                if total + size > STEP_LIMIT:
                    shown.append("[... earlier lines are in the log]")
                    break
                shown.append(line)
                total += size
            return list(reversed(shown))


def _clip(line: str) -> str:
    data = line.encode("utf-8", "replace")
    if len(data) <= LINE_LIMIT:
        return line
    return _clipped(data[:LINE_LIMIT].decode("utf-8", "ignore"), len(line) - LINE_LIMIT)


def _clipped(head: str, cut: int) -> str:
    start = head.encode("utf-8", "replace")[:LINE_LIMIT].decode("utf-8", "ignore")
    return f"{start} [... {cut:,} more characters of this line are in the log]"


@dataclass
class Ended:
    """How a process ended: its exit code, or that it was stopped and why."""

    returncode: int
    seconds: float
    timed_out: bool = False
    cancelled: bool = False


@dataclass
class Leftover:
    """A step whose processes outlived it: its reaper (or process group), ended with the job."""

    process: subprocess.Popen[bytes]
    reader: threading.Thread


def run_process(
    argv: list[str],
    *,
    cwd: Path,
    env: dict[str, str],
    output: Output,
    timeout: float | None,
    cancel: threading.Event,
    leftovers: list[Leftover],
) -> Ended:
    """Run to the end, a timeout or a cancellation; output goes to ``output``.

    A step may leave a background process for later steps (a server): as on GitHub it lives
    until the job ends, when :func:`end_leftovers` stops it and everything it started.
    """
    start = time.monotonic()
    status_read, status_write = os.pipe() if REAPER else (-1, -1)
    command = (
        [sys.executable, "-I", "-S", str(REAPER), str(status_write), *argv] if REAPER else argv
    )
    try:
        process = subprocess.Popen(  # noqa: S603 - argv built from the workflow's shell template
            command,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            pass_fds=(status_write,) if REAPER else (),
        )
    finally:
        if REAPER:
            os.close(status_write)
    stdout = process.stdout
    if stdout is None:  # pragma: no cover - stdout=PIPE always gives one
        raise OSError("no output pipe")
    reader = threading.Thread(target=_pump, args=(stdout, output), daemon=True)
    reader.start()
    deadline = None if timeout is None else start + timeout
    timed_out = cancelled = False
    returncode: int | None = None
    try:
        while returncode is None:
            returncode = _ended(process, status_read)
            if returncode is not None:
                break
            if cancel.is_set():
                cancelled = True
            elif deadline is not None and time.monotonic() > deadline:
                timed_out = True
            if timed_out or cancelled:
                _stop(process)
                returncode = process.returncode if process.returncode is not None else -15
                break
    finally:
        if REAPER:
            os.close(status_read)
    reader.join(timeout=2)
    if REAPER and reader.is_alive() and _gone(process):
        reader.join(timeout=30)  # nothing of the step is left: the rest of its output is coming
    if process.poll() is None or reader.is_alive():
        leftovers.append(Leftover(process, reader))
    return Ended(
        -1 if returncode is None else returncode, time.monotonic() - start, timed_out, cancelled
    )


def _ended(process: subprocess.Popen[bytes], status: int) -> int | None:
    """The step's exit code once its command ended (0.2 s at most of waiting), else None."""
    if status < 0:
        try:
            return process.wait(timeout=0.2)
        except subprocess.TimeoutExpired:
            return None
    ready, _, _ = select.select([status], [], [], 0.2)
    if ready:
        text = os.read(status, 64).decode("ascii", "replace").strip()
        if text.lstrip("-").isdigit():
            return int(text)
        process.wait()  # the reaper ended without a word: it was killed
        return process.returncode if process.returncode is not None else -9
    if process.poll() is not None:
        return process.returncode
    return None


def _gone(process: subprocess.Popen[bytes]) -> bool:
    """Whether the reaper has ended (it does once no descendant is left), waiting a moment."""
    try:
        process.wait(timeout=0.5)
    except subprocess.TimeoutExpired:
        return False
    return True


def _pump(stream: IO[bytes], output: Output) -> None:
    fd = stream.fileno()
    while True:
        try:
            data = os.read(fd, 65536)
        except OSError:
            break
        if not data:
            break
        output.feed(data)
    output.close()
    stream.close()


def end_leftovers(leftovers: list[Leftover]) -> None:
    """The job is over: stop what its steps left running (GitHub's orphan clean-up)."""
    for leftover in leftovers:
        if REAPER:
            _stop(leftover.process)
        else:  # pragma: no cover - without a subreaper: the step's process group
            for sig in (signal.SIGTERM, signal.SIGKILL):
                try:
                    os.killpg(leftover.process.pid, sig)
                except (ProcessLookupError, PermissionError):
                    break
                leftover.reader.join(timeout=3)
                if not leftover.reader.is_alive():
                    break
        leftover.reader.join(timeout=5)
    leftovers.clear()


def _stop(process: subprocess.Popen[bytes]) -> None:
    """End a step and all it started: SIGTERM to its reaper, which ends every descendant (or to
    its process group where there is no reaper), SIGKILL to the group if that takes too long."""
    if REAPER:
        if process.poll() is not None:
            return  # the reaper saw every descendant end
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
            return
        except subprocess.TimeoutExpired:
            pass
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)  # not waited for yet: the group is still the step's
        except (ProcessLookupError, PermissionError):
            return
        try:
            process.wait(timeout=5)
            return
        except subprocess.TimeoutExpired:
            continue
