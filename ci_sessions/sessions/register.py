"""Turn checks and tiers into nox sessions.

Every session is ``venv_backend="none"``: ci-sessions makes the environments itself (envs.py), so
a tier can run its checks in separate environments, concurrently, and still print one gate table
after a failure (a nox ``requires=`` aggregator is aborted when a dependency fails).
"""

from __future__ import annotations

import argparse
import functools
import inspect
import os
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import nox

from ci_sessions.checks.registry import CHECKS, load_check
from ci_sessions.config import Config, load_config, pythons
from ci_sessions.config.project import Project, load_project
from ci_sessions.config.tiers import expand_tier, tiers_of
from ci_sessions.errors import CiSessionsError, EnvError, UsageError

TIER_TAG = "tier"
#: frames from here are ci-sessions itself, not the noxfile that called register()
_PACKAGE_DIR = Path(__file__).parent.parent


@dataclass
class Registered:
    """What :func:`register_sessions` defined, for noxfiles that want to build on it."""

    root: Path
    config: Config
    pythons: list[str]
    default_python: str
    sessions: list[str] = field(default_factory=list[str])


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
    """Define the sessions; on a configuration error print it and exit with status 2."""
    root = Path(project_dir).resolve() if project_dir else (_caller_dir() or Path.cwd())
    try:
        config = load_config(root)
        project = load_project(root)
    except CiSessionsError as exc:
        print(exc.render(), file=sys.stderr)
        raise SystemExit(exc.exit_code) from None
    declared, _origin = pythons.declared_versions(config.python, project.pyproject)
    default = pythons.default_version(declared, config.top.str("default-python"))
    registered = Registered(root, config, declared, default)
    _expose_pyenv_versions()

    excluded = set(config.top.str_list("exclude")) | set(exclude)
    names = {**config.top.str_map("session-names"), **(rename or {})}
    tiers = config.tiers
    tier_map = {tier: expand_tier(tiers, tier) for tier in tiers}
    nox.options.error_on_missing_interpreters = False

    for check_name in CHECKS:
        if check_name in excluded:
            continue
        session_name = names.get(check_name, check_name)
        tags = [check_name, *tiers_of(tier_map, check_name)]
        check_doc = _first_line(load_check_doc(check_name))
        if _is_per_python(check_name):
            for version in declared:
                name = f"{session_name}-{version}"
                if name in excluded:
                    continue
                _define(
                    name,
                    _check_session(registered, project, check_name, [version]),
                    f"{check_doc} (Python {version})",
                    tags,
                    python=version,
                )
                registered.sessions.append(name)
            _define(
                session_name,
                _check_session(registered, project, check_name, declared),
                f"{check_doc} (every Python: {', '.join(declared)})",
                [],
            )
        else:
            _define(
                session_name,
                _check_session(registered, project, check_name, [default]),
                check_doc,
                tags,
            )
        registered.sessions.append(session_name)

    if "fix" not in excluded:
        _define(names.get("fix", "fix"), _fix_session(registered, project), _FIX_DOC, ["fix"])
        registered.sessions.append(names.get("fix", "fix"))

    for tier, members in tier_map.items():
        if tier in excluded:
            continue
        active = [m for m in members if m not in excluded]
        session_name = names.get(tier, tier)
        _define(
            session_name,
            _tier_session(registered, project, tier, active),
            f"{tier} tier: {', '.join(active)}",
            [TIER_TAG],
            default=tier == "essential",
        )
        registered.sessions.append(session_name)
    return registered


def load_check_doc(check_name: str) -> str:
    return load_check(check_name).__class__.__doc__ or check_name


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0].rstrip(".") if text.strip() else ""


def _is_per_python(check_name: str) -> bool:
    return load_check(check_name).per_python


def _define(
    name: str,
    func: Callable[[nox.Session], None],
    description: str,
    tags: list[str],
    *,
    python: str | None = None,
    default: bool = False,
) -> None:
    func.__doc__ = description
    func.__name__ = name.replace("-", "_").replace(".", "_")
    decorator = nox.session(
        name=name, python=python, venv_backend="none", tags=tags, default=default
    )
    decorator(func)


def _expose_pyenv_versions() -> None:
    """Let nox-native sessions of the same noxfile find every pyenv Python, not just the global."""
    if "PYENV_VERSION" in os.environ:
        return
    root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    versions_dir = root / "versions"
    global_file = root / "version"
    if not versions_dir.is_dir() or not global_file.is_file():
        return
    try:
        first = global_file.read_text(encoding="utf-8").split()[0]
    except (OSError, IndexError):
        return
    others = sorted(p.name for p in versions_dir.iterdir() if p.is_dir() and p.name != first)
    os.environ["PYENV_VERSION"] = ":".join([first, *others])


