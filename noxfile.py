"""ci-sessions dogfoods itself: these sessions come from the working tree's ci_sessions."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import nox

import ci_sessions

ci_sessions.register()


@nox.session(name="bench-framework", venv_backend="none", default=False)
def bench_framework(session: nox.Session) -> None:
    """Framework speed as ratios: warm, cached, cold (uv, virtualenv, tox), nox -l, scaling."""
    session.run(
        sys.executable, str(Path(__file__).parent / "benchmarks" / "run.py"), *session.posargs
    )
