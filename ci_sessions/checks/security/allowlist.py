"""Allow-lists of the security checks: accepted findings, each with a reason and an expiry date.

An accepted risk is a decision with a deadline: an entry stops hiding its finding on the day it
expires and fails the gate, so nothing stays accepted because everyone forgot about it.
Shared by sast, audit and secrets (``[[tool.ci-sessions.<check>.allow]]``).
"""

from __future__ import annotations

import datetime as dt
import fnmatch
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ci_sessions.checks import tooljson
from ci_sessions.errors import ConfigError
from ci_sessions.results import Finding, Gate, Status

if TYPE_CHECKING:
    from ci_sessions.config import Config


@dataclass(frozen=True)
class AllowEntry:
    """One accepted finding: a rule or advisory id, optionally limited to files matching ``path``."""

    id: str
    reason: str
    expires: dt.date
    path: str = ""

    def expired(self, today: dt.date) -> bool:
        return today > self.expires

    def matches(self, finding: Finding, ids: Iterable[str]) -> bool:
        if self.id.upper() not in {i.upper() for i in ids}:
            return False
        return not self.path or fnmatch.fnmatch(finding.path, self.path)

    def describe(self) -> str:
        where = f" in {self.path}" if self.path else ""
        return f"{self.id}{where} (expires {self.expires.isoformat()}: {self.reason})"


@dataclass
class Outcome:
    """Findings split by the allow-list, plus the entries that expired."""

    kept: list[Finding] = field(default_factory=list[Finding])
    allowed: list[tuple[Finding, AllowEntry]] = field(
        default_factory=list[tuple[Finding, AllowEntry]]
    )
    expired: list[AllowEntry] = field(default_factory=list[AllowEntry])

    def gate(self) -> Gate:
        """``expired allow-list entries 1 > 0 FAIL`` naming each entry, or a PASS row."""
        status = Status.FAIL if self.expired else Status.PASS
        message = "; ".join(
            f"{e.describe()} expired: fix the finding or renew the entry with a new date"
            for e in self.expired
        )
        return Gate("expired allow-list entries", status, len(self.expired), 0, "<=", message)


def entries(config: Config, check: str) -> list[AllowEntry]:
    """The validated allow-list of ``check``; a bad date is a ConfigError naming key and fix."""
    raw: object = config.section(check).values.get("allow")
    rows = raw if tooljson.is_sequence(raw) else ()  # the loader made it a list of tables
    source = _source_label(config.source_of(f"{check}.allow"))
    return [parse_entry(row, source, f"{check}.allow[{index}]") for index, row in enumerate(rows)]


def parse_entry(row: object, source: str, key: str) -> AllowEntry:
    """One entry from its table; ``expires`` may be a TOML date or a ``YYYY-MM-DD`` string."""
    if not tooljson.is_mapping(row):
        raise ConfigError(source, key, "not a table", fix="write the entry as [[...allow]]")
    for name in ("id", "reason", "expires"):
        if name not in row or row[name] in ("", None):
            raise ConfigError(
                source, f"{key}.{name}", "missing", fix=f"add {name} = ... to the entry"
            )
    raw_expiry = row["expires"]
    expires: dt.date
    if isinstance(raw_expiry, dt.datetime):
        expires = raw_expiry.date()
    elif isinstance(raw_expiry, dt.date):
        expires = raw_expiry
    else:
        try:
            expires = dt.date.fromisoformat(str(raw_expiry).strip())
        except ValueError:
            raise ConfigError(
                source,
                f"{key}.expires",
                f"not a date: {raw_expiry!r}",
                expected="a date YYYY-MM-DD",
                fix='write it like expires = "2027-01-01"',
            ) from None
    reason = str(row["reason"]).strip()
    if not reason:
        raise ConfigError(source, f"{key}.reason", "empty", fix="say why the finding is accepted")
    return AllowEntry(str(row["id"]).strip(), reason, expires, str(row.get("path", "") or ""))


def apply(
    findings: Iterable[Finding],
    allow: Iterable[AllowEntry],
    *,
    today: dt.date | None = None,
    ids_of: Callable[[Finding], Iterable[str]] | None = None,
) -> Outcome:
    """Split ``findings`` into kept and allowed; an expired entry allows nothing."""
    today = today or dt.date.today()
    allow = list(allow)
    outcome = Outcome(expired=[e for e in allow if e.expired(today)])
    active = [e for e in allow if not e.expired(today)]
    for finding in findings:
        ids = list(ids_of(finding)) if ids_of else [finding.rule]
        entry = next((e for e in active if e.matches(finding, ids)), None)
        if entry is None:
            outcome.kept.append(finding)
        else:
            outcome.allowed.append((finding, entry))
    return outcome


def _source_label(source: str) -> str:
    return "pyproject.toml [tool.ci-sessions]" if source == "pyproject.toml" else source
