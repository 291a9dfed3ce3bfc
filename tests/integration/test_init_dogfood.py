"""Dogfood: this repository's own CI files are exactly what `ci-sessions init` renders for it."""

from __future__ import annotations

from pathlib import Path

import pytest

from ci_sessions.scaffold import init as scaffold
from ci_sessions.scaffold.facts import detect

ROOT = Path(__file__).resolve().parents[2]
DOGFOODED = [
    ".github/workflows/ci.yml",
    ".github/dependabot.yml",
    ".ci-sessions-answers.yml",
    # one hook, `nox -s essential`: this repository's essential runs the fast tests only
    # (tests/conftest.py), so its pre-commit runs exactly what init renders
    ".pre-commit-config.yaml",
]


@pytest.fixture(scope="module")
def rendered() -> dict[str, str]:
    # the committed answers pin the choices (e.g. the quick-check Python), so every CI cell
    # renders the same files whatever Python runs the test
    answers = scaffold.answers_for(detect(ROOT), scaffold.load_answers(ROOT), {})
    # what init writes: the render, with its Python passed through this repository's ruff
    rendered, note = scaffold.render_tidied(ROOT, answers)
    assert "checked and formatted" in note, note
    return rendered


@pytest.mark.parametrize("path", DOGFOODED)
def test_own_file_is_what_init_renders(rendered: dict[str, str], path: str) -> None:
    own = (ROOT / path).read_text(encoding="utf-8")
    assert own == rendered[path], (
        f"{path} drifted from templates/: rerun the render or fix the template"
    )


def test_own_workflow_installs_ci_sessions_from_the_checkout(rendered: dict[str, str]) -> None:
    assert 'CIS_PACKAGE: "."' in rendered[".github/workflows/ci.yml"]
    assert "language: system" in rendered[".pre-commit-config.yaml"]


def test_own_noxfile_is_what_init_renders_plus_one_session(rendered: dict[str, str]) -> None:
    # the repository adds one session of its own (bench-framework) before the __main__ block
    own = (ROOT / "noxfile.py").read_text(encoding="utf-8")
    head, main = rendered["noxfile.py"].split('\nif __name__ == "__main__":')
    assert own.startswith(head)
    assert own.endswith('\nif __name__ == "__main__":' + main)
    added = own[len(head) : -len(main)]
    assert added.count("@nox.session(") == 1
    assert 'name="bench-framework"' in added
