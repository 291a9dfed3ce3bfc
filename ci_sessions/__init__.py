"""ci-sessions: tiered quality gates for Python projects, as nox sessions.

Importing this package must stay cheap: it runs inside every noxfile. Everything heavy is
imported inside :func:`register` or by the CLI.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from pathlib import Path

    from ci_sessions.sessions.register import Registered

from ci_sessions._version import __version__

__all__ = ["__version__", "register"]


def register(
    *,
    exclude: Iterable[str] = (),
    rename: Mapping[str, str] | None = None,
    project_dir: str | Path | None = None,
) -> Registered:
    """Define the ci-sessions nox sessions in the calling noxfile.

    Nothing is registered at import time, so a project can exclude or rename any session and
    define its own beside them. A configuration error is printed and exits with status 2.
    """
    from ci_sessions.sessions.register import register_sessions

    return register_sessions(exclude=exclude, rename=rename, project_dir=project_dir)
