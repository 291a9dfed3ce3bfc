"""The double build as a gate: sdist + wheel built twice from clean copies, sha256 compared.

The build itself is :func:`ci_sessions.builds.double_build.check` (the one ``ci-sessions release
check-reproducible`` runs too), in this process, the builds' environment the one a tool gets. Its
result becomes the metrics (hashes, tool versions, verdict), one finding per differing
archive member, ``reports/reproducible.json`` for the evidence pack, and a summary section.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import ClassVar, TypedDict

from ci_sessions._fs import atomic_write_text
from ci_sessions._git import try_git
from ci_sessions._secrets import mask
from ci_sessions.checks import tooljson
from ci_sessions.checks.base import (
    CheckBase,
    CheckContext,
    Environment,
    EnvSpec,
    error_result,
    pending_result,
    plain_output,
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


class ReproArtifact(TypedDict):
    """One distribution built twice (``identical`` only when the report says ``true``)."""

    name: str
    sha256: str
    second_sha256: str
    identical: bool


class ReproDifference(TypedDict):
    archive: str
    member: str
    how: str  # "content", "mtime", "mode", "only in one build", ...
    detail: str


class ReproReport(TypedDict):
    """The double build's JSON (``ReproResult.to_json``), the members this check reads."""

    verdict: str
    source_date_epoch: int
    artifacts: list[ReproArtifact]
    tools: dict[str, str]
    differences: list[ReproDifference]
    seconds: float
    times_only: list[str]  # archives differing only in their members' file times


def read_report(data: Mapping[str, object]) -> ReproReport:
    """The report read member by member: an artifact not said to be identical differs, and an
    entry that is not an object is an artifact or a difference of its own, never dropped."""
    artifacts = [
        ReproArtifact(
            name=tooljson.text(item, "name"),
            sha256=tooljson.text(item, "sha256"),
            second_sha256=tooljson.text(item, "second_sha256"),
            identical=item.get("identical") is True,
        )
        for item in _entries(data, "artifacts")
    ]
    differences = [
        ReproDifference(
            archive=tooljson.text(item, "archive"),
            member=tooljson.text(item, "member"),
            how=tooljson.text(item, "how"),
            detail=tooljson.text(item, "detail"),
        )
        for item in _entries(data, "differences")
    ]
    tools = tooljson.member(data, "tools")
    return ReproReport(
        verdict=tooljson.text(data, "verdict"),
        source_date_epoch=tooljson.integer(data, "source_date_epoch"),
        artifacts=artifacts,
        tools={name: tooljson.text(tools, name) for name in tools},
        differences=differences,
        seconds=tooljson.number(data, "seconds"),
        times_only=tooljson.strings(data, "times_only"),
    )


def _entries(data: Mapping[str, object], key: str) -> list[tooljson.JsonObject]:
    """A list member's entries, anything but an object read as an empty one (so counted)."""
    return [item if tooljson.is_object(item) else {} for item in tooljson.members(data, key)]


def _listed(data: ReproReport) -> list[ReproDifference]:
    """The differences worth a line each: an archive differing only in file times is one."""
    differences = data["differences"]
    times_only = data["times_only"]
    listed = [
        ReproDifference(archive=name, member=f"{sum(1 for d in differences if d['archive'] == name)} members", how="mtime", detail=TIMES_ONLY)
        for name in times_only
    ]  # fmt: skip
    return listed + [d for d in differences if d["archive"] not in times_only]


def _masked(value: object) -> object:
    """``value`` with the credentials inside any URL hidden, at every depth: a build's log and
    the members it differs in reach the output, the reports and the evidence pack."""
    if isinstance(value, str):
        return mask(value)
    if tooljson.is_list(value):
        return [_masked(item) for item in value]
    if tooljson.is_object(value):
        return {key: _masked(item) for key, item in value.items()}
    return value


def _hash_metric(name: str) -> str:
    return "sdist_sha256" if name.endswith((".tar.gz", ".zip")) else "wheel_sha256"


def _section(data: ReproReport) -> str:
    artifacts, tools = data["artifacts"], data["tools"]
    differences = _listed(data)
    verdict = data["verdict"]
    lines = [
        "### Reproducible build",
        "",
        f"Built twice from clean copies with `SOURCE_DATE_EPOCH={data['source_date_epoch']}` "
        f"({', '.join(f'{k} {v}' for k, v in sorted(tools.items()))}): **{verdict}**",
        "",
        "| file | sha256 | second build |",
        "| --- | --- | --- |",
    ]
    for artifact in artifacts:
        second = "identical" if artifact["identical"] else f"`{artifact['second_sha256']}`"
        lines.append(f"| `{artifact['name']}` | `{artifact['sha256']}` | {second} |")
    for diff in differences[:10]:
        detail = f" ({diff['detail']})" if diff["detail"] else ""
        lines.append(f"- `{diff['archive']}`: `{diff['member']}` differs in {diff['how']}{detail}")
    return "\n".join(lines) + "\n"


