"""What coverage's reports leave out: the project's own ``[report] omit`` and ci-sessions' code.

Its own module because both the ``coverage`` check and the ``tests`` check's shards need it, and
neither may import the other (no module imports itself back).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from ci_sessions.checks.base import CheckContext, Environment

#: coverage's exit code for a command that ran
OK = 0
#: ci-sessions' own code, some of which runs inside the project's pytest (its plugins, loaded
#: from this package's folder): coverage.py would count it as the project's
OWN_CODE = Path(__file__).resolve().parents[1]
#: the project's own ``[report] omit`` patterns (coverage.py reads its config as its reports do):
#: ``--omit`` on the command line replaces them, so ours is added to theirs
_REPORT_OMIT = (
    "import json, coverage\nprint(json.dumps(list(coverage.Coverage().config.report_omit or [])))\n"
)


def omit_argument(ctx: CheckContext, env: Environment) -> str | None:
    """``--omit`` for coverage's reports: the project's own ``[report] omit`` plus ci-sessions'
    code (its pytest plugins ran under coverage too; they are not the project's). None when
    coverage.py cannot read its configuration."""
    run = ctx.exec([str(env.python), "-c", _REPORT_OMIT], env)
    try:
        patterns = [str(p) for p in json.loads(run.stdout)] if run.returncode == OK else None
    except ValueError:
        return None
    if patterns is None:
        return None
    return f"--omit={','.join([*patterns, f'{OWN_CODE}{os.sep}*'])}"
