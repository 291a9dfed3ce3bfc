"""One cell of a job run in this process, the way the scheduler runs it, on a workflow text.

The steps are real ``run:`` scripts (bash, sh, python); only the run's facts (the snapshot, the
event, the repository name) are given here instead of read from a git repository.
"""

from __future__ import annotations

import os
import textwrap
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from ci_sessions._secrets import Secrets
from ci_sessions.ci import event
from ci_sessions.ci.evaluate import resolve
from ci_sessions.ci.expressions import Scope, to_string
from ci_sessions.ci.job import CellRun
from ci_sessions.ci.model import CellResult, CellSpec, Printer, RunSetup, inherited_environment
from ci_sessions.ci.values import Value
from ci_sessions.ci.workflow import load
from ci_sessions.ci.workspace import Source

HEAD = "0123456789abcdef0123456789abcdef01234567"


@dataclass
class Cell:
    """What one run of a cell left: its result, the printed lines, the log and the setup."""

    result: CellResult
    setup: RunSetup
    run: CellRun
    printed: list[str] = field(default_factory=list[str])

    @property
    def log(self) -> str:
        assert self.result.log is not None
        return self.result.log.read_text(encoding="utf-8")

    def outcome(self, step_id: str) -> tuple[str, str]:
        record = self.run.records[step_id]
        return record.outcome, record.conclusion

    def outputs(self, step_id: str) -> dict[str, str]:
        return self.run.records[step_id].outputs

    def outcomes(self) -> dict[str, tuple[str, str]]:
        """Every step's outcome and conclusion by its id, to compare with one table."""
        return {step_id: self.outcome(step_id) for step_id in self.run.records}


def _block(text: str, indent: int) -> str:
    return textwrap.indent(textwrap.dedent(text).strip("\n"), " " * indent)


def workflow(
    steps: str, *, job: str = "", top: str = "", on: str = "push", runs_on: str = "ubuntu-latest"
) -> str:
    """The one-job workflow most tests run: ``top`` keys, then job ``build`` with ``job`` keys.

    Each text is dedented on its own and put at its level, so a test writes only what differs.
    """
    lines = [f"on: {on}", _block(top, 0), "jobs:", "  build:", f"    runs-on: {runs_on}"]
    lines += [_block(job, 4), "    steps:", _block(steps, 6)]
    return "\n".join(line for line in lines if line) + "\n"


@contextmanager
def cancelled_after(seconds: float) -> Iterator[threading.Event]:
    """An event set ``seconds`` from now (a user's Ctrl-C while a step runs)."""
    cancel = threading.Event()
    timer = threading.Timer(seconds, cancel.set)
    timer.start()
    try:
        yield cancel
    finally:
        timer.cancel()


def run_cell(
    tmp_path: Path,
    workflow: str,
    *,
    job: str = "build",
    secrets: dict[str, str] | None = None,
    environ: dict[str, str] | None = None,
    event_name: str = "push",
    keep: bool = False,
    substitute: str | None = None,
    matrix: dict[str, Value] | None = None,
    label: str = "",
    index: int = 0,
    cancel: threading.Event | None = None,
    commit_message: str = "the change",
    base_ref: str = "",
    base_sha: str | None = None,
    needs: dict[str, Value] | None = None,
    strategy: dict[str, Value] | None = None,
    prepare: Callable[[RunSetup], object] | None = None,
) -> Cell:
    """Run ``job`` of ``workflow`` as one cell (``prepare`` sees the setup before it runs)."""
    root = tmp_path / "demo"
    path = root / ".github" / "workflows" / "ci.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(workflow).lstrip("\n"), encoding="utf-8")
    loaded = load(path, root)
    source = Source(root, tmp_path / "snapshot", (), HEAD, "main", root / ".git")
    facts = event.RunFacts(
        event=event_name,
        head=HEAD,
        branch="main",
        base_ref=base_ref,
        base_sha=base_sha,
        repository="octo/demo",
        workflow="CI",
        actor="octocat",
        commit=(commit_message, "Octo Cat", "octo@example.com"),
    )
    printed: list[str] = []
    secret_values = dict(secrets or {})
    printer = Printer(printed.append, Secrets(secret_values.values()))
    setup = RunSetup(
        workflow=loaded,
        source=source,
        facts=facts,
        github=event.github_context(facts),
        inputs={},
        workflow_env={},
        substitute=substitute,
        out_dir=root / ".ci-sessions" / "ci",
        work_dir=tmp_path / "work",
        keep=keep,
        environ=inherited_environment(os.environ) if environ is None else environ,
        printer=printer,
        secret_values=secret_values,
    )
    secrets_context: dict[str, Value] = dict(secret_values)
    scope = Scope({"github": setup.github, "secrets": secrets_context, "vars": {}, "inputs": {}})
    raw_env = resolve(loaded.raw.get("env"), loaded.where("env"), scope)
    if isinstance(raw_env, dict):  # as the command line resolves it
        setup.workflow_env = setup.install_env({k: to_string(v) for k, v in raw_env.items()})
    if prepare is not None:
        prepare(setup)
    spec = CellSpec(
        job=loaded.jobs[job],
        matrix=matrix,
        label=label,
        slug=label.replace(" ", "-").replace(",", "") or "cell",
        index=index,
        needs=needs or {},
        strategy=strategy or {},
    )
    cell_run = CellRun(setup, spec, cancel or threading.Event())
    result = cell_run.run()
    return Cell(result, setup, cell_run, printed)
