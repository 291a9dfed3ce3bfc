"""The findings baseline: hold the line on adoption day, fail only on NEW findings.

A mature project carries findings it never gated on. ``init`` records them in a committed file;
the runner then calls :func:`apply` on every result of a check declared ``baselined`` (lint,
format, typecheck, sast, secrets), which removes findings the baseline already accepts. Findings are matched by (check, rule, path, fingerprint) as a
multiset, and the fingerprint never contains a line number, so edits elsewhere in a file do not
invalidate it. Test failures are never baselined.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any, cast

from ci_sessions.config import Config
from ci_sessions.errors import ConfigError
from ci_sessions.results import CheckResult, Finding, Status

FORMAT_VERSION = 1

Key = tuple[str, str, str, str]  # check, rule, path, fingerprint

_NUMBER = re.compile(r"\d+")
_SPACE = re.compile(r"\s+")


# -- fingerprints -------------------------------------------------------------------------------


class SourceLines:
    """Reads each source file once; a missing or binary file has no lines."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._cache: dict[str, list[str]] = {}

    def line(self, path: str, number: int) -> str:
        if not path or number <= 0:
            return ""
        if path not in self._cache:
            try:
                text = (self.root / path).read_text(encoding="utf-8", errors="replace")
            except OSError:
                text = ""
            self._cache[path] = text.splitlines()
        lines = self._cache[path]
        return lines[number - 1] if number <= len(lines) else ""


def normalise_message(message: str) -> str:
    """The message without numbers and extra blanks ("from line 3" must not pin a line)."""
    return _SPACE.sub(" ", _NUMBER.sub("#", message)).strip()


def fingerprint(finding: Finding, sources: SourceLines) -> str:
    """A line-independent identity: the tool's own fingerprint, else a hash of what the finding is."""
    if finding.fingerprint:
        return finding.fingerprint
    source = _SPACE.sub(" ", sources.line(finding.path, finding.line)).strip()
    parts = [finding.tool, finding.rule, finding.path, normalise_message(finding.message), source]
    return hashlib.sha1("\x1f".join(parts).encode("utf-8"), usedforsecurity=False).hexdigest()[:16]


def key_of(check: str, finding: Finding, sources: SourceLines) -> Key:
    return (check, finding.rule, finding.path, fingerprint(finding, sources))


# -- the file -----------------------------------------------------------------------------------


@dataclasses.dataclass
class Baseline:
    """Accepted findings as a multiset, plus a message per key for the humans reading diffs."""

    counts: Counter[Key] = dataclasses.field(default_factory=Counter[Key])
    messages: dict[Key, str] = dataclasses.field(default_factory=dict[Key, str])

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def to_json(self) -> dict[str, Any]:
        from ci_sessions._version import __version__

        entries = [
            {
                "check": k[0],
                "rule": k[1],
                "path": k[2],
                "fingerprint": k[3],
                "count": n,
                "message": self.messages.get(k, ""),
            }
            for k, n in sorted(self.counts.items())
            if n > 0
        ]
        return {
            "version": FORMAT_VERSION,
            "generated-by": f"ci-sessions {__version__}",
            "findings": entries,
        }

    def render(self) -> str:
        return json.dumps(self.to_json(), indent=2, sort_keys=False) + "\n"


def from_results(root: Path, results: Iterable[CheckResult]) -> Baseline:
    """The baseline that accepts every finding of these results."""
    sources = SourceLines(root)
    baseline = Baseline()
    for result in results:
        for finding in result.findings:
            key = key_of(result.check, finding, sources)
            baseline.counts[key] += 1
            baseline.messages.setdefault(key, finding.message)
    return baseline


def load(path: Path) -> Baseline:
    """Read a baseline file; a malformed one is a configuration error naming the fix."""
    display = path.name
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ConfigError(
            display, "", f"unreadable baseline: {exc}", fix="run `ci-sessions baseline --update`"
        ) from None
    if not isinstance(data, dict) or not isinstance(
        cast("dict[str, Any]", data).get("findings"), list
    ):
        raise ConfigError(
            display,
            "findings",
            "not a ci-sessions baseline",
            expected='{"version": 1, "findings": [...]}',
            fix="run `ci-sessions baseline --update --allow-growth` to rewrite it",
        )
    baseline = Baseline()
    for index, raw in enumerate(cast("list[Any]", cast("dict[str, Any]", data)["findings"])):
        if not isinstance(raw, dict):
            raise ConfigError(display, f"findings[{index}]", "must be an object")
        entry = cast("dict[str, Any]", raw)
        try:
            key: Key = (
                str(entry["check"]),
                str(entry["rule"]),
                str(entry["path"]),
                str(entry["fingerprint"]),
            )
            count = int(entry.get("count", 1))
        except (KeyError, TypeError, ValueError):
            raise ConfigError(
                display,
                f"findings[{index}]",
                "needs check, rule, path, fingerprint and an integer count",
            ) from None
        baseline.counts[key] += count
        baseline.messages.setdefault(key, str(entry.get("message", "")))
    return baseline


def baseline_path(root: Path, config: Config) -> Path:
    return root / config.top.str("baseline")


# -- the runner hook ----------------------------------------------------------------------------


def apply(root: Path, config: Config, result: CheckResult) -> CheckResult:
    """Remove the findings the baseline accepts; ``metrics["baselined"]`` says how many.

    The sessions hand this to the runner, which calls it for the results of checks declared
    ``baselined`` before their ``evaluate()`` sets the gates. Without a baseline file the result is
    returned as is.
    """
    if result.status in (Status.ERROR, Status.SKIP):
        return result
    if not config.top.bool("use-baseline"):
        return result
    path = baseline_path(root, config)
    if not path.is_file():
        return result
    remaining = Counter({k: n for k, n in load(path).counts.items() if k[0] == result.check})
    sources = SourceLines(root)
    kept: list[Finding] = []
    removed = 0
    for finding in result.findings:
        key = key_of(result.check, finding, sources)
        if remaining[key] > 0:
            remaining[key] -= 1
            removed += 1
        else:
            kept.append(finding)
    metrics = dict(result.metrics)
    metrics["baselined"] = removed
    return dataclasses.replace(result, findings=kept, metrics=metrics)


# -- recording ----------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Change:
    """How a new baseline differs from the committed one."""

    added: Counter[Key]
    removed: Counter[Key]

    @property
    def grows(self) -> bool:
        return sum(self.added.values()) > 0


def compare(old: Baseline, new: Baseline) -> Change:
    return Change(added=new.counts - old.counts, removed=old.counts - new.counts)
