"""The double build as a gate: sdist + wheel built twice from clean copies, sha256 compared.

The build itself is ``ci-sessions release check-reproducible`` (the release package sits a layer
above checks), run like any tool: in a subprocess, with the interpreter ci-sessions runs in. Its
JSON result becomes the metrics (hashes, tool versions, verdict), one finding per differing
archive member, ``reports/reproducible.json`` for the evidence pack, and a summary section.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from typing import ClassVar, cast

from ci_sessions._fs import atomic_write_text
from ci_sessions._git import try_git
from ci_sessions.checks.base import (
    CheckBase,
    CheckContext,
    Environment,
    EnvSpec,
    error_result,
    pending_result,
)
from ci_sessions.gates import apply_gates, at_most
from ci_sessions.results import SUMMARY_SECTION, Checked, CheckResult, Finding, Gate, Status

#: the result file the evidence pack reads (reports/pack.py)
REPORT = "reproducible.json"
SECTION = "reproducible.md"
#: findings listed at most (the JSON report holds every difference)
MAX_FINDINGS = 50
#: an archive that differs only in its members' file times: why, and the way forward
TIMES_ONLY = (
    "differs only in the file times of its members: the build backend (setuptools' sdist) "
    "writes each file's time instead of clamping it to SOURCE_DATE_EPOCH"
)
TIMES_ONLY_FIX = "to accept it set [tool.ci-sessions.reproducible] max-differing = 1"


def _times_only(data: Mapping[str, object]) -> list[str]:
    return [str(name) for name in cast("list[object]", data.get("times_only", []))]


def _listed(data: Mapping[str, object]) -> list[dict[str, str]]:
    """The differences worth a line each: an archive differing only in file times is one."""
    differences = cast("list[dict[str, str]]", data.get("differences", []))
    times_only = _times_only(data)
    listed = [
        {"archive": name, "member": f"{sum(1 for d in differences if d['archive'] == name)} members", "how": "mtime", "detail": TIMES_ONLY}
        for name in times_only
    ]  # fmt: skip
    return listed + [d for d in differences if d["archive"] not in times_only]


def _hash_metric(name: str) -> str:
    return "sdist_sha256" if name.endswith((".tar.gz", ".zip")) else "wheel_sha256"


def _section(data: Mapping[str, object]) -> str:
    artifacts = cast("list[dict[str, object]]", data.get("artifacts", []))
    tools = cast("dict[str, str]", data.get("tools", {}))
    differences = _listed(data)
    verdict = str(data.get("verdict", ""))
    lines = [
        "### Reproducible build",
        "",
        f"Built twice from clean copies with `SOURCE_DATE_EPOCH={data.get('source_date_epoch')}` "
        f"({', '.join(f'{k} {v}' for k, v in sorted(tools.items()))}): **{verdict}**",
        "",
        "| file | sha256 | second build |",
        "| --- | --- | --- |",
    ]
    for artifact in artifacts:
        second = "identical" if artifact["identical"] else f"`{artifact['second_sha256']}`"
        lines.append(f"| `{artifact['name']}` | `{artifact['sha256']}` | {second} |")
    for diff in differences[:10]:
        detail = f" ({diff['detail']})" if diff.get("detail") else ""
        lines.append(f"- `{diff['archive']}`: `{diff['member']}` differs in {diff['how']}{detail}")
    return "\n".join(lines) + "\n"


def _output(data: Mapping[str, object]) -> str:
    """What the log shows: each file's two hashes, then the differences."""
    lines = [
        f"double build: {data.get('verdict')} (SOURCE_DATE_EPOCH={data.get('source_date_epoch')})"
    ]
    for artifact in cast("list[dict[str, object]]", data.get("artifacts", [])):
        mark = "==" if artifact["identical"] else "!="
        lines.append(
            f"  {artifact['name']}: {artifact['sha256']} {mark} {artifact['second_sha256']}"
        )
    for diff in _listed(data):
        lines.append(
            f"  differs: {diff['archive']}: {diff['member']}: {diff['how']} {diff.get('detail', '')}".rstrip()
        )
    if _times_only(data):
        lines.append(f"  hint: {TIMES_ONLY_FIX}")
    return "\n".join(lines)


