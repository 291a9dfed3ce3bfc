"""Files: atomic writes (a report, cache entry or history file is old or new, never torn), the
`.ci-sessions/` state directory, and where the packaged configs/ and templates/ live.

An atomic write replaces a file the way an editor saving it would: the file keeps its mode and,
where the process may set it, its owner; a new file gets the mode the umask gives (not the 600
of a temporary file).
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
import sys
import tempfile
from collections.abc import Generator
from pathlib import Path

from ci_sessions.errors import ConfigError


def _read_umask() -> int:
    """The process umask, read without changing it where /proc says it (threads run meanwhile)."""
    with contextlib.suppress(OSError):
        status = Path("/proc/self/status").read_text(encoding="ascii", errors="replace")
        match = re.search(r"^Umask:\s*([0-7]+)", status, re.M)
        if match:
            return int(match.group(1), 8)
    current = os.umask(0o022)  # at import, before any thread of ours exists
    os.umask(current)
    return current


_UMASK = _read_umask()


def atomic_write_text(path: Path, text: str, encoding: str = "utf-8") -> None:
    """Write ``text`` to ``path`` through a temporary file and an atomic rename."""
    atomic_write_bytes(path, text.encode(encoding))


def atomic_write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        _take_mode(path, tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _take_mode(path: Path, tmp: str) -> None:
    """Give the temporary file the mode (and owner) of the file it replaces, or the umask's."""
    try:
        current = os.lstat(path)
    except OSError:
        os.chmod(tmp, 0o666 & ~_UMASK)
        return
    if not stat.S_ISREG(current.st_mode):  # a link being replaced (init --force): a new file
        os.chmod(tmp, 0o666 & ~_UMASK)
        return
    os.chmod(tmp, stat.S_IMODE(current.st_mode))
    mine = os.stat(tmp)
    if (mine.st_uid, mine.st_gid) != (current.st_uid, current.st_gid) and hasattr(os, "chown"):
        with contextlib.suppress(OSError):  # only root (or the owner, for the group) may
            os.chown(tmp, current.st_uid, current.st_gid)


@contextlib.contextmanager
def exclusive_lock(path: Path) -> Generator[None, None, None]:
    """Hold an exclusive lock on ``path`` (made if missing), so two nox runs never do the same
    work on the same files at once. Windows has no flock: there it is a no-op."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if sys.platform == "win32":  # pragma: no cover
        yield
        return
    import fcntl

    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def state_dir(root: Path) -> Path:
    """``.ci-sessions/`` in the project root, created with a .gitignore so git never sees it."""
    directory = root / ".ci-sessions"
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _state_dir_error(directory, exc) from None
    if not directory.is_dir():  # pragma: no cover - mkdir(exist_ok) raised for every such case
        raise _state_dir_error(directory, None)
    ignore = directory / ".gitignore"
    if not ignore.exists():
        with contextlib.suppress(OSError):
            ignore.write_text("# written by ci-sessions: machine output, never committed\n*\n")
    return directory


def _state_dir_error(directory: Path, exc: OSError | None) -> ConfigError:
    if directory.is_symlink():
        problem = "is a symbolic link that leads nowhere usable (a loop, or a missing target)"
    elif directory.exists() and not directory.is_dir():
        problem = "is a file, not a directory"
    else:
        problem = f"cannot be created: {exc.strerror if exc else 'unknown error'}"
    return ConfigError(
        ".ci-sessions",
        "",
        problem,
        fix="ci-sessions keeps its reports, caches and history in the directory .ci-sessions/: "
        "rename or remove that file (`git rm --cached .ci-sessions` if git tracks it)",
    )


def reports_dir(root: Path) -> Path:
    directory = state_dir(root) / "reports"
    directory.mkdir(parents=True, exist_ok=True)
    return directory


_PACKAGE = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    """Return the packaged directory ``configs`` or ``templates``, installed or from a checkout."""
    installed = _PACKAGE / "_data" / name
    if installed.is_dir():
        return installed
    checkout = _PACKAGE.parent / name
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(f"ci-sessions data directory {name!r} is missing from the installation")


def config_file(name: str) -> Path:
    """A packaged YAML file from configs/, e.g. ``quality-tiers.yaml``."""
    return data_dir("configs") / name
