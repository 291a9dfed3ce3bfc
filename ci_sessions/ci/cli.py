"""``ci-sessions ci``: run a GitHub Actions workflow on this machine, the way the runner would.

Exit codes: 0 the workflow would have succeeded, 1 it would have failed (or a job cannot run
here), 2 a usage or configuration error (bad workflow YAML, a bad expression), 130 interrupted.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from rich.console import Console

from ci_sessions import _git
from ci_sessions._fs import remove_tree, state_dir
from ci_sessions._secrets import Secrets
from ci_sessions.ci import event, install, run_report, static
from ci_sessions.ci.evaluate import resolve
from ci_sessions.ci.expressions import Scope, Value, to_string
from ci_sessions.ci.model import ENV_NAME, Printer, RunSetup, inherited_environment
from ci_sessions.ci.scheduler import Scheduler
from ci_sessions.ci.workflow import Workflow, YamlMap, load
from ci_sessions.ci.workspace import project_root, take_snapshot
from ci_sessions.errors import (
    EXIT_GATE_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    CiSessionsError,
    ConfigError,
    EvaluationError,
    UsageError,
    close_match,
)

DEFAULT_WORKFLOW = Path(".github") / "workflows" / "ci.yml"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ci-sessions ci",
        description="Run a GitHub Actions workflow locally: jobs in needs order, each in a fresh "
        "copy of the working tree (your tree is never touched).",
    )
    parser.add_argument(
        "--root",
        metavar="DIR",
        help="project root (default: the git work tree of the current directory)",
    )
    parser.add_argument(
        "--workflow", metavar="FILE", help=f"the workflow to run (default: {DEFAULT_WORKFLOW})"
    )
    parser.add_argument(
        "--event",
        choices=event.EVENTS,
        help="the event that triggers the run (default: push, or pull_request with --base)",
    )
    parser.add_argument(
        "--base", metavar="REF", help="the pull request's base (github.base_ref), e.g. origin/main"
    )
    parser.add_argument(
        "--job", metavar="NAME", help="run this job and the jobs it needs, nothing else"
    )
    parser.add_argument(
        "--jobs",
        type=int,
        metavar="N",
        default=os.cpu_count() or 2,
        help="cells to run at the same time (default: the number of CPUs)",
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep each job's copy (linked from .ci-sessions/ci/<job>/<cell>)",
    )
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="NAME",
        help="give the steps your variable NAME (they see only PATH, HOME, locale and a few "
        "tool locations otherwise); repeat for more",
    )
    parser.add_argument(
        "--secret",
        action="append",
        default=[],
        metavar="NAME",
        help="make your variable NAME the workflow's secrets.NAME, masked in all output; "
        "repeat for more",
    )
    parser.add_argument("--json", action="store_true", help="print the result table as JSON")
    return parser


def main(argv: list[str]) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:
        return int(stop.code or 0) if not isinstance(stop.code, str) else 2
    try:
        return _run(args)
    except CiSessionsError as error:
        print(error.render(), file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("ci-sessions ci: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def _passed(option: str, names: list[str]) -> dict[str, str]:
    """The caller's variables named with ``--env`` / ``--secret``: each must be set."""
    values: dict[str, str] = {}
    for name in names:
        if not ENV_NAME.fullmatch(name):
            raise UsageError(f"{option} {name!r}: not a variable name", fix=f"{option} TOKEN_NAME")
        if name not in os.environ:
            raise UsageError(
                f"{option} {name}: {name} is not set in your environment",
                fix=f"export {name}=... first, or leave out {option} {name}",
            )
        values[name] = os.environ[name]
    return values


def _run(args: argparse.Namespace) -> int:
    if args.jobs < 1:
        raise UsageError(f"--jobs {args.jobs}: must be at least 1")
    passed = _passed("--env", list(args.env))
    secret_values = _passed("--secret", list(args.secret))
    args.passed, args.secret_values = passed, secret_values
    root = project_root(Path(args.root).resolve() if args.root else Path.cwd())
    path = Path(args.workflow) if args.workflow else root / DEFAULT_WORKFLOW
    if not path.is_absolute():
        path = Path.cwd() / path
    if not path.is_file():
        raise UsageError(
            f"no workflow at {path}", fix="pass --workflow FILE, or run `ci-sessions init`"
        )
    workflow = load(path, root)
    static.check_workflow(workflow)
    static.check_literals(workflow)
    chosen = args.event or ("pull_request" if args.base else "push")
    triggers = workflow.triggers()
    if chosen not in triggers:
        raise UsageError(
            f"{workflow.file} is not triggered by {chosen} (on: {', '.join(triggers) or 'nothing'})",
            fix=f"pass --event {next(iter(triggers), 'push')}" if triggers else "",
        )
    selected = _selected(workflow, args.job)
    base_name, base_sha = _base(root, args.base, chosen)
    state = state_dir(root)
    out_dir = state / "ci"
    remove_tree(out_dir, within=state)
    out_dir.mkdir(parents=True)
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    work_dir = Path(tempfile.mkdtemp(prefix="ci-sessions-ci-"))
    try:
        return _run_in(
            args, root, workflow, chosen, selected, (base_name, base_sha), out_dir, work_dir, err
        )
    finally:
        if not args.keep:
            remove_tree(work_dir, within=work_dir)


