"""One workflow loader with GitHub's YAML (the 1.2 core schema, as actions/runner reads it): the
plain scalars where YAML 1.1 (PyYAML's safe_load) differs read the same in every user."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from ci_sessions._github_yaml import YamlList, YamlMap, parse
from ci_sessions.ci.workflow import load
from ci_sessions.errors import YamlError
from ci_sessions.validate.rules import Repo

#: every line a plain scalar YAML 1.1 reads otherwise (``yaml.safe_load`` in the comment)
WORKFLOW = """\
on: push
env:
  YES: yes          # True
  NO: no            # False
  ON: on            # True
  OFF: off          # False
  OCTAL: 0o10       # "0o10"
  LEADING: 010      # 8
  HEX: 0x1F         # 31
  UNDERSCORE: 1_000 # 1000
  BINARY: 0b11      # 3
  SEXAGESIMAL: 1:30 # 90
  EXPONENT: 1e3     # "1e3"
  DATE: 2001-12-14  # datetime.date
  T: True
  EMPTY:
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - run: echo hi
"""
EXPECTED_ENV = {
    "YES": "yes", "NO": "no", "ON": "on", "OFF": "off", "OCTAL": 8, "LEADING": 10, "HEX": 31,
    "UNDERSCORE": "1_000", "BINARY": "0b11", "SEXAGESIMAL": "1:30", "EXPONENT": 1000.0,
    "DATE": "2001-12-14", "T": True, "EMPTY": None,
}  # fmt: skip


def test_plain_scalars_follow_the_core_schema() -> None:
    data = parse(WORKFLOW)
    assert isinstance(data, YamlMap)
    assert list(data) == ["on", "env", "jobs"]
    assert data["env"] == EXPECTED_ENV
    assert all(type(v) is type(EXPECTED_ENV[k]) for k, v in dict(data["env"]).items())  # type: ignore[arg-type]
    values = parse("[.5, -.inf, .NaN, ~, null, +7, 3.10, '0o10', !!str 10]")
    assert isinstance(values, YamlList)
    assert values[:2] == [0.5, -math.inf] and math.isnan(float(values[2]))  # type: ignore[arg-type]
    assert values[3:] == [None, None, 7, 3.1, "0o10", "10"]


def test_lines_are_kept_and_a_key_given_twice_is_refused() -> None:
    data = parse(WORKFLOW)
    assert isinstance(data, YamlMap)
    assert (data.line_of("on"), data.line_of("jobs")) == (1, 18)  # where each value starts
    with pytest.raises(YamlError, match="duplicate key 'env'") as raised:
        parse("env: {}\njobs: {}\nenv: {}\n")
    assert raised.value.line == 3


@pytest.mark.parametrize(
    ("text", "line", "problem"),
    [("on: push\njobs: [\n", 3, "expected"), ("[" * 5000, 0, "nested too deeply")],
)
def test_what_is_not_yaml_says_where(text: str, line: int, problem: str) -> None:
    with pytest.raises(YamlError, match=problem) as raised:
        parse(text)
    assert raised.value.line == line


def _workflow(root: Path) -> Path:
    path = root / ".github" / "workflows" / "ci.yml"
    path.parent.mkdir(parents=True)
    path.write_text(WORKFLOW, encoding="utf-8")
    return path


def test_ci_and_validate_read_one_workflow_alike(tmp_path: Path) -> None:
    path = _workflow(tmp_path)
    by_ci = load(path, tmp_path).raw
    by_validate = Repo.load(tmp_path).workflows[".github/workflows/ci.yml"]
    assert by_ci == by_validate
    assert by_ci["env"] == EXPECTED_ENV and "on" in by_ci


def test_validate_reads_the_pre_commit_configuration_as_pre_commit_does(tmp_path: Path) -> None:
    """pre-commit reads its configuration with PyYAML (YAML 1.1): there ``yes`` is true."""
    config = "repos:\n  - repo: local\n    hooks:\n      - id: x\n        always_run: yes\n"
    (tmp_path / ".pre-commit-config.yaml").write_text(config, encoding="utf-8")
    assert Repo.load(tmp_path).hooks()[0]["always_run"] is True
