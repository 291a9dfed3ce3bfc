"""The documentation builds without warnings: ``mkdocs build --strict`` or ``sphinx-build -W``.

Broken links, missing pages and bad config are caught by the builder's own strict mode. The site
goes to ``.ci-sessions/site`` so the project's own ``site/`` or ``_build/`` is never touched.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import ClassVar

from ci_sessions._fs import state_dir
from ci_sessions.checks.base import (
    CheckBase,
    CheckContext,
    Environment,
    EnvSpec,
    error_result,
    relative,
)
from ci_sessions.checks.projectenv import INSTALL_INPUTS
from ci_sessions.checks.tooling import tool_requirement
from ci_sessions.gates import apply_gates, at_most
from ci_sessions.results import CheckResult, Finding, Gate, Status

MKDOCS_FILES = ("mkdocs.yml", "mkdocs.yaml")
SPHINX_CONF = ("docs/conf.py", "doc/conf.py", "docs/source/conf.py", "doc/source/conf.py")
#: ``WARNING -  Doc file 'index.md' contains a link ...`` / ``ERROR - Config value ...``
_MKDOCS_LINE = re.compile(r"^(WARNING|ERROR)\s+-\s+(.*)$")
_MKDOCS_DOC = re.compile(r"Doc file '([^']+)'")
#: ``/abs/docs/index.rst:12: WARNING: ...`` (line optional)
_SPHINX_LINE = re.compile(r"^(.+?):(?:(\d+):)?\s*(WARNING|ERROR|CRITICAL):\s*(.*)$")
_ABORTED = re.compile(r"Aborted with (\d+) warnings? in strict mode")


def site_dir(root: Path) -> Path:
    return state_dir(root) / "site"


def detect_builder(ctx: CheckContext) -> tuple[str, str] | None:
    """(builder, config file) for the project, or None when it has no docs."""
    choice = ctx.settings("docs").str("builder")
    if choice in ("auto", "mkdocs"):
        for name in MKDOCS_FILES:
            if (ctx.root / name).is_file():
                return "mkdocs", name
    if choice in ("auto", "sphinx"):
        for name in SPHINX_CONF:
            if (ctx.root / name).is_file():
                return "sphinx", name
    return None


def docs_requirements(ctx: CheckContext, builder: str) -> tuple[str, ...]:
    """The project's docs deps (group, extra, requirements file) plus the builder itself."""
    settings = ctx.settings("docs")
    project = ctx.project
    requirements: list[str] = []
    groups = settings.str_list("groups") or (
        ["docs"] if project.dependency_group("docs") is not None else []
    )
    for group in groups:
        requirements += project.dependency_group(group) or []
    extras = settings.str_list("extras") or (["docs"] if "docs" in project.extras() else [])
    if settings.bool("install-project") and project.installable:
        requirements += ["-e", f".[{','.join(extras)}]" if extras else "."]
    files = settings.str_list("requirements")
    if not files:
        files = [
            f for f in ("docs/requirements.txt", "doc/requirements.txt") if (ctx.root / f).is_file()
        ]
    for path in files:
        requirements += ["-r", path]
    requirements += settings.str_list("deps")
    tool = "mkdocs-material" if builder == "mkdocs" else "sphinx"
    if not (groups or extras or files or settings.str_list("deps")):
        requirements.append(tool_requirement(ctx, tool)[0])
    return tuple(requirements)


def parse_mkdocs(ctx: CheckContext, output: str, docs_dir: str = "docs") -> list[Finding]:
    findings: list[Finding] = []
    for line in output.splitlines():
        match = _MKDOCS_LINE.match(line.strip())
        if not match:
            continue
        level, message = match.group(1), " ".join(match.group(2).split())
        doc = _MKDOCS_DOC.search(message)
        path = f"{docs_dir}/{doc.group(1)}" if doc else ""
        findings.append(
            Finding(
                tool="mkdocs",
                rule=f"mkdocs-{level.lower()}",
                message=message,
                path=path,
                severity="error" if level == "ERROR" else "warning",
            )
        )
    return findings


def parse_sphinx(ctx: CheckContext, output: str) -> list[Finding]:
    findings: list[Finding] = []
    for line in output.splitlines():
        match = _SPHINX_LINE.match(line.strip())
        if not match:
            continue
        path, number, level, message = match.groups()
        findings.append(
            Finding(
                tool="sphinx",
                rule=f"sphinx-{level.lower()}",
                message=message.strip(),
                path=relative(ctx.root, path.split(":")[0]),
                line=int(number or 0),
                severity="warning" if level == "WARNING" else "error",
            )
        )
    return findings


