"""A ``uses:`` step: what the action's handler is given, and what its answer does to the cell.

The handler here is a stand-in registered for ``test/action`` that records its call and answers
what the test asks; the real handlers have their own tests (test_ci_actions.py).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from job_cell import HEAD, run_cell

from ci_sessions.ci import actions
from ci_sessions.ci.actions import ActionCall, ActionResult
from ci_sessions.ci.model import CANNOT_RUN, FAILURE, SKIPPED, SUCCESS
from ci_sessions.errors import ConfigError, InstallError

CALLS: list[ActionCall] = []
ANSWER: list[ActionResult | Exception] = []


def _stand_in(call: ActionCall) -> ActionResult:
    CALLS.append(call)
    answer = ANSWER.pop(0) if ANSWER else ActionResult()
    if isinstance(answer, Exception):
        raise answer
    return answer


@pytest.fixture(autouse=True)
def _handler(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setitem(actions.HANDLERS, "test/action", _stand_in)
    CALLS.clear()
    ANSWER.clear()
    yield
    CALLS.clear()
    ANSWER.clear()


WORKFLOW = """
on: [push, pull_request, workflow_dispatch]
jobs:
  build:
    runs-on: ubuntu-latest
    outputs:
      made: ${{ steps.act.outputs.made }}
    steps:
      - id: act
        uses: Test/Action@v2
        with:
          text: ${{ github.ref_name }}
          number: 3
          flag: true
      - id: after
        run: echo "$FROM_ACTION $PATH" > RESULT
      - id: after-always
        if: always()
        run: echo always
