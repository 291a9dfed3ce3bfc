"""``audit``: known vulnerabilities in the project's resolved dependencies.

The versions audited are the ones installed in the project environment (what the tests ran
against), pinned into a requirements file for pip-audit. pip-audit says "No known vulnerabilities
found" and exits 0 even when it skipped every package because its service was unreachable, so
every skipped package is counted and the check is ERROR (or a visible WARN with
``unreachable = "warn"``), never PASS. A local OSV advisory directory works with no network at all.
safety runs only when ``SAFETY_API_KEY`` is set and its service answers; otherwise it is a note.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar, TypedDict

from packaging.utils import canonicalize_name

from ci_sessions._fs import atomic_write_text, state_dir
from ci_sessions.checks import tooljson
from ci_sessions.checks.base import (
    CheckBase,
    CheckContext,
    Environment,
    EnvSpec,
    ToolRun,
    error_result,
    pending_result,
    skip_result,
)
from ci_sessions.checks.projectenv import project_env
from ci_sessions.checks.security import advisories
from ci_sessions.checks.security import gate as secgate
from ci_sessions.checks.security.levels import AuditPolicy, level_for
from ci_sessions.checks.tooling import tool_env
from ci_sessions.errors import ConfigError
from ci_sessions.results import Checked, CheckResult, Finding, Gate, Status

SAFETY_KEY = "SAFETY_API_KEY"
_LIST_DISTRIBUTIONS = (
    "import json, importlib.metadata as m\n"
    "rows = []\n"
    "for d in m.distributions():\n"
    "    rows.append([d.metadata['Name'], d.version, d.read_text('direct_url.json') or ''])\n"
    "print(json.dumps(rows))\n"
)
_NETWORK_ERRORS = (
    "ConnectionError",
    "ConnectTimeout",
    "ReadTimeout",
    "NameResolutionError",
    "Max retries exceeded",
    "Failed to establish a new connection",
    "Name or service not known",
    "Temporary failure in name resolution",
    "SSLError",
    "ServiceError",
)
_ALIASES = re.compile(r"\[aliases: ([^\]]*)\]")


@dataclass
class Audit:
    """What the sources said: findings, packages they could not audit, notes for the output."""

    findings: list[Finding] = field(default_factory=list[Finding])
    unreachable: dict[str, str] = field(default_factory=dict[str, str])  # package -> reason
    notes: list[str] = field(default_factory=list[str])
    commands: list[list[str]] = field(default_factory=list[list[str]])


class AuditCheck(CheckBase):
    """pip-audit (and local advisories, and safety with a key) over the resolved dependencies."""

    name: ClassVar[str] = "audit"
    tools: ClassVar[tuple[str, ...]] = ("pip-audit",)
    #: advisories appear without any project file changing: a PASS is never reused
    cacheable: ClassVar[bool] = False

    def environments(self, ctx: CheckContext) -> dict[str, EnvSpec]:
        settings = ctx.settings("audit")
        envs = {"project": project_env(ctx)}
        if settings.str("service") != "none":
            envs["pip-audit"] = tool_env(ctx, "pip-audit")
        if os.environ.get(SAFETY_KEY):
            envs["safety"] = tool_env(ctx, "safety")
        return envs

    def run(self, ctx: CheckContext, envs: Mapping[str, Environment]) -> CheckResult:
        settings = ctx.settings("audit")
        service = settings.str("service")
        advisory_dir = settings.str("advisories")
        if service == "none" and not advisory_dir:
            raise ConfigError(
                _source(ctx, "audit.service"),
                "audit.service",
                "service = 'none' and no advisories directory: nothing to audit against",
                fix='set audit.advisories = "path/to/osv-advisories" or service = "pypi"',
            )
        loaded: list[advisories.Advisory] = []
        if advisory_dir:  # read first: a wrong directory is a configuration error, always
            directory = (ctx.root / advisory_dir).resolve()
            loaded = advisories.load_directory(directory, source=_source(ctx, "audit.advisories"))
        listed = ctx.exec([str(envs["project"].python), "-c", _LIST_DISTRIBUTIONS], envs["project"])
        installed = _parse_installed(listed.stdout) if listed.returncode == 0 else None
        if installed is None:
            return error_result(
                ctx, self.name, "could not list the project environment", listed.tail()
            )
        skip = {
            canonicalize_name(n) for n in [ctx.project.name, *settings.str_list("skip-packages")]
        }
        local = sorted(
            n
            for n, (_v, url) in installed.items()
            if url.startswith("file:") and canonicalize_name(n) not in skip
        )
        audited = {
            n: v
            for n, (v, _url) in installed.items()
            if canonicalize_name(n) not in skip and n not in local
        }
        policy = level_for(ctx.config, "audit").audit
        if not audited:
            note = (
                f"; not audited (installed from a local path): {', '.join(local)}" if local else ""
            )
            return skip_result(
                ctx, self.name, "no third-party packages to audit" + note,
                checked=Checked("packages", 0),
            )  # fmt: skip
        audit = Audit()
        if local:
            audit.notes.append("not audited (installed from a local path): " + ", ".join(local))
        requirements = state_dir(ctx.root) / "cache" / "audit" / "requirements.txt"
        atomic_write_text(requirements, "".join(f"{n}=={v}\n" for n, v in sorted(audited.items())))
        if service != "none":
            crashed = _pip_audit(ctx, envs["pip-audit"], requirements, audited, policy, audit)
            if crashed is not None:
                return crashed
        if advisory_dir:
            for hit in advisories.match(loaded, audited):
                _add(audit, ctx.root, policy, "osv-advisories", hit.advisory.id, hit.package, hit.version,
                     hit.advisory.fixed_versions(), hit.advisory.aliases, hit.advisory.severity,
                     hit.advisory.summary)  # fmt: skip
            audit.notes.append(
                f"local advisories: {len(loaded)} PyPI advisories read from {advisory_dir}"
            )
        safety_note = _safety(ctx, envs.get("safety"), requirements, policy, audit)
        # a package counts as audited when some source had data for it
        checked = len(audited) if advisory_dir else audited_count(audited, audit.unreachable)
        result = pending_result(
            ctx,
            self.name,
            findings=sorted(audit.findings, key=lambda f: (f.message, f.rule)),
            command=audit.commands[0] if audit.commands else listed.argv,
            metrics={
                "packages": len(audited),
                "vulnerabilities": len(audit.findings),
                "unreachable": len(audit.unreachable),
                "safety": safety_note,
            },
            checked=Checked("packages", checked),
        )
        lines = [f"{f.location()}: {f.rule} {f.message}" for f in result.findings]
        lines += [
            f"not audited: {name}: {reason}" for name, reason in sorted(audit.unreachable.items())
        ]
        lines += [*audit.notes, f"safety: {safety_note}"]
        lines.append(
            f"audit: {len(audited)} package(s), {len(result.findings)} known vulnerabilit(y/ies)"
        )
        result.output = "\n".join(lines)
        if safety_note.startswith("skipped"):
            result.summary = f"safety {safety_note}"
        if audit.unreachable and settings.str("unreachable") == "error":
            result.status = Status.ERROR
            result.summary = unreachable_summary(len(audit.unreachable))
        return result

    def evaluate(self, ctx: CheckContext, result: CheckResult) -> CheckResult:
        extra: list[Gate] = []
        missing = int(result.metrics.get("unreachable", 0))
        if missing:
            extra.append(
                Gate(
                    "packages not audited",
                    Status.WARN,
                    missing,
                    None,
                    "<=",
                    unreachable_summary(missing),
                )
            )
        return secgate.evaluate(
            ctx,
            result,
            check="audit",
            noun="vulnerabilities",
            extra_gates=extra,
            ids_of=finding_ids,
        )


def audited_count(audited: Mapping[str, str], unreachable: Mapping[str, str]) -> int:
    """The packages some source had data for. pip-audit names a package as PyPI normalises it
    (``pygments``), the environment's metadata as its author spells it (``Pygments``): names are
    compared as PEP 503 normalises them."""
    missing = {canonicalize_name(name) for name in unreachable}
    return sum(1 for name in audited if canonicalize_name(name) not in missing)


def unreachable_summary(count: int) -> str:
    return f"vulnerability data unreachable for {count} package{'s' if count != 1 else ''}"


def finding_ids(finding: Finding) -> list[str]:
    """The advisory id and its aliases, so an allow-list entry may name either."""
    ids = [finding.rule]
    if match := _ALIASES.search(finding.message):
        ids += [a.strip() for a in match.group(1).split(",") if a.strip()]
    return ids


def _source(ctx: CheckContext, key: str) -> str:
    source = ctx.config.source_of(key)
    return "pyproject.toml [tool.ci-sessions]" if source == "pyproject.toml" else source


def _parse_installed(stdout: str) -> dict[str, tuple[str, str]] | None:
    """name -> (version, direct_url.json url) from the listing script."""
    try:
        rows = json.loads(stdout)
    except ValueError:
        return None
    installed: dict[str, tuple[str, str]] = {}
    for row in rows if tooljson.is_list(rows) else []:
        if not tooljson.is_list(row) or len(row) != 3:
            raise ValueError(f"not a [name, version, direct url] row: {row!r}")
        name, version, direct = row
        url = ""
        if direct:
            try:
                url = tooljson.text(
                    tooljson.as_object(json.loads(str(direct)), "direct_url"), "url"
                )
            except ValueError:
                url = ""
        if name:
            installed[str(name)] = (str(version), url)
    return installed


def _pip_audit(
    ctx: CheckContext,
    env: Environment,
    requirements: Path,
    audited: Mapping[str, str],
    policy: AuditPolicy,
    audit: Audit,
) -> CheckResult | None:
    """Run pip-audit; returns an ERROR result only when it crashed for a reason other than the network."""
    settings = ctx.settings("audit")
    if not audited:
        audit.notes.append("pip-audit: no third-party packages to audit")
        return None
    argv = [
        str(env.bin_dir / "pip-audit"),
        "-r", str(requirements),
        "--no-deps", "--disable-pip",
        "-f", "json",
        "--progress-spinner", "off",
        "--desc", "off",
        "--aliases", "on",
        "--timeout", str(settings.int("timeout")),
        "--cache-dir", str(state_dir(ctx.root) / "cache" / "pip-audit"),
        "-s", settings.str("service"),
    ]  # fmt: skip
    if settings.str("service") == "osv" and settings.str("osv-url"):
        argv += ["--osv-url", settings.str("osv-url")]
    run = ctx.exec(argv, env)
    audit.commands.append(argv)
    report = _json_object(run.stdout)
    if report is None or run.returncode not in (0, 1):
        if _network_failure(run):
            for name in audited:
                audit.unreachable[name] = "the vulnerability service did not answer"
            audit.notes.append("pip-audit: " + (run.tail(1) or "network error"))
            return None
        return error_result(ctx, "audit", f"pip-audit failed (exit {run.returncode})", run.tail())
    read_pip_audit_report(ctx.root, report, audited, policy, audit)
    return None


class PipAuditVuln(TypedDict):
    """One of a dependency's ``vulns`` in ``pip-audit -f json``."""

    id: str
    fix_versions: list[str]
    aliases: list[str]


