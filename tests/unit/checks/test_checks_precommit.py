"""The precommit check: hook rows, and hooks that call nox."""

from __future__ import annotations

from pathlib import Path

from ci_sessions.checks import precommit

PRECOMMIT_OUTPUT = """\
trim trailing whitespace.................................................Passed
no breakpoints...........................................................Failed
- hook id: no-breakpoint
- exit code: 1

src/demo/x.py:3:breakpoint()

check yaml...........................................(no files to check)Skipped
"""


def test_precommit_hook_rows_and_ids_are_parsed(tmp_path: Path) -> None:
    hooks = precommit.parse_hooks(PRECOMMIT_OUTPUT)
    assert [(h.name, h.hook_id, h.status) for h in hooks] == [
        ("trim trailing whitespace", "", "Passed"),
        ("no breakpoints", "no-breakpoint", "Failed"),
        ("check yaml", "", "Skipped"),
    ]
    (tmp_path / ".pre-commit-config.yaml").write_text(
        "repos:\n- repo: local\n  hooks:\n  - id: no-breakpoint\n    name: no breakpoints\n"
    )
    finding = precommit._hook_finding(tmp_path, hooks[1])  # pyright: ignore[reportPrivateUsage]
    assert (finding.path, finding.line, finding.rule) == (
        ".pre-commit-config.yaml",
        4,
        "no-breakpoint",
    )


def test_hooks_that_call_nox_are_found(tmp_path: Path) -> None:
    config = tmp_path / ".pre-commit-config.yaml"
    config.write_text(
        "repos:\n- repo: local\n  hooks:\n"
        "  - {id: lint, name: lint, entry: nox -s lint, language: system}\n"
        "  - {id: tests, name: tests, entry: python -m nox -s tests, language: system}\n"
        "  - {id: grep, name: grep, entry: 'breakpoint', language: pygrep}\n"
        "- repo: meta\n  hooks:\n  - id: check-hooks-apply\n"
    )
    assert precommit.nox_hooks(config) == ["lint", "tests"]
    config.write_text("repos: [")
    assert precommit.nox_hooks(config) == []
    config.write_text(
        "repos:\n- local\n- repo: local\n  hooks: {id: x}\n- repo: local\n  hooks:\n"
        "  - nox -s lint\n  - {id: lint, entry: nox -s lint}\n"
    )
    assert precommit.nox_hooks(config) == ["lint"]
    config.write_text("- repos\n")
    assert precommit.nox_hooks(config) == []
