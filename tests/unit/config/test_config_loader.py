"""Config merge order, validation and error messages."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from ci_sessions.config import env_name, load_config
from ci_sessions.errors import ConfigError


def project(tmp_path: Path, table: str) -> Path:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\nversion = "1"\n\n' + textwrap.dedent(table), encoding="utf-8"
    )
    return tmp_path


def test_packaged_defaults_without_a_pyproject(tmp_path: Path) -> None:
    config = load_config(tmp_path, environ={})
    assert config.tiers["essential"] == ["lint", "format", "typecheck", "tests"]
    assert config.section("lint").str_list("zero-tolerance") == ["F", "E9"]
    assert config.section("lint").int("max-findings") == 0
    assert config.tools["ruff"].startswith("ruff==")
    assert config.is_default("lint.max-findings")


def test_pyproject_overrides_defaults_and_env_overrides_both(tmp_path: Path) -> None:
    root = project(
        tmp_path,
        """
        [tool.ci-sessions]
        jobs = 3
        python = ["3.11", "3.12"]

        [tool.ci-sessions.lint]
        max-findings = 5

        [tool.ci-sessions.tools]
        ruff = "ruff==0.15.0"
        """,
    )
    config = load_config(
        root, environ={"CI_SESSIONS_LINT_MAX_FINDINGS": "7", "CI_SESSIONS_PYTHON": "3.13"}
    )
    assert config.top.int("jobs") == 3
    assert config.python == ["3.13"]
    assert config.section("lint").int("max-findings") == 7
    assert (
        config.source_of("lint.max-findings")
        == "environment variable CI_SESSIONS_LINT_MAX_FINDINGS"
    )
    assert config.source_of("jobs") == "pyproject.toml"
    # sibling keys of an overridden table keep their defaults
    assert config.section("lint").str_list("zero-tolerance") == ["F", "E9"]
    # a map merges per key: the project's ruff pin, the packaged pyright pin
    assert config.tools["ruff"] == "ruff==0.15.0"
    assert config.tools["pyright"].startswith("pyright==")
    assert not config.is_default("tools.ruff")


def test_config_is_frozen(tmp_path: Path) -> None:
    config = load_config(tmp_path, environ={})
    with pytest.raises(TypeError):
        config.values["jobs"] = 4  # type: ignore[index]


@pytest.mark.parametrize(
    ("table", "key", "fragment", "suggestion"),
    [
        ("[tool.ci-sessions]\njobz = 2\n", "jobs", "unknown key", "jobs"),
        (
            "[tool.ci-sessions.lint]\nmax-finding = 2\n",
            "lint.max-finding",
            "unknown key",
            "lint.max-findings",
        ),
        (
            "[tool.ci-sessions.lint]\nmax_findings = 2\n",
            "lint.max_findings",
            "unknown key",
            "lint.max-findings",
        ),
        ('[tool.ci-sessions]\njobs = "two"\n', "jobs", "wrong type", None),
        ('[tool.ci-sessions]\nvenv-backend = "uvv"\n', "venv-backend", "invalid value", "uv"),
        ("[tool.ci-sessions]\njobs = -1\n", "jobs", "too small", None),
        ('[tool.ci-sessions]\npython = "3.12"\n', "python", "wrong type", None),
        (
            '[tool.ci-sessions.tiers]\nextended = ["essentail"]\n',
            "tiers.extended",
            "unknown check or tier",
            "essential",
        ),
        ('[tool.ci-sessions]\nexclude = ["lnt"]\n', "exclude", "unknown session", "lint"),
        (
            '[tool.ci-sessions.tiers]\nlint = ["format"]\n',
            "tiers.lint",
            "cannot be named like the check",
            None,
        ),
    ],
)
def test_bad_project_config_names_file_key_expectation_and_close_match(
    tmp_path: Path, table: str, key: str, fragment: str, suggestion: str | None
) -> None:
    root = project(tmp_path, table)
    with pytest.raises(ConfigError) as caught:
        load_config(root, environ={})
    message = caught.value.render()
    assert "pyproject.toml [tool.ci-sessions]" in message
    assert key.split(".")[-1] in message
    assert fragment in message
    if suggestion:
        assert f"did you mean `{suggestion}`?" in message
    assert "expected" in message or "cannot be named" in message


def test_invalid_toml_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.ci-sessions\njobs = 2\n")
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path, environ={})
    assert "pyproject.toml" in caught.value.render()
    assert "invalid TOML" in caught.value.render()


def test_tier_cycle_is_reported(tmp_path: Path) -> None:
    from ci_sessions.config.tiers import expand_tier

    root = project(tmp_path, '[tool.ci-sessions.tiers]\na = ["b"]\nb = ["a", "lint"]\n')
    config = load_config(root, environ={})
    with pytest.raises(ConfigError) as caught:
        expand_tier(config.tiers, "a")
    assert "a -> b -> a" in caught.value.render()


@pytest.mark.parametrize(
    ("name", "value", "fragment"),
    [
        ("CI_SESSIONS_LINT_MAX_FINDNGS", "1", "did you mean `CI_SESSIONS_LINT_MAX_FINDINGS`?"),
        ("CI_SESSIONS_JOBS", "many", "expected: an integer"),
        ("CI_SESSIONS_CACHE", "perhaps", "expected: true or false"),
    ],
)
def test_bad_environment_override(tmp_path: Path, name: str, value: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path, environ={name: value})
    message = caught.value.render()
    assert name in message
    assert fragment in message


def test_environment_values_are_parsed_by_type(tmp_path: Path) -> None:
    config = load_config(
        tmp_path,
        environ={
            "CI_SESSIONS_CACHE": "false",
            "CI_SESSIONS_LINT_ZERO_TOLERANCE": "F,E9,B",
            "CI_SESSIONS_TESTS_ARGS": '["-x", "-q"]',
            "CI_SESSIONS_TOOLS_RUFF": "ruff==0.16.0",
        },
    )
    assert config.top.bool("cache") is False
    assert config.section("lint").str_list("zero-tolerance") == ["F", "E9", "B"]
    assert config.section("tests").str_list("args") == ["-x", "-q"]
    assert config.tools["ruff"] == "ruff==0.16.0"


def test_env_name_mapping() -> None:
    assert env_name("lint.max-findings") == "CI_SESSIONS_LINT_MAX_FINDINGS"
    assert env_name("jobs") == "CI_SESSIONS_JOBS"
