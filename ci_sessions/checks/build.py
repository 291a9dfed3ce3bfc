"""Release readiness: ``python -m build`` (sdist + wheel), ``twine check``, the wheel's contents.

A project that does not build, or whose metadata PyPI would reject or render badly, fails here
instead of on release day. Artifacts go to ``.ci-sessions/dist`` (never the project's ``dist/``).
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar

from ci_sessions._fs import remove_tree, state_dir
from ci_sessions.checks.base import (
    CheckBase,
    CheckContext,
    Environment,
    EnvSpec,
    error_result,
    relative,
)
from ci_sessions.checks.tooling import tool_requirement
from ci_sessions.checks.treeguard import untouched
from ci_sessions.gates import apply_gates, at_least, at_most
from ci_sessions.results import Checked, CheckResult, Finding, Gate, Status

#: twine check prints ``Checking dist/x.whl: FAILED`` then indented reasons, or ``WARNING ...``
_CHECKING = re.compile(r"^Checking (\S+): (PASSED|FAILED|PASSED with warnings)(.*)$")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_PROBLEM = re.compile(r"^\s*(ERROR|WARNING)\s+(.*)$")
#: the last lines of a build log are enough to see why it failed
TAIL_LINES = 25
#: wheel members listed in the output before "... and N more"
LIST_LIMIT = 60


#: checks that create or delete files in the project tree while they run. coverage and bench
#: are left out: they wait for tests themselves, and the runner submits waited-for checks in
#: tier order, so waiting for a waiting check could start it before its own dependency. They
#: write only under .ci-sessions/, which a project must ignore anyway (see stray_files).
WRITES_TO_TREE = (
    "lint", "format", "typecheck", "tests", "sast", "audit", "secrets", "precommit", "sbom", "docs",
)  # fmt: skip
#: directories of machine state that never belong in an sdist
STRAY_DIRS = (
    ".ci-sessions",
    ".nox",
    ".tox",
    ".venv",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
)


def stray_files(sdist: Path, display: str) -> list[Finding]:
    """One finding per state directory (.nox, .ci-sessions, ...) that went into the sdist."""
    import tarfile

    counts: dict[str, int] = {}
    with tarfile.open(sdist) as archive:
        for name in archive.getnames():
            parts = name.split("/")
            hit = next((part for part in parts[1:-1] if part in STRAY_DIRS), None)
            if hit is not None:
                counts[hit] = counts.get(hit, 0) + 1
    return [
        Finding(
            tool="build",
            rule="sdist-stray-files",
            message=f"the sdist contains {count} file(s) under {directory}/: add `{directory}/` to .gitignore",
            path=display,
        )
        for directory, count in sorted(counts.items())
    ]


def dist_dir(root: Path) -> Path:
    return state_dir(root) / "dist"


def wheel_contents(wheel: Path) -> list[tuple[str, int]]:
    """(name, size) of each member of a wheel, in archive order."""
    with zipfile.ZipFile(wheel) as archive:
        return [(info.filename, info.file_size) for info in archive.infolist() if not info.is_dir()]


def parse_twine(ctx: CheckContext, output: str) -> list[Finding]:
    """One finding per twine error or warning, located at the artifact it is about."""
    findings: list[Finding] = []
    current = ""
    for line in output.splitlines():
        if match := _CHECKING.match(line.strip()):
            current = relative(ctx.root, match.group(1))
            continue
        if match := _PROBLEM.match(line):
            level, message = match.groups()
            findings.append(
                Finding(
                    tool="twine",
                    rule=f"twine-{level.lower()}",
                    message=message.strip(),
                    path=current,
                    severity="error" if level == "ERROR" else "warning",
                )
            )
    return findings


class BuildCheck(CheckBase):
    """``python -m build`` (sdist + wheel) and ``twine check --strict``; the wheel's files listed."""

    name: ClassVar[str] = "build"
    tools: ClassVar[tuple[str, ...]] = ("build", "twine")
    #: the backend walks the tree for the sdist: building while other checks write into it
    #: (.ci-sessions/, coverage data, the docs site) makes the walk fail at random
    after: ClassVar[tuple[str, ...]] = WRITES_TO_TREE

    def environments(self, ctx: CheckContext) -> dict[str, EnvSpec]:
        requirements = (tool_requirement(ctx, "build")[0], tool_requirement(ctx, "twine")[0])
        return {"build": EnvSpec(name="build", python=ctx.python, requirements=requirements)}

    def run(self, ctx: CheckContext, envs: Mapping[str, Environment]) -> CheckResult:
        if not ctx.project.installable:
            return CheckResult(
                check=self.name, session=ctx.session, status=Status.SKIP, python=ctx.python,
                summary="nothing to build: no pyproject.toml [project]/[build-system], setup.py or setup.cfg",
            )  # fmt: skip
        settings = ctx.settings("build")
        env = envs["build"]
        outdir = dist_dir(ctx.root)
        remove_tree(outdir, within=state_dir(ctx.root))
        outdir.mkdir(parents=True)
        kinds = [f"--{kind}" for kind in ("sdist", "wheel") if settings.bool(kind)]
        if len(kinds) == 2:
            kinds = []  # build's default: the sdist, then the wheel from the sdist (proves it complete)
        elif not kinds:
            return CheckResult(
                check=self.name, session=ctx.session, status=Status.SKIP, python=ctx.python,
                summary="build.sdist and build.wheel are both false",
            )  # fmt: skip
        argv = [str(env.python), "-m", "build", *kinds, "--outdir", str(outdir)]
        if (env.bin_dir / "uv").exists():
            argv += ["--installer", "uv"]
        argv += [*settings.str_list("args"), str(ctx.root)]
        with untouched(ctx.root):  # the backend writes egg-info, build/ into the tree: not kept
            build = ctx.exec(argv, env)
        output = [f"$ python -m build {' '.join(argv[3:])}"]
        result = CheckResult(
            check=self.name, session=ctx.session, status=Status.PASS, python=ctx.python,
            command=argv, metrics={"build_exit_code": build.returncode},
        )  # fmt: skip
        if build.returncode != 0:
            output.append(build.tail(TAIL_LINES))
            result.output = "\n".join(output)
            result.findings.append(
                Finding(
                    tool="build", rule="build-failed", message=_last_error(build.tail(TAIL_LINES))
                )
            )
            return result
        artifacts = sorted(p for p in outdir.iterdir() if p.suffix in (".whl", ".gz"))
        if not artifacts:
            return error_result(
                ctx, self.name, "python -m build succeeded but wrote nothing", build.tail()
            )
        output.append("built: " + ", ".join(p.name for p in artifacts))
        for path in artifacts:
            key = "wheel" if path.suffix == ".whl" else "sdist"
            result.artifacts[key] = path.relative_to(ctx.root).as_posix()
            result.metrics[f"{key}_bytes"] = path.stat().st_size
        twine_argv = [str(env.python), "-m", "twine", "check"]
        if settings.bool("strict"):
            twine_argv.append("--strict")
        twine = ctx.exec([*twine_argv, *map(str, artifacts)], env)
        twine_text = _ANSI.sub("", twine.stdout + twine.stderr).strip()
        output.append(twine_text)
        findings = parse_twine(ctx, twine_text)
        if twine.returncode != 0 and not findings:
            return error_result(
                ctx, self.name, f"twine check crashed (exit {twine.returncode})", twine.tail()
            )
        result.findings.extend(findings)
        for sdist in (p for p in artifacts if p.name.endswith(".tar.gz")):
            result.findings.extend(stray_files(sdist, sdist.relative_to(ctx.root).as_posix()))
            result.checked = Checked("files", sdist_files(sdist))
        for wheel in (p for p in artifacts if p.suffix == ".whl"):
            output.append(_render_contents(wheel))
            members = wheel_contents(wheel)
            result.metrics["wheel_files"] = len(members)
            payload = payload_files(members)
            result.metrics["wheel_payload_files"] = payload
            # what the wheel ships besides its metadata: 0 means the backend found no package
            result.checked = Checked("files", payload)
        result.output = "\n".join(output)
        return result

    def evaluate(self, ctx: CheckContext, result: CheckResult) -> CheckResult:
        code = int(result.metrics.get("build_exit_code", 0))
        gates: list[Gate] = []
        if code != 0:
            gates.append(Gate("python -m build exit code", Status.FAIL, code, 0, "=="))
            result.summary = "build failed"
            return apply_gates(result, gates)
        problems = [f for f in result.findings if f.tool == "twine"]
        gates.append(at_most("twine problems", len(problems), 0))
        stray = [f for f in result.findings if f.rule == "sdist-stray-files"]
        if stray:
            gates.append(at_most("sdist state dirs", len(stray), 0))
        if "wheel" in result.artifacts:
            payload = int(result.metrics.get("wheel_payload_files", 0))
            gates.append(at_least("wheel files besides metadata", payload, 1))
        built = [k for k in ("sdist", "wheel") if k in result.artifacts]
        result.summary = f"built {' + '.join(built)}" + (
            f"; {len(problems)} twine problem(s)" if problems else ""
        )
        return apply_gates(result, gates)


def payload_files(members: list[tuple[str, int]]) -> int:
    """Members of a wheel that are not its metadata (``*.dist-info/``)."""
    return sum(1 for name, _size in members if ".dist-info/" not in name)


def sdist_files(sdist: Path) -> int:
    """Files in an sdist."""
    import tarfile

    with tarfile.open(sdist) as archive:
        return sum(1 for member in archive.getmembers() if member.isfile())


def _last_error(tail: str) -> str:
    lines = [line.strip() for line in tail.splitlines() if line.strip()]
    for line in reversed(lines):
        if "ERROR" in line or "Error" in line:
            return line
    return lines[-1] if lines else "python -m build failed"


def _render_contents(wheel: Path) -> str:
    members = wheel_contents(wheel)
    lines = [f"{wheel.name}: {len(members)} file(s)"]
    lines += [f"  {size:>9}  {name}" for name, size in members[:LIST_LIMIT]]
    if len(members) > LIST_LIMIT:
        lines.append(f"  ... and {len(members) - LIST_LIMIT} more")
    return "\n".join(lines)
