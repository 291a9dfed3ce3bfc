"""Helpers for the `ci-sessions ci` tests: a git repository with a workflow, and a run of main()."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from gitrepo import git

from ci_sessions.ci.cli import main


@dataclass
class CiRun:
    code: int
    out: str
    err: str

    @property
    def rows(self) -> list[dict[str, Any]]:
        return list(json.loads(self.out)["jobs"])

    def row(self, job: str, cell: str = "") -> dict[str, Any]:
        for row in self.rows:
            if row["job"] == job and row["cell"] == cell:
                return row
        raise AssertionError(
            f"no row {job!r}/{cell!r} in {[(r['job'], r['cell']) for r in self.rows]}"
        )

    def result(self, job: str, cell: str = "") -> str:
        return str(self.row(job, cell)["result"])


def repo(root: Path, workflow: str, files: Mapping[str, str] | None = None) -> Path:
    """A committed git repository holding the workflow (and files), on branch main."""
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "-q", "-b", "main")
    path = root / ".github" / "workflows" / "ci.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(workflow).lstrip("\n"), encoding="utf-8")
    for name, text in (files or {}).items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "initial")
    return root


def run_ci(
    root: Path, *args: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> CiRun:
    """``ci-sessions ci --json ARGS`` in ``root``, in this process."""
    monkeypatch.chdir(root)
    capsys.readouterr()
    code = main(["--json", *args])
    captured = capsys.readouterr()
    return CiRun(code, captured.out, captured.err)
