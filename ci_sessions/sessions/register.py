"""Turn checks and tiers into nox sessions.

Every session is ``venv_backend="none"``: ci-sessions makes the environments itself
(engine/environments.py), so a tier can run its checks in separate environments, concurrently,
and still print one gate table after a failure (a nox ``requires=`` aggregator is aborted when a
dependency fails). What a session does when it runs is in :mod:`ci_sessions.sessions.run`.
"""

from __future__ import annotations

import inspect
import os
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import nox

from ci_sessions._crash import report as crash_report
from ci_sessions._interpreters import expose_pyenv_versions
from ci_sessions.checks.registry import CHECKS, load_check
from ci_sessions.config import Config, load_config, pythons
from ci_sessions.config.project import Project, load_project
from ci_sessions.config.tiers import expand_tier, tiers_of
from ci_sessions.errors import CiSessionsError
from ci_sessions.results import RunRecord
from ci_sessions.sessions.release import RELEASE_COMMANDS
from ci_sessions.sessions.run import SessionPlan, run_session

TIER_TAG = "tier"
#: frames from here are ci-sessions itself, not the noxfile that called register()
_PACKAGE_DIR = Path(__file__).parent.parent
FIX_DOC = "apply safe fixes (ruff --fix, ruff format, pre-commit autofix hooks) and show the diff"


@dataclass
class Registered:
    """What :func:`register_sessions` defined, for noxfiles that want to build on it."""

    root: Path
    config: Config
    pythons: list[str]
    default_python: str
    sessions: list[str] = field(default_factory=list[str])
    #: the one run record the sessions of a nox invocation share (one results.json, one row)
    run: list[RunRecord] = field(default_factory=list[RunRecord])


def _caller_dir() -> Path | None:
    frame = inspect.currentframe()
    while frame is not None:
        filename = frame.f_globals.get("__file__")
        if filename and not str(filename).startswith(str(_PACKAGE_DIR)):
            return Path(filename).resolve().parent
        frame = frame.f_back
    return None


def register_sessions(
    *,
    exclude: Iterable[str] = (),
    rename: Mapping[str, str] | None = None,
    project_dir: str | Path | None = None,
) -> Registered:
    """Define the sessions; on a configuration error print it and exit with its code."""
    root = Path(project_dir).resolve() if project_dir else (_caller_dir() or Path.cwd())
    try:
        config = load_config(root)
        project = load_project(root)
        _check_arguments(config, exclude, rename)
    except CiSessionsError as exc:
        print(exc.render(), file=sys.stderr)
        raise SystemExit(exc.exit_code) from None
    declared, _origin = pythons.declared_versions(config.python, project.pyproject)
    default = pythons.default_version(declared, config.top.str("default-python"))
    registered = Registered(root, config, declared, default)
    expose_pyenv_versions(os.environ)  # nox's own sessions of this noxfile find them all

    excluded = set(config.top.str_list("exclude")) | set(exclude)
    names = {**config.top.str_map("session-names"), **(rename or {})}
    tier_map = {tier: expand_tier(config.tiers, tier) for tier in config.tiers}
    nox.options.error_on_missing_interpreters = False

    def plan(checks: list[str], versions: list[str], tier: str | None = None) -> SessionPlan:
        return SessionPlan(
            root, config, project, checks, versions, default, tier, record=registered.run
        )

    for check_name in CHECKS:
        if check_name in excluded:
            continue
        session_name = names.get(check_name, check_name)
        tags = [check_name, *tiers_of(tier_map, check_name)]
        check = load_check(check_name)
        doc = _first_line(type(check).__doc__ or check_name)
        if check.per_python:
            for version in declared:
                name = f"{session_name}-{version}"
                if name in excluded:
                    continue
                _define(name, plan([check_name], [version]), f"{doc} (Python {version})", tags,
                        python=version)  # fmt: skip
                registered.sessions.append(name)
            _define(session_name, plan([check_name], declared),
                    f"{doc} (every Python: {', '.join(declared)})", [])  # fmt: skip
        else:
            _define(session_name, plan([check_name], [default]), doc, tags)
        registered.sessions.append(session_name)

    if "fix" not in excluded:
        _define_fix(names.get("fix", "fix"), registered, project)
        registered.sessions.append(names.get("fix", "fix"))

    # the release commands; a project tier of the same name keeps the name (rename ours with
    # session-names = {release = "..."})
    for command in RELEASE_COMMANDS:
        if command not in excluded and command not in tier_map:
            _define_release(names.get(command, command), command, plan(gate_checks_of(config), [default]))  # fmt: skip
            registered.sessions.append(names.get(command, command))

    for tier, members in tier_map.items():
        if tier in excluded:
            continue
        active = [m for m in members if m not in excluded]
        session_name = names.get(tier, tier)
        _define(session_name, plan(active, [default], tier), f"{tier} tier: {', '.join(active)}",
                [TIER_TAG], default=tier == "essential")  # fmt: skip
        registered.sessions.append(session_name)
    return registered


def _check_arguments(
    config: Config, exclude: Iterable[str], rename: Mapping[str, str] | None
) -> None:
    """register()'s own arguments name sessions that exist, like the configuration's keys."""
    from ci_sessions.config.semantics import check_session_names

    source = "noxfile.py ci_sessions.register()"
    checks, tiers = set(CHECKS), set(config.tiers)
    check_session_names(list(exclude), checks, tiers, source, "exclude")
    check_session_names(list(rename or {}), checks, tiers, source, "rename")


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0].rstrip(".") if text.strip() else ""


def _define(
    name: str,
    plan: SessionPlan,
    description: str,
    tags: list[str],
    *,
    python: str | None = None,
    default: bool = False,
) -> None:
    def session_body(session: nox.Session) -> None:
        run_session(session, plan)

    _register(name, session_body, description, tags, python=python, default=default)


def _define_fix(name: str, registered: Registered, project: Project) -> None:
    def session_body(session: nox.Session) -> None:
        from ci_sessions.sessions.fix import fix_session

        fix_session(session, registered.root, registered.config, project, registered.default_python)

    _register(name, session_body, FIX_DOC, ["fix"])


def gate_checks_of(config: Config) -> list[str]:
    """The checks ``nox -s release`` runs before releasing (``[tool.ci-sessions.release] gate``)."""
    checks: list[str] = []
    for name in config.section("release").str_list("gate"):
        members = expand_tier(config.tiers, name) if name in config.tiers else [name]
        checks.extend(c for c in members if c not in checks)
    return checks


def _define_release(name: str, command: str, plan: SessionPlan) -> None:
    body, doc = RELEASE_COMMANDS[command]

    def session_body(session: nox.Session) -> None:
        body(session, plan)

    _register(name, session_body, doc, [command])


def _register(
    name: str,
    func: Callable[[nox.Session], None],
    description: str,
    tags: list[str],
    *,
    python: str | None = None,
    default: bool = False,
) -> None:
    def guarded(session: nox.Session) -> None:
        try:
            func(session)
        except Exception as exc:
            if type(exc).__module__.split(".")[0] == "nox":  # session.error/skip, a failed run
                raise
            if isinstance(exc, CiSessionsError):  # expected: its own message, no log
                session.error(exc.render())
            session.error(crash_report(exc))  # a bug: one line and the log's path

    guarded.__doc__ = description
    guarded.__name__ = name.replace("-", "_").replace(".", "_")
    decorator = nox.session(
        name=name, python=python, venv_backend="none", tags=tags, default=default
    )
    decorator(guarded)