def _output(data: ReproReport) -> str:
    """What the log shows: each file's two hashes, then the differences."""
    lines = [f"double build: {data['verdict']} (SOURCE_DATE_EPOCH={data['source_date_epoch']})"]
    for artifact in data["artifacts"]:
        mark = "==" if artifact["identical"] else "!="
        lines.append(
            f"  {artifact['name']}: {artifact['sha256']} {mark} {artifact['second_sha256']}"
        )
    for diff in _listed(data):
        lines.append(
            f"  differs: {diff['archive']}: {diff['member']}: {diff['how']} {diff['detail']}".rstrip()
        )
    if data["times_only"]:
        lines.append(f"  hint: {TIMES_ONLY_FIX}")
    return "\n".join(lines)


class ReproducibleCheck(CheckBase):
    """The double build: sdist and wheel built twice from clean copies, sha256 compared."""

    name: ClassVar[str] = "reproducible"
    tools: ClassVar[tuple[str, ...]] = ("reproducible",)

    def cache_salt(self, ctx: CheckContext) -> str:
        """The commit time is the builds' SOURCE_DATE_EPOCH (so, the hashes), and the release
        settings choose the builder and the tag a version comes from."""
        from ci_sessions.builds.builder import BuildSettings

        epoch = (try_git(ctx.root, "log", "-1", "--format=%ct", "HEAD") or "").strip()
        settings = BuildSettings.of(ctx.config)
        return f"{epoch}|{settings.builder}|{settings.tag_prefix}|{settings.version_source}"

    def environments(self, ctx: CheckContext) -> dict[str, EnvSpec]:
        del ctx
        return {}  # the builds make their own isolated environments

    def run(self, ctx: CheckContext, envs: Mapping[str, Environment]) -> CheckResult:
        if not ctx.project.installable:
            return CheckResult(
                check=self.name, session=ctx.session, status=Status.SKIP, python=ctx.python,
                summary="nothing to build: no pyproject.toml [project]/[build-system], setup.py or setup.cfg",
            )  # fmt: skip
        # imported here: the builds bring tarfile, gzip and the archive diff (35 ms), which
        # every session's start would pay; only a run of this check needs them
        from ci_sessions.builds.builder import BuildSettings
        from ci_sessions.builds.double_build import ERROR, check
        from ci_sessions.builds.pyproject import load_pyproject

        result = check(
            ctx.root, BuildSettings.of(ctx.config), load_pyproject(ctx.root),
            env=plain_output(ctx.tool_env(None)),
        )  # fmt: skip
        data = {key: _masked(value) for key, value in result.to_json().items()}
        read = read_report(data)
        if result.verdict == ERROR:
            error = mask(result.error)
            first = error.splitlines()[0] if error else "the double build failed"
            return error_result(ctx, self.name, first.removeprefix("ci-sessions: "), error)
        report = ctx.reports_dir / REPORT
        atomic_write_text(report, json.dumps(data, indent=2) + "\n")
        section = ctx.reports_dir / SECTION
        atomic_write_text(section, _section(read))
        built = len(read["artifacts"])
        return pending_result(
            ctx, self.name,
            checked=Checked("distributions", built),  # 0: nothing was compared, never a PASS
            metrics=self._metrics(read),
            findings=self._findings(read),
            artifacts={
                "reproducible": report.relative_to(ctx.root).as_posix(),
                SUMMARY_SECTION: section.relative_to(ctx.root).as_posix(),
            },
            output=_output(read),
        )  # fmt: skip

    @staticmethod
    def _metrics(data: ReproReport) -> dict[str, float | int | str]:
        artifacts, tools = data["artifacts"], data["tools"]
        metrics: dict[str, float | int | str] = {
            "verdict": data["verdict"],
            "artifacts": len(artifacts),
            "differing": sum(1 for a in artifacts if not a["identical"]),
            "differences": len(data["differences"]),
            "source_date_epoch": data["source_date_epoch"],
            "build_seconds": data["seconds"],
            "tools": ", ".join(f"{k} {v}" for k, v in sorted(tools.items())),
            "times_only": len(data["times_only"]),
        }
        for artifact in artifacts:
            metrics[_hash_metric(artifact["name"])] = artifact["sha256"]
        return metrics

    @staticmethod
    def _findings(data: ReproReport) -> list[Finding]:
        differences = _listed(data)
        return [
            Finding(
                tool="reproducible",
                rule=f"reproducible-{diff['how']}",
                message=f"{diff['archive']}: {diff['member']} differs between two builds ({diff['how']}"
                + (f": {diff['detail']})" if diff["detail"] else ")"),
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