def _run_in(
    args: argparse.Namespace,
    root: Path,
    workflow: Workflow,
    chosen: str,
    selected: list[str],
    base: tuple[str, str | None],
    out_dir: Path,
    work_dir: Path,
    err: Console,
) -> int:
    """The run itself, once the arguments are checked: snapshot, jobs, report."""
    secrets = Secrets(args.secret_values.values())
    printer = Printer(lambda text: err.out(text, end=""), secrets)
    triggers = workflow.triggers()
    base_name, base_sha = base
    source = take_snapshot(root, work_dir / "_snapshot")
    facts = event.RunFacts(
        event=chosen,
        head=source.head,
        branch=source.branch,
        base_ref=base_name,
        base_sha=base_sha,
        repository=event.repository_name(root),
        workflow=workflow.name,
        actor=event.actor(root),
        inputs=event.dispatch_inputs(triggers) if chosen == "workflow_dispatch" else {},
        commit=event.head_commit(root),
    )
    github = event.github_context(facts)
    base_note = f", base {args.base or base_name} ({(base_sha or '')[:9]})" if base_sha else ""
    printer.line(
        f"ci-sessions ci: {workflow.file}, event {chosen}{base_note}, jobs: {', '.join(selected)}"
    )
    substitute = _substitute(workflow, printer)
    scope = Scope(
        {"github": github, "secrets": dict(args.secret_values), "vars": {}, "inputs": facts.inputs}
    )
    try:
        env_value = resolve(workflow.raw.get("env"), workflow.where("env"), scope)
    except EvaluationError as error:
        raise ConfigError(workflow.file, "env", error.message) from None
    env_map: dict[str, Value] = env_value if isinstance(env_value, dict) else {}
    workflow_env = {k: to_string(v) for k, v in env_map.items()}
    setup = RunSetup(
        workflow=workflow,
        source=source,
        facts=facts,
        github=github,
        inputs=facts.inputs,
        workflow_env={},
        substitute=substitute,
        out_dir=out_dir,
        work_dir=work_dir,
        keep=args.keep,
        environ=inherited_environment(os.environ, args.passed),
        printer=printer,
        secret_values=dict(args.secret_values),
    )
    setup.workflow_env = setup.install_env(workflow_env)
    rows = Scheduler(setup, selected, args.jobs).run()
    rows = run_report.sort_rows(rows, workflow.order())
    ok = run_report.succeeded(rows)
    out = Console(highlight=False, soft_wrap=False, width=max(100, Console().width))
    rows = run_report.masked(rows, secrets)
    run_report.failure_tails(rows, lambda text: err.out(text, end="", highlight=False))
    if args.json:
        print(run_report.as_json(rows, workflow=workflow.file, event=chosen, ok=ok))
    else:
        out.print()
        run_report.print_table(out, rows, f"{workflow.name} · {chosen} (run locally)")
    run_report.write_summary(
        out_dir / "summary.md", rows, workflow=workflow.file, event=chosen, ok=ok
    )
    if args.keep:
        printer.line(f"ci-sessions ci: the copies are kept in {work_dir}")
    if setup.errors:
        for error in setup.errors:
            printer.line(error.render())
        printer.line("ci-sessions ci: the run stopped there (nothing was written outside it)")
        return max(error.exit_code for error in setup.errors)
    verdict = "would succeed" if ok else "would fail"
    printer.line(f"ci-sessions ci: the workflow {verdict}; summary: {out_dir / 'summary.md'}")
    return EXIT_OK if ok else EXIT_GATE_FAILED


def _selected(workflow: Workflow, job: str | None) -> list[str]:
    if job is None:
        return workflow.order()
    if job not in workflow.jobs:
        hint = close_match(job, workflow.jobs)
        raise UsageError(
            f"--job {job}: no such job in {workflow.file}"
            + (f" (did you mean {hint!r}?)" if hint else ""),
            fix=f"pick one of: {', '.join(workflow.jobs)}",
        )
    return workflow.closure(job)


def _base(root: Path, base: str | None, chosen: str) -> tuple[str, str | None]:
    """github.base_ref (a branch name) and the commit it names, for the checkout's origin/<base>."""
    if base is None:
        if chosen not in ("pull_request", "merge_group"):
            return "", None
        for guess in ("origin/HEAD", "origin/main", "main", "origin/master", "master"):
            sha = (
                _git.try_git(root, "rev-parse", "--verify", "--quiet", f"{guess}^{{commit}}") or ""
            ).strip()
            if sha:
                name = guess
                if guess == "origin/HEAD":
                    target = (
                        _git.try_git(root, "symbolic-ref", "--short", "refs/remotes/origin/HEAD")
                        or ""
                    ).strip()
                    name = target or "origin/main"
                return event.base_branch(name), sha
        raise UsageError(
            f"a {chosen} run needs the base branch", fix="pass --base REF, e.g. --base origin/main"
        )
    sha = _git.resolve(root, base, "--base")
    return event.base_branch(base), sha


def _substitute(workflow: Workflow, printer: Printer) -> str | None:
    """Build (or find) the running ci-sessions when the workflow installs it from the index."""
    specs = sorted({spec for spec in _install_specs(workflow) if not install.is_local(spec)})
    if not specs:
        return None
    substitute = install.running_ci_sessions()
    for spec in specs:
        printer.line(
            f"ci-sessions installed from {substitute.spec} instead of {spec} ({substitute.origin})"
        )
    return substitute.spec


def _install_specs(workflow: Workflow) -> list[str]:
    """The values the workflow gives the install variables, at any level."""
    maps: list[Value] = [workflow.raw.get("env")]
    for job in workflow.jobs.values():
        maps.append(job.get("env"))
        maps.extend(step.raw.get("env") for step in job.steps)
    return [
        to_string(env[name])
        for env in maps
        if isinstance(env, YamlMap)
        for name in install.INSTALL_VARIABLES
        if name in env
    ]


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv[1:]))