class PipAuditDependency(TypedDict):
    """One of ``dependencies``: audited (its ``vulns``) or skipped (``skip_reason``)."""

    name: str
    version: str | None
    skip_reason: str
    vulns: list[PipAuditVuln]


def read_dependencies(report: Mapping[str, object]) -> list[PipAuditDependency]:
    return [
        PipAuditDependency(
            name=tooljson.text(dep, "name"),
            version=tooljson.text(dep, "version") if "version" in dep else None,
            skip_reason=tooljson.text(dep, "skip_reason"),
            vulns=[
                PipAuditVuln(
                    id=tooljson.text(vuln, "id"),
                    fix_versions=tooljson.strings(vuln, "fix_versions"),
                    aliases=tooljson.strings(vuln, "aliases"),
                )
                for vuln in tooljson.objects(dep.get("vulns"))
            ],
        )
        for dep in tooljson.objects(report.get("dependencies"))
    ]


def read_pip_audit_report(
    root: Path,
    report: Mapping[str, object],
    audited: Mapping[str, str],
    policy: AuditPolicy,
    audit: Audit,
) -> None:
    """Add what ``pip-audit -f json`` reported: vulnerabilities with their fix versions and
    aliases as findings, skipped dependencies (with pip-audit's reason) as not audited."""
    for dep in read_dependencies(report):
        name = dep["name"]
        if dep["skip_reason"]:
            audit.unreachable[name] = dep["skip_reason"]
            continue
        version = dep["version"] if dep["version"] is not None else audited.get(name, "")
        for vuln in dep["vulns"]:
            _add(audit, root, policy, "pip-audit", vuln["id"], name, version,
                 vuln["fix_versions"], vuln["aliases"], "", "")  # fmt: skip


