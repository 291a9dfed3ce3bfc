"""Which version of a tool a check installs: the project's own pin wins over the packaged one."""

from __future__ import annotations

from typing import TYPE_CHECKING

from packaging.utils import canonicalize_name

from ci_sessions.checks.base import EnvSpec
from ci_sessions.config.requirements import requirement_name

if TYPE_CHECKING:
    from ci_sessions.checks.base import CheckContext


def tool_requirement(ctx: CheckContext, tool: str) -> tuple[str, str]:
    """The requirement specifier for ``tool`` and where it came from.

    Order: an explicit ``[tool.ci-sessions.tools]`` entry, then the project's own pin
    (pre-commit rev, dependency group, extra, requirements file), then the packaged default.
    """
    configured = ctx.config.tools.get(tool)
    if configured and not ctx.config.is_default(f"tools.{tool}"):
        return configured, ctx.config.source_of(f"tools.{tool}")
    pinned = ctx.project.tool_pin(tool)
    if pinned is not None:
        return pinned
    if configured:
        return configured, "ci-sessions defaults"
    return tool, "latest"


def tool_env(ctx: CheckContext, tool: str) -> EnvSpec:
    """An environment holding just ``tool`` at its resolved version, named after it.

    Every user of one tool (a check, ``nox -s fix``) gets the same spec, so they share one
    environment instead of rebuilding it for each other's pin.
    """
    requirement, _origin = tool_requirement(ctx, tool)
    return EnvSpec(name=tool, python=ctx.python, requirements=(requirement,), any_python=True)


def requires(requirement: str, name: str) -> bool:
    """Whether a requirement line (``Pytest-Benchmark[x]>=5 ; python_version>'3'``) names ``name``."""
    return requirement_name(requirement) == canonicalize_name(name)