def _check_session(
    registered: Registered, project: Project, check_name: str, versions: list[str]
) -> Callable[[nox.Session], None]:
    def session_body(session: nox.Session) -> None:
        _run_session(session, registered, project, [check_name], versions, tier=None)

    return session_body


_FIX_DOC = "apply safe fixes (ruff --fix, ruff format, pre-commit autofix hooks) and show the diff"


def _fix_session(registered: Registered, project: Project) -> Callable[[nox.Session], None]:
    def session_body(session: nox.Session) -> None:
        from ci_sessions.checks.base import CheckContext
        from ci_sessions.engine.environments import EnvManager, choose_backend
        from ci_sessions.sessions.fix import run_fix

        config = registered.config
        manager = EnvManager(
            registered.root,
            backend=choose_backend(config.top.str("venv-backend")),
            download_python=config.top.bool("download-python"),
            log=session.log,
        )
        ctx = CheckContext(
            registered.root, config, project, registered.default_python, session.name
        )
        changed = run_fix(ctx, manager, session.log)
        session.log(
            f"{len(changed)} file(s) changed" + (": " + ", ".join(changed) if changed else "")
        )
        session.log("nothing was committed: review the diff, then commit it yourself")

    return session_body


def _tier_session(
    registered: Registered, project: Project, tier: str, members: list[str]
) -> Callable[[nox.Session], None]:
    def session_body(session: nox.Session) -> None:
        _run_session(session, registered, project, members, [registered.default_python], tier=tier)

    return session_body


def _parser(session_name: str, *, for_tests: bool) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=f"nox -s {session_name} --", add_help=False, exit_on_error=False
    )
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument("--fail-fast", action="store_true", default=None)
    parser.add_argument("--no-cache", action="store_true")
    parser.add_argument("--reinstall", action="store_true")
    if not for_tests:
        parser.add_argument("--package", action="append", default=[])
        parser.add_argument("--changed-only", action="store_true")
        parser.add_argument("--since", default=None)
    if for_tests:
        parser.add_argument("--affected", action="store_true")
        parser.add_argument("--base", default=None)
        parser.add_argument("--head", default=None)
    return parser


def _run_session(
    session: nox.Session,
    registered: Registered,
    project: Project,
    checks: list[str],
    versions: list[str],
    *,
    tier: str | None,
) -> None:
    from ci_sessions.reports.table import render_table

    config = registered.config
    root = registered.root
    try:
        options, packages = _options(session, config, tier=tier, checks=checks)
        if packages is None:
            results = _run_in(session, registered, root, config, project, checks, versions, options)
        else:
            results = _run_packages(session, registered, tier or "", packages, options)
    except EnvError as exc:
        session.error(exc.render())
    except CiSessionsError as exc:
        print(exc.render(), file=sys.stderr)
        raise SystemExit(exc.exit_code) from None

    if not results:
        session.skip("no package selected: nothing changed that a package depends on")
    _finish_run(root, project, session.name, results)
    print(render_table(results, f"ci-sessions · {session.name}"))
    blocking = [r.label for r in results if r.status.blocking]
    if blocking:
        session.error(f"{len(blocking)} check(s) did not pass: {', '.join(blocking)}")
    if results and all(r.status.value == "SKIP" for r in results):
        session.skip("; ".join(r.summary for r in results))


def _run_in(
    session: nox.Session,
    registered: Registered,
    root: Path,
    config: Config,
    project: Project,
    checks: list[str],
    versions: list[str],
    options: Any,
) -> list[Any]:
    """Run ``checks`` with ``root`` as the project root."""
    from ci_sessions.engine.environments import EnvManager, choose_backend
    from ci_sessions.engine.runner import Invocation, run_checks

    manager = EnvManager(
        root,
        backend=choose_backend(config.top.str("venv-backend")),
        download_python=config.top.bool("download-python"),
        log=session.log,
        force_reinstall=options.reinstall,
    )
    from ci_sessions.baseline import apply as apply_baseline
    from ci_sessions.history.flaky import known_flaky

    options = replace(
        options,
        accept_findings=functools.partial(apply_baseline, root, config),
        known_flaky=functools.partial(known_flaky, root),
    )
    invocations: list[Invocation] = []
    for name in checks:
        check = load_check(name)
        targets = versions if check.per_python else [registered.default_python]
        invocations.extend(Invocation(check, v) for v in targets)
    return run_checks(
        root=root,
        config=config,
        project=project,
        session=session.name,
        invocations=invocations,
        options=options,
        manager=manager,
    )


