"""The reference pages are generated from the code: regenerating them changes nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_reference_pages_match_the_code() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_reference.py"), "--check"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_setting_and_every_command_is_on_its_page() -> None:
    from ci_sessions.cli import COMMANDS
    from ci_sessions.config.schema import TOP_LEVEL

    settings = (ROOT / "docs" / "reference" / "settings.md").read_text(encoding="utf-8")
    for key, field in TOP_LEVEL.items():
        if field.kind == "table" and field.children:
            assert f"## `[tool.ci-sessions.{key}]`" in settings
            for child in field.children:
                assert f"| `{child}` |" in settings, f"{key}.{child}"
        else:
            assert f"| `{key}` |" in settings
    cli_page = (ROOT / "docs" / "reference" / "cli.md").read_text(encoding="utf-8")
    for command in COMMANDS:
        assert f"## ci-sessions {command}\n" in cli_page
