"""The registry of checks: name -> class, a plain module of imports (pre-commit's
``all_languages.py``), so every arrow to a check is one the layer contract sees.

``nox -l`` and every session instantiate every check anyway to define the sessions, so nothing
here is lazy (``benchmarks/startup_bench.py``: ``nox -l`` as before; ``ci-sessions matrix``,
which only needs the names, pays under a tenth of a second of CPU more).
"""

from __future__ import annotations

from ci_sessions.checks.base import Check
from ci_sessions.checks.bench.check import BenchCheck
from ci_sessions.checks.build import BuildCheck
from ci_sessions.checks.coverage import CoverageCheck
from ci_sessions.checks.docs import DocsCheck
from ci_sessions.checks.precommit import PrecommitCheck
from ci_sessions.checks.pyright import TypecheckCheck
from ci_sessions.checks.pytest import TestsCheck
from ci_sessions.checks.reproducible import ReproducibleCheck
from ci_sessions.checks.ruff import FormatCheck, LintCheck
from ci_sessions.checks.sbom import SbomCheck
from ci_sessions.checks.security.audit import AuditCheck
from ci_sessions.checks.security.bandit import SastCheck
from ci_sessions.checks.security.secrets import SecretsCheck

#: session name -> check class, in the order sessions are defined
CHECKS: dict[str, type[Check]] = {
    "lint": LintCheck,
    "format": FormatCheck,
    "typecheck": TypecheckCheck,
    "tests": TestsCheck,
    "sast": SastCheck,
    "audit": AuditCheck,
    "secrets": SecretsCheck,  # pragma: allowlist secret
    "precommit": PrecommitCheck,
    "coverage": CoverageCheck,
    "build": BuildCheck,
    "reproducible": ReproducibleCheck,
    "sbom": SbomCheck,
    "docs": DocsCheck,
    "bench": BenchCheck,
}


def load_check(name: str) -> Check:
    """Instantiate the check registered under ``name``."""
    return CHECKS[name]()
