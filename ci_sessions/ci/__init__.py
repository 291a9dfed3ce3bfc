"""Run a GitHub Actions workflow on this machine, the way the runner would (``ci-sessions ci``).

Only the foundation (errors, _fs, _git) and stdlib/PyYAML/rich are imported here: this package
sits beside sessions and never imports nox or the rest of ci_sessions.
"""

from __future__ import annotations

from ci_sessions.ci.cli import main
from ci_sessions.ci.install import INSTALL_VARIABLES

__all__ = ["INSTALL_VARIABLES", "main"]
