"""``python -m ci_sessions.release``: the release command line without the ci-sessions entry point."""

from __future__ import annotations

from ci_sessions.release.cli import main

raise SystemExit(main())
