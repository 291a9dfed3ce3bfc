"""Release and deployment: the next version from the commits, the changelog, the reproducible
double build, staged publishing with a health check after each stage, and rollback.

Sits beside sessions/: imports only the foundation (errors, _fs, _git, results) and never nox.
The modules behind a subcommand (tomlkit edits, builds, twine through uv, the index server
calls) load only when it runs; importing this package costs the commit parser and packaging.
The command line is :func:`ci_sessions.release.cli.main` (``python -m ci_sessions.release``).
"""

from __future__ import annotations

from ci_sessions.release.commits import Commit, parse_message
from ci_sessions.release.version import Level, Rules, next_version

__all__ = ["Commit", "Level", "Rules", "next_version", "parse_message"]
