"""Files: atomic writes (a report, cache entry or history file is old or new, never torn), the
`.ci-sessions/` state directory, where the packaged configs/ and templates/ live, and the one way
to delete, and to copy a listed tree, that never leaves the folder it was given.

Deletion goes through :func:`remove_tree` only: the caller names the folder it created
(``within``), and nothing outside it, nor anything reached through a symbolic link, is removed.
:func:`copy_listed` copies files named by git into a fresh folder and refuses an entry that lies
behind a symbolic link (git's index can hold one; writing it would follow the link).

An atomic write replaces a file the way an editor saving it would: the file keeps its mode and,
where the process may set it, its owner; a new file gets the mode the umask gives (not the 600
of a temporary file).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import stat
import sys
import tempfile
from collections.abc import Generator, Iterable
from pathlib import Path

from ci_sessions.errors import ConfigError, UnsafePathError


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
    """``.ci-sessions/`` in the project root, created with a .gitignore so git never sees it.

    A symbolic link there is refused: ci-sessions writes and deletes in this folder, and a link
    (a committed one, say) would make it write and delete wherever the link points."""
    directory = root / ".ci-sessions"
    if directory.is_symlink():
        raise _state_dir_error(directory, None)
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
        problem = (
            f"is a symbolic link (to {os.readlink(directory)}): ci-sessions writes and deletes "
            "only in a folder of the project, never through a link"
        )
    elif directory.exists() and not directory.is_dir():
        problem = "is a file, not a directory"
    else:
        problem = f"cannot be created: {exc.strerror if exc else 'unknown error'}"
    return ConfigError(
        ".ci-sessions",
        "",
        problem,
        fix="ci-sessions keeps its reports, caches and history in the directory .ci-sessions/: "
        "rename or remove that file or link (`git rm --cached .ci-sessions` if git tracks it)",
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


# ---------------------------------------------------------------- containment


def is_inside(path: Path, base: Path) -> bool:
    """Whether ``path`` is ``base`` or below it, by their names (``..`` resolved, links not)."""
    return Path(os.path.abspath(path)).is_relative_to(os.path.abspath(base))


def link_on_the_way(base: Path, path: Path) -> Path | None:
    """The first symbolic link from ``base`` (itself included) down to ``path`` (included), if
    any; components that do not exist yet end the search. ``path`` must be inside ``base``."""
    base = Path(os.path.abspath(base))
    path = Path(os.path.abspath(path))
    current = base
    for part in (None, *path.relative_to(base).parts):
        if part is not None:
            current = current / part
        try:
            info = os.lstat(current)
        except OSError:
            return None
        if stat.S_ISLNK(info.st_mode):
            return current
        if not stat.S_ISDIR(info.st_mode):
            return None
    return None


def contained(base: Path, relative: str, *, what: str, fix: str = "") -> Path:
    """``base / relative`` when it stays inside ``base`` and passes through no symbolic link;
    otherwise :class:`UnsafePathError` saying ``what`` the path was for."""
    if "\0" in relative:
        raise UnsafePathError(f"{what} {relative!r} holds a NUL byte", fix=fix)
    target = Path(os.path.abspath(base / relative))
    if not is_inside(target, base):
        raise UnsafePathError(
            f"{what} {relative!r} leads outside {base}", fix=fix or f"give a path inside {base}"
        )
    link = link_on_the_way(base, target)
    if link is not None:
        raise UnsafePathError(
            f"{what} {relative!r} passes through the symbolic link {link}",
            fix=fix or "give a path without links (ci-sessions never writes through one)",
        )
    return target


def remove_tree(path: Path, *, within: Path) -> None:
    """Delete ``path`` (a file, a link, or a folder and everything in it) inside ``within``, the
    folder the caller created. Refused with :class:`UnsafePathError` when ``path`` is outside
    ``within`` or reached through a symbolic link; a link itself is removed, never followed.
    Read-only files and folders (tools make some) are made writable first."""
    target = Path(os.path.abspath(path))
    if not is_inside(target, within):
        raise UnsafePathError(
            f"refusing to delete {target}: it is outside {within}, the folder this run made"
        )
    base = Path(os.path.abspath(within))
    parent_link = None if target == base else link_on_the_way(base, target.parent)
    if parent_link is not None:
        raise UnsafePathError(
            f"refusing to delete {target}: the way to it passes through the symbolic link "
            f"{parent_link}"
        )
    try:
        info = os.lstat(target)
    except FileNotFoundError:
        return
    if not stat.S_ISDIR(info.st_mode):  # a file or a link: the link goes, never its target
        os.unlink(target)
        return

    def _retry(_function: object, failed: str, _error: object) -> None:
        with contextlib.suppress(OSError):
            parent = os.path.dirname(failed)
            if not os.path.islink(parent):
                os.chmod(parent, stat.S_IRWXU)
            if os.path.isdir(failed) and not os.path.islink(failed):
                os.chmod(failed, stat.S_IRWXU)
                shutil.rmtree(failed, ignore_errors=True)
            else:
                os.unlink(failed)

    if sys.version_info >= (3, 12):
        shutil.rmtree(target, onexc=_retry)
    else:  # pragma: no cover - 3.10 and 3.11
        shutil.rmtree(target, onerror=_retry)


def copy_listed(
    source: Path,
    dest: Path,
    names: Iterable[str],
    *,
    mtime: float | None = None,
    reverse: bool = False,
) -> list[str]:
    """Copy the files ``names`` (relative, as git lists them) from ``source`` into ``dest``.

    A symbolic link is copied as a link, never followed; a folder (a submodule) and a name that
    is gone are left out. A name that lies behind a symbolic link of ``source`` (git's index can
    hold ``d/file`` after ``d`` became a link) is refused: copying it would write through the
    link. ``mtime`` gives every copied file that time; ``reverse`` copies in the opposite order.
    """
    checked: dict[str, bool] = {}  # folder -> is a link
    copied: list[str] = []
    made: set[Path] = set()
    for name in sorted(names, reverse=reverse):
        parts = name.split("/")
        if not name or name.startswith("/") or ".." in parts or "" in parts:
            raise UnsafePathError(f"{name!r}: not a path inside the project")
        for depth in range(1, len(parts)):
            folder = "/".join(parts[:depth])
            if folder not in checked:
                checked[folder] = os.path.islink(source / folder)
            if checked[folder]:
                raise ConfigError(
                    name,
                    "",
                    f"git lists this file behind the symbolic link {folder} (git itself sees it "
                    "as deleted; copying it would write through the link)",
                    fix=f"git rm -r --cached {folder}/ (then commit), or put the folder back",
                )
        src = source / name
        try:
            info = src.lstat()
        except OSError:
            continue  # deleted in the working tree
        if stat.S_ISDIR(info.st_mode):
            continue  # a submodule: left empty, as a checkout without submodules does
        target = dest / name
        if target.parent not in made:
            target.parent.mkdir(parents=True, exist_ok=True)
            made.add(target.parent)
        if stat.S_ISLNK(info.st_mode):
            if target.is_symlink() or target.exists():
                os.unlink(target)
            os.symlink(os.readlink(src), target)
        else:
            shutil.copy2(src, target)
            if mtime is not None:
                os.utime(target, (mtime, mtime))
        copied.append(name)
    return copied
