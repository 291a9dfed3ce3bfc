"""Failure classification: a category and a stable signature for every failed check.

Categories come from ordered rules in ``configs/failure-rules.yaml`` (regexes on the tool's
output plus the structured facts: check, status, findings, failed tests), so a team can add its
own without code. The signature is a hash of the check, the category and the error message with
paths, numbers and hashes stripped, so the same failure groups across runs, machines and lines.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from ci_sessions.results import CheckResult, Status

if TYPE_CHECKING:
    from ci_sessions.junit import TestOutcome

RULES_FILE = "failure-rules.yaml"
_RULE_KEYS = {"category", "pattern", "checks", "status", "findings", "finding-rule", "why"}


@dataclass(frozen=True)
class Rule:
    """One classification rule; every condition it sets must hold."""

    category: str
    pattern: re.Pattern[str] | None = None
    checks: tuple[str, ...] = ()
    status: tuple[str, ...] = ()
    findings: bool | None = None
    finding_rule: re.Pattern[str] | None = None


@dataclass(frozen=True)
class Classification:
    category: str
    signature: str
    message: str


def load_rules(path: Path | None = None) -> tuple[Rule, ...]:
    """The rules of ``path`` (default: the packaged file), validated; ConfigError names the key."""
    from ci_sessions._fs import config_file
    from ci_sessions.errors import ConfigError

    path = path or config_file(RULES_FILE)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(path.name, "", f"cannot read rules: {exc}") from None
    return _parse_rules(text, path.name)


@functools.lru_cache(maxsize=8)
def _parse_rules(text: str, source: str) -> tuple[Rule, ...]:
    import yaml

    from ci_sessions.errors import ConfigError

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(source, "", f"invalid YAML: {exc}") from None
    raw = cast("dict[str, Any]", data).get("rules") if isinstance(data, dict) else None
    if not isinstance(raw, list):
        raise ConfigError(source, "rules", "missing", expected="a list of rules under `rules:`")
    rules: list[Rule] = []
    for index, item in enumerate(cast("list[Any]", raw)):
        key = f"rules[{index}]"
        if not isinstance(item, dict):
            raise ConfigError(
                source, key, "must be a mapping", expected="category: ..., pattern: ..."
            )
        entry = cast("dict[str, Any]", item)
        unknown = sorted(set(entry) - _RULE_KEYS)
        if unknown:
            raise ConfigError(
                source, f"{key}.{unknown[0]}", "unknown key", expected=", ".join(sorted(_RULE_KEYS))
            )
        category = entry.get("category")
        if not isinstance(category, str) or not category:
            raise ConfigError(source, f"{key}.category", "missing", expected="a category name")
        rules.append(
            Rule(
                category=category,
                pattern=_regex(entry.get("pattern"), source, f"{key}.pattern"),
                checks=_names(entry.get("checks"), source, f"{key}.checks"),
                status=_names(entry.get("status"), source, f"{key}.status"),
                findings=_bool(entry.get("findings"), source, f"{key}.findings"),
                finding_rule=_regex(entry.get("finding-rule"), source, f"{key}.finding-rule"),
            )
        )
    return tuple(rules)


def _regex(value: object, source: str, key: str) -> re.Pattern[str] | None:
    from ci_sessions.errors import ConfigError

    if value is None:
        return None
    if isinstance(value, list) and all(isinstance(v, str) for v in cast("list[Any]", value)):
        value = "|".join(f"(?:{v})" for v in cast("list[str]", value))
    if not isinstance(value, str):
        raise ConfigError(
            source, key, "wrong type", expected="a regular expression or a list of them"
        )
    try:
        return re.compile(value, re.MULTILINE)
    except re.error as exc:
        raise ConfigError(
            source, key, f"invalid regular expression: {exc}", fix="escape it"
        ) from None


def _names(value: object, source: str, key: str) -> tuple[str, ...]:
    from ci_sessions.errors import ConfigError

    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in cast("list[Any]", value)):
        raise ConfigError(source, key, "wrong type", expected="a list of strings")
    return tuple(cast("list[str]", value))


def _bool(value: object, source: str, key: str) -> bool | None:
    from ci_sessions.errors import ConfigError

    if value is None or isinstance(value, bool):
        return value
    raise ConfigError(source, key, "wrong type", expected="true or false")


def classify_failure(
    result: CheckResult,
    rules: Sequence[Rule] | None = None,
    tests: Sequence[TestOutcome] = (),
) -> Classification | None:
    """The category and signature of a failed (FAIL/ERROR) result; None for anything else."""
    if not result.status.blocking:
        return None
    failed = [t for t in tests if t.outcome in ("failed", "error")]
    for rule in load_rules() if rules is None else rules:
        message = _match(rule, result, failed)
        if message is not None:
            return Classification(
                rule.category, signature(result.check, rule.category, message), message
            )
    message = _first_line(result.summary) or result.status.value
    category = "tool error" if result.status is Status.ERROR else "unknown"
    return Classification(category, signature(result.check, category, message), message)


def _match(rule: Rule, result: CheckResult, failed: Sequence[TestOutcome]) -> str | None:
    """The message the rule explains, or None when the rule does not apply."""
    if rule.checks and result.check not in rule.checks:
        return None
    if rule.status and result.status.value not in rule.status:
        return None
    if rule.findings is not None and bool(result.findings) != rule.findings:
        return None
    message = ""
    if rule.finding_rule is not None:
        hits = sorted({f.rule for f in result.findings if rule.finding_rule.search(f.rule)})
        if not hits:
            return None
        message = ", ".join(hits)
    elif rule.findings:
        message = ", ".join(sorted({f.rule for f in result.findings}))
    if rule.pattern is not None:
        texts = [result.output, result.summary, *(f"{t.test_id}: {t.message}" for t in failed)]
        found = next((m for m in (rule.pattern.search(t) for t in texts if t) if m), None)
        if found is None:
            return None
        if not message:
            message = _line_of(found)
    if not message and failed:
        first = failed[0]
        message = f"{first.test_id}: {_first_line(first.message)}"
    return message or _first_line(result.summary) or rule.category


def _line_of(match: re.Match[str]) -> str:
    text = match.string
    start = text.rfind("\n", 0, match.start()) + 1
    end = text.find("\n", match.start())
    return text[start : end if end >= 0 else len(text)].strip()


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


_PATH = re.compile(r"(?:[A-Za-z]:)?(?:[\w.~-]*[/\\])+[\w.-]+")
_HEX = re.compile(r"\b0x[0-9a-fA-F]+\b|\b[0-9a-f]{7,64}\b")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_SPACE = re.compile(r"\s+")


def normalise(message: str) -> str:
    """The message with what varies between occurrences removed: paths, hashes, numbers."""
    text = _PATH.sub("<path>", message)
    text = _HEX.sub("<hex>", text)
    text = _NUMBER.sub("N", text)
    return _SPACE.sub(" ", text).strip()[:300]


def signature(check: str, category: str, message: str) -> str:
    """A 12-hex-digit id shared by every occurrence of the same failure."""
    digest = hashlib.sha256(f"{check}\n{category}\n{normalise(message)}".encode()).hexdigest()
    return digest[:12]
