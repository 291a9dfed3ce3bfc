"""``python -m ci_sessions.release``: the release command line without the ci-sessions entry point."""

from __future__ import annotations

import sys

from ci_sessions._crash import guard
from ci_sessions.release.cli import main

raise SystemExit(guard(main, ["python -m ci_sessions.release", *sys.argv[1:]]))
