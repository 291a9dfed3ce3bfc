"""A ``uses:`` step: what the action's handler is given, and what its answer does to the cell.

The handler here is a stand-in registered for ``test/action`` that records its call and answers
what the test asks; the real handlers have their own tests (test_ci_actions.py).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from job_cell import HEAD, run_cell, workflow

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


WORKFLOW = workflow(
    """
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
    """,
    job="outputs:\n  made: ${{ steps.act.outputs.made }}",
    on="[push, pull_request, workflow_dispatch]",
)


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


@pytest.mark.parametrize("event_name", ["pull_request", "workflow_dispatch"])
def test_a_pull_request_checks_out_no_branch(tmp_path: Path, event_name: str) -> None:
    base_ref = "trunk" if event_name == "pull_request" else ""
    run_cell(tmp_path, WORKFLOW, event_name=event_name, base_ref=base_ref, base_sha=HEAD)
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
    assert cell.outcomes() == {
        "act": (FAILURE, FAILURE),
        "after": (SKIPPED, SKIPPED),
        "after-always": (SUCCESS, SUCCESS),
    }
    assert cell.outputs("act") == {"o": "1"}
    assert cell.result.result == FAILURE
    assert cell.result.note == "the action failed here"
    assert cell.result.tail == ["the action failed here\nand why"]
    assert "the action failed here" in cell.log


@pytest.mark.parametrize(
    ("answer", "result", "note"),
    [
        (
            ActionResult(ok=False, cannot_run="test/action with `flag: true`"),
            CANNOT_RUN,
            "cannot run locally: test/action with `flag: true`",
        ),
        (
            ActionResult(ok=False, skip="no Python 3.99 here"),
            SKIPPED,
            "skipped locally: no Python 3.99 here",
        ),
    ],
    ids=["cannot-run-here", "skips-the-cell-here"],
)
def test_an_action_that_cannot_run_or_skips_here_stops_the_cell(
    tmp_path: Path, answer: ActionResult, result: str, note: str
) -> None:
    ANSWER.append(answer)
    cell = run_cell(tmp_path, WORKFLOW)
    assert cell.result.result == result
    assert cell.result.note == note
    assert cell.outcome("act") == (result, result)
    assert set(cell.run.records) == {"act"}  # not even an always() step after it
    assert cell.result.outputs == {}
    assert any(note in line for line in cell.printed)
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


@pytest.mark.parametrize(
    ("error", "said"),
    [
        (InstallError("the wheel could not be built"), "wheel"),
        (OSError(28, "No space left"), "No space left"),
    ],
    ids=["install-error", "os-error"],
)
def test_other_errors_of_an_action_fail_only_the_cell(
    tmp_path: Path, error: Exception, said: str
) -> None:
    ANSWER.append(error)
    cell = run_cell(tmp_path, WORKFLOW)
    assert cell.result.result == FAILURE
    assert not cell.setup.refused.is_set()
    assert cell.setup.errors == []
    text = error.render() if isinstance(error, InstallError) else str(error)
    assert cell.result.tail == text.splitlines()
    assert text.splitlines()[0] in cell.log
    assert said in cell.result.note


def test_an_unknown_action_cannot_run(tmp_path: Path) -> None:
    steps = """
        - id: other
          uses: someone/else@v1
        - id: next
          if: always()
          run: echo next
        """
    cell = run_cell(tmp_path, workflow(steps))
    assert CALLS == []
    assert cell.result.result == CANNOT_RUN
    assert cell.result.note == "cannot run locally: someone/else@v1"
    assert set(cell.run.records) == {"other"}


def test_an_action_puts_its_folders_before_those_of_earlier_steps(tmp_path: Path) -> None:
    ANSWER.append(ActionResult(path=["/opt/from-action"]))
    steps = f"""
        - run: echo /opt/earlier >> "$GITHUB_PATH"
        - uses: test/action@v1
        - run: echo "$PATH" > {tmp_path}/path.txt
        """
    cell = run_cell(tmp_path, workflow(steps))
    assert cell.result.result == SUCCESS
    path = (tmp_path / "path.txt").read_text().strip().split(os.pathsep)
    assert path[:2] == ["/opt/from-action", "/opt/earlier"]


def test_a_bad_expression_in_with_fails_the_cell_and_names_it(tmp_path: Path) -> None:
    steps = """
        - id: act
          uses: test/action@v1
          with:
            value: ${{ fromJSON('{') }}
        """
    cell = run_cell(tmp_path, workflow(steps))
    assert CALLS == []
    assert cell.result.result == FAILURE
    assert "(jobs.build.steps[0].with.value)" in cell.result.note
