"""Security levels: which severities fail the sast and audit gates (configs/security-profiles.yaml).

The level is a project decision, not a tool option, so it lives in one packaged file that every
security check reads the same way; a check's own ``security-level`` overrides the top-level one.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ci_sessions.checks import tooljson
from ci_sessions.errors import ConfigError

if TYPE_CHECKING:
    from ci_sessions.config import Config

PROFILES = "configs/security-profiles.yaml"
#: bandit's scale and the advisory scale (GHSA says MODERATE, CVSS says MEDIUM)
RANKS = {"UNDEFINED": 0, "LOW": 1, "MEDIUM": 2, "MODERATE": 2, "HIGH": 3, "CRITICAL": 4}


@dataclass(frozen=True)
class SastPolicy:
    """A bandit finding fails when both its severity and its confidence reach these."""

    severity: str
    confidence: str

    def blocks(self, severity: str, confidence: str) -> bool:
        return rank(severity) >= rank(self.severity) and rank(confidence) >= rank(self.confidence)


@dataclass(frozen=True)
class AuditPolicy:
    """A vulnerability fails when its severity reaches ``severity`` and, unless ``unfixed``, it has a fix."""

    severity: str
    unfixed: bool
    unknown_severity: str

    def blocks(self, severity: str, fixed: bool) -> bool:
        effective = severity.upper() if severity else self.unknown_severity
        if not fixed and not self.unfixed:
            return False
        return rank(effective) >= rank(self.severity)


@dataclass(frozen=True)
class Level:
    name: str
    description: str
    sast: SastPolicy
    audit: AuditPolicy


def rank(severity: str) -> int:
    """Position of a severity word on the common LOW..CRITICAL scale (unknown words rank 0)."""
    return RANKS.get(severity.strip().upper(), 0)


def level_name(config: Config, check: str) -> str:
    """The check's own level when set, else the project's ``security-level``."""
    own = (
        config.section(check).str("security-level")
        if "security-level" in config.section(check).values
        else ""
    )
    return own or config.top.str("security-level")


def level_for(config: Config, check: str) -> Level:
    """The policy that decides which findings of ``check`` fail its gate."""
    name = level_name(config, check)
    levels = load_levels()
    if name not in levels:
        raise ConfigError(
            PROFILES,
            f"levels.{name}",
            "security level is not defined",
            expected="one of " + ", ".join(sorted(levels)),
        )
    return levels[name]


@functools.cache
def load_levels() -> dict[str, Level]:
    """Parse and validate the packaged security profiles."""
    import yaml

    from ci_sessions._fs import config_file

    try:
        data = yaml.safe_load(config_file("security-profiles.yaml").read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(PROFILES, "", f"cannot read: {exc}") from None
    if not tooljson.is_mapping(data):
        raise ConfigError(PROFILES, "", "must be a mapping")
    unknown = str(data.get("unknown-severity", "HIGH")).upper()
    raw_levels = data.get("levels")
    if not tooljson.is_mapping(raw_levels) or not raw_levels:
        raise ConfigError(
            PROFILES, "levels", "missing", expected="a mapping of level name -> policy"
        )
    levels: dict[str, Level] = {}
    for key, raw in raw_levels.items():
        name = str(key)
        body: Mapping[object, object] = raw if tooljson.is_mapping(raw) else {}
        sast = _mapping(body, "sast", name)
        audit = _mapping(body, "audit", name)
        levels[name] = Level(
            name=name,
            description=str(body.get("description", "")),
            sast=SastPolicy(
                _word(sast, "severity", name, "sast"), _word(sast, "confidence", name, "sast")
            ),
            audit=AuditPolicy(
                _word(audit, "severity", name, "audit"), bool(audit.get("unfixed", False)), unknown
            ),
        )
    return levels


def _mapping(body: Mapping[object, object], key: str, level: str) -> Mapping[object, object]:
    value = body.get(key)
    if not tooljson.is_mapping(value):
        raise ConfigError(PROFILES, f"levels.{level}.{key}", "missing or not a mapping")
    return value


def _word(body: Mapping[object, object], key: str, level: str, check: str) -> str:
    value = str(body.get(key, "")).upper()
    if value not in RANKS:
        raise ConfigError(
            PROFILES,
            f"levels.{level}.{check}.{key}",
            f"unknown severity {value!r}",
            expected="one of LOW, MEDIUM, HIGH, CRITICAL",
        )
    return value
