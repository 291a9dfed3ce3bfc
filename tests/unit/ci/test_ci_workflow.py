"""Workflow loading: line numbers, GitHub's YAML booleans, needs order, errors naming the line."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from ci_sessions.ci.static import check_workflow
from ci_sessions.ci.workflow import Workflow, YamlMap, load
from ci_sessions.errors import ConfigError

BASE = """
name: Demo
on:
  push:
  pull_request:
jobs:
  changes:
    runs-on: ubuntu-latest
    outputs:
      code: ${{ steps.c.outputs.code }}
    steps:
      - id: c
        run: echo code=true >> "$GITHUB_OUTPUT"
  quick:
    needs: changes
    if: needs.changes.outputs.code == 'true'
    runs-on: ubuntu-latest
    steps:
      - run: echo quick
  tests:
    needs: [changes, quick]
    runs-on: ${{ matrix.os }}
    strategy:
      matrix:
        os: [ubuntu-latest]
    steps:
      - run: echo tests
  summary:
    needs: [tests]
    if: always()
    runs-on: ubuntu-latest
    steps:
      - run: echo done
"""


def write(tmp_path: Path, text: str) -> Workflow:
    path = tmp_path / ".github" / "workflows" / "ci.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return load(path, tmp_path)


def test_on_is_a_string_key_and_lines_are_recorded(tmp_path: Path) -> None:
    workflow = write(tmp_path, BASE)
    assert set(workflow.triggers()) == {"push", "pull_request"}
    quick = workflow.jobs["quick"]
    assert quick.where("if").line == 15
    assert str(quick.where("if")) == ".github/workflows/ci.yml:15 (jobs.quick.if)"
    assert workflow.jobs["changes"].steps[0].where("run").line == 12
    matrix = workflow.jobs["tests"].section("strategy")["matrix"]
    assert isinstance(matrix, YamlMap)
    assert matrix.line_of("os") == 24


def test_yes_no_stay_strings_true_false_are_booleans(tmp_path: Path) -> None:
    workflow = write(
        tmp_path,
        """
        on: push
        jobs:
          a:
            runs-on: ubuntu-latest
            continue-on-error: true
            env: {A: yes, B: off, C: 3.10}
            steps:
              - run: echo
        """,
    )
    job = workflow.jobs["a"]
    assert job.get("continue-on-error") is True
    assert job.section("env") == {"A": "yes", "B": "off", "C": 3.1}  # 3.10 is a number in YAML


def test_needs_order_closure_and_ancestors(tmp_path: Path) -> None:
    workflow = write(tmp_path, BASE)
    order = workflow.order()
    assert order.index("changes") < order.index("quick") < order.index("tests")
    assert order.index("tests") < order.index("summary")
    assert workflow.closure("tests") == ["changes", "quick", "tests"]
    assert workflow.ancestors("summary") == {"changes", "quick", "tests"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "on: push\njobs:\n  a:\n    runs-on: x\n    steps: [{run: a}]\n    needs: chnges\n",
            "needs unknown job 'chnges'",
        ),
        (
            "on: push\njobs:\n  a:\n    needs: b\n    steps: [{run: a}]\n  b:\n    needs: a\n    steps: [{run: a}]\n",
            "form a cycle",
        ),
        ("on: push\njobs:\n  a:\n    steps: []\n", "a job needs a list of steps"),
        ("on: push\njobs:\n  a:\n    steps:\n      - run: a\n        uses: b\n", "exactly one of"),
        ("jobs:\n  a:\n    steps: [{run: a}]\n", "no `on:` trigger"),
        (
            "on: push\njobs:\n  a:\n    steps: [{run: a}]\n  a:\n    steps: [{run: b}]\n",
            "duplicate key 'a'",
        ),
        ("on: push\njobs: [\n", "not valid YAML"),
    ],
)
def test_structural_errors(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        write(tmp_path, text)


def test_unknown_need_is_named_with_a_suggestion(tmp_path: Path) -> None:
    text = "on: push\njobs:\n  changes:\n    steps: [{run: a}]\n  b:\n    needs: chnges\n    steps: [{run: a}]\n"
    with pytest.raises(ConfigError) as raised:
        write(tmp_path, text)
    rendered = raised.value.render()
    assert "line 6: jobs.b.needs" in rendered
    assert "did you mean 'changes'" in rendered


@pytest.mark.parametrize(
    ("job", "line", "message"),
    [
        # matrix is not available in a job-level if:
        (
            "    if: matrix.os == 'x'\n    steps: [{run: a}]\n",
            4,
            "unrecognized named-value 'matrix'",
        ),
        (
            "    steps:\n      - run: |\n          echo one\n          echo ${{ github.sha ==== }}\n",
            7,
            "unexpected",
        ),
        ("    steps:\n      - run: echo ${{ toJSON(github) \n", 5, "not closed"),
        (
            "    steps:\n      - uses: a/b@v1\n        with:\n          x: ${{ nofunc(1) }}\n",
            7,
            "unrecognized function 'nofunc'",
        ),
        (
            "    env:\n      A: ${{ steps.x.outputs.y }}\n    steps: [{run: a}]\n",
            5,
            "named-value 'steps'",
        ),
        ("    steps:\n      - run: a\n        if: success() && hashFiles('x') != ''\n", 6, None),
    ],
)
def test_bad_expressions_name_file_line_and_expression(
    tmp_path: Path, job: str, line: int, message: str | None
) -> None:
    workflow = write(tmp_path, "on: push\njobs:\n  a:\n" + job)
    if message is None:
        check_workflow(workflow)
        return
    with pytest.raises(ConfigError) as raised:
        check_workflow(workflow)
    rendered = raised.value.render()
    assert rendered.startswith(
        f"ci-sessions: configuration error in .github/workflows/ci.yml: line {line}:"
    ), rendered
    assert message in rendered
    assert "${{" in rendered or "not closed" in rendered


def test_the_base_workflow_checks_clean(tmp_path: Path) -> None:
    check_workflow(write(tmp_path, BASE))
