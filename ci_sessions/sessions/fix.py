"""``nox -s fix``: apply the fixes the tools can make safely, show the diff, never commit.

ruff's safe fixes (``ruff check --fix``, never ``--unsafe-fixes``), ``ruff format``, and the
project's pre-commit hooks (which include its autofix hooks) when it has a pre-commit config.
The checks themselves never modify the tree; this session is the one place that does.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import nox

from ci_sessions._git import git_visible, try_git
from ci_sessions.checks.base import CheckContext
from ci_sessions.checks.ruff import ruff_env
from ci_sessions.checks.tooling import tool_env
from ci_sessions.config import Config
from ci_sessions.config.project import Project
from ci_sessions.engine.environments import EnvManager


def _snapshot(root: Path) -> dict[str, str]:
    """Content hashes of the files git knows (or of every .py file outside a repository)."""
    listed = try_git(root, "ls-files", "-co", "--exclude-standard")
    if listed is not None:
        paths = [root / line for line in listed.splitlines() if line]
    else:
        paths = [
            p for p in root.rglob("*.py") if ".nox" not in p.parts and ".ci-sessions" not in p.parts
        ]
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in paths
        if p.is_file()
    }


def run_fix(ctx: CheckContext, manager: EnvManager, log: Callable[[str], None]) -> list[str]:
    """Apply the fixes; return the files that changed."""
    before = _snapshot(ctx.root)
    ruff = manager.ensure(ruff_env(ctx)["ruff"])
    binary = str(ruff.bin_dir / "ruff")
    for argv in ([binary, "check", "--fix", "--exit-zero"], [binary, "format"]):
        log(" ".join(["ruff", *argv[1:]]))
        ctx.exec(argv, ruff, stream=True)
    if (ctx.root / ".pre-commit-config.yaml").is_file():
        env = manager.ensure(tool_env(ctx, "pre-commit"))
        log("pre-commit run --all-files (autofix hooks)")
        ctx.exec([str(env.bin_dir / "pre-commit"), "run", "--all-files"], env, stream=True)
    after = _snapshot(ctx.root)
    changed = sorted(path for path, digest in after.items() if before.get(path) != digest)
    if changed and (ctx.root / ".git").exists():
        git_visible(ctx.root, "--no-pager", "diff", "--", *changed)
    return changed


def fix_session(
    session: nox.Session, root: Path, config: Config, project: Project, python: str
) -> None:
    """The body of ``nox -s fix``: apply the fixes, list what changed, commit nothing."""
    from ci_sessions.engine.environments import choose_backend

    manager = EnvManager(
        root,
        backend=choose_backend(config.top.str("venv-backend")),
        download_python=config.top.bool("download-python"),
        log=session.log,
    )
    ctx = CheckContext(root, config, project, python, session.name)
    changed = run_fix(ctx, manager, session.log)
    session.log(f"{len(changed)} file(s) changed" + (": " + ", ".join(changed) if changed else ""))
    session.log("nothing was committed: review the diff, then commit it yourself")
