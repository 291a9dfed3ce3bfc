"""ruff: ``lint`` (ruff check) and ``format`` (ruff format --check), sharing one environment.

Checks never modify the tree: ruff always runs with ``--no-fix``. The project's ruff config is
respected as it is; the zero-tolerance rules (pyflakes ``F`` and syntax errors ``E9`` by default)
run a second time with the project's ignores cleared, so they fail whatever the config says.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import PurePosixPath
from typing import ClassVar, TypedDict

from ci_sessions._patterns import PathMatcher
from ci_sessions.checks import tooljson
from ci_sessions.checks.base import (
    CheckBase,
    CheckContext,
    Environment,
    EnvSpec,
    ToolRun,
    error_result,
    findings_text,
    pending_result,
    python_files,
    relative,
    skip_result,
)
from ci_sessions.checks.tooling import tool_env
from ci_sessions.gates import apply_gates, at_most
from ci_sessions.results import Checked, CheckResult, Finding

SYNTAX_ERROR = "syntax-error"


def ruff_env(ctx: CheckContext) -> dict[str, EnvSpec]:
    return {"ruff": tool_env(ctx, "ruff")}


def _ruff(envs: Mapping[str, Environment]) -> str:
    return str(envs["ruff"].bin_dir / "ruff")


def _toml_list(values: list[str]) -> str:
    return "[" + ", ".join(json.dumps(v) for v in values) + "]"


class LintCheck(CheckBase):
    """``ruff check`` under the project's config, plus the zero-tolerance rule set."""

    name: ClassVar[str] = "lint"
    tools: ClassVar[tuple[str, ...]] = ("ruff",)
    baselined: ClassVar[bool] = True

    def environments(self, ctx: CheckContext) -> dict[str, EnvSpec]:
        return ruff_env(ctx)

    def run(self, ctx: CheckContext, envs: Mapping[str, Environment]) -> CheckResult:
        settings = ctx.settings("lint")
        base = [_ruff(envs), "check", "--no-fix", "--output-format", "json", "--exit-zero"]
        paths = settings.str_list("paths")
        extra = settings.str_list("args")
        project_args = list(base)
        if not ctx.project.has_ruff_config:
            project_args += [
                "--config",
                f"lint.select = {_toml_list(settings.str_list('default-select'))}",
            ]
        listing = ctx.exec(
            [_ruff(envs), "check", "--show-files", *project_args[2:], *extra, *paths], envs["ruff"]
        )
        if listing.returncode != 0:
            return error_result(ctx, self.name, "ruff check crashed", listing.tail())
        files = count_listed_files(listing.stdout)
        if files == 0:
            return nothing_found(ctx, self.name, "ruff check", listing)
        project_run = ctx.exec([*project_args, *extra, *paths], envs["ruff"])
        if project_run.returncode != 0:
            return error_result(ctx, self.name, "ruff check crashed", project_run.tail())
        findings = _parse_check(ctx, project_run.stdout)
        if findings is None:
            return error_result(ctx, self.name, "ruff check printed no JSON", project_run.tail())

        zero = settings.str_list("zero-tolerance")
        commands = [project_run.argv]
        if zero:
            strict_args = [
                *base,
                "--select", ",".join(zero),
                "--config", "lint.ignore = []",
                "--config", "lint.extend-ignore = []",
                "--config", "lint.per-file-ignores = {}",
                "--config", "lint.extend-per-file-ignores = {}",
            ]  # fmt: skip
            strict_run = ctx.exec([*strict_args, *paths], envs["ruff"])
            strict = _parse_check(ctx, strict_run.stdout) if strict_run.returncode == 0 else None
            if strict is None:
                return error_result(
                    ctx, self.name, "ruff zero-tolerance run failed", strict_run.tail()
                )
            commands.append(strict_run.argv)
            seen = {(f.rule, f.path, f.line, f.column) for f in findings}
            findings += [f for f in strict if (f.rule, f.path, f.line, f.column) not in seen]

        findings.sort(key=lambda f: (f.path, f.line, f.column, f.rule))
        result = pending_result(
            ctx,
            self.name,
            findings=findings,
            command=commands[0],
            metrics={"findings": len(findings), "files": files},
            checked=Checked("files", files),
        )
        return result

    def evaluate(self, ctx: CheckContext, result: CheckResult) -> CheckResult:
        settings = ctx.settings("lint")
        result.output = findings_text(
            [f"{f.location()}: {f.rule} {f.message}" for f in result.findings],
            f"ruff check: {len(result.findings)} finding(s) in {result.metrics.get('files', 0)} file(s)",
            result,
        )
        zero = tuple(settings.str_list("zero-tolerance"))
        strict = [
            f for f in result.findings if f.rule == SYNTAX_ERROR or _in_rule_set(f.rule, zero)
        ]
        gates = [at_most("findings", len(result.findings), settings.int("max-findings"))]
        if zero:
            gates.append(at_most("/".join(zero), len(strict), 0))
        result.metrics["findings"] = len(result.findings)
        result.metrics["zero_tolerance"] = len(strict)
        result.summary = f"{len(result.findings)} finding(s)" if result.findings else "clean"
        return apply_gates(result, gates)


