"""pyright: the project's own config when it has one, else its packages (not its tests).

pyright lives in its own environment and resolves imports through the project environment
(``--pythonpath``), so the project's dependencies are seen without sharing an environment.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping, Sequence
from typing import ClassVar, TypedDict

from ci_sessions.checks import tooljson
from ci_sessions.checks.base import (
    CheckContext,
    Environment,
    EnvSpec,
    IncrementalBase,
    ProjectFiles,
    UnitPayload,
    error_result,
    findings_text,
    pending_result,
    python_files,
    relative,
    skip_result,
)
from ci_sessions.checks.projectenv import project_env
from ci_sessions.checks.pyright_runner import runner_packages_visible
from ci_sessions.checks.pyright_scope import analysed_files, scope
from ci_sessions.checks.tooling import tool_requirement
from ci_sessions.gates import apply_gates, at_most
from ci_sessions.results import Checked, CheckResult, Finding, Gate


class TypecheckCheck(IncrementalBase):
    """``pyright`` type check: errors fail the gate, warnings only when configured to.

    Incremental: a file's diagnostics depend on its text and on what it imports, transitively,
    so after an edit pyright checks only the files whose import closure changed and the other
    files' diagnostics are reused.
    """

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
        if ctx.only_files is not None:
            paths = list(ctx.only_files)
        elif not ctx.project.has_pyright_config:
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
        with runner_packages_visible(envs["project"].location) as extra_env:
            run = ctx.exec(argv, envs["pyright"], extra_env=extra_env)
        report = _json_document(run.stdout)
        if run.returncode not in (0, 1) or report is None:
            return error_result(
                ctx, self.name, f"pyright failed (exit {run.returncode})", run.tail()
            )
        findings = [
            Finding(
                tool="pyright",
                rule=item["rule"] or "pyright",
                message=item["message"].splitlines()[0] if item["message"] else "",
                path=relative(ctx.root, item["file"]),
                line=item["line"] + 1,
                column=item["character"] + 1,
                severity=item["severity"],
            )
            for item in report["diagnostics"]
            if item["severity"] in ("error", "warning")
        ]
        files = report["files_analyzed"]
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

    def units(self, ctx: CheckContext, files: ProjectFiles) -> list[str] | str:
        """The files pyright analyses in a whole run (its include minus its exclude)."""
        args = ctx.settings("typecheck").str_list("args")
        if any(a in ("-p", "--project") or a.startswith("--project=") for a in args):
            return "typecheck.args names another pyright project file"
        paths = ctx.settings("typecheck").str_list("paths") or ctx.project.packages
        found = scope(ctx.root, ctx.project.tool, paths, ctx.project.has_pyright_config)
        if isinstance(found, str):
            return found
        include, exclude = found
        return analysed_files(files.python, include, exclude)

    def unit_results(
        self, ctx: CheckContext, result: CheckResult, units: Sequence[str]
    ) -> dict[str, UnitPayload] | str:
        """Each analysed file's findings; the count must be pyright's own."""
        analysed = int(result.metrics.get("files", 0))
        if analysed != len(units):
            return (
                f"pyright analysed {analysed} file(s) where ci-sessions counted {len(units)} "
                "under its include and exclude settings (name the files pyright should check "
                "in [tool.pyright] include and exclude, or typecheck.paths)"
            )
        kept: dict[str, list[dict[str, object]]] = {unit: [] for unit in units}
        for finding in result.findings:
            if finding.path not in kept:
                return f"pyright reported on {finding.path or 'no file'}, outside the files it analysed"
            kept[finding.path].append(finding.to_json())
        return kept

    def merge(
        self, ctx: CheckContext, result: CheckResult, reused: Mapping[str, UnitPayload]
    ) -> CheckResult:
        """This run's diagnostics plus the reused files' ones, in file order."""
        if not reused:
            return result
        findings = list(result.findings)
        for payload in reused.values():
            findings += [Finding.from_json(item) for item in tooljson.objects(payload)]
        findings.sort(key=lambda f: (f.path, f.line, f.column, f.rule, f.message))
        result.findings = findings
        files = int(result.metrics.get("files", 0)) + len(reused)
        result.metrics["files"] = files
        result.checked = Checked("files", files)
        return result

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
        files, rerun = result.metrics.get("files"), result.metrics.get("files_rerun")
        if rerun is not None and files is not None and int(rerun) != int(files):
            result.summary += f" in {files} files ({rerun} checked now, the rest kept)"
        return apply_gates(result, gates)


def _nothing_analysed(ctx: CheckContext, check: str, paths: list[str], tail: str) -> CheckResult:
    """pyright analysed no file: SKIP in a project without Python files, else ERROR (its
    ``include``, or ``typecheck.paths``, points at nothing)."""
    own = python_files(ctx.root)
    if own == 0:
        return skip_result(ctx, check, "no Python files to type-check", checked=Checked("files", 0))
    selected = " ".join(paths) if paths else "the pyright configuration's include"
    result = error_result(
        ctx,
        check,
        f"pyright analysed 0 files, but the project has {own} Python file(s): {selected} "
        "selects none of them",
        tail,
    )
    result.checked = Checked("files", 0)
    return result


class PyrightDiagnostic(TypedDict):
    """One of ``generalDiagnostics`` in ``pyright --outputjson`` (the members the check reads;
    ``line`` and ``character`` are 0-based, -1 when missing)."""

    file: str
    severity: str
    message: str
    rule: str
    line: int
    character: int


class PyrightReport(TypedDict):
    diagnostics: list[PyrightDiagnostic]
    files_analyzed: int  # summary.filesAnalyzed


def read_report(document: object) -> PyrightReport | None:
    """pyright's JSON report; None when it is not one (not an object)."""
    if not tooljson.is_object(document):
        return None
    diagnostics: list[PyrightDiagnostic] = []
    for item in tooljson.objects(document.get("generalDiagnostics")):
        start = tooljson.member(tooljson.member(item, "range"), "start")
        diagnostics.append(
            PyrightDiagnostic(
                file=tooljson.text(item, "file"),
                severity=tooljson.text(item, "severity", "error"),
                message=tooljson.text(item, "message"),
                rule=tooljson.text(item, "rule"),
                line=tooljson.integer(start, "line", -1),
                character=tooljson.integer(start, "character", -1),
            )
        )
    summary = tooljson.member(document, "summary")
    return PyrightReport(
        diagnostics=diagnostics, files_analyzed=tooljson.integer(summary, "filesAnalyzed")
    )


def _json_document(stdout: str) -> PyrightReport | None:
    start = stdout.find("{")
    if start < 0:
        return None
    try:
        return read_report(json.loads(stdout[start:]))
    except ValueError:
        return None
