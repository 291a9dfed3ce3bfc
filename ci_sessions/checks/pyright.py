"""pyright: the project's own config when it has one, else its packages (not its tests).

pyright lives in its own environment and resolves imports through the project environment
(``--pythonpath``), so the project's dependencies are seen without sharing an environment.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping
from typing import Any, ClassVar, cast

from ci_sessions.checks.base import (
    CheckBase,
    CheckContext,
    Environment,
    EnvSpec,
    error_result,
    findings_text,
    pending_result,
    python_files,
    relative,
    skip_result,
)
from ci_sessions.checks.projectenv import project_env
from ci_sessions.checks.tooling import tool_requirement
from ci_sessions.gates import apply_gates, at_most
from ci_sessions.results import Checked, CheckResult, Finding, Gate


class TypecheckCheck(CheckBase):
    """``pyright`` type check: errors fail the gate, warnings only when configured to."""

    name: ClassVar[str] = "typecheck"
    tools: ClassVar[tuple[str, ...]] = ("pyright",)
    baselined: ClassVar[bool] = True

    def environments(self, ctx: CheckContext) -> dict[str, EnvSpec]:
        requirement, _origin = tool_requirement(ctx, "pyright")
        if shutil.which("node") is None and "[" not in requirement:
            # no Node on this machine: the nodejs extra ships one, so nothing is downloaded
            requirement = requirement.replace("pyright", "pyright[nodejs]", 1)
        return {
            "pyright": EnvSpec(
                name="pyright", python=ctx.python, requirements=(requirement,), any_python=True
            ),
            "project": project_env(ctx),
        }

    def run(self, ctx: CheckContext, envs: Mapping[str, Environment]) -> CheckResult:
        settings = ctx.settings("typecheck")
        paths: list[str] = []
        if not ctx.project.has_pyright_config:
            paths = settings.str_list("paths") or ctx.project.packages
            if not paths:
                return skip_result(
                    ctx, self.name, "no packages found and no pyright config: nothing to type-check"
                )
        argv = [
            str(envs["pyright"].bin_dir / "pyright"),
            "--outputjson",
            "--pythonpath",
            str(envs["project"].python),
            *settings.str_list("args"),
            *paths,
        ]
        run = ctx.exec(argv, envs["pyright"])
        report = _json_document(run.stdout)
        if run.returncode not in (0, 1) or report is None:
            return error_result(
                ctx, self.name, f"pyright failed (exit {run.returncode})", run.tail()
            )
        findings: list[Finding] = []
        for raw in cast("list[Any]", report.get("generalDiagnostics", [])):
            item = cast("dict[str, Any]", raw)
            severity = str(item.get("severity", "error"))
            if severity not in ("error", "warning"):
                continue
            start = cast(
                "dict[str, Any]", cast("dict[str, Any]", item.get("range") or {}).get("start") or {}
            )
            findings.append(
                Finding(
                    tool="pyright",
                    rule=str(item.get("rule") or "pyright"),
                    message=str(item.get("message", "")).splitlines()[0]
                    if item.get("message")
                    else "",
                    path=relative(ctx.root, str(item.get("file", ""))),
                    line=int(start.get("line", -1)) + 1,
                    column=int(start.get("character", -1)) + 1,
                    severity=severity,
                )
            )
        summary = cast("dict[str, Any]", report.get("summary", {}))
        files = int(summary.get("filesAnalyzed", 0) or 0)
        if files == 0:
            return _nothing_analysed(ctx, self.name, paths, run.tail())
        return pending_result(
            ctx,
            self.name,
            findings=findings,
            command=argv,
            metrics={"files": files},
            checked=Checked("files", files),
        )

    def evaluate(self, ctx: CheckContext, result: CheckResult) -> CheckResult:
        settings = ctx.settings("typecheck")
        errors = sum(1 for f in result.findings if f.severity == "error")
        warnings = len(result.findings) - errors
        result.metrics.update({"errors": errors, "warnings": warnings})
        gates: list[Gate] = [at_most("errors", errors, settings.int("max-errors"))]
        if settings.int("max-warnings") >= 0:
            gates.append(at_most("warnings", warnings, settings.int("max-warnings")))
        result.summary = f"{errors} error(s), {warnings} warning(s)"
        result.output = findings_text(
            [f"{f.location()} - {f.severity}: {f.message} ({f.rule})" for f in result.findings],
            f"{errors} error(s), {warnings} warning(s), {result.metrics.get('files', 0)} file(s) analyzed",
            result,
        )
        return apply_gates(result, gates)


def _nothing_analysed(ctx: CheckContext, check: str, paths: list[str], tail: str) -> CheckResult:
    """pyright analysed no file: SKIP in a project without Python files, else ERROR (its
    ``include``, or ``typecheck.paths``, points at nothing)."""
    own = python_files(ctx.root)
    if own == 0:
        return skip_result(ctx, check, "no Python files to type-check", checked=Checked("files", 0))
    scope = " ".join(paths) if paths else "the pyright configuration's include"
    result = error_result(
        ctx,
        check,
        f"pyright analysed 0 files, but the project has {own} Python file(s): {scope} "
        "selects none of them",
        tail,
    )
    result.checked = Checked("files", 0)
    return result


def _json_document(stdout: str) -> dict[str, Any] | None:
    start = stdout.find("{")
    if start < 0:
        return None
    try:
        data = json.loads(stdout[start:])
    except ValueError:
        return None
    return cast("dict[str, Any]", data) if isinstance(data, dict) else None
