"""Files: atomic writes (a report, cache entry or history file is old or new, never torn), the
`.ci-sessions/` state directory, and where the packaged configs/ and templates/ live."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


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
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def state_dir(root: Path) -> Path:
    """``.ci-sessions/`` in the project root, created with a .gitignore so git never sees it."""
    directory = root / ".ci-sessions"
    directory.mkdir(parents=True, exist_ok=True)
    ignore = directory / ".gitignore"
    if not ignore.exists():
        with contextlib.suppress(OSError):
            ignore.write_text("# written by ci-sessions: machine output, never committed\n*\n")
    return directory


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
