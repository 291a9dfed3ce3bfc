"""ci-sessions migrate: tox / Makefile / pixi / setup.cfg / workflows mapped line by line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ci_sessions.scaffold import migrate

TOX = """[tox]
envlist = py{310,311}, lint

[testenv]
deps =
    pytest>=7
    -rrequirements-test.txt
commands =
    pytest -x {posargs} tests

[testenv:lint]
deps = ruff
commands =
    ruff check .
    python scripts/custom.py
"""

WORKFLOW = """on: push
jobs:
  test:
    runs-on: ubuntu-latest
    strategy:
      matrix:
        python-version: ["3.10", "3.13"]
    steps:
      - run: pip install -e .
      - run: |
          mypy src
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "tox.ini").write_text(TOX, encoding="utf-8")
    (tmp_path / "Makefile").write_text(
        "test:\n\tpytest\n\nclean:\n\trm -rf build\n", encoding="utf-8"
    )
    (tmp_path / "setup.cfg").write_text("[flake8]\nmax-line-length = 100\n", encoding="utf-8")
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / ".github" / "workflows" / "t.yml").write_text(WORKFLOW, encoding="utf-8")
    (tmp_path / "pixi.toml").write_text(
        '[tasks]\nserve = { cmd = "python -m http.server" }\n', encoding="utf-8"
    )
    return tmp_path


def test_every_command_is_reported_with_its_line(project: Path) -> None:
    found = {(i.source, i.line): i for i in migrate.plan_migration(project).items}
    assert found[("tox.ini", 9)].check == "tests"
    assert found[("tox.ini", 14)].check == "lint"
    assert not found[("tox.ini", 15)].mapped  # python scripts/custom.py
    assert found[("Makefile", 2)].check == "tests"
    assert not found[("Makefile", 5)].mapped  # rm -rf build
    assert found[("setup.cfg", 1)].check == "lint"
    assert found[(".github/workflows/t.yml", 11)].check == "typecheck"
    assert not found[("pixi.toml", 2)].mapped
    # setup lines of a workflow (pip install) are not reported as unmapped checks
    assert (".github/workflows/t.yml", 9) not in found
    assert {line for source, line in found if source == ".github/workflows/t.yml"} == {11}


def test_a_workflow_github_refuses_is_reported_not_half_read(tmp_path: Path) -> None:
    """A job given twice: GitHub refuses the file; YAML 1.1 readers keep the second job."""
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    twice = (
        WORKFLOW + "  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: ruff check .\n"
    )
    (tmp_path / ".github" / "workflows" / "t.yml").write_text(twice, encoding="utf-8")
    migration = migrate.plan_migration(tmp_path)
    [item] = [i for i in migration.items if i.source == ".github/workflows/t.yml"]
    assert not item.mapped and item.line == 12 and "cannot parse" in item.note
    assert ".github/workflows/t.yml" not in migration.sources


def test_proposed_configuration(project: Path) -> None:
    config = migrate.plan_migration(project).config()
    assert config["python"] == ["3.10", "3.11", "3.13"]
    assert config["tests"] == {
        "deps": ["pytest>=7"],
        "requirements": ["requirements-test.txt"],
        "args": ["-x"],
        "paths": ["tests"],
    }