class ReproducibleCheck(CheckBase):
    """The double build: sdist and wheel built twice from clean copies, sha256 compared."""

    name: ClassVar[str] = "reproducible"
    tools: ClassVar[tuple[str, ...]] = ("reproducible",)

    def cache_salt(self, ctx: CheckContext) -> str:
        """The commit time is the builds' SOURCE_DATE_EPOCH (so, the hashes), and the release
        settings choose the builder and the tag a version comes from."""
        epoch = (try_git(ctx.root, "log", "-1", "--format=%ct", "HEAD") or "").strip()
        release = ctx.config.section("release")
        return f"{epoch}|{release.str('builder')}|{release.str('tag-prefix')}|{release.str('version-source')}"

    def environments(self, ctx: CheckContext) -> dict[str, EnvSpec]:
        del ctx
        return {}  # the builds make their own isolated environments

    def run(self, ctx: CheckContext, envs: Mapping[str, Environment]) -> CheckResult:
        if not ctx.project.installable:
            return CheckResult(
                check=self.name, session=ctx.session, status=Status.SKIP, python=ctx.python,
                summary="nothing to build: no pyproject.toml [project]/[build-system], setup.py or setup.cfg",
            )  # fmt: skip
        argv = [
            sys.executable, "-m", "ci_sessions.release", "check-reproducible", "--json",
            "--no-record", "--root", str(ctx.root),
        ]  # fmt: skip
        run = ctx.exec(argv)
        try:
            loaded: object = json.loads(run.stdout)
        except ValueError:
            return error_result(ctx, self.name, f"the double build did not report (exit {run.returncode})", run.tail())  # fmt: skip
        if not isinstance(loaded, dict):
            return error_result(ctx, self.name, "the double build reported no result", run.tail())
        data = cast("dict[str, object]", loaded)
        if data.get("verdict") == "error":
            error = str(data.get("error", ""))
            first = error.splitlines()[0] if error else "the double build failed"
            return error_result(ctx, self.name, first.removeprefix("ci-sessions: "), error)
        report = ctx.reports_dir / REPORT
        atomic_write_text(report, json.dumps(data, indent=2) + "\n")
        section = ctx.reports_dir / SECTION
        atomic_write_text(section, _section(data))
        built = len(cast("list[object]", data.get("artifacts", [])))
        return pending_result(
            ctx, self.name,
            checked=Checked("distributions", built),  # 0: nothing was compared, never a PASS
            metrics=self._metrics(data),
            findings=self._findings(data),
            artifacts={
                "reproducible": report.relative_to(ctx.root).as_posix(),
                SUMMARY_SECTION: section.relative_to(ctx.root).as_posix(),
            },
            output=_output(data),
        )  # fmt: skip

    @staticmethod
    def _metrics(data: Mapping[str, object]) -> dict[str, float | int | str]:
        artifacts = cast("list[dict[str, object]]", data.get("artifacts", []))
        tools = cast("dict[str, str]", data.get("tools", {}))
        metrics: dict[str, float | int | str] = {
            "verdict": str(data.get("verdict", "")),
            "artifacts": len(artifacts),
            "differing": sum(1 for a in artifacts if not a["identical"]),
            "differences": len(cast("list[object]", data.get("differences", []))),
            "source_date_epoch": int(cast("int", data.get("source_date_epoch", 0))),
            "build_seconds": float(cast("float", data.get("seconds", 0.0))),
            "tools": ", ".join(f"{k} {v}" for k, v in sorted(tools.items())),
            "times_only": len(_times_only(data)),
        }
        for artifact in artifacts:
            metrics[_hash_metric(str(artifact["name"]))] = str(artifact["sha256"])
        return metrics

    @staticmethod
    def _findings(data: Mapping[str, object]) -> list[Finding]:
        differences = _listed(data)
        return [
            Finding(
                tool="reproducible",
                rule=f"reproducible-{diff['how']}",
                message=f"{diff['archive']}: {diff['member']} differs between two builds ({diff['how']}"
                + (f": {diff['detail']})" if diff.get("detail") else ")"),
            )
            for diff in differences[:MAX_FINDINGS]
        ]

    def evaluate(self, ctx: CheckContext, result: CheckResult) -> CheckResult:
        if result.status in (Status.SKIP, Status.ERROR):
            return result
        differing = int(result.metrics.get("differing", 0))
        limit = ctx.settings(self.name).int("max-differing")
        total = int(result.metrics.get("artifacts", 0))
        times_only = int(result.metrics.get("times_only", 0))
        result.summary = (
            f"{total} distribution(s) built twice: sha256 equal"
            if differing == 0
            else f"{differing} of {total} distribution(s) differ between two builds"
        )
        gate = at_most("differing distributions", differing, limit)
        if gate.status is Status.FAIL and differing - times_only <= limit:
            # only file times the backend does not clamp: said, and the way forward named
            gate = Gate(
                name=gate.name, status=Status.WARN, value=differing, threshold=limit,
                comparison="<=", message=f"file times only; {TIMES_ONLY_FIX}",
            )  # fmt: skip
            result.summary += f" ({times_only} only in file times: {TIMES_ONLY_FIX})"
        return apply_gates(result, [gate])
