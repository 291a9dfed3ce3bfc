"""The answers the templates are rendered with: what each one is, and the file that keeps them.

``init`` fills every answer from what it detects (``scaffold.init.answers_for``); ``update``
re-renders with the answers recorded in the project. An answer ends up in workflow YAML, in a
``run:`` script and in the noxfile's Python, so each is checked against what it may hold before
anything is rendered: a project name with a newline, or a runner label with a ``;``, is refused,
never written into a file CI runs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ci_sessions.errors import ConfigError

#: where the answers are kept in a project
ANSWERS_FILE = ".ci-sessions-answers.yml"
#: the name ci-sessions used while it rendered with copier; a project that has it keeps it
LEGACY_ANSWERS_FILE = ".copier-answers.ci-sessions.yml"
_HEADER = (
    "# Answers of `ci-sessions init`; `ci-sessions update` re-renders with them. "
    "Do not edit by hand.\n"
)

_NO_CONTROL = re.compile(r"[^\x00-\x1f\x7f]*")
#: a requirement or install argument, written inside quotes in YAML, Python and shell variables
_REQUIREMENT = re.compile(r"[^\x00-\x1f\x7f\"'\\$`]+")
_VERSION = re.compile(r"\d+\.\d+")
#: a runner label (written unquoted into a `run:` script) or a branch (into a YAML flow list)
_LABEL = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_BRANCH = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]*")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class Question:
    """One answer: its type, its default, and what its text (or each list item) must match."""

    kind: type[str] | type[bool] | type[int] | type[list[str]]
    default: str | bool | int | tuple[str, ...]
    pattern: re.Pattern[str] = _NO_CONTROL
    expected: str = "text on one line"
    choices: tuple[str, ...] = ()


_VERSIONS = "Python versions as MAJOR.MINOR strings"
#: every answer of the templates, with its default (what a render without it uses)
QUESTIONS: dict[str, Question] = {
    "project_name": Question(str, "my-project"),
    "python_versions": Question(list, ("3.12",), _VERSION, _VERSIONS),
    "default_python": Question(str, "3.12", _VERSION, "a Python version MAJOR.MINOR"),
    "os_list": Question(list, ("ubuntu-latest",), _LABEL, "runner labels (ubuntu-latest)"),
    "monorepo": Question(bool, False),
    "tier": Question(str, "essential", choices=("essential", "extended", "full")),
    "ci_sessions_requirement": Question(str, "ci-sessions>=0.1", _REQUIREMENT, "a requirement"),
    "ci_sessions_install": Question(str, "ci-sessions==0.1.0", _REQUIREMENT, "a requirement"),
    "nox_requirement": Question(str, "nox>=2025.2", _REQUIREMENT, "a requirement"),
    "nox_install": Question(str, "nox[uv]==2026.10.20", _REQUIREMENT, "a requirement"),
    "precommit_language": Question(str, "python", choices=("python", "system")),
    "release": Question(bool, False),
    "default_branch": Question(str, "main", _BRANCH, "a branch name (letters, digits, ._/-)"),
    "coverage_threshold": Question(int, 80, expected="a whole number"),
    "add_coverage_config": Question(bool, False),
    "add_pytest_config": Question(bool, False),
    "add_ruff_config": Question(bool, False),
    "add_pyright_config": Question(bool, False),
    "package_dirs": Question(list, (), expected="folder paths"),
    "test_paths": Question(list, ("tests",), expected="folder paths"),
    "source_packages": Question(list, (), _IDENTIFIER, "import names"),
    "python_pin": Question(list, (), _VERSION, _VERSIONS),
}


def answers_file(root: Path) -> str:
    """The answers file of the project at ``root``: the one it has, else the current name."""
    for name in (ANSWERS_FILE, LEGACY_ANSWERS_FILE):
        if (root / name).exists() or (root / name).is_symlink():
            return name
    return ANSWERS_FILE


def checked(answers: Mapping[str, Any], source: str = ANSWERS_FILE) -> dict[str, Any]:
    """Every answer, defaults filled in, each checked against its question (else ConfigError).

    ``source`` names where the answers came from, for the message; unknown keys are refused so a
    misspelt answer is never silently replaced by its default.
    """
    unknown = sorted(set(answers) - set(QUESTIONS))
    if unknown:
        raise ConfigError(
            source,
            unknown[0],
            "is not an answer of the ci-sessions templates",
            expected="one of " + ", ".join(QUESTIONS),
            fix=f"remove {unknown[0]!r} from {source}",
        )
    values: dict[str, Any] = {}
    for key, question in QUESTIONS.items():
        default = question.default
        fresh = list(default) if isinstance(default, tuple) else default  # never shared
        values[key] = _check(source, key, question, answers.get(key, fresh))
    return values


def _check(source: str, key: str, question: Question, value: object) -> object:
    def refuse(problem: str) -> ConfigError:
        return ConfigError(
            source,
            key,
            problem,
            expected=question.expected if not question.choices else " | ".join(question.choices),
            fix=f"correct {key} (the option given, or its line in {source}), then rerun",
        )

    if question.kind is bool:
        if not isinstance(value, bool):
            raise refuse(f"{value!r} is not true or false")
        return value
    if question.kind is int:
        if isinstance(value, bool) or not isinstance(value, int):  # True is not a number here
            raise refuse(f"{value!r} is not a whole number")
        return value
    items: list[object] = (
        list(value)  # pyright: ignore[reportUnknownArgumentType]
        if question.kind is list and isinstance(value, (list, tuple))
        else [value]
    )
    if question.kind is list and not isinstance(value, (list, tuple)):
        raise refuse(f"{value!r} is not a list")
    for item in items:
        if not isinstance(item, str):
            raise refuse(f"{item!r} is not text")
        if not question.pattern.fullmatch(item):
            raise refuse(f"{item!r} holds characters it may not hold")
        if question.choices and item not in question.choices:
            raise refuse(f"{item!r} is not one of the choices")
    return items if question.kind is list else items[0]


def answers_text(values: Mapping[str, Any]) -> str:
    """The answers file: a header, then one sorted YAML key per answer."""
    import yaml

    body = yaml.safe_dump(
        {key: values[key] for key in sorted(values)},
        default_flow_style=False,
        allow_unicode=True,
        sort_keys=True,
    )
    return _HEADER + body
