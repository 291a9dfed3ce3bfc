"""Dogfood: this repository's own CI files are exactly what `ci-sessions init` renders for it."""

from __future__ import annotations

from pathlib import Path

import pytest

from ci_sessions import scaffold
from ci_sessions.scaffold_detect import detect
from ci_sessions.scaffold_render import render

ROOT = Path(__file__).resolve().parents[2]
DOGFOODED = [
    ".github/workflows/ci.yml",
    ".github/dependabot.yml",
    ".copier-answers.ci-sessions.yml",
]


@pytest.fixture(scope="module")
def rendered() -> dict[str, str]:
    # the committed answers pin the choices (e.g. the quick-check Python), so every CI cell
    # renders the same files whatever Python runs the test
    answers = scaffold.answers_for(detect(ROOT), scaffold.load_answers(ROOT), {})
    return render(answers)


@pytest.mark.parametrize("path", DOGFOODED)
def test_own_file_is_what_init_renders(rendered: dict[str, str], path: str) -> None:
    own = (ROOT / path).read_text(encoding="utf-8")
    assert own == rendered[path], (
        f"{path} drifted from templates/: rerun the render or fix the template"
    )


def test_own_workflow_installs_ci_sessions_from_the_checkout(rendered: dict[str, str]) -> None:
    assert 'CI_SESSIONS_INSTALL: "."' in rendered[".github/workflows/ci.yml"]
    assert "language: system" in rendered[".pre-commit-config.yaml"]
