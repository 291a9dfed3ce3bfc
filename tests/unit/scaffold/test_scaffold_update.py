"""``ci-sessions update`` of a project adopted while ci-sessions rendered with copier."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from ci_sessions.scaffold import init as scaffold
from ci_sessions.scaffold import update as scaffold_update
from ci_sessions.scaffold.answers import ANSWERS_FILE, LEGACY_ANSWERS_FILE

COPIER_HEADER = (
    "# Answers of `ci-sessions init` (copier); `ci-sessions update` re-renders with them. "
    "Do not edit by hand.\n"
)


def _git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=root,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


@pytest.fixture
def legacy(tmp_path: Path) -> Path:
    """A project as copier-era ci-sessions left it: its answers under the copier name, an older
    noxfile, committed; then the project edits its workflow."""
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "demo"\nversion = "0.1"\nrequires-python = ">=3.11"\n'
        'classifiers = ["Programming Language :: Python :: 3.11"]\n',
        encoding="utf-8",
    )
    (tmp_path / "src" / "demo").mkdir(parents=True)
    (tmp_path / "src" / "demo" / "__init__.py").write_text("", encoding="utf-8")
    assert scaffold.main([str(tmp_path), "--no-baseline", "--tier", "extended"]) == 0
    new = tmp_path / ANSWERS_FILE
    body = new.read_text(encoding="utf-8").split("\n", 1)[1]
    (tmp_path / LEGACY_ANSWERS_FILE).write_text(COPIER_HEADER + body, encoding="utf-8")
    new.unlink()
    noxfile = tmp_path / "noxfile.py"
    noxfile.write_text(noxfile.read_text(encoding="utf-8") + "# an older template\n")
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-qm", "adopt ci-sessions (copier era)")
    workflow = tmp_path / ".github" / "workflows" / "ci.yml"
    edited = workflow.read_text(encoding="utf-8").replace(
        "  workflow_dispatch:\n", "  workflow_dispatch:\n  schedule:\n    - cron: '0 3 * * 1'\n"
    )
    workflow.write_text(edited, encoding="utf-8")
    return tmp_path


def test_a_copier_era_project_updates_under_its_own_answers_file(
    legacy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert scaffold.load_answers(legacy)["tier"] == "extended"  # the copier-era answers are read
    assert scaffold_update.main([str(legacy)]) == 0
    out = capsys.readouterr().out
    assert not (legacy / ANSWERS_FILE).exists()  # no second answers file
    answers = (legacy / LEGACY_ANSWERS_FILE).read_text(encoding="utf-8")
    assert answers.startswith("# Answers of `ci-sessions init`;")
    assert "tier: extended\n" in answers  # the recorded choice persists
    # the unedited file is replaced by the current template, the edited one keeps its edit
    assert "# an older template" not in (legacy / "noxfile.py").read_text(encoding="utf-8")
    assert "updated   noxfile.py: updated (the project had not edited it)" in out
    workflow = (legacy / ".github" / "workflows" / "ci.yml").read_text(encoding="utf-8")
    assert "cron: '0 3 * * 1'" in workflow
    assert "\n  extended:\n" in workflow


def test_the_merge_base_is_the_commit_of_the_legacy_answers_file(legacy: Path) -> None:
    head = _git(legacy, "rev-parse", "HEAD").strip()
    (legacy / "unrelated.txt").write_text("x", encoding="utf-8")
    _git(legacy, "add", "unrelated.txt")
    _git(legacy, "commit", "-qm", "later work")
    assert scaffold_update.base_commit(legacy) == head
