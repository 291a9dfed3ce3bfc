"""``python -m ci_sessions.ci``: the same as ``ci-sessions ci``."""

from __future__ import annotations

import sys

from ci_sessions._crash import guard
from ci_sessions.ci.cli import main

sys.exit(guard(lambda: main(sys.argv[1:]), ["python -m ci_sessions.ci", *sys.argv[1:]]))
