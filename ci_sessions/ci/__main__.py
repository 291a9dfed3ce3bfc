"""``python -m ci_sessions.ci``: the same as ``ci-sessions ci``."""

from __future__ import annotations

import sys

from ci_sessions.ci.cli import main

sys.exit(main(sys.argv[1:]))