def _in_rule_set(rule: str, prefixes: tuple[str, ...]) -> bool:
    """ruff selector semantics: ``F`` selects F401 but not FLY002; ``E9`` selects E902."""
    for prefix in prefixes:
        if rule.startswith(prefix) and (
            prefix[-1].isdigit() or len(rule) == len(prefix) or rule[len(prefix)].isdigit()
        ):
            return True
    return False


class RuffLocation(TypedDict):
    row: int
    column: int


class RuffDiagnostic(TypedDict):
    """One entry of ``ruff check --output-format json`` (the members the check reads)."""

    code: str  # "" for a syntax error (ruff writes null)
    message: str
    filename: str
    location: RuffLocation


def read_diagnostics(document: object) -> list[RuffDiagnostic] | None:
    """ruff's JSON as diagnostics; None when it is not a list (not ruff's report)."""
    if not tooljson.is_list(document):
        return None
    diagnostics: list[RuffDiagnostic] = []
    for item in tooljson.objects(document):
        location = tooljson.member(item, "location")
        diagnostics.append(
            RuffDiagnostic(
                code=tooljson.text(item, "code"),
                message=tooljson.text(item, "message"),
                filename=tooljson.text(item, "filename"),
                location=RuffLocation(
                    row=tooljson.integer(location, "row"),
                    column=tooljson.integer(location, "column"),
                ),
            )
        )
    return diagnostics


def _parse_check(ctx: CheckContext, stdout: str) -> list[Finding] | None:
    text = stdout.strip()
    if not text:
        return []
    try:
        diagnostics = read_diagnostics(json.loads(text))
    except ValueError:
        return None
    if diagnostics is None:
        return None
    return [
        Finding(
            tool="ruff",
            rule=item["code"] or SYNTAX_ERROR,
            message=item["message"],
            path=relative(ctx.root, item["filename"]),
            line=item["location"]["row"],
            column=item["location"]["column"],
        )
        for item in diagnostics
    ]


def count_listed_files(stdout: str) -> int:
    """Files ``ruff check --show-files`` lists (one path per line)."""
    return sum(1 for line in stdout.splitlines() if line.strip())


_FORMAT_COUNT = re.compile(
    r"(\d+) files? (?:would be reformatted|already formatted|left unchanged|reformatted)"
)


def count_formatted_files(output: str) -> int | None:
    """Files ``ruff format --check`` looked at, from its summary line; None without one."""
    for line in reversed(_ANSI.sub("", output).splitlines()):
        counts = _FORMAT_COUNT.findall(line)
        if counts:
            return sum(int(c) for c in counts)
    if "No Python files found" in output:
        return 0
    return None


def nothing_found(ctx: CheckContext, check: str, tool: str, run: ToolRun) -> CheckResult:
    """ruff found no file to look at: SKIP when the project has no Python file, else ERROR
    (its include/exclude or the check's ``paths`` select none of them: nothing was checked)."""
    own = python_files(ctx.root)
    if own == 0:
        return skip_result(ctx, check, "no Python files to check", checked=Checked("files", 0))
    result = error_result(
        ctx,
        check,
        f"{tool} checked 0 files, but the project has {own} Python file(s): ruff's "
        f"include/exclude or {check}.paths select none of them",
        run.tail(),
    )
    result.checked = Checked("files", 0)
    return result


# ruff < 0.9 style: one line per file
_WOULD_REFORMAT = re.compile(r"^Would reformat: (.+)$")
_PARSE_ERROR = re.compile(r"^error: Failed to (?:parse|format) (.+?):(\d+):(\d+): (.*)$")
# ruff >= 0.9 style: a diagnostic header, then ``--> path:line:col``
_DIAGNOSTIC = re.compile(r"^(unformatted|invalid-syntax|error)(?:\[[^\]]*\])?: (.*)$")
_ARROW = re.compile(r"^-->\s*(.+?):(\d+):(\d+)$")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


