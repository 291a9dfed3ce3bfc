"""The registry of checks: name -> "module:Class". Importing a check module is deferred to use."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ci_sessions.checks.base import Check

CHECKS: dict[str, str] = {
    "lint": "ci_sessions.checks.ruff:LintCheck",
    "format": "ci_sessions.checks.ruff:FormatCheck",
    "typecheck": "ci_sessions.checks.pyright:TypecheckCheck",
    "tests": "ci_sessions.checks.pytest:TestsCheck",
    "sast": "ci_sessions.checks.security.bandit:SastCheck",
    "audit": "ci_sessions.checks.security.audit:AuditCheck",
    "secrets": "ci_sessions.checks.security.secrets:SecretsCheck",  # pragma: allowlist secret
    "precommit": "ci_sessions.checks.precommit:PrecommitCheck",
    "coverage": "ci_sessions.checks.coverage:CoverageCheck",
    "build": "ci_sessions.checks.build:BuildCheck",
    "reproducible": "ci_sessions.checks.reproducible:ReproducibleCheck",
    "sbom": "ci_sessions.checks.sbom:SbomCheck",
    "docs": "ci_sessions.checks.docs:DocsCheck",
    "bench": "ci_sessions.checks.bench.check:BenchCheck",
}


def load_check(name: str) -> Check:
    """Instantiate the check registered under ``name``."""
    module_name, _, class_name = CHECKS[name].partition(":")
    module = importlib.import_module(module_name)
    check_class = getattr(module, class_name)
    check: Check = check_class()
    return check