"""


def test_the_action_gets_its_inputs_and_where_it_runs(tmp_path: Path) -> None:
    ANSWER.append(
        ActionResult(
            outputs={"made": "yes"},
            path=["/opt/first", "/opt/second"],
            env={"FROM_ACTION": "set"},
        )
    )
    cell = run_cell(
        tmp_path,
        WORKFLOW.replace("RESULT", str(tmp_path / "after.txt")),
        base_sha="b" * 40,
    )
    assert cell.result.result == SUCCESS
    (call,) = CALLS
    assert call.uses == "Test/Action@v2"
    assert call.inputs == {"text": "main", "number": "3", "flag": "true"}
    assert call.workspace == cell.run.workspace
    assert call.temp == cell.run.temp
    assert call.path == cell.setup.environ["PATH"]
    assert call.source is cell.setup.source
    assert call.refs.branch == "main"  # a push checks out its branch
    assert call.refs.base_ref is None
    assert call.refs.base_sha == "b" * 40
    assert call.artifacts == tmp_path / "demo" / ".ci-sessions" / "ci" / "build" / "artifacts"
    assert call.repository == "octo/demo"
    assert call.where.key == "jobs.build.steps[0].with"
    assert call.folder == cell.run.cell_dir
    assert cell.outcome("act") == (SUCCESS, SUCCESS)
    assert cell.outputs("act") == {"made": "yes"}
    assert cell.result.outputs == {"made": "yes"}
    seen, path = (tmp_path / "after.txt").read_text().split()
    assert seen == "set"
    assert path.split(os.pathsep)[:2] == ["/opt/first", "/opt/second"]


def test_a_pull_request_checks_out_no_branch(tmp_path: Path) -> None:
    for event_name in ("pull_request", "workflow_dispatch"):
        CALLS.clear()
        run_cell(
            tmp_path / event_name,
            WORKFLOW,
            event_name=event_name,
            base_ref="trunk" if event_name == "pull_request" else "",
            base_sha=HEAD,
        )
        (call,) = CALLS
        if event_name == "pull_request":
            assert call.refs.branch is None
            assert call.refs.base_ref == "trunk"
            assert call.inputs["text"] == "1/merge"
        else:
            assert call.refs.branch == "main"


def test_a_failed_action_fails_its_step_with_its_message(tmp_path: Path) -> None:
    ANSWER.append(
        ActionResult(ok=False, message="the action failed here\nand why", outputs={"o": "1"})
    )
    cell = run_cell(tmp_path, WORKFLOW)
    assert cell.outcome("act") == (FAILURE, FAILURE)
    assert cell.outputs("act") == {"o": "1"}
    assert cell.outcome("after") == (SKIPPED, SKIPPED)
    assert cell.outcome("after-always") == (SUCCESS, SUCCESS)
    assert cell.result.result == FAILURE
    assert cell.result.note == "the action failed here"
    assert cell.result.tail == ["the action failed here\nand why"]
    assert "the action failed here" in cell.log


def test_an_action_that_cannot_run_here_stops_the_cell(tmp_path: Path) -> None:
    ANSWER.append(ActionResult(ok=False, cannot_run="test/action with `flag: true`"))
    cell = run_cell(tmp_path, WORKFLOW)
    assert cell.result.result == CANNOT_RUN
    assert cell.result.note == "cannot run locally: test/action with `flag: true`"
    assert cell.outcome("act") == (CANNOT_RUN, CANNOT_RUN)
    assert set(cell.run.records) == {"act"}  # not even an always() step after it
    assert cell.result.outputs == {}
    assert any("cannot run locally" in line for line in cell.printed)


def test_an_action_that_skips_the_cell_here(tmp_path: Path) -> None:
    ANSWER.append(ActionResult(ok=False, skip="no Python 3.99 here"))
    cell = run_cell(tmp_path, WORKFLOW)
    assert cell.result.result == SKIPPED
    assert cell.result.note == "skipped locally: no Python 3.99 here"
    assert cell.outcome("act") == (SKIPPED, SKIPPED)
    assert set(cell.run.records) == {"act"}
    assert cell.result.outputs == {}
    assert any("skipped locally: no Python 3.99 here" in line for line in cell.printed)
    assert cell.printed[-1].startswith("  - build: ")


def test_an_action_refusing_a_name_stops_the_whole_run(tmp_path: Path) -> None:
    refusal = ConfigError(".github/workflows/ci.yml", "line 8", "path ../x leads outside")
    ANSWER.append(refusal)
    cell = run_cell(tmp_path, WORKFLOW)
    assert cell.result.result == FAILURE
    assert cell.setup.refused.is_set()
    assert cell.setup.errors == [refusal]
    assert cell.result.tail == refusal.render().splitlines()
    assert cell.result.note == refusal.render().splitlines()[0].removeprefix("ci-sessions: ")
    assert refusal.render().splitlines()[0] in cell.log
    assert "after-always" not in cell.run.records


def test_other_errors_of_an_action_fail_only_the_cell(tmp_path: Path) -> None:
    for error in (InstallError("the wheel could not be built"), OSError(28, "No space left")):
        ANSWER.append(error)
        cell = run_cell(tmp_path / type(error).__name__, WORKFLOW)
        assert cell.result.result == FAILURE
        assert not cell.setup.refused.is_set()
        assert cell.setup.errors == []
        text = error.render() if isinstance(error, InstallError) else str(error)
        assert cell.result.tail == text.splitlines()
        assert text.splitlines()[0] in cell.log
        assert "No space left" in cell.result.note or "wheel" in cell.result.note


def test_an_unknown_action_cannot_run(tmp_path: Path) -> None:
    cell = run_cell(
        tmp_path,
        """
        on: push
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
              - id: other
                uses: someone/else@v1
              - id: next
                if: always()
                run: echo next
        """,
    )
    assert CALLS == []
    assert cell.result.result == CANNOT_RUN
    assert cell.result.note == "cannot run locally: someone/else@v1"
    assert set(cell.run.records) == {"other"}


def test_an_action_puts_its_folders_before_those_of_earlier_steps(tmp_path: Path) -> None:
    ANSWER.append(ActionResult(path=["/opt/from-action"]))
    cell = run_cell(
        tmp_path,
        f"""
        on: push
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
              - run: echo /opt/earlier >> "$GITHUB_PATH"
              - uses: test/action@v1
              - run: echo "$PATH" > {tmp_path}/path.txt
        """,
    )
    assert cell.result.result == SUCCESS
    path = (tmp_path / "path.txt").read_text().strip().split(os.pathsep)
    assert path[:2] == ["/opt/from-action", "/opt/earlier"]


def test_a_bad_expression_in_with_fails_the_cell_and_names_it(tmp_path: Path) -> None:
    cell = run_cell(
        tmp_path,
        """
        on: push
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
              - id: act
                uses: test/action@v1
                with:
                  value: ${{ fromJSON('{') }}
        """,
    )
    assert CALLS == []
    assert cell.result.result == FAILURE
    assert "(jobs.build.steps[0].with.value)" in cell.result.note
