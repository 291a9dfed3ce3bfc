"""Rendering the templates with jinja2: which files, their text, the answers file."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ci_sessions.scaffold import render as rendering
from ci_sessions.scaffold.answers import ANSWERS_FILE, LEGACY_ANSWERS_FILE, checked

EXPECTED = {
    ".ci-sessions-pyproject.toml",
    ".github/dependabot.yml",
    ".github/workflows/ci.yml",
    ".pre-commit-config.yaml",
    "noxfile.py",
    ANSWERS_FILE,
}


def test_every_template_file_is_rendered_without_its_suffix() -> None:
    files = rendering.render({"project_name": "demo"})
    assert set(files) == EXPECTED
    assert not any("{%" in text or "{{ " in text.replace("${{ ", "") for text in files.values())
    assert '"nox>=2025.2"' in files["noxfile.py"]
    assert files["noxfile.py"].endswith("nox.main()\n")  # the trailing newline is kept


def test_the_release_workflow_only_when_asked() -> None:
    files = rendering.render({"release": True, "project_name": "demo"})
    assert set(files) == EXPECTED | {".github/workflows/release.yml"}
    assert "https://pypi.org/p/demo" in files[".github/workflows/release.yml"]


def test_the_answers_file_holds_the_checked_answers_under_the_name_given() -> None:
    given = {"tier": "full", "os_list": ["macos-latest"]}
    files = rendering.render(given, answers_file=LEGACY_ANSWERS_FILE)
    assert ANSWERS_FILE not in files
    assert yaml.safe_load(files[LEGACY_ANSWERS_FILE]) == checked(given)


def test_github_expressions_stay_as_github_reads_them() -> None:
    workflow = rendering.render({})[".github/workflows/ci.yml"]
    assert "${{ github.workflow }}-${{ github.ref }}" in workflow
    assert "--os ubuntu-latest" in workflow


def test_plain_files_are_copied_and_droppings_left_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "plain.txt").write_text("{{ not rendered }}\n", encoding="utf-8")
    (tmp_path / "sub" / "x.cfg.jinja").write_text("tier={{ tier }}\n", encoding="utf-8")
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__" / "a.txt").write_text("x", encoding="utf-8")
    (tmp_path / "~backup.jinja").write_text("x", encoding="utf-8")
    (tmp_path / "mod.pyc").write_bytes(b"\0")
    monkeypatch.setattr(rendering, "template_dir", lambda: tmp_path)
    files = rendering.render({"tier": "full"})
    assert files == {
        "plain.txt": "{{ not rendered }}\n",
        "sub/x.cfg": "tier=full\n",
        ANSWERS_FILE: files[ANSWERS_FILE],
    }


def test_a_template_using_an_unknown_name_fails_loudly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from jinja2 import UndefinedError

    (tmp_path / "x.jinja").write_text("{{ no_such_answer }}\n", encoding="utf-8")
    monkeypatch.setattr(rendering, "template_dir", lambda: tmp_path)
    with pytest.raises(UndefinedError):
        rendering.render({})
