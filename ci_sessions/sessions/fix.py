"""``nox -s fix``: apply the fixes the tools can make safely, show the diff, never commit.

It touches exactly what the gates check: ruff's safe fixes (``ruff check --fix``, never
``--unsafe-fixes``) over the lint gate's paths and arguments, ``ruff format`` on the files the
format gate counts (Python files: ruff would also reformat Markdown code blocks), and the
project's pre-commit hooks, which include its autofix hooks, with the hooks that run nox or the
tests skipped: fixing never runs the test suite. The checks never modify the tree; this session
is the one place that does.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import nox

from ci_sessions._fs import state_dir
from ci_sessions._git import git_visible, try_git
from ci_sessions.checks.base import CheckContext
from ci_sessions.checks.precommit import CONFIG, hooks_calling
from ci_sessions.checks.ruff import files_to_format, lint_fix_command, ruff_env
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


#: hooks calling these are never run by ``fix``: they run checks or the test suite, not fixers
NOT_FIXERS = ("nox", "pytest", "py.test", "tox")


def run_fix(ctx: CheckContext, manager: EnvManager, log: Callable[[str], None]) -> list[str]:
    """Apply the fixes; return the files that changed."""
    before = _snapshot(ctx.root)
    ruff = manager.ensure(ruff_env(ctx)["ruff"])
    lint = lint_fix_command(ctx, ruff)
    log(" ".join(["ruff", *lint[1:]]))
    ctx.exec(lint, ruff, stream=True)
    unformatted = files_to_format(ctx, ruff)
    if unformatted is None:
        log("ruff format --check failed: nothing reformatted (nox -s format shows why)")
    elif unformatted:
        log(f"ruff format {' '.join(unformatted)}")
        ctx.exec([str(ruff.bin_dir / "ruff"), "format", *unformatted], ruff, stream=True)
    config = ctx.root / CONFIG
    if config.is_file():
        env = manager.ensure(tool_env(ctx, "pre-commit"))
        skipped = [*ctx.settings("precommit").str_list("skip")]
        skipped += [h for h in hooks_calling(config, NOT_FIXERS) if h not in skipped]
        ctx.env_overrides.setdefault("PRE_COMMIT_HOME", str(state_dir(ctx.root) / "cache" / "pre-commit"))  # fmt: skip
        if skipped:
            ctx.env_overrides["SKIP"] = ",".join(skipped)
        log("pre-commit run --all-files (autofix hooks)" + (f"; not run: {', '.join(skipped)}" if skipped else ""))  # fmt: skip
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
