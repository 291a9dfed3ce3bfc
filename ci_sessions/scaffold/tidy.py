"""Python files ``init`` renders, made to pass the project's own ruff configuration.

A template cannot know a project's import-sorting settings (``lines-after-imports = 2``, its
first-party packages) or its quote style, so the rendered text goes through the ruff the lint
check would install (the project's pin, else the packaged one), with the project's own
configuration: ``ruff check --fix`` (safe fixes only) then ``ruff format``, on stdin, before
anything is written. A file the project's ruff excludes is left as rendered. What ruff cannot fix
is reported by the baseline step, never accepted (see ``baseline.record``).
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ci_sessions.config import Config
from ci_sessions.config.project import Project


@dataclass(frozen=True)
class Tidied:
    """The rendered files after the ruff pass, and what happened."""

    files: dict[str, str]
    note: str


def ruff_command(root: Path, config: Config, project: Project) -> tuple[list[str], str] | None:
    """How to run the project's ruff without writing into the project: ``uv tool run``."""
    from ci_sessions._interpreters import current
    from ci_sessions.checks.base import CheckContext
    from ci_sessions.checks.tooling import tool_requirement
    from ci_sessions.engine.environments import find_uv

    uv = find_uv()
    if uv is None:
        return None
    ctx = CheckContext(root, config, project, current(), "init")
    requirement, _origin = tool_requirement(ctx, "ruff")
    return [uv, "tool", "run", "--quiet", "--from", requirement, "ruff"], requirement


def tidy(root: Path, rendered: Mapping[str, str], ruff: Sequence[str] | None) -> Tidied:
    """Run the Python files of ``rendered`` through ``ruff`` with the project's configuration."""
    python = sorted(rel for rel in rendered if rel.endswith((".py", ".pyi")))
    if not python:
        return Tidied(dict(rendered), "")
    if ruff is None:
        return Tidied(dict(rendered), "not formatted for your ruff settings: uv was not found")
    files = dict(rendered)
    for rel in python:
        text = files[rel]
        for args in (("check", "--fix", "--exit-zero"), ("format",)):
            out = _ruff(ruff, root, rel, text, args)
            if out is None:
                return Tidied(dict(rendered), "not formatted for your ruff settings: ruff failed")
            text = out or text  # an excluded file comes back as it went in (or empty)
        files[rel] = text
    return Tidied(files, "")


def _ruff(
    ruff: Sequence[str], root: Path, rel: str, text: str, args: tuple[str, ...]
) -> str | None:
    argv = [*ruff, *args, "--quiet", "--force-exclude", "--stdin-filename", rel, "-"]
    try:
        completed = subprocess.run(  # noqa: S603 - argv list
            argv,
            cwd=root,
            input=text,
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=300,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return completed.stdout if completed.returncode == 0 else None
