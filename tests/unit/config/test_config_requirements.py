"""Requirement lines read with packaging (names as PEP 503 says) and PEP 735 groups resolved by
dependency-groups, a cycle being an error that names the group."""

from __future__ import annotations

from pathlib import Path

import pytest

from ci_sessions.checks.tooling import requires
from ci_sessions.config.project import load_project
from ci_sessions.config.requirements import dependency_group, pinned_spec, requirement_name
from ci_sessions.errors import ConfigError


@pytest.mark.parametrize(
    ("line", "name"),
    [
        ("Foo_Bar.baz>=1", "foo-bar-baz"),
        ("pytest-benchmark[histogram] >= 5 ; python_version > '3'", "pytest-benchmark"),
        ("ruff==0.5 --hash=sha256:abc", "ruff"),
        ("demo @ https://example.invalid/demo-1.0.whl", "demo"),
        ("-r other.txt", None),
        ("--index-url https://example.invalid", None),
        ("not a requirement !!", None),
        ("", None),
    ],
)
def test_a_line_names_its_distribution_as_pep_503_says(line: str, name: str | None) -> None:
    assert requirement_name(line) == name


@pytest.mark.parametrize(
    ("line", "pin"),
    [
        ("Ruff[x]==0.5.0 ; sys_platform != 'win32'", "ruff==0.5.0"),
        ("RUFF >= 0.8 , < 0.9", "ruff<0.9,>=0.8"),
        ("ruff==0.5 --hash=sha256:abc", "ruff==0.5"),
        ("ruff", None),
        ("ruff @ https://example.invalid/ruff.whl", None),
        ("ruffx==1", None),
    ],
)
def test_the_pin_a_line_gives_a_tool(line: str, pin: str | None) -> None:
    assert pinned_spec(line, "ruff") == pin


def test_a_check_recognises_its_tool_under_any_spelling() -> None:
    assert requires("Pytest_Benchmark[x]>=5 ; python_version>'3'", "pytest-benchmark")
    assert not requires("pytest-benchmarks>=5", "pytest-benchmark")


GROUPS = {
    "test": ["pytest", {"include-group": "Lint_Tools"}],
    "lint-tools": ["ruff==0.5.0"],
}


def test_groups_resolve_their_includes_by_normalised_name() -> None:
    assert dependency_group(GROUPS, "test", source="pyproject.toml") == ["pytest", "ruff==0.5.0"]
    assert dependency_group(GROUPS, "LINT_tools", source="pyproject.toml") == ["ruff==0.5.0"]
    assert dependency_group(GROUPS, "docs", source="pyproject.toml") is None


@pytest.mark.parametrize(
    ("groups", "problem"),
    [
        (
            {"test": [{"include-group": "lint"}], "lint": [{"include-group": "test"}]},
            "includes itself",
        ),
        ({"test": ["pytest", {"include-group": "test"}]}, "includes itself"),
        ({"test": [{"include-group": "missing"}]}, "missing"),
        ({"test": [{"include": "x"}]}, "Invalid dependency group item"),
        ({"test": "pytest"}, "string rather than a sequence"),
        ({"test": ["not a requirement !!"]}, "Expected"),
    ],
)
def test_a_cycle_or_a_malformed_group_is_an_error_naming_it(
    groups: dict[str, object], problem: str
) -> None:
    with pytest.raises(ConfigError, match=problem) as raised:
        dependency_group(groups, "test", source="pyproject.toml")
    assert raised.value.key == "dependency-groups.test"


def test_the_tests_dependencies_refuse_a_cycle_instead_of_dropping_it(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[dependency-groups]\ntest = ["pytest", {include-group = "dev"}]\n'
        'dev = ["ruff", {include-group = "test"}]\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="includes itself") as raised:
        load_project(tmp_path).test_deps([], [], [], [])
    assert "dependency-groups.test" in raised.value.render()
