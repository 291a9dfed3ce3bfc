"""Checks: one module per tool behind one contract (``base.Check``), listed by name in
``registry``. A check knows nothing of nox; it gets a ``CheckContext`` and returns a result.

Adding a check touches only this package: a module with a ``CheckBase`` subclass, a line in
``registry.CHECKS``, its settings table in ``config/schema.py``. See docs/architecture.md.
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
from ci_sessions.checks.registry import CHECKS, load_check

__all__ = [
    "CHECKS",
    "Check",
    "CheckBase",
    "CheckContext",
    "EnvSpec",
    "Environment",
    "RunPlan",
    "ToolRun",
    "error_result",
    "load_check",
    "pending_result",
]
