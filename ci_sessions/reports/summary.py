"""``.ci-sessions/reports/summary.md``: the gate table and the top findings, for people.

In GitHub Actions the same text goes to ``$GITHUB_STEP_SUMMARY`` (the job's summary page). A nox
invocation that runs several sessions calls the writers after each one; the step summary then
holds the latest summary of the whole invocation once, not one copy per session.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from ci_sessions._fs import atomic_write_text, reports_dir
from ci_sessions.reports.table import checked_label, gate_detail, status_label
from ci_sessions.results import SUMMARY_SECTION, CheckResult, Finding, RunRecord, Status

FILENAME = "summary.md"
#: findings shown in the summary; the rest are counted
TOP_FINDINGS = 20
_ICONS = {
    Status.PASS: "✅",
    Status.FAIL: "❌",
    Status.ERROR: "💥",
    Status.WARN: "⚠️",
    Status.SKIP: "⏭️",
}
#: a ``<`` that could open an HTML tag (``coverage 60.00 < 85.00`` stays as it is)
_TAG = re.compile(r"<(?=[A-Za-z/!?])")
_SEVERITY_ORDER = {"error": 0, "warning": 1, "note": 2}
#: step summary file -> (run id, size before this invocation's first write)
_STEP_SUMMARY_STATE: dict[str, tuple[str, int]] = {}


def path_for(root: Path) -> Path:
    return reports_dir(root) / FILENAME


def write(root: Path, run: RunRecord) -> None:
    """Write summary.md and, when ``GITHUB_STEP_SUMMARY`` is set, the job summary."""
    text = render(root, run)
    atomic_write_text(path_for(root), text)
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if target:
        write_step_summary(Path(target), run.run_id, text)


def write_step_summary(target: Path, run_id: str, text: str) -> None:
    """Append ``text``; a later call of the same run replaces what the earlier one appended."""
    key = str(target.resolve())
    known = _STEP_SUMMARY_STATE.get(key)
    if known is None or known[0] != run_id:
        start = target.stat().st_size if target.exists() else 0
        _STEP_SUMMARY_STATE[key] = (run_id, start)
    else:
        start = known[1]
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("a+b") as handle:
        handle.truncate(start)
        handle.seek(start)
        handle.write(text.encode("utf-8"))


def render(root: Path, run: RunRecord) -> str:
    """The Markdown summary of a run."""
    status = run.status
    sessions = ", ".join(run.sessions) or "ci-sessions"
    lines = [f"## {_ICONS[status]} ci-sessions: {status.value} ({_cell(sessions)})", ""]
    facts = [f"project `{run.project}`"]
    if run.commit:
        facts.append(f"commit `{run.commit[:12]}`")
    if run.branch:
        facts.append(f"branch `{run.branch}`")
    lines += [" · ".join(facts), ""]
    lines += gate_table(run.results)
    blocking = [r for r in run.results if r.status.blocking]
    if blocking:
        lines += [
            "",
            f"**{len(blocking)} check(s) did not pass:** "
            + ", ".join(f"`{r.label}`" for r in blocking),
        ]
    lines += _errors(blocking)
    lines += top_findings(run.results)
    for result in run.results:  # sections the checks of this run wrote: never a stale one
        section = root / result.artifacts.get(SUMMARY_SECTION, "")
        if SUMMARY_SECTION in result.artifacts and section.is_file():
            lines += ["", section.read_text(encoding="utf-8").rstrip()]
    return "\n".join(lines).rstrip() + "\n"


def gate_table(results: list[CheckResult]) -> list[str]:
    """``| status | check | checked | value vs threshold | time |`` rows, one per check."""
    rows = [
        "| status | check | checked | value vs threshold | time |",
        "| --- | --- | --- | --- | ---: |",
    ]
    for result in results:
        status = f"{_ICONS[result.status]} {status_label(result)}"
        rows.append(
            f"| {status} | `{result.label}` | {_cell(checked_label(result))} "
            f"| {_cell(gate_detail(result))} | {result.duration:.1f} s |"
        )
    return rows


def top_findings(results: list[CheckResult], limit: int = TOP_FINDINGS) -> list[str]:
    """The most severe findings first (failing checks before passing ones), as a list."""
    ranked: list[tuple[int, int, str, Finding]] = []
    for result in results:
        failing = 0 if result.status.blocking else 1
        for finding in result.findings:
            ranked.append(
                (failing, _SEVERITY_ORDER.get(finding.severity, 3), result.label, finding)
            )
    if not ranked:
        return []
    ranked.sort(key=lambda item: (item[0], item[1], item[3].path, item[3].line))
    lines = ["", f"### Top findings ({min(limit, len(ranked))} of {len(ranked)})", ""]
    for _failing, _severity, label, finding in ranked[:limit]:
        where = f"`{finding.location()}` " if finding.location() else ""
        lines.append(f"- {where}**{_cell(finding.rule)}** {_cell(finding.message)} _({label})_")
    if len(ranked) > limit:
        lines.append(f"- … and {len(ranked) - limit} more in `.ci-sessions/reports/results.json`")
    return lines


def _errors(results: list[CheckResult]) -> list[str]:
    """For checks that could not check: their summary and the tool's last lines."""
    lines: list[str] = []
    for result in results:
        if result.status is not Status.ERROR or not result.output:
            continue
        tail = "\n".join(result.output.rstrip().splitlines()[-15:]).replace("```", "'''")
        lines += [
            "",
            f"<details><summary>{result.label}: {_cell(result.summary)}</summary>",
            "",
            "```",
            tail,
            "```",
            "</details>",
        ]
    return lines


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell or list item."""
    return _TAG.sub("&lt;", " ".join(text.split()).replace("|", "\\|"))