class DocsCheck(CheckBase):
    """``mkdocs build --strict`` when mkdocs.yml exists, ``sphinx-build -W`` when docs/conf.py does."""

    name: ClassVar[str] = "docs"

    def environments(self, ctx: CheckContext) -> dict[str, EnvSpec]:
        found = detect_builder(ctx)
        if found is None:
            return {}
        builder, _config = found
        requirements = docs_requirements(ctx, builder)
        inputs = tuple(sorted({*INSTALL_INPUTS, *(r for r in requirements if r.endswith(".txt"))}))
        return {
            "docs": EnvSpec(
                name=f"docs-{builder}", python=ctx.python, requirements=requirements, inputs=inputs
            )
        }

    def run(self, ctx: CheckContext, envs: Mapping[str, Environment]) -> CheckResult:
        found = detect_builder(ctx)
        if found is None or "docs" not in envs:
            return CheckResult(
                check=self.name, session=ctx.session, status=Status.SKIP, python=ctx.python,
                summary="no mkdocs.yml or docs/conf.py",
            )  # fmt: skip
        builder, config = found
        settings = ctx.settings("docs")
        env = envs["docs"]
        site = site_dir(ctx.root)
        shutil.rmtree(site, ignore_errors=True)
        python = str(env.python)
        if builder == "mkdocs":
            argv = [
                python,
                "-m",
                "mkdocs",
                "build",
                "--config-file",
                config,
                "--site-dir",
                str(site),
                "--clean",
            ]
            if settings.bool("strict"):
                argv.append("--strict")
        else:
            source = str(Path(config).parent)
            argv = [python, "-m", "sphinx", "--keep-going", "-b", "html"]
            if settings.bool("strict"):
                argv.append("-W")
            argv += [source, str(site)]
        argv += settings.str_list("args")
        ctx.env_overrides.setdefault("NO_MKDOCS_2_WARNING", "1")
        run = ctx.exec(argv, env)
        text = (run.stdout + "\n" + run.stderr).strip()
        if builder == "mkdocs":
            findings = parse_mkdocs(ctx, text, _mkdocs_docs_dir(ctx.root / config))
        else:
            findings = parse_sphinx(ctx, text)
        if settings.bool("strict"):  # warnings fail the build: they are errors here
            findings = [replace(f, severity="error") for f in findings]
        if run.returncode not in (0, 1, 2) or (run.returncode != 0 and _crashed(text)):
            return error_result(
                ctx, self.name, f"{builder} crashed (exit {run.returncode})", run.tail()
            )
        result = CheckResult(
            check=self.name, session=ctx.session, status=Status.PASS, python=ctx.python,
            command=argv, findings=findings, output=text,
            metrics={"exit_code": run.returncode, "builder": builder},
            tools=[builder],
        )  # fmt: skip
        if run.returncode != 0 and not findings:
            message = run.tail(3).splitlines()[-1] if run.tail(3) else f"{builder} build failed"
            result.findings.append(
                Finding(tool=builder, rule=f"{builder}-error", message=message, path=config)
            )
        else:
            result.artifacts["site"] = site.relative_to(ctx.root).as_posix()
        return result

    def evaluate(self, ctx: CheckContext, result: CheckResult) -> CheckResult:
        code = int(result.metrics.get("exit_code", 0))
        builder = str(result.metrics.get("builder", "docs"))
        problems = len(result.findings)
        gates = [at_most("docs problems", problems, 0)]
        if code != 0:
            gates.append(Gate(f"{builder} exit code", Status.FAIL, code, 0, "=="))
        result.summary = (
            f"{builder}: {problems} problem(s)" if problems or code else f"{builder}: built"
        )
        return apply_gates(result, gates)


def _crashed(text: str) -> bool:
    """A Python traceback from the builder itself (not a reported config or doc error)."""
    return "Traceback (most recent call last)" in text and "ConfigurationError" not in text


def _mkdocs_docs_dir(config: Path) -> str:
    try:
        for line in config.read_text(encoding="utf-8").splitlines():
            if line.startswith("docs_dir:"):
                return line.partition(":")[2].strip().strip("'\"") or "docs"
    except OSError:
        pass
    return "docs"
