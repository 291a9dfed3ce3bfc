"""A CycloneDX SBOM of what the project ships with: its runtime dependencies, resolved.

The SBOM is read from an environment holding the project and its runtime dependencies only
(no test or docs tools), so it lists what a user installs, with exact versions and purls.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar, TypedDict

from ci_sessions.checks import tooljson
from ci_sessions.checks.base import CheckBase, CheckContext, Environment, EnvSpec, error_result
from ci_sessions.checks.projectenv import INSTALL_INPUTS
from ci_sessions.checks.tooling import tool_requirement
from ci_sessions.gates import apply_gates
from ci_sessions.results import Checked, CheckResult, Finding, Gate, Status

FILENAME = "sbom.cdx.json"


def runtime_env(ctx: CheckContext) -> EnvSpec:
    """The project (non-editable) with the configured extras, and nothing else."""
    extras = ctx.settings("sbom").str_list("extras")
    target = f".[{','.join(extras)}]" if extras else "."
    return EnvSpec(
        name="sbom-runtime", python=ctx.python, requirements=(target,), inputs=INSTALL_INPUTS
    )


class SbomComponent(TypedDict):
    """One of a CycloneDX document's ``components`` ("" for a member it lacks)."""

    name: str
    version: str
    purl: str  # the package URL; a component without one is a finding


def read_components(path: Path) -> list[SbomComponent]:
    """The components of a CycloneDX JSON document (an entry that is not an object is none)."""
    data = tooljson.as_object(tooljson.load(path), path.name)
    if data.get("bomFormat") != "CycloneDX":
        raise ValueError(f"{path.name} is not a CycloneDX document")
    return [
        SbomComponent(
            name=tooljson.text(item, "name"),
            version=tooljson.text(item, "version"),
            purl=tooljson.text(item, "purl"),
        )
        for item in tooljson.objects(data.get("components"))
    ]


class SbomCheck(CheckBase):
    """CycloneDX JSON SBOM of the runtime dependencies (cyclonedx-py environment)."""

    name: ClassVar[str] = "sbom"
    tools: ClassVar[tuple[str, ...]] = ("cyclonedx",)

    def environments(self, ctx: CheckContext) -> dict[str, EnvSpec]:
        tool = EnvSpec(
            "cyclonedx", ctx.python, (tool_requirement(ctx, "cyclonedx-bom")[0],), any_python=True
        )
        if not ctx.project.installable:
            return {"tool": tool}
        return {"tool": tool, "runtime": runtime_env(ctx)}

    def run(self, ctx: CheckContext, envs: Mapping[str, Environment]) -> CheckResult:
        if "runtime" not in envs:
            return CheckResult(
                check=self.name, session=ctx.session, status=Status.SKIP, python=ctx.python,
                summary="no installable project (pyproject.toml, setup.py or setup.cfg)",
            )  # fmt: skip
        settings = ctx.settings("sbom")
        output = ctx.reports_dir / FILENAME
        with contextlib.suppress(FileNotFoundError):
            output.unlink()
        argv = [
            str(envs["tool"].bin_dir / "cyclonedx-py"), "environment",
            "--mc-type", "application",
            "--sv", settings.str("spec-version"),
            "--output-reproducible",
            "--of", "JSON",
            "-o", str(output),
        ]  # fmt: skip
        if (ctx.root / "pyproject.toml").is_file():
            argv += ["--pyproject", str(ctx.root / "pyproject.toml")]
        argv += [*settings.str_list("args"), str(envs["runtime"].python)]
        run = ctx.exec(argv, envs["tool"])
        if run.returncode != 0 or not output.is_file():
            return error_result(
                ctx, self.name, f"cyclonedx-py failed (exit {run.returncode})", run.tail()
            )
        try:
            components = read_components(output)
        except (OSError, ValueError) as exc:
            return error_result(ctx, self.name, f"unreadable SBOM: {exc}", run.tail())
        result = CheckResult(
            check=self.name, session=ctx.session, status=Status.PASS, python=ctx.python, command=argv,
            artifacts={"sbom": output.relative_to(ctx.root).as_posix()},
            metrics={"components": len(components)}, checked=Checked("components", len(components)),
        )  # fmt: skip
        lines = [f"{output.relative_to(ctx.root).as_posix()}: {len(components)} component(s)"]
        for component in sorted(components, key=lambda c: c["name"].lower()):
            name = component["name"] or "?"
            lines.append(f"  {name} {component['version']}  {component['purl']}")
            if not component["purl"]:
                result.findings.append(
                    Finding(
                        tool="cyclonedx",
                        rule="missing-purl",
                        message=f"component {name} has no package URL",
                        path=FILENAME,
                        severity="warning",
                    )
                )
        result.output = "\n".join(lines)
        return result

    def evaluate(self, ctx: CheckContext, result: CheckResult) -> CheckResult:
        count = int(result.metrics.get("components", 0))
        if count == 0:  # an SBOM of nothing proves nothing; the file still names the project
            result.status = Status.SKIP
            result.summary = f"the project has no runtime dependencies: {FILENAME} lists none"
            return result
        result.summary = f"{count} runtime component(s) in {FILENAME}"
        return apply_gates(result, [Gate("sbom components", Status.PASS, count)])
