"""ci-sessions dogfoods itself: these sessions come from the working tree's ci_sessions."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import ci_sessions

ci_sessions.register()
