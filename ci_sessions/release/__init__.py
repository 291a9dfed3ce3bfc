"""Release and deployment: the next version from the commits, the changelog, staged publishing
with a health check after each stage, and rollback; the builds and the reproducible double build
are :mod:`ci_sessions.builds`, below.

A feature beside scaffold/, validate/ and ci/, never importing nox; ``nox -s release`` calls
:func:`ci_sessions.release.cli.main`. The modules behind a subcommand (tomlkit edits, builds,
twine through uv, the index server calls) load only when it runs; importing this package costs
the commit parser and packaging. The command line is :func:`ci_sessions.release.cli.main` (``python -m ci_sessions.release``).
"""

from __future__ import annotations

from ci_sessions.release.commits import Commit, parse_message
from ci_sessions.release.version import Level, Rules, next_version

__all__ = ["Commit", "Level", "Rules", "next_version", "parse_message"]
