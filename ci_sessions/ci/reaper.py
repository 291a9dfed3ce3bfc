"""The parent of everything a step starts, so that all of it ends when its job does (Linux).

Run as ``python -I -S reaper.py STATUS_FD COMMAND...`` (stdlib only, no ci_sessions import: it
starts in milliseconds). It makes itself a *child subreaper* (``prctl(PR_SET_CHILD_SUBREAPER)``),
so a process the step leaves behind is adopted by it rather than by init, even one that closed
its output, double-forked or left the process group with ``setsid``. It runs COMMAND, writes
COMMAND's exit code to STATUS_FD when COMMAND ends, and stays while any descendant lives. On
SIGTERM (the job is over, the step timed out, the run was cancelled) it sends SIGTERM to every
descendant, then SIGKILL to what is left after a grace period, and exits once none remains.

What escapes it: a process that kills the reaper itself (then its orphans go to init), and on
other systems than Linux there is no subreaper at all (ci-sessions falls back to the process group,
see docs/ci-local.md).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import time

PR_SET_CHILD_SUBREAPER = 36
PR_SET_PDEATHSIG = 1
#: seconds between SIGTERM and SIGKILL, as a runner gives an orphan
GRACE = 3.0


class _Stop(Exception):
    """SIGTERM arrived: end everything.

    Control flow, not an error: raised by the signal handler to unwind the reaper's wait loop
    into its cleanup, never shown to anyone, so it stays outside ``errors.py``'s hierarchy."""


def _stop(_signum: int, _frame: object) -> None:
    raise _Stop


def descendants(root: int) -> list[int]:
    """Every live process below ``root``, from /proc (parents before children)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[1].split()
        except (OSError, IndexError):
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
    found: list[int] = []
    todo = [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _reap() -> None:
    """Collect every child that has ended (adopted orphans included)."""
    while True:
        try:
            pid, _status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def end_all() -> None:
    """SIGTERM to every descendant, SIGKILL to the rest after :data:`GRACE`, until none is left."""
    me = os.getpid()
    for sig, grace in ((signal.SIGTERM, GRACE), (signal.SIGKILL, 5.0)):
        deadline = time.monotonic() + grace
        while True:
            alive = descendants(me)
            if not alive:
                _reap()
                return
            for pid in alive:
                with contextlib.suppress(OSError):
                    os.kill(pid, sig)
            _reap()
            if time.monotonic() > deadline:
                break
            time.sleep(0.05)


def main(argv: list[str]) -> int:
    status_fd, command = int(argv[1]), argv[2:]
    parent = os.getppid()
    signal.signal(signal.SIGTERM, _stop)
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})  # delivered inside the try below
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)  # ci-sessions gone: end it all too
    if os.getppid() != parent:
        os.kill(os.getpid(), signal.SIGTERM)
    pid = os.fork()
    if pid == 0:  # the step's command
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
        os.close(status_fd)
        try:
            os.execv(command[0], command)  # noqa: S606 - the step's shell argv, from ci-sessions
        except OSError as error:
            os.write(2, f"cannot run {command[0]}: {error.strerror}\n".encode())
        os._exit(127)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)  # let go of the step's output: it ends when the step's processes end
    os.dup2(devnull, 2)
    try:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
        while True:
            try:
                child, status = os.waitpid(-1, 0)
            except ChildProcessError:
                return 0  # nothing left below: nothing to end later
            if child == pid:
                try:
                    os.write(status_fd, f"{os.waitstatus_to_exitcode(status)}\n".encode())
                    os.close(status_fd)
                except OSError:
                    pass
    except _Stop:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        end_all()
        return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