def test_write_adds_the_table_once_and_it_loads(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from ci_sessions.config import load_config

    (project / "pyproject.toml").write_text('[project]\nname = "x"  # keep\n', encoding="utf-8")
    assert migrate.main([str(project), "--write", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["config"]["python"] == ["3.10", "3.11", "3.13"]
    text = (project / "pyproject.toml").read_text(encoding="utf-8")
    assert text.startswith('[project]\nname = "x"  # keep\n')
    config = load_config(project, environ={})
    assert config.python == ["3.10", "3.11", "3.13"]
    assert config.section("tests").str_list("deps") == ["pytest>=7"]
    assert migrate.main([str(project), "--write"]) == 0
    assert (project / "pyproject.toml").read_text(encoding="utf-8") == text


def test_native_tool_tox(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.tox]\nenv_list = ["3.12", "py313"]\n\n[tool.tox.env_run_base]\n'
        'commands = [["pytest", "{posargs}"]]\n\n[tool.tox.env.type]\ncommands = [["pyright"]]\n',
        encoding="utf-8",
    )
    result = migrate.plan_migration(tmp_path)
    assert [(i.where, i.check) for i in result.items] == [
        ("env env_run_base", "tests"),
        ("env type", "typecheck"),
    ]
    assert result.python == ["3.13"]


def test_brace_expansion() -> None:
    assert migrate.tox_pythons("py{39,310}-django{4,5}, lint") == ["3.9", "3.10"]


def test_nothing_to_migrate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert migrate.main([str(tmp_path)]) == 0
    assert "nothing to migrate" in capsys.readouterr().out


# -- real lines, whole commands, env names (issue 12 item 15) ----------------------------------

TOX_LONG = """\
[tox]
envlist = py312, benchmark, coverage

[testenv]
deps =
    pytest
    pytest-benchmark
# pytest appears on many lines before the command itself
description = run pytest
commands =
    pytest --basetemp={envtmpdir} {posargs:tests}

[testenv:benchmark]
deps = pytest-benchmark
commands =
    pytest benchmarks/ \\
        --benchmark-only

[testenv:coverage]
commands =
    coverage combine {toxworkdir}/.coverage.py312 {toxworkdir}/.coverage.py313
    coverage xml -o {toxworkdir}/coverage.xml
"""


def test_tox_commands_are_reported_at_their_own_line_whole_and_by_env(tmp_path: Path) -> None:
    (tmp_path / "tox.ini").write_text(TOX_LONG, encoding="utf-8")
    items = migrate.plan_migration(tmp_path).items
    lines = TOX_LONG.splitlines()
    for item in items:
        # the line reported is the line the command starts on
        assert item.command.split()[0] in lines[item.line - 1], item
    found = {(i.where, i.line): (i.command, i.check) for i in items}
    assert found[("[testenv]", 11)] == ("pytest --basetemp={envtmpdir} {posargs:tests}", "tests")
    # a continued command is one command, at its first line, mapped by its env to bench
    assert found[("[testenv:benchmark]", 16)] == ("pytest benchmarks/ --benchmark-only", "bench")
    # {toxworkdir} arguments are kept
    assert found[("[testenv:coverage]", 21)] == (
        "coverage combine {toxworkdir}/.coverage.py312 {toxworkdir}/.coverage.py313",
        "coverage",
    )
    assert found[("[testenv:coverage]", 22)][0] == "coverage xml -o {toxworkdir}/coverage.xml"


def test_a_plain_pytest_in_a_benchmark_env_maps_to_bench(tmp_path: Path) -> None:
    (tmp_path / "tox.ini").write_text(
        "[testenv:benchmark]\ncommands = pytest benchmarks\n", encoding="utf-8"
    )
    (item,) = migrate.plan_migration(tmp_path).items
    assert (item.line, item.check) == (2, "bench")


def test_native_tox_toml_keeps_substitutions_and_lines(tmp_path: Path) -> None:
    text = (
        '[project]\nname = "x"\n\n[tool.tox]\nenv_list = ["3.12"]\n\n'
        "[tool.tox.env_run_base]\n"
        'deps = ["pytest"]\n'
        "commands = [\n"
        '  ["pytest", { replace = "posargs", default = ["tests"] }],\n'
        '  ["coverage", "combine", "{toxworkdir}/.coverage"],\n'
        "]\n\n"
        "[tool.tox.env.benchmark]\n"
        'commands = [["pytest", "benchmarks"]]\n'
    )
    (tmp_path / "pyproject.toml").write_text(text, encoding="utf-8")
    items = [(i.line, i.command, i.check) for i in migrate.plan_migration(tmp_path).items]
    assert items == [
        (10, "pytest {posargs:tests}", "tests"),
        (11, "coverage combine {toxworkdir}/.coverage", "coverage"),
        (15, "pytest benchmarks", "bench"),
    ]


#: python-dateutil 4.0.0's tox.ini, the parts that map (issue 21, item 11)
DATEUTIL_TOX = """[tox]
envlist = py311,
          py312,
          docs

[testenv]
description = run the unit tests with pytest under {basepython}
setenv =
    COVERAGE_FILE={toxworkdir}/.coverage.{envname}
    PYTEST_ADDOPTS=-n auto --dist worksteal {env:PYTEST_ADDOPTS:}
commands = python -m pytest {posargs: "{toxinidir}/tests" "{toxinidir}/docs" --cov-config="{toxinidir}/tox.ini" --cov=dateutil}
deps = -rrequirements-dev.txt

[testenv:coverage]
deps = coverage
skip_install = True
commands = python -m coverage erase
           python -m coverage combine
           python -m coverage report --rcfile={toxinidir}/tox.ini

[testenv:codecov]
deps = codecov
commands = python -m codecov --file {toxworkdir}/coverage.xml

[testenv:precommit]
deps =
    pre-commit
commands =
    pre-commit install -f --install-hooks
    pre-commit run --all-files

[testenv:docs]
deps = -r docs/requirements-docs.txt
       {[testenv]deps}
commands = python -m sphinx -d "{toxworkdir}/docs_doctree" docs "{toxworkdir}/docs_out" {posargs:-W --color -bhtml}
           python -m sphinx -d "{toxworkdir}/docs_doctree" docs "{toxworkdir}/docs_out" {posargs:-W --color -blinkcheck}

[testenv:news]
deps = towncrier
commands =
    towncrier {posargs}
"""


def test_every_command_with_an_equivalent_is_mapped_with_its_deps_and_arguments(
    tmp_path: Path,
) -> None:
    (tmp_path / "tox.ini").write_text(DATEUTIL_TOX, encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text("[tool.towncrier]\ndirectory = 'changelog.d'\n")
    (tmp_path / "requirements-dev.txt").write_text("pytest\n")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "requirements-docs.txt").write_text("sphinx\n")
    plan = migrate.plan_migration(tmp_path)
    by_command = {item.command: item for item in plan.items}

    def check(fragment: str) -> str | None:
        [item] = [i for c, i in by_command.items() if fragment in c]
        return item.check if item.mapped else None

    assert check("-bhtml") == "docs"  # python -m sphinx builds the docs, as the docs check does
    assert check("-blinkcheck") is None  # a link check needs the network: not done here
    assert check("towncrier") == "release"  # the release changelog runs towncrier
    assert check("coverage erase") == "coverage"
    assert check("pre-commit install") == "precommit"
    assert check("codecov") is None
    assert check("python -m pytest") == "tests"
    config = plan.config()
    assert config["tests"]["paths"] == ["tests", "docs"]  # {toxinidir}/docs: the doctests
    assert config["tests"]["requirements"] == ["requirements-dev.txt"]
    assert config["tests"]["workers"] == "auto"  # PYTEST_ADDOPTS=-n auto
    assert config["docs"]["requirements"] == ["docs/requirements-docs.txt", "requirements-dev.txt"]
    cov = [i for i in plan.items if i.command.startswith("--cov")]
    assert [i.check for i in cov] == ["coverage"] and cov[0].mapped
    assert "--cov" not in json.dumps(config["tests"])  # coverage is the coverage check's job
    unmapped = [i.command for i in plan.items if not i.mapped]
    assert len(unmapped) == 2, unmapped  # codecov upload, linkcheck
    # the proposal loads as ci-sessions configuration
    from ci_sessions.config import load_config

    (tmp_path / "pyproject.toml").write_text(
        "[project]\nname = 'x'\nversion = '1'\n\n" + plan.config_toml(), encoding="utf-8"
    )
    loaded = load_config(tmp_path, environ={})
    assert loaded.section("tests").str_list("paths") == ["tests", "docs"]
