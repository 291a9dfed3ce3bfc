"""$GITHUB_OUTPUT / $GITHUB_ENV / $GITHUB_PATH files, parsed as GitHub's runner parses them."""

from __future__ import annotations

from pathlib import Path

import pytest

from ci_sessions.ci.commands import parse_key_values, read_key_values, read_paths
from ci_sessions.errors import CommandFileError


def test_name_value_lines() -> None:
    text = 'matrix={"include": []}\nempty=\n\nwith=equals=inside\n'
    assert parse_key_values(text, "GITHUB_OUTPUT") == {
        "matrix": '{"include": []}',
        "empty": "",
        "with": "equals=inside",
    }


def test_heredoc_values_keep_their_lines() -> None:
    text = "notes<<EOF\nfirst line\n\nthird = line\nEOF\nafter=1\n"
    assert parse_key_values(text, "GITHUB_OUTPUT") == {
        "notes": "first line\n\nthird = line",
        "after": "1",
    }


def test_a_later_value_wins_and_crlf_is_read() -> None:
    assert parse_key_values("a=1\r\na=2\r\n", "GITHUB_ENV") == {"a": "2"}


def test_equals_before_heredoc_marker_is_a_plain_value() -> None:
    assert parse_key_values("x=a<<b\n", "GITHUB_OUTPUT") == {"x": "a<<b"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("just text\n", "invalid line"),
        ("=value\n", "empty name"),
        ("notes<<EOF\nnever closed\n", "matching delimiter 'EOF' not found"),
        ("notes<<\nx\n", "empty heredoc delimiter"),
    ],
)
def test_malformed_files_fail_like_on_github(text: str, message: str) -> None:
    with pytest.raises(CommandFileError, match=message):
        parse_key_values(text, "GITHUB_OUTPUT")


def test_missing_files_are_empty_and_path_lines_prepend(tmp_path: Path) -> None:
    assert read_key_values(tmp_path / "absent", "GITHUB_OUTPUT") == {}
    paths = tmp_path / "path"
    paths.write_text("/first\n\n/second\n")
    assert read_paths(paths) == ["/second", "/first"]
