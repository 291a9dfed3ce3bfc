# /// script
# dependencies = ["nox>=2025.2", "ci-sessions>=0.1"]
# ///
import ci_sessions

ci_sessions.register()

# Everything above is what `ci-sessions init` renders; this repository adds one session of its own.
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import nox  # noqa: E402


@nox.session(name="bench-framework", venv_backend="none", default=False)
def bench_framework(session: nox.Session) -> None:
    """Framework speed as ratios: warm, cached, cold (uv, virtualenv, tox), nox -l, scaling."""
    session.run(
        sys.executable, str(Path(__file__).parent / "benchmarks" / "run.py"), *session.posargs
    )