def _safety(
    ctx: CheckContext,
    env: Environment | None,
    requirements: Path,
    policy: AuditPolicy,
    audit: Audit,
) -> str:
    """Run safety when a key is configured; the returned note says what happened."""
    if env is None:
        return f"skipped: {SAFETY_KEY} is not set"
    argv = [str(env.bin_dir / "safety"), "check", "-r", str(requirements), "--output", "json"]
    run = ctx.exec(argv, env)  # the key travels in the environment, never on the command line
    report = _json_object(run.stdout[run.stdout.find("{") :] if "{" in run.stdout else "")
    if report is None or run.returncode not in (0, 64):
        return f"skipped: the safety service did not answer (exit {run.returncode})"
    vulns = tooljson.members(report, "vulnerabilities")
    for vuln in tooljson.objects(vulns):
        fixes = tooljson.strings(vuln, "fixed_versions")
        cve = tooljson.text(vuln, "CVE")
        _add(audit, ctx.root, policy, "safety", tooljson.text(vuln, "vulnerability_id"),
             tooljson.text(vuln, "package_name"), tooljson.text(vuln, "analyzed_version"), fixes,
             [cve] if cve else [], tooljson.text(vuln, "severity"), "")  # fmt: skip
    return f"{len(vulns)} vulnerabilit(y/ies)"


