"""A project with news fragments: towncrier (pinned, in its own uv environment) writes the
changelog, the fragments go, and the rest of the release is the same."""

from __future__ import annotations

from pathlib import Path

import pytest
from gitrepo import git
from release_projects import write_project

from ci_sessions.release.cli import main

pytestmark = pytest.mark.integration


def test_towncrier_builds_the_section_from_fragments(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    root = write_project(
        tmp_path / "tc",
        {
            "pyproject.toml": """
                [project]
                name = "tcdemo"
                version = "1.0.0"

                [tool.towncrier]
                directory = "changes"
                filename = "CHANGELOG.md"
            """,
            "CHANGELOG.md": "# Changelog\n\n<!-- towncrier release notes start -->\n\n## 1.0.0\n\n- first\n",
            "changes/12.feature.md": "Added the --json flag.\n",
            "changes/13.bugfix.md": "Fixed a crash on empty input.\n",
        },
    )
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "chore: init")
    git(root, "tag", "-a", "v1.0.0", "-m", "v1.0.0")
    git(root, "commit", "-q", "--allow-empty", "-m", "feat: json output")

    assert main(["--root", str(root), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "changelog section:\n# tcdemo 1.1.0" in out  # towncrier's own output, no progress lines
    assert "- Added the --json flag. (#12)" in out
    assert (root / "changes" / "12.feature.md").exists()

    assert main(["--root", str(root)]) == 0
    changelog = (root / "CHANGELOG.md").read_text()
    assert changelog.index("tcdemo 1.1.0") < changelog.index("## 1.0.0\n\n- first\n")
    assert "Fixed a crash on empty input. (#13)" in changelog
    assert not (root / "changes" / "12.feature.md").exists()
    changed = git(root, "show", "--name-status", "--format=", "HEAD").split("\n")
    assert "D\tchanges/12.feature.md" in changed and "M\tCHANGELOG.md" in changed
    assert git(root, "status", "--porcelain", "--untracked-files=no") == ""
    assert git(root, "describe", "--exact-match").strip() == "v1.1.0"
