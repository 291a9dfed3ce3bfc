"""The project environment: the project and its test dependencies, and nothing else.

Shared by ``tests`` (pytest runs in it) and ``typecheck`` (pyright, installed elsewhere, resolves
imports through it). Linters and type checkers never go in here: real suites change their results
when pyright or bandit's dependencies are importable.
"""

from __future__ import annotations

import re

from ci_sessions.checks.base import CheckContext, EnvSpec
from ci_sessions.checks.tooling import requires, tool_requirement
from ci_sessions.config.project import COMPILED_SUFFIXES, Project

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
    as_built = False
    if settings.bool("install-project") and ctx.project.installable:
        args, built = install_project(ctx, deps.extras)
        requirements += args
        as_built = ctx.project.compiled
    from_tree = tuple(sorted(set(ctx.project.package_files) - set(built))) if as_built else ()
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
        name="project",
        python=ctx.python,
        requirements=tuple(requirements),
        inputs=inputs,
        as_built=as_built,
        from_tree=from_tree,
    )


def install_project(
    ctx: CheckContext, extras: tuple[str, ...] | list[str] = ()
) -> tuple[list[str], tuple[str, ...]]:
    """How an environment installs the project, and the files that decide what it holds.

    A pure-Python project is installed editable: its sources are read where they are, so only
    the build configuration decides the installation. A project that compiles something (C,
    Cython, Rust...) is installed as built: an editable build would write extension modules into
    the source tree, and a changed ``.c`` would leave a stale one behind. Its compiled modules
    are imported from the build and its Python from the tree (``checks/asbuilt.py``), so the
    inputs are what the build compiles or is configured by: every file that may go into the
    package but the non-compiled files of its import packages (their ``.py`` files are read
    where they are; a ``.py`` the build compiles is added once the build shows it), plus the
    files the build configuration names (a version read with ``attr:``).
    """
    target = f".[{','.join(extras)}]" if extras else "."
    if ctx.project.compiled:
        return [target], rebuild_inputs(ctx.project)
    return ["-e", target], ()


def rebuild_inputs(project: Project) -> tuple[str, ...]:
    """The files whose change rebuilds a compiled project's environment (see install_project)."""
    folders = tuple(
        f"{package}/" for package in project.packages if (project.root / package).is_dir()
    )
    named = _named_by_build_config(project)
    inputs = {
        name
        for name in project.package_files
        if not name.startswith(folders) or name.endswith(COMPILED_SUFFIXES) or name in named
    }
    return tuple(sorted({*inputs, "MANIFEST.in"}))


_ATTR = re.compile(r"""attr\s*[:=]\s*["']?\s*([A-Za-z_][\w.]*)""")
_PATH = re.compile(r"""["']([\w./-]+\.py)["']""")


def _named_by_build_config(project: Project) -> set[str]:
    """Package files the build reads: ``version = {attr = "pkg.__version__"}`` (setuptools, in
    pyproject.toml or setup.cfg), a path in setup.py or ``[tool.hatch.version] path``."""
    named: set[str] = set()
    for config in ("pyproject.toml", "setup.cfg", "setup.py"):
        try:
            text = (project.root / config).read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        for dotted in _ATTR.findall(text):
            module = dotted.rsplit(".", 1)[0].replace(".", "/")
            for base in ("", "src/"):
                named.update({f"{base}{module}.py", f"{base}{module}/__init__.py"})
        named.update(path.removeprefix("./") for path in _PATH.findall(text))
    return named


def _referenced_files(requirements: tuple[str, ...]) -> list[str]:
    files: list[str] = []
    for index, item in enumerate(requirements):
        if item in ("-r", "-c") and index + 1 < len(requirements):
            files.append(requirements[index + 1])
    return files
