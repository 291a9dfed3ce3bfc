"""``precommit``: ``pre-commit run --all-files`` when the project has a config, else SKIP.

Hooks may rewrite files. A check must not leave the tree changed, so the files a hook modified
are reported as findings and then put back as they were (``restore = false`` keeps the fixes).
Hook environments live in ``.ci-sessions/cache/pre-commit`` (PRE_COMMIT_HOME), not in ~/.cache.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from ci_sessions._fs import state_dir
from ci_sessions._git import try_git
from ci_sessions.checks import tooljson
from ci_sessions.checks.base import (
    CheckBase,
    CheckContext,
    Environment,
    EnvSpec,
    error_result,
    pending_result,
    skip_result,
)
from ci_sessions.checks.tooling import tool_env
from ci_sessions.gates import apply_gates, at_most
from ci_sessions.results import Checked, CheckResult, Finding

CONFIG = ".pre-commit-config.yaml"
_HOOK_LINE = re.compile(
    r"^(?P<name>.+?)\.{3,}(?:\(no files to check\))?(?P<status>Passed|Failed|Skipped)$"
)
_HOOK_ID = re.compile(r"^- hook id: (?P<id>\S+)")


@dataclass(frozen=True)
class HookOutcome:
    name: str
    hook_id: str
    status: str


class PrecommitCheck(CheckBase):
    """pre-commit: a failed hook or a file a hook modified fails the gate."""

    name: ClassVar[str] = "precommit"
    tools: ClassVar[tuple[str, ...]] = ("pre-commit",)

    def environments(self, ctx: CheckContext) -> dict[str, EnvSpec]:
        if not (ctx.root / CONFIG).is_file():
            return {}
        return {"pre-commit": tool_env(ctx, "pre-commit")}

    def run(self, ctx: CheckContext, envs: Mapping[str, Environment]) -> CheckResult:
        if "pre-commit" not in envs:
            return skip_result(ctx, self.name, f"no {CONFIG}")
        settings = ctx.settings("precommit")
        before = _dirty(ctx)
        if before is None:
            return error_result(
                ctx, self.name, "pre-commit needs a git repository (git status failed)"
            )
        saved = {path: _read(ctx.root / path) for path in before}
        home = state_dir(ctx.root) / "cache" / "pre-commit"
        ctx.env_overrides.setdefault("PRE_COMMIT_HOME", str(home))
        ctx.env_overrides.setdefault("PRE_COMMIT_COLOR", "never")
        skipped = list(settings.str_list("skip"))
        if not settings.bool("nox-hooks"):
            skipped += [h for h in nox_hooks(ctx.root / CONFIG) if h not in skipped]
        if skipped:
            ctx.env_overrides["SKIP"] = ",".join(skipped)
        argv = [
            str(envs["pre-commit"].bin_dir / "pre-commit"),
            "run",
            "--all-files",
            "--show-diff-on-failure",
            "--color",
            "never",
            *settings.str_list("args"),
        ]
        run = ctx.exec(argv, envs["pre-commit"])
        after = _dirty(ctx) or set()
        modified = sorted(
            p for p in after if p not in before or _read(ctx.root / p) != saved.get(p)
        )
        hooks = parse_hooks(run.stdout)
        failed = [h for h in hooks if h.status == "Failed"]
        if run.returncode not in (0, 1) or (run.returncode == 1 and not failed and not modified):
            return error_result(
                ctx, self.name, f"pre-commit could not run (exit {run.returncode})", run.tail(25)
            )
        restored: list[str] = []
        if modified and settings.bool("restore"):
            restored = _restore(ctx, modified, before, saved)
        findings = [_hook_finding(ctx.root, h) for h in failed]
        findings += [
            Finding(
                tool="pre-commit",
                rule="modified-by-hook",
                message="a hook modified this file" + (" (restored)" if path in restored else ""),
                path=path,
                severity="error",
            )
            for path in modified
        ]
        output = (run.stdout + run.stderr).rstrip()
        if skipped:
            output += "\nnot run (precommit.skip, or hooks calling nox): " + ", ".join(skipped)
        if restored:
            output += f"\nrestored {len(restored)} file(s) a hook modified: " + ", ".join(restored)
        ran = sum(1 for h in hooks if h.status != "Skipped")
        if ran == 0 and not findings:
            reason = f"no hook ran: {len(hooks)} hook(s) skipped"
            if skipped:
                reason += f" (not run here: {', '.join(skipped)}; the tier runs what they call)"
            return skip_result(
                ctx, self.name, reason, output=output, command=argv, checked=Checked("hooks", 0)
            )
        return pending_result(
            ctx,
            self.name,
            findings=findings,
            command=argv,
            output=output,
            metrics={
                "hooks": len(hooks),
                "hooks_run": ran,
                "failed_hooks": len(failed),
                "modified_files": len(modified),
            },
            checked=Checked("hooks", ran),
        )

    def evaluate(self, ctx: CheckContext, result: CheckResult) -> CheckResult:
        failed = sum(1 for f in result.findings if f.rule != "modified-by-hook")
        modified = len(result.findings) - failed
        result.summary = (
            f"{result.metrics.get('hooks_run', 0)} hook(s) run, {failed} failed, "
            f"{modified} file(s) modified"
        )
        return apply_gates(
            result,
            [at_most("failed hooks", failed, 0), at_most("files modified by hooks", modified, 0)],
        )


def nox_hooks(config: Path) -> list[str]:
    """Ids of hooks whose entry runs nox: inside a tier they would run its checks a second time."""
    return hooks_calling(config, ("nox",))


def hooks_calling(config: Path, programs: tuple[str, ...]) -> list[str]:
    """Ids of hooks whose entry runs one of ``programs`` (``nox``, ``pytest``, ``python -m X``)."""
    import yaml

    try:
        data = yaml.safe_load(config.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return []  # pre-commit itself reports a broken config
    found: list[str] = []
    repos = data.get("repos") if tooljson.is_mapping(data) else None
    for repo in repos if tooljson.is_list(repos) else []:
        hooks = repo.get("hooks") if tooljson.is_mapping(repo) else None
        for item in hooks if tooljson.is_list(hooks) else []:
            if not tooljson.is_mapping(item):
                continue
            words = [
                Path(w).name.removesuffix(".exe") for w in str(item.get("entry", "")).split()[:3]
            ]
            if any(p in words for p in programs) and item.get("id"):
                found.append(str(item["id"]))
    return found


def parse_hooks(stdout: str) -> list[HookOutcome]:
    """Hook rows of ``pre-commit run`` output with the ``- hook id:`` line that follows a failure."""
    hooks: list[HookOutcome] = []
    for raw in stdout.splitlines():
        line = raw.rstrip()
        if match := _HOOK_LINE.match(line):
            hooks.append(HookOutcome(match.group("name").strip(), "", match.group("status")))
        elif (match := _HOOK_ID.match(line)) and hooks and not hooks[-1].hook_id:
            last = hooks[-1]
            hooks[-1] = HookOutcome(last.name, match.group("id"), last.status)
    return hooks


def _hook_finding(root: Path, hook: HookOutcome) -> Finding:
    """A failed hook, located at its ``id:`` line in the config so annotations point somewhere."""
    line = 0
    if hook.hook_id:
        pattern = re.compile(rf"^\s*-?\s*id:\s*['\"]?{re.escape(hook.hook_id)}['\"]?\s*(#.*)?$")
        for number, text in enumerate(_read_text(root / CONFIG).splitlines(), start=1):
            if pattern.match(text):
                line = number
                break
    return Finding(
        tool="pre-commit",
        rule=hook.hook_id or hook.name,
        message=f"hook {hook.name!r} failed",
        path=CONFIG,
        line=line,
        severity="error",
    )


def _dirty(ctx: CheckContext) -> set[str] | None:
    """Paths git sees as changed or untracked (``git status --porcelain``), None outside git."""
    status = try_git(ctx.root, "status", "--porcelain", "-z", "--untracked-files=all", "--", ".")
    prefix = try_git(ctx.root, "rev-parse", "--show-prefix")
    if status is None or prefix is None:
        return None
    base = prefix.strip()
    paths: set[str] = set()
    entries = status.split("\0")
    index = 0
    while index < len(entries):
        entry = entries[index]
        index += 1
        if len(entry) < 4:
            continue
        path = entry[3:]
        paths.add(path[len(base) :] if base and path.startswith(base) else path)
        if entry[0] in "RC":
            index += 1  # the rename source follows
    return {p for p in paths if not p.startswith((".ci-sessions/", ".nox/"))}


def _restore(
    ctx: CheckContext, modified: list[str], before: set[str], saved: Mapping[str, bytes | None]
) -> list[str]:
    restored: list[str] = []
    for path in modified:
        target = ctx.root / path
        if path in before:
            content = saved.get(path)
            if content is None:
                continue
            target.write_bytes(content)
            restored.append(path)
        elif try_git(ctx.root, "checkout", "--", path) is not None:
            restored.append(path)
    return restored


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
