"""The project environment: the project and its test dependencies, and nothing else.

Shared by ``tests`` (pytest runs in it) and ``typecheck`` (pyright, installed elsewhere, resolves
imports through it). Linters and type checkers never go in here: real suites change their results
when pyright or bandit's dependencies are importable.
"""

from __future__ import annotations

from ci_sessions.checks.base import CheckContext, EnvSpec
from ci_sessions.checks.tooling import requires, tool_requirement

#: Files whose content decides what the project environment holds.
INSTALL_INPUTS = ("pyproject.toml", "setup.py", "setup.cfg", "tox.ini", "MANIFEST.in")


def workers(ctx: CheckContext) -> str:
    """The pytest-xdist ``-n`` value ``tests.workers`` asks for ("" when it does not)."""
    value = ctx.settings("tests").values["workers"]
    return "" if value in (0, "0") else str(value)


def project_env(ctx: CheckContext, *, extra_requirements: tuple[str, ...] = ()) -> EnvSpec:
    """The EnvSpec of the project environment for ``ctx.python``.

    With ``tests.workers`` set it also holds pytest-xdist: the project's own pin when it has one,
    else the packaged one (never installed when not asked for).
    """
    settings = ctx.settings("tests")
    deps = ctx.project.test_deps(
        settings.str_list("groups"),
        settings.str_list("extras"),
        settings.str_list("requirements"),
        settings.str_list("deps"),
    )
    requirements: list[str] = []
    built: tuple[str, ...] = ()
    if settings.bool("install-project") and ctx.project.installable:
        args, built = install_project(ctx, deps.extras)
        requirements += args
    for path in deps.requirement_files:
        requirements += ["-r", path]
    requirements += list(deps.requirements)
    if not any(requires(r, "pytest") for r in requirements):
        requirements.append(tool_requirement(ctx, "pytest")[0])
    if workers(ctx) and not any(requires(r, "pytest-xdist") for r in requirements):
        requirements.append(tool_requirement(ctx, "pytest-xdist")[0])
    requirements += list(extra_requirements)
    inputs = tuple(
        sorted(
            {
                *INSTALL_INPUTS,
                *built,
                *deps.requirement_files,
                *_referenced_files(deps.requirements),
            }
        )
    )
    return EnvSpec(
        name="project", python=ctx.python, requirements=tuple(requirements), inputs=inputs
    )


def install_project(
    ctx: CheckContext, extras: tuple[str, ...] | list[str] = ()
) -> tuple[list[str], tuple[str, ...]]:
    """How an environment installs the project, and the files that decide what it holds.

    A pure-Python project is installed editable: its sources are read where they are, so only
    the build configuration decides the installation. A project that compiles something (C,
    Cython, Rust...) is installed as built: an editable build would write extension modules into
    the source tree, and a changed ``.c`` would leave a stale one behind. Every file that goes into
    its package is then an input: a change rebuilds the environment (and so misses the cache).
    """
    target = f".[{','.join(extras)}]" if extras else "."
    if ctx.project.compiled:
        return [target], tuple(sorted({*ctx.project.package_files, "MANIFEST.in"}))
    return ["-e", target], ()


def _referenced_files(requirements: tuple[str, ...]) -> list[str]:
    files: list[str] = []
    for index, item in enumerate(requirements):
        if item in ("-r", "-c") and index + 1 < len(requirements):
            files.append(requirements[index + 1])
    return files