class FormatCheck(CheckBase):
    """``ruff format --check``: files that would be reformatted fail the gate.

    Only Python files count unless ``format.include`` widens it (ruff also formats Markdown code
    blocks and notebooks now; projects did not opt into that).
    """

    name: ClassVar[str] = "format"
    tools: ClassVar[tuple[str, ...]] = ("ruff",)
    baselined: ClassVar[bool] = True

    def environments(self, ctx: CheckContext) -> dict[str, EnvSpec]:
        return ruff_env(ctx)

    def run(self, ctx: CheckContext, envs: Mapping[str, Environment]) -> CheckResult:
        settings = ctx.settings("format")
        run = ctx.exec(
            [_ruff(envs), "format", "--check", *settings.str_list("paths")], envs["ruff"]
        )
        findings = _parse_format(ctx, run, settings.str_list("include"))
        if findings is None:
            return error_result(ctx, self.name, "ruff format crashed", run.tail())
        looked_at = count_formatted_files(run.stdout + "\n" + run.stderr)
        if looked_at == 0:
            return nothing_found(ctx, self.name, "ruff format", run)
        if looked_at is None:
            return error_result(
                ctx, self.name, "ruff format --check printed no count of the files it checked",
                run.tail(),
            )  # fmt: skip
        return pending_result(
            ctx,
            self.name,
            findings=findings,
            command=run.argv,
            metrics={"checked_files": looked_at},
            checked=Checked("files", looked_at),
        )

    def evaluate(self, ctx: CheckContext, result: CheckResult) -> CheckResult:
        settings = ctx.settings("format")
        count = len({f.path for f in result.findings})
        result.metrics["files"] = count
        result.summary = f"{count} file(s) need formatting" if count else "formatted"
        result.output = findings_text(
            [
                f"Would reformat: {f.path}"
                if f.rule == "format"
                else f"{f.location()}: {f.message}"
                for f in result.findings
            ],
            f"ruff format: {count} of {result.metrics.get('checked_files', 0)} file(s) to reformat",
            result,
        )
        return apply_gates(result, [at_most("files to reformat", count, settings.int("max-files"))])


def _parse_format(ctx: CheckContext, run: ToolRun, include: list[str]) -> list[Finding] | None:
    """Files ruff would reformat and files it could not parse, in old and new output styles.

    None (an ERROR row) when ruff failed, or said something is wrong but named no file:
    a format check that cannot read its tool never passes.
    """
    findings: list[Finding] = []
    reported = 0
    parse_errors = 0
    pending: tuple[str, str] | None = None  # (code, message) of a new-style header
    included = PathMatcher(include)

    def add(path: str, rule: str, message: str, line: int = 0, column: int = 0) -> None:
        nonlocal reported, parse_errors
        reported += 1
        parse_errors += rule == SYNTAX_ERROR
        path = relative(ctx.root, path)
        if _included(path, included):
            findings.append(Finding("ruff", rule, message, path, line, column))

    for raw in (run.stdout + "\n" + run.stderr).splitlines():
        line = _ANSI.sub("", raw).strip()  # FORCE_COLOR=1 (set by CI workflows) colours ruff
        if match := _WOULD_REFORMAT.match(line):
            add(match.group(1), "format", "would reformat")
        elif match := _PARSE_ERROR.match(line):
            add(
                match.group(1),
                SYNTAX_ERROR,
                match.group(4),
                int(match.group(2)),
                int(match.group(3)),
            )
        elif match := _DIAGNOSTIC.match(line):
            pending = (match.group(1), match.group(2))
        elif pending is not None and (match := _ARROW.match(line)):
            code, message = pending
            pending = None
            if code == "unformatted":
                add(match.group(1), "format", "would reformat")
            else:
                add(match.group(1), SYNTAX_ERROR, message, int(match.group(2)), int(match.group(3)))
    if run.returncode == 0:
        return findings
    if run.returncode == 1 and reported:
        return findings
    if run.returncode == 2 and parse_errors:
        return findings
    return None


def lint_fix_command(ctx: CheckContext, ruff: Environment) -> list[str]:
    """``ruff check --fix`` over exactly what the lint gate checks: its paths, its arguments,
    the default rule set when the project has no ruff config. Safe fixes only."""
    settings = ctx.settings("lint")
    argv = [str(ruff.bin_dir / "ruff"), "check", "--fix", "--exit-zero"]
    if not ctx.project.has_ruff_config:
        argv += ["--config", f"lint.select = {_toml_list(settings.str_list('default-select'))}"]
    return [*argv, *settings.str_list("args"), *settings.str_list("paths")]


def files_to_format(ctx: CheckContext, ruff: Environment) -> list[str] | None:
    """The files the format gate counts as needing formatting (None: ruff failed)."""
    settings = ctx.settings("format")
    run = ctx.exec(
        [str(ruff.bin_dir / "ruff"), "format", "--check", *settings.str_list("paths")], ruff
    )
    findings = _parse_format(ctx, run, settings.str_list("include"))
    if findings is None:
        return None
    return sorted({f.path for f in findings if f.rule == "format"})


def _included(path: str, include: PathMatcher) -> bool:
    """Whether the format gate counts ``path``: ``format.include`` read as a .gitignore is."""
    return include.match(PurePosixPath(path.replace("\\", "/")).as_posix())
