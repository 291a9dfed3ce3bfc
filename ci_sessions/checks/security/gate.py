"""The verdict shared by the security checks: blocking findings after the allow-list, expiries.

A finding's ``severity`` is set by its check from the security level (``error`` blocks,
``warning``/``note`` are reported only); allowed findings leave the result, expired entries fail.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from ci_sessions.checks.base import CheckContext
from ci_sessions.checks.security import allowlist
from ci_sessions.gates import apply_gates, at_most
from ci_sessions.results import CheckResult, Finding, Gate


def evaluate(
    ctx: CheckContext,
    result: CheckResult,
    *,
    check: str,
    noun: str,
    extra_gates: Iterable[Gate] = (),
    ids_of: Callable[[Finding], Iterable[str]] | None = None,
) -> CheckResult:
    """Gate ``result`` on its blocking findings (``noun`` names them in the table)."""
    settings = ctx.settings(check)
    entries = allowlist.entries(ctx.config, check)
    outcome = allowlist.apply(result.findings, entries, ids_of=ids_of)
    result.findings = outcome.kept
    blocking = [f for f in outcome.kept if f.severity == "error"]
    result.metrics.update(
        {
            "findings": len(outcome.kept),
            "blocking": len(blocking),
            "allowed": len(outcome.allowed),
            "expired_allow_entries": len(outcome.expired),
        }
    )
    notes = [f"allowed: {f.location() or f.path} {f.rule}: {e.reason}" for f, e in outcome.allowed]
    notes += [f"EXPIRED allow-list entry {e.describe()}" for e in outcome.expired]
    if notes:
        result.output = "\n".join([result.output.rstrip(), *notes]).strip()
    gates = [at_most(noun, len(blocking), settings.int("max-findings")), *extra_gates]
    if entries:
        gates.append(outcome.gate())
    parts = [f"{len(blocking)} {noun}"]
    if len(outcome.kept) > len(blocking):
        parts.append(f"{len(outcome.kept) - len(blocking)} below the security level")
    if outcome.allowed:
        parts.append(f"{len(outcome.allowed)} allowed")
    if outcome.expired:
        parts.append(
            f"{len(outcome.expired)} expired allow-list entr{'y' if len(outcome.expired) == 1 else 'ies'}"
        )
    result.summary = (
        ", ".join(parts) if result.summary == "" else f"{', '.join(parts)}; {result.summary}"
    )
    return apply_gates(result, gates)


def cache_salt(ctx: CheckContext, check: str) -> str:
    """Extra result-cache key: today's date while the check has an allow-list (entries expire
    without any file changing) and the effective security level."""
    import datetime as dt

    from ci_sessions.checks.security.levels import level_name

    dated = dt.date.today().isoformat() if allowlist.entries(ctx.config, check) else ""
    level = level_name(ctx.config, check) if "security-level" in ctx.settings(check).values else ""
    return f"{level}|{dated}"
