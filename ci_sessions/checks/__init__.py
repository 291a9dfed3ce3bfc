"""Checks: one module per tool behind one contract (``base.Check``), listed by name in
``registry``. A check knows nothing of nox; it gets a ``CheckContext`` and returns a result.

Adding a check touches only this package: a module with a ``CheckBase`` subclass, an import and
a line in ``registry.CHECKS``, its settings table in ``config/schema.py``. See
docs/architecture.md. The registry is not imported here: a module that needs only the contract
(``checks.base``) does not load every check.
"""

from ci_sessions.checks.base import (
    Check,
    CheckBase,
    CheckContext,
    Environment,
    EnvSpec,
    RunPlan,
    ToolRun,
    error_result,
    pending_result,
)

__all__ = [
    "Check",
    "CheckBase",
    "CheckContext",
    "EnvSpec",
    "Environment",
    "RunPlan",
    "ToolRun",
    "error_result",
    "pending_result",
]