def _run_packages(
    session: nox.Session, registered: Registered, tier: str, packages: list[Any], options: Any
) -> list[Any]:
    """Run the tier once per selected monorepo package, each with its own merged config.

    Findings and artifacts are re-rooted at the repository so reports and annotations point at
    the right files.
    """
    from ci_sessions.changes.workspace import package_config_table

    root = registered.root
    results: list[Any] = []
    for package in packages:
        package_root = (root / package.path).resolve()
        config = load_config(package_root, table=package_config_table(root, package))
        project = load_project(package_root)
        checks = expand_tier(config.tiers, tier) if tier in config.tiers else []
        excluded = set(config.top.str_list("exclude"))
        session.log(f"package {package.name} ({package.path}): {', '.join(checks)}")
        package_results = _run_in(
            session,
            registered,
            package_root,
            config,
            project,
            [c for c in checks if c not in excluded],
            [registered.default_python],
            options,
        )
        for result in package_results:
            result.package = package.name
            if package.path != ".":
                result.findings = [
                    replace(f, path=f"{package.path}/{f.path}") if f.path else f
                    for f in result.findings
                ]
                result.artifacts = {k: f"{package.path}/{v}" for k, v in result.artifacts.items()}
        results.extend(package_results)
    return results


def _options(
    session: nox.Session, config: Config, *, tier: str | None, checks: list[str]
) -> tuple[Any, list[Any] | None]:
    """Parse the session's posargs; the second value is the selected packages (None: the root)."""
    from ci_sessions.engine.runner import RunOptions

    for_tests = checks == ["tests"]
    parser = _parser(session.name, for_tests=for_tests)
    posargs = list(session.posargs)
    try:
        known, rest = parser.parse_known_args(posargs)
    except argparse.ArgumentError as exc:
        raise UsageError(f"nox -s {session.name}: {exc}") from None
    if rest and not for_tests and tier is not None:
        raise UsageError(
            f"nox -s {session.name}: unknown argument(s) {' '.join(rest)}; "
            "tier sessions accept --jobs N, --fail-fast, --no-cache, --reinstall, "
            "--package NAME, --changed-only --since REF"
        )
    in_ci = os.environ.get("CI", "").lower() in ("1", "true")
    options = RunOptions(
        jobs=known.jobs if known.jobs is not None else config.top.int("jobs"),
        fail_fast=bool(known.fail_fast)
        if known.fail_fast is not None
        else config.top.bool("fail-fast"),
        use_cache=config.top.bool("cache") and not known.no_cache,
        reinstall=bool(known.reinstall),
        posargs=rest,
        in_ci=in_ci,
    )
    if for_tests and known.affected:
        options.selected_tests = _affected(session, config.root, known.base, known.head)
    elif for_tests and (known.base or known.head):
        raise UsageError(f"nox -s {session.name}: --base/--head need --affected")
    if options.jobs < 0:
        raise UsageError(f"nox -s {session.name}: --jobs must be >= 0")
    packages: list[Any] | None = None
    if tier is not None and (known.package or known.changed_only or known.since):
        from ci_sessions.changes.selection import packages_from_args

        packages = packages_from_args(
            config.root,
            list(known.package),
            changed_only=bool(known.changed_only),
            since=known.since,
        )
    return options, packages


def _affected(
    session: nox.Session, root: Path, base: str | None, head: str | None
) -> list[str] | None:
    if not base:
        raise UsageError(f"nox -s {session.name}: --affected needs --base REF")
    import importlib

    try:
        module = importlib.import_module("ci_sessions.changes.affected")
    except ImportError:
        session.warn("affected-test selection is unavailable: running the whole suite")
        return None
    select: Callable[..., Any] = module.select_affected_tests
    selection = select(root, base, head)
    session.log(str(selection.reason))
    return None if selection.run_all else [str(f) for f in selection.test_files]


_RUN_STATE: dict[str, Any] = {}


def _finish_run(root: Path, project: Project, session_name: str, results: list[Any]) -> None:
    """Merge this session's results into the invocation's run record and write the reports."""
    import time

    from ci_sessions.reports import finalize
    from ci_sessions.results import RunRecord, new_run

    run: RunRecord | None = _RUN_STATE.get(str(root))
    if run is None:
        run = new_run(root, project.name)
        _RUN_STATE[str(root)] = run
    run.sessions.append(session_name)
    labels = {r.label for r in results}
    run.results = [r for r in run.results if r.label not in labels] + list(results)
    run.finished = time.time()
    finalize(root, run)
