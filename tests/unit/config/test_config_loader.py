"""Config merge order, validation and error messages."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from ci_sessions.config import env_name, load_config
from ci_sessions.config.loader import _validate_value
from ci_sessions.config.schema import Field
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
        # a new tier spelt nearly like a packaged one is a typo: the packaged tier stays as it was
        (
            '[tool.ci-sessions.tiers]\nessentail = ["lint"]\n',
            "tiers.essentail",
            "a new tier named like the tier 'essential'",
            "essential",
        ),
        ("[tool.ci-sessions.tests]\nshards = 0\n", "tests.shards", "wrong type", None),
        ('[tool.ci-sessions.tests]\nshards = "0"\n', "tests.shards", "wrong type", None),
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
    assert "expected" in message or "cannot be named" in message or "tier named like" in message


@pytest.mark.parametrize("name", ["extended-docs", "nightly", "quick", "full-py"])
def test_a_new_tier_with_its_own_name_is_accepted(tmp_path: Path, name: str) -> None:
    root = project(tmp_path, f'[tool.ci-sessions.tiers]\n{name} = ["lint"]\n')
    assert load_config(root, environ={}).tiers[name] == ["lint"]


def test_shards_says_the_smallest_it_takes(tmp_path: Path) -> None:
    root = project(tmp_path, "[tool.ci-sessions.tests]\nshards = 0\n")
    with pytest.raises(ConfigError, match=r'a whole number >= 1 or "auto"'):
        load_config(root, environ={})
    assert load_config(project(tmp_path, "[tool.ci-sessions.tests]\nworkers = 0\n"), environ={})


def test_invalid_toml_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.ci-sessions\njobs = 2\n")
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path, environ={})
    assert "pyproject.toml" in caught.value.render()
    assert "invalid TOML" in caught.value.render()


def test_tier_cycle_is_reported_when_loading_whatever_runs(tmp_path: Path) -> None:
    # a cycle between tiers nobody runs is still an error on every command
    root = project(tmp_path, '[tool.ci-sessions.tiers]\na = ["b"]\nb = ["a", "lint"]\n')
    with pytest.raises(ConfigError) as caught:
        load_config(root, environ={})
    assert "a -> b -> a" in caught.value.render()
    assert "pyproject.toml [tool.ci-sessions]" in caught.value.render()


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


# -- values no command reads are validated all the same (issue 12 item 19) --------------------


@pytest.mark.parametrize(
    ("table", "key", "fragment"),
    [
        ('[tool.ci-sessions]\npython = ["3.12", "banana"]\n', "python", "not a Python version"),
        ('[tool.ci-sessions]\npython = ["3.12; rm -rf ~"]\n', "python", "not a Python version"),
        ('[tool.ci-sessions]\npython = ["!!python/object:os.system"]\n', "python", "not a Python"),
        ('[tool.ci-sessions]\npython = ["2.7"]\n', "python", "Python 2.7 is not supported"),
        ('[tool.ci-sessions]\ndefault-python = "3.7"\n', "default-python", "not supported"),
        ("[tool.ci-sessions.coverage]\nmin = 150\n", "coverage.min", "150 is too large"),
        ("[tool.ci-sessions.coverage]\nmin = nan\n", "coverage.min", "not a finite number"),
        ("[tool.ci-sessions.bench]\nmax-time = inf\n", "bench.max-time", "not a finite number"),
        ('[tool.ci-sessions.tools]\nruff = "ruff==0.17.6; rm -rf /"\n', "tools.ruff", "not a req"),
        (
            '[tool.ci-sessions.changes.sessions]\ndocz = ["docs"]\n',
            "changes.sessions.docz",
            "categ",
        ),
        (
            '[[tool.ci-sessions.sast.allow]]\nid = "B101"\nreason = "x"\nexpires = "soon"\n',
            "sast.allow[0].expires",
            "not a date",
        ),
    ],
)
def test_values_are_validated_whatever_the_command_uses(
    tmp_path: Path, table: str, key: str, fragment: str
) -> None:
    root = project(tmp_path, table)
    with pytest.raises(ConfigError) as caught:
        load_config(root, environ={})
    message = caught.value.render()
    assert f"pyproject.toml [tool.ci-sessions]: {key}" in message
    assert fragment in message


@pytest.mark.parametrize(
    ("name", "value", "fragment"),
    [
        ("CI_SESSIONS_COVERAGE_MIN", "150", "150.0 is too large"),
        ("CI_SESSIONS_COVERAGE_MIN", "nan", "not a finite number"),
        ("CI_SESSIONS_PYTHON", "3.12,banana", "not a Python version"),
        ("CI_SESSIONS_PYTHON", "2.7", "not supported"),
        ("CI_SESSIONS_TIERS_QUICK", "lint,typechek", "unknown check or tier 'typechek'"),
        ("CI_SESSIONS_TIERS", '{"a": ["b"], "b": ["a"]}', "tiers include each other"),
        ("CI_SESSIONS_TOOLS", "[[[[[[", "cannot parse"),
    ],
)
def test_environment_values_are_validated_like_pyproject_values(
    tmp_path: Path, name: str, value: str, fragment: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path, environ={name: value})
    message = caught.value.render()
    assert name in message
    assert fragment in message


def test_a_date_in_an_allow_list_is_kept(tmp_path: Path) -> None:
    import datetime as dt

    root = project(
        tmp_path,
        '[[tool.ci-sessions.audit.allow]]\nid = "PYSEC-1"\nreason = "x"\nexpires = 2027-06-30\n',
    )
    allow = load_config(root, environ={}).values["audit"]["allow"]
    assert allow[0]["expires"] == dt.date(2027, 6, 30)


# -- one rule for CI_SESSIONS_* at every depth (issue 12 item 23) ------------------------------


def test_every_schema_key_has_exactly_the_variable_the_rule_gives(tmp_path: Path) -> None:
    from ci_sessions.config.env_vars import resolve, variables

    merged = load_config(tmp_path, environ={}).values
    for variable in variables():
        if variable.member:
            continue
        assert variable.name == env_name(variable.key)
        assert resolve(variable.name, merged) == (variable.key, variable.field), variable


@pytest.mark.parametrize(
    ("environ", "key", "expected"),
    [
        # a new member of a map, per member
        ({"CI_SESSIONS_TIERS_QUICK": "lint,format"}, "tiers.quick", ("lint", "format")),
        # an existing member is matched whatever its dashes
        (
            {"CI_SESSIONS_TOOLS_PIP_AUDIT": "pip-audit==2.9.0"},
            "tools.pip-audit",
            "pip-audit==2.9.0",
        ),
        # a map nested in a table, per member
        (
            {"CI_SESSIONS_CHANGES_SESSIONS_DOCS": "docs,lint"},
            "changes.sessions.docs",
            ("docs", "lint"),
        ),
        ({"CI_SESSIONS_SESSION_NAMES_TESTS": "pytest"}, "session-names.tests", "pytest"),
        (
            {"CI_SESSIONS_BENCH_THRESHOLDS": '{"test_parse*": "25%"}'},
            "bench.thresholds.test_parse*",
            "25%",
        ),
    ],
)
def test_map_members_are_set_and_reported_with_their_variable(
    tmp_path: Path, environ: dict[str, str], key: str, expected: object
) -> None:
    config = load_config(tmp_path, environ=environ)
    value: object = config.values
    for part in key.split("."):
        value = value[part]  # type: ignore[index]
    assert value == expected
    (name,) = environ
    assert config.source_of(key) == f"environment variable {name}"


def test_a_whole_map_variable_merges_like_the_pyproject_table(tmp_path: Path) -> None:
    root = project(tmp_path, '[tool.ci-sessions.tiers]\nquick = ["lint"]\n')
    config = load_config(root, environ={"CI_SESSIONS_TIERS": '{"fast": ["format"]}'})
    # merged member by member: the pyproject's tier and the packaged ones stay
    assert config.tiers["quick"] == ["lint"]
    assert config.tiers["fast"] == ["format"]
    assert config.tiers["essential"] == ["lint", "format", "typecheck", "tests"]
    assert config.source_of("tiers.fast") == "environment variable CI_SESSIONS_TIERS"
    assert config.source_of("tiers.quick") == "pyproject.toml"
    assert config.source_of("tiers.essential") == "defaults"


def test_member_variable_wins_over_the_whole_map_variable(tmp_path: Path) -> None:
    config = load_config(
        tmp_path,
        environ={"CI_SESSIONS_TIERS": '{"quick": ["lint"]}', "CI_SESSIONS_TIERS_QUICK": "format"},
    )
    assert config.tiers["quick"] == ["format"]


def test_unknown_variable_names_the_closest_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path, environ={"CI_SESSIONS_INSTALL": "."})
    message = caught.value.render()
    assert "environment variable CI_SESSIONS_INSTALL: unknown setting" in message
    assert "ci-sessions config --env" in message


# -- every kind of value, accepted and refused (the validator's dispatch, issue 23.4) ----------

_ROW = {"id": Field("str", "an id")}


@pytest.mark.parametrize(
    ("field", "value", "kept"),
    [
        (Field("str", "s", choices=("a", "b")), "a", "a"),
        (Field("str-list", "l"), ["x", "y"], ["x", "y"]),
        (Field("str-or-list", "l"), "x", "x"),
        (Field("str-or-list", "l"), ["x"], ["x"]),
        (Field("str-or-false", "f"), False, False),
        (Field("str-or-false", "f"), "x", "x"),
        (Field("bool", "b"), True, True),
        (Field("int", "i", minimum=1, maximum=3), 2, 2),
        (Field("float", "f"), 0.5, 0.5),
        (Field("count-or-auto", "c", minimum=1), "auto", "auto"),
        (Field("count-or-auto", "c", minimum=1), " 2 ", 2),
        (Field("count-or-auto", "c", minimum=1), 3, 3),
        (Field("date", "d"), "2027-06-30", "2027-06-30"),
        (Field("str-map", "m"), {"ruff": "ruff==1"}, {"ruff": "ruff==1"}),
        (Field("list-map", "m"), {"quick": ["lint"]}, {"quick": ["lint"]}),
        (Field("table", "t", children=_ROW), {"id": "B1"}, {"id": "B1"}),
        (Field("table-list", "t", children=_ROW, required=("id",)), [{"id": "B1"}], [{"id": "B1"}]),
    ],
)
def test_each_kind_keeps_a_good_value(field: Field, value: object, kept: object) -> None:
    assert _validate_value(value, field, "k", "src") == kept


@pytest.mark.parametrize(
    ("field", "value", "key", "fragment"),
    [
        (Field("str", "s"), 1, "k", "wrong type"),
        (Field("str", "s", choices=("a", "b")), "c", "k", "invalid value"),
        (Field("str", "s", format="python-version"), "banana", "k", "not a Python version"),
        (Field("str-list", "l"), "x", "k", "wrong type"),
        (Field("str-list", "l"), ["x", 1], "k", "wrong type"),
        (Field("str-list", "l", format="python-version"), ["3.12", "x"], "k", "not a Python"),
        (Field("str-or-list", "l"), 3, "k", "must be a string or a list of strings"),
        (Field("str-or-list", "l"), ["x", 3], "k", "must be a string or a list of strings"),
        (Field("str-or-false", "f"), True, "k", "must be a string or false"),
        (Field("bool", "b"), 1, "k", "wrong type"),
        (Field("int", "i"), True, "k", "wrong type"),
        (Field("int", "i"), 1.5, "k", "wrong type"),
        (Field("int", "i", minimum=1), 0, "k", "too small"),
        (Field("float", "f", maximum=1), 2.0, "k", "too large"),
        (Field("count-or-auto", "c", minimum=1), 0, "k", "wrong type"),
        (Field("count-or-auto", "c"), True, "k", "wrong type"),
        (Field("count-or-auto", "c"), "many", "k", "wrong type"),
        (Field("date", "d"), "soon", "k", "not a date"),
        (Field("date", "d"), 5, "k", "wrong type"),
        (Field("str-map", "m"), ["x"], "k", "wrong type"),
        (Field("str-map", "m"), {"ruff": 1}, "k.ruff", "wrong type"),
        (Field("str-map", "m", format="requirement"), {"ruff": "ruff; rm"}, "k.ruff", "not a req"),
        (Field("list-map", "m"), "x", "k", "wrong type"),
        (Field("list-map", "m"), {"quick": "lint"}, "k.quick", "wrong type"),
        (Field("list-map", "m"), {"quick": ["lint", 2]}, "k.quick", "wrong type"),
        (Field("table", "t", children=_ROW), [], "k", "wrong type"),
        (Field("table", "t", children=_ROW), {"di": "x"}, "k.di", "unknown key"),
        (Field("table-list", "t", children=_ROW), {"id": "x"}, "k", "wrong type"),
        (Field("table-list", "t", children=_ROW, required=("id",)), [{}], "k[0].id", "is required"),
    ],
)
def test_each_kind_refuses_a_bad_value_naming_the_key(
    field: Field, value: object, key: str, fragment: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        _validate_value(value, field, "k", "src")
    assert caught.value.key == key
    assert fragment in caught.value.render()
