"""The ruff checks: zero-tolerance selectors and the format output of old and new ruff."""

from __future__ import annotations

from pathlib import Path

import pytest

from ci_sessions.config.project import load_project

NEW_STYLE = """invalid-syntax: Expected a parameter or the end of the parameter list
 --> src/bad.py:1:7
  |
1 | def f(:
  |

unformatted: File would be reformatted
 --> src/ugly.py:1:2
  |
  - x=1
1 + x = 1
  |

unformatted: File would be reformatted
 --> README.md:3:1

1 file would be reformatted, 1 file already formatted
"""

OLD_STYLE = "Would reformat: src/ugly.py\nWould reformat: README.md\n2 files would be reformatted\n"


def _ctx(root: Path):  # type: ignore[no-untyped-def]
    from ci_sessions.checks.base import CheckContext
    from ci_sessions.config import load_config

    return CheckContext(root, load_config(root, environ={}), load_project(root), "3.11", "format")


@pytest.mark.parametrize(
    ("rule", "selected"),
    [
        ("F401", True),
        ("FLY002", False),
        ("E902", True),
        ("E501", False),
        ("F", True),
        ("FA100", False),
    ],
)
def test_zero_tolerance_uses_ruff_selector_semantics(rule: str, selected: bool) -> None:
    from ci_sessions.checks.ruff import _in_rule_set  # pyright: ignore[reportPrivateUsage]

    assert _in_rule_set(rule, ("F", "E9")) is selected


@pytest.mark.parametrize(
    ("stdout", "code", "expected"),
    [
        (NEW_STYLE, 2, [("syntax-error", "src/bad.py", 1), ("format", "src/ugly.py", 0)]),
        (OLD_STYLE, 1, [("format", "src/ugly.py", 0)]),
        ("", 0, []),
        # FORCE_COLOR=1 (GitHub workflows set it) makes ruff colour even a captured output
        (
            "\x1b[1m\x1b[91munformatted:\x1b[0m\x1b[1m File would be reformatted\x1b[0m\n"
            "  \x1b[1m\x1b[94m--> \x1b[0msrc/ugly.py:1:1\n",
            1,
            [("format", "src/ugly.py", 0)],
        ),
    ],
)
def test_format_output_of_old_and_new_ruff_is_read(
    tmp_path: Path, stdout: str, code: int, expected: list[tuple[str, str, int]]
) -> None:
    from ci_sessions.checks.base import ToolRun
    from ci_sessions.checks.ruff import _parse_format  # pyright: ignore[reportPrivateUsage]

    ctx = _ctx(tmp_path)
    findings = _parse_format(ctx, ToolRun(["ruff"], code, stdout, "", 0.1), ["*.py", "*.pyi"])
    assert findings is not None
    assert [(f.rule, f.path, f.line) for f in findings] == expected


@pytest.mark.parametrize(("stdout", "code"), [("1 file would be reformatted\n", 1), ("", 2)])
def test_format_failure_without_a_named_file_is_never_a_pass(
    tmp_path: Path, stdout: str, code: int
) -> None:
    from ci_sessions.checks.base import ToolRun
    from ci_sessions.checks.ruff import _parse_format  # pyright: ignore[reportPrivateUsage]

    assert _parse_format(_ctx(tmp_path), ToolRun(["ruff"], code, stdout, "", 0.1), ["*.py"]) is None


def test_the_files_ruff_checked_are_counted_from_its_own_listing_and_summary() -> None:
    from ci_sessions.checks.ruff import count_formatted_files, count_listed_files

    assert count_listed_files("/p/a.py\n/p/pyproject.toml\n\n") == 2
    assert count_listed_files("") == 0
    assert count_formatted_files(NEW_STYLE) == 2
    assert count_formatted_files("3 files already formatted\n") == 3
    assert count_formatted_files("1 file would be reformatted, 12 files already formatted") == 13
    assert count_formatted_files("warning: No Python files found under the given path(s)\n") == 0
    assert count_formatted_files("something else entirely") is None


def test_the_formatted_file_count_is_read_through_colour() -> None:
    from ci_sessions.checks.ruff import count_formatted_files

    coloured = "\x1b[1m2 files would be reformatted\x1b[0m, \x1b[1m5 files already formatted\x1b[0m"
    assert count_formatted_files(coloured) == 7


def _would_reformat(*paths: str) -> str:
    return (
        "".join(f"Would reformat: {p}\n" for p in paths)
        + f"{len(paths)} files would be reformatted\n"
    )


@pytest.mark.parametrize(
    ("include", "counted"),
    [
        # the default, format.include = ["*.py", "*.pyi"]: Python files at any depth
        (["*.py", "*.pyi"], ["a.py", "src/pkg/b.py", "src/pkg/c.pyi"]),
        # a pattern with a slash starts at the project root, * stays inside one folder
        (["src/*.py"], []),
        (["src/**/*.py"], ["src/pkg/b.py"]),
        # a folder takes everything below it; ! takes a file back out
        (["src", "!*.pyi"], ["src/pkg/b.py", "src/pkg/notes.md"]),
        (["/a.py", "*.md"], ["a.py", "src/pkg/notes.md"]),
    ],
)
def test_format_include_reads_like_a_gitignore(
    tmp_path: Path, include: list[str], counted: list[str]
) -> None:
    from ci_sessions.checks.base import ToolRun
    from ci_sessions.checks.ruff import _parse_format  # pyright: ignore[reportPrivateUsage]

    listed = ("a.py", "src/pkg/b.py", "src/pkg/c.pyi", "src/pkg/notes.md")
    findings = _parse_format(_ctx(tmp_path), ToolRun(["ruff"], 1, _would_reformat(*listed), "", 0.1), include)  # fmt: skip
    assert findings is not None
    assert [f.path for f in findings] == counted
