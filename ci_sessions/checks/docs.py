"""The documentation builds without warnings: ``mkdocs build --strict`` or ``sphinx-build -W``.

Broken links, missing pages and bad config are caught by the builder's own strict mode. The site
goes to ``.ci-sessions/site`` so the project's own ``site/`` or ``_build/`` is never touched.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from ci_sessions._fs import remove_tree, state_dir
from ci_sessions.checks.base import (
    CheckBase,
    CheckContext,
    Environment,
    EnvSpec,
    ToolRun,
    error_result,
    relative,
)
from ci_sessions.checks.docs_requirements import DocsDeps, discover
from ci_sessions.checks.projectenv import INSTALL_INPUTS, install_project
from ci_sessions.checks.tooling import tool_requirement
from ci_sessions.gates import apply_gates, at_most
from ci_sessions.results import Checked, CheckResult, Finding, Gate, Status

if TYPE_CHECKING:
    from ci_sessions.config import Section

MKDOCS_FILES = ("mkdocs.yml", "mkdocs.yaml")
SPHINX_CONF = ("docs/conf.py", "doc/conf.py", "docs/source/conf.py", "doc/source/conf.py")
#: ``WARNING -  Doc file 'index.md' contains a link ...`` / ``ERROR - Config value ...``
_MKDOCS_LINE = re.compile(r"^(WARNING|ERROR)\s+-\s+(.*)$")
_MKDOCS_DOC = re.compile(r"Doc file '([^']+)'")
#: ``/abs/docs/index.rst:12: WARNING: ...`` (line optional)
_SPHINX_LINE = re.compile(r"^(?:(.+?):(?:(\d+):)?\s*)?(WARNING|ERROR|CRITICAL):\s*(.*)$")
_ABORTED = re.compile(r"Aborted with (\d+) warnings? in strict mode")
#: Sphinx's own count: ``build succeeded, 2 warnings.`` / ``build finished with problems, 2 warnings``
_SPHINX_TOTAL = re.compile(r"build (?:succeeded|finished with problems)[,.](.*)$")
_COUNT = re.compile(r"(\d+) (warning|error)s?")
#: intersphinx could not download an inventory: the references it resolves were not checked
_INVENTORY_UNREACHABLE = re.compile(
    r"intersphinx inventory '([^']+)' not fetchable|failed to reach any of the inventories"
)
#: Sphinx's warnings for a reference it could not resolve
_UNRESOLVED = re.compile(
    r"reference target not found|undefined label|unknown document|term not in glossary"
)
#: pages that are not documents of the project (mkdocs and Sphinx scaffolding)
_NOT_PAGES = frozenset({"404.html", "genindex.html", "search.html", "py-modindex.html"})
_NOT_PAGE_DIRS = frozenset({"assets", "search", "_static", "_sources", "_modules", "_images"})


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
    """The project's docs deps (group, extra, requirements file) plus the builder itself.

    ``[tool.ci-sessions.docs]`` names them; else a ``docs`` group or extra; else what the project
    itself builds its docs with (Read the Docs, tox's docs env, a requirements file beside the
    docs: ``checks/docs_requirements.py``).
    """
    settings = ctx.settings("docs")
    project = ctx.project
    requirements: list[str] = []
    groups = settings.str_list("groups") or (
        ["docs"] if project.dependency_group("docs") is not None else []
    )
    for group in groups:
        requirements += project.dependency_group(group) or []
    configured = bool(settings.str_list("requirements") or settings.str_list("deps"))
    found = DocsDeps() if configured else discover(ctx.root)
    extras = settings.str_list("extras") or list(
        dict.fromkeys([*(["docs"] if "docs" in project.extras() else []), *found.extras])
    )
    if settings.bool("install-project") and project.installable:
        requirements += install_project(ctx, extras)[0]
    files = settings.str_list("requirements") or found.files
    for path in files:
        requirements += ["-r", path]
    deps = settings.str_list("deps") or found.deps
    requirements += deps
    tool = "mkdocs-material" if builder == "mkdocs" else "sphinx"
    if not (groups or extras or files or deps):
        requirements.append(tool_requirement(ctx, tool)[0])
    return tuple(requirements)


#: what a builder says when something the docs need is not installed (the group names it)
_MISSING = (
    re.compile(r"no theme named '([^']+)' found"),
    re.compile(r"Could not import extension ([\w.]+)"),
    re.compile(r"Unrecognised theme name: '([^']+)'"),
    re.compile(r'The "([^"]+)" plugin is not installed'),
    re.compile(r"Failed to load extension '([^']+)'"),
    re.compile(r"No module named '([^']+)'"),
)


def missing_dependency(text: str) -> str | None:
    """The theme, extension, plugin or module the build could not find, if that is why it failed."""
    for pattern in _MISSING:
        if match := pattern.search(text):
            return match.group(1)
    return None


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
                path=relative(ctx.root, (path or "").split(":")[0]),
                line=int(number or 0),
                severity="warning" if level == "WARNING" else "error",
            )
        )
    return findings


def build_argv(builder: str, config: str, python: str, site: Path, settings: Section) -> list[str]:
    """The build command: ``mkdocs build`` or ``sphinx-build`` into ``site``, strict when set."""
    strict = settings.bool("strict")
    if builder == "mkdocs":
        argv = [python, "-m", "mkdocs", "build", "--config-file", config, "--site-dir", str(site),
                "--clean"]  # fmt: skip
        if strict:
            argv.append("--strict")
    else:
        source = str(Path(config).parent)
        argv = [python, "-m", "sphinx", "--keep-going", "-b", "html"]
        if strict:
            argv.append("-W")
        argv += [source, str(site)]
    return argv + settings.str_list("args")


class DocsCheck(CheckBase):
    """``mkdocs build --strict`` when mkdocs.yml exists, ``sphinx-build -W`` when docs/conf.py does."""

    name: ClassVar[str] = "docs"

    def environments(self, ctx: CheckContext) -> dict[str, EnvSpec]:
        found = detect_builder(ctx)
        if found is None:
            return {}
        builder, _config = found
        requirements = docs_requirements(ctx, builder)
        built = install_project(ctx)[1] if ctx.settings("docs").bool("install-project") else ()
        inputs = tuple(
            sorted({*INSTALL_INPUTS, *built, *(r for r in requirements if r.endswith(".txt"))})
        )
        return {
            "docs": EnvSpec(
                name=f"docs-{builder}",
                python=ctx.python,
                requirements=requirements,
                inputs=inputs,
                any_python=True,  # the builder's pin may need a newer Python
                # autodoc imports a compiled project as built, its Python from the tree
                as_built=bool(built) and ctx.project.compiled,
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
        remove_tree(site, within=state_dir(ctx.root))
        argv = build_argv(builder, config, str(env.python), site, settings)
        ctx.env_overrides.setdefault("NO_MKDOCS_2_WARNING", "1")
        run = ctx.exec(argv, env)
        text = (run.stdout + "\n" + run.stderr).strip()
        findings = self._findings(ctx, builder, config, text, strict=settings.bool("strict"))
        unbuilt = self._unbuilt(ctx, builder, argv, run, text)
        if unbuilt is not None:
            return unbuilt
        unreachable = unreachable_inventories(text) if builder == "sphinx" else []
        metrics: dict[str, float | int | str] = {"exit_code": run.returncode, "builder": builder}
        if unreachable:
            metrics["unreachable_inventories"] = len(unreachable)
            if settings.str("unreachable") == "error":
                return self._unreachable_error(ctx, len(unreachable), text, argv, metrics)
            # accepted: the references those inventories resolve are not this project's problems
            findings = [replace(f, severity="note") if _needs_inventory(f) else f for f in findings]
        total = sphinx_total(text) if builder == "sphinx" else None
        if total is not None:
            metrics["reported_problems"] = total
        code = run.returncode
        if unreachable and code == 1:
            code = 0  # -W turned the accepted network warning into a failure: findings judge it
        metrics["exit_code"] = code
        pages = count_pages(site)
        result = CheckResult(
            check=self.name, session=ctx.session, status=Status.PASS, python=ctx.python,
            command=argv, findings=findings, output=text, metrics=metrics, tools=[builder],
            checked=Checked("pages", pages),
        )  # fmt: skip
        if code != 0 and not any(f.severity == "error" for f in findings):
            message = run.tail(3).splitlines()[-1] if run.tail(3) else f"{builder} build failed"
            result.findings.append(
                Finding(tool=builder, rule=f"{builder}-error", message=message, path=config)
            )
        if code == 0:
            result.artifacts["site"] = site.relative_to(ctx.root).as_posix()
        if pages == 0 and run.returncode == 0:
            failed = error_result(
                ctx, self.name, f"{builder} built no pages: {config} points at no documents", text
            )
            failed.checked, failed.tools = Checked("pages", 0), [builder]
            return failed
        return result

    def _findings(
        self, ctx: CheckContext, builder: str, config: str, text: str, *, strict: bool
    ) -> list[Finding]:
        if builder == "mkdocs":
            findings = parse_mkdocs(ctx, text, _mkdocs_docs_dir(ctx.root / config))
        else:
            findings = parse_sphinx(ctx, text)
        if strict:  # warnings fail the build: they are errors here
            findings = [replace(f, severity="error") for f in findings]
        return findings

    def _unbuilt(
        self, ctx: CheckContext, builder: str, argv: list[str], run: ToolRun, text: str
    ) -> CheckResult | None:
        """ERROR when the builder could not build (a dependency missing, a crash), else None."""
        missing = missing_dependency(text) if run.returncode != 0 else None
        if missing is not None:
            failed = error_result(
                ctx,
                self.name,
                f"{builder} could not build: {missing!r} is not installed in the docs environment "
                "(set [tool.ci-sessions.docs] requirements, groups, extras or deps)",
                text,
            )
            failed.command, failed.tools = argv, [builder]
            return failed
        if run.returncode not in (0, 1, 2) or (run.returncode != 0 and _crashed(text)):
            return error_result(
                ctx, self.name, f"{builder} crashed (exit {run.returncode})", run.tail()
            )
        return None

    def _unreachable_error(
        self,
        ctx: CheckContext,
        unreachable: int,
        text: str,
        argv: list[str],
        metrics: dict[str, float | int | str],
    ) -> CheckResult:
        failed = error_result(
            ctx,
            self.name,
            f"Sphinx could not fetch {unreachable} intersphinx inventor"
            f"{'y' if unreachable == 1 else 'ies'} (no network?): references to "
            "other projects could not be checked (docs.unreachable = 'warn' accepts it)",
            text,
        )
        failed.command, failed.metrics, failed.tools = argv, metrics, ["sphinx"]
        return failed

    def evaluate(self, ctx: CheckContext, result: CheckResult) -> CheckResult:
        code = int(result.metrics.get("exit_code", 0))
        builder = str(result.metrics.get("builder", "docs"))
        problems = [f for f in result.findings if f.severity == "error"]
        warnings = [f for f in result.findings if f.severity == "warning"]
        gates = [at_most("docs problems", len(problems), 0)]
        if code != 0:
            gates.append(Gate(f"{builder} exit code", Status.FAIL, code, 0, "=="))
        unreachable = int(result.metrics.get("unreachable_inventories", 0))
        if unreachable:
            gates.append(
                Gate("intersphinx inventories", Status.WARN, unreachable, None, "<=",
                     "could not be fetched: external references not checked")
            )  # fmt: skip
        parts = [
            f"{builder}: {len(problems)} problem(s)" if problems or code else f"{builder}: built"
        ]
        if warnings:
            parts.append(f"{len(warnings)} warning(s) (docs.strict = false: not counted)")
        result.summary = "; ".join(parts)
        return apply_gates(result, gates)


def unreachable_inventories(text: str) -> list[str]:
    """The intersphinx inventories Sphinx could not download (``failed to reach`` alone: one)."""
    urls = {m.group(1) for m in _INVENTORY_UNREACHABLE.finditer(text) if m.group(1)}
    if urls:
        return sorted(urls)
    return ["intersphinx"] if _INVENTORY_UNREACHABLE.search(text) else []


def _needs_inventory(finding: Finding) -> bool:
    """A warning an unreachable inventory explains: an unresolved reference (intersphinx also
    resolves references without a prefix, so any of them could be one), or the download
    failure itself."""
    return bool(
        _UNRESOLVED.search(finding.message) or _INVENTORY_UNREACHABLE.search(finding.message)
    )


def sphinx_total(text: str) -> int | None:
    """The number of warnings and errors Sphinx itself reports at the end of the build."""
    for line in reversed(text.splitlines()):
        if match := _SPHINX_TOTAL.search(line.strip()):
            return sum(int(n) for n, _kind in _COUNT.findall(match.group(1)))
    return None


def count_pages(site: Path) -> int:
    """HTML pages built from the project's documents (not 404, index, search or assets)."""
    if not site.is_dir():
        return 0
    pages = 0
    for page in site.rglob("*.html"):
        parts = page.relative_to(site).parts
        if page.name in _NOT_PAGES or any(part in _NOT_PAGE_DIRS for part in parts[:-1]):
            continue
        pages += 1
    return pages


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