def _add(
    audit: Audit,
    root: Path,
    policy: AuditPolicy,
    tool: str,
    ident: str,
    package: str,
    version: str,
    fixes: list[str],
    aliases: Iterable[str],
    severity: str,
    summary: str,
) -> None:
    """Add one vulnerability unless another source already reported it (by id or alias)."""
    ids = {ident, *aliases}
    for existing in audit.findings:
        same_package = existing.message.split(" ", 1)[0] == package
        if same_package and ids & set(finding_ids(existing)):
            return
    path, line = locate(root, package)
    fix = f"fixed in {', '.join(fixes)}" if fixes else "no fixed version"
    alias_text = (
        f" [aliases: {', '.join(sorted(set(aliases) - {ident}))}]" if set(aliases) - {ident} else ""
    )
    shown_severity = f" severity {severity}" if severity else ""
    blocking = policy.blocks(severity, bool(fixes))
    audit.findings.append(
        Finding(
            tool=tool,
            rule=ident,
            message=f"{package} {version}: {ident}{alias_text} {fix}{shown_severity}"
            + (f": {summary}" if summary else "")
            + ("" if line else " (transitive dependency)"),
            path=path,
            line=line,
            severity="error" if blocking else "warning",
        )
    )


def locate(root: Path, package: str) -> tuple[str, int]:
    """Where the project declares ``package``: pyproject.toml or a requirements file, with the line."""
    pattern = re.compile(
        r"""(^|["'\s])"""
        + re.sub(r"[-_.]+", "[-_.]+", re.escape(canonicalize_name(package)).replace(r"\-", "-"))
        + r"""\s*(\[[^\]]*\])?\s*([<>=!~;"',@]|$)""",
        re.IGNORECASE,
    )
    candidates = [
        "pyproject.toml",
        "setup.cfg",
        *sorted(p.name for p in root.glob("requirements*.txt")),
    ]
    for name in candidates:
        path = root / name
        if not path.is_file():
            continue
        for number, text in enumerate(
            path.read_text(encoding="utf-8", errors="replace").splitlines(), start=1
        ):
            if pattern.search(text) and not text.lstrip().startswith("#"):
                return name, number
    return ("pyproject.toml", 0) if (root / "pyproject.toml").is_file() else ("", 0)


def _network_failure(run: ToolRun) -> bool:
    text = run.stdout + run.stderr
    return any(marker in text for marker in _NETWORK_ERRORS)


def _json_object(text: str) -> tooljson.JsonObject | None:
    try:
        data: object = json.loads(text)
    except ValueError:
        return None
    return data if tooljson.is_object(data) else None
