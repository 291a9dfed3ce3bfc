"""A cell's steps in order: outcomes and conclusions, ``if:`` and the job status, continue-on-error,
timeouts, cancellation, what a failure reports and the job's own result."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from job_cell import cancelled_after, run_cell, workflow

from ci_sessions.ci.model import CANCELLED, CANNOT_RUN, FAILURE, SKIPPED, SUCCESS, RunSetup
from ci_sessions.ci.static import timeout_problem

#: an expression that cannot be evaluated (``fromJSON`` of a broken document)
BAD = "${{ fromJSON('{') }}"


def test_outcomes_conclusions_and_which_steps_run_after_a_failure(tmp_path: Path) -> None:
    steps = """
        - id: ok
          run: echo fine
        - id: soft
          continue-on-error: true
          run: exit 3
        - id: after-soft
          run: echo still running
        - id: hard
          name: the hard one
          run: |
            echo first words
            exit 4
        - id: skipped
          run: echo never
        - id: cleanup
          if: failure()
          run: echo cleaning
        - id: late
          if: always()
          name: a late failure
          run: exit 5
        """
    cell = run_cell(tmp_path, workflow(steps, job="outputs:\n  status: ${{ job.status }}"))
    assert cell.outcomes() == {
        "ok": (SUCCESS, SUCCESS),
        "soft": (FAILURE, SUCCESS),
        "after-soft": (SUCCESS, SUCCESS),
        "hard": (FAILURE, FAILURE),
        "skipped": (SKIPPED, SKIPPED),
        "cleanup": (SUCCESS, SUCCESS),
        "late": (FAILURE, FAILURE),
    }
    assert cell.result.result == FAILURE
    assert cell.run.status == FAILURE
    assert cell.result.outputs == {"status": FAILURE}
    # the first failure is the one reported, with its own output and reason
    assert cell.result.failed_step == "the hard one"
    assert "first words" in cell.result.tail
    assert cell.result.note == cell.result.tail[-1]
    assert "4" in cell.result.note
    assert cell.result.seconds > 0
    # the progress lines: one per step that ran, marked by its outcome
    marks = [line.split(" build: ")[0].strip() for line in cell.printed[1:]]
    assert marks == ["✓", "✗", "✓", "✗", "✓", "✗"]
    durations = [float(line.rsplit("(", 1)[1].split()[0]) for line in cell.printed[1:]]
    assert all(0 <= seconds < 60 for seconds in durations)
    assert cell.printed[0] == "▶ build\n"


def test_a_step_outside_continue_on_error_does_not_clear_a_failure(tmp_path: Path) -> None:
    steps = """
        - id: soft
          continue-on-error: ${{ github.event_name == 'push' }}
          run: exit 1
        - id: next
          run: echo next
        """
    cell = run_cell(tmp_path, workflow(steps))
    assert cell.outcomes() == {"soft": (FAILURE, SUCCESS), "next": (SUCCESS, SUCCESS)}
    assert cell.result.result == SUCCESS
    assert cell.result.failed_step == ""
    assert cell.result.note == ""


@pytest.mark.parametrize(
    ("value", "soft"),
    [("${{ github.event_name == 'push' }}", True), ("false", False)],
    ids=["an-expression-that-holds", "false"],
)
def test_a_job_with_continue_on_error_says_so(tmp_path: Path, value: str, soft: bool) -> None:
    cell = run_cell(tmp_path, workflow("- run: exit 1", job=f"continue-on-error: {value}"))
    assert cell.result.result == FAILURE
    assert cell.result.continue_on_error is soft


def test_a_step_skipped_by_its_if_is_recorded_and_logged(tmp_path: Path) -> None:
    steps = """
        - id: off
          name: not this one
          if: github.event_name == 'pull_request'
          run: echo never > never.txt
        - id: on
          if: steps.off.outcome == 'skipped' && steps.off.conclusion == 'skipped'
          run: test ! -e never.txt
        """
    cell = run_cell(tmp_path, workflow(steps))
    assert cell.outcomes() == {"off": (SKIPPED, SKIPPED), "on": (SUCCESS, SUCCESS)}
    assert "not this one: skipped" in cell.log
    assert cell.result.result == SUCCESS


def test_a_step_without_an_id_is_not_in_the_steps_context(tmp_path: Path) -> None:
    cell = run_cell(tmp_path, workflow("- run: exit 0\n- id: one\n  run: exit 0"))
    assert set(cell.run.records) == {"one"}


def test_a_cancelled_job_runs_only_the_steps_that_ask_to(tmp_path: Path) -> None:
    cancel = threading.Event()
    cancel.set()
    steps = """
        - id: normal
          run: echo normal
        - id: on-failure
          if: failure()
          run: echo failure
        - id: on-cancel
          if: cancelled()
          run: echo cancelled
        - id: always
          if: always()
          run: echo always
        """
    cell = run_cell(tmp_path, workflow(steps), cancel=cancel)
    assert cell.outcomes() == {
        "normal": (SKIPPED, SKIPPED),
        "on-failure": (SKIPPED, SKIPPED),
        "on-cancel": (SUCCESS, SUCCESS),
        "always": (SUCCESS, SUCCESS),
    }
    assert cell.result.result == CANCELLED


def test_a_cancelled_step_cancels_the_job(tmp_path: Path) -> None:
    steps = """
        - id: long
          run: |
            echo "broken<<" >> "$GITHUB_OUTPUT"
            sleep 20
        - id: next
          run: echo next
        - id: on-cancel
          if: cancelled()
          run: echo cancelled
        """
    with cancelled_after(0.3) as cancel:
        cell = run_cell(tmp_path, workflow(steps), cancel=cancel)
    assert cell.outcomes() == {
        "long": (CANCELLED, CANCELLED),
        "next": (SKIPPED, SKIPPED),
        "on-cancel": (SUCCESS, SUCCESS),
    }
    assert cell.result.result == CANCELLED
    assert cell.result.seconds < 15
    assert [line.split(" build: ")[0].strip() for line in cell.printed[1:]] == ["⊘", "✓"]


def test_a_job_whose_last_step_was_cancelled_is_cancelled(tmp_path: Path) -> None:
    with cancelled_after(0.3) as cancel:
        cell = run_cell(tmp_path, workflow("- id: long\n  run: sleep 20"), cancel=cancel)
    assert cell.outcome("long") == (CANCELLED, CANCELLED)
    assert cell.result.result == CANCELLED


def test_a_step_that_runs_once_the_job_is_cancelled_can_only_be_interrupted(
    tmp_path: Path,
) -> None:
    """Once cancelled, a step that still runs (``if: always()``) is not stopped by the
    cancellation that let it run: only an interrupt stops it."""
    cancel = threading.Event()
    cancel.set()
    steps = "- id: always\n  if: always()\n  run: sleep 0.3"
    cell = run_cell(tmp_path, workflow(steps), cancel=cancel)
    assert cell.outcome("always") == (SUCCESS, SUCCESS)


@pytest.mark.parametrize("flag", ["interrupted", "refused"])
def test_an_interrupt_or_a_refusal_elsewhere_stops_before_the_next_step(
    tmp_path: Path, flag: str
) -> None:
    def prepare(setup: RunSetup) -> None:
        getattr(setup, flag).set()

    steps = "- id: first\n  if: always()\n  run: echo first"
    cell = run_cell(tmp_path, workflow(steps), prepare=prepare)
    assert cell.run.records == {}
    assert cell.result.result == CANCELLED


def test_a_step_timeout_fails_the_step(tmp_path: Path) -> None:
    steps = """
        - id: slow
          timeout-minutes: 0.005
          run: sleep 5
        - id: next
          run: echo next
        """
    cell = run_cell(tmp_path, workflow(steps))
    assert cell.outcomes() == {"slow": (FAILURE, FAILURE), "next": (SKIPPED, SKIPPED)}
    assert cell.result.result == FAILURE
    assert "timed out" in cell.result.note
    assert cell.result.seconds < 4


def test_steps_within_their_timeouts_succeed(tmp_path: Path) -> None:
    steps = """
        - id: within-the-job
          run: sleep 0.3
        - id: within-the-step
          timeout-minutes: 0.05
          run: sleep 0.3
        """
    cell = run_cell(tmp_path, workflow(steps, job="timeout-minutes: 0.1"))
    assert cell.outcomes() == {
        "within-the-job": (SUCCESS, SUCCESS),
        "within-the-step": (SUCCESS, SUCCESS),
    }
    assert cell.result.result == SUCCESS


def test_a_job_timeout_stops_the_step_and_cancels_the_rest(tmp_path: Path) -> None:
    steps = """
        - id: slow
          run: sleep 5
        - id: normal
          run: echo normal
        - id: on-cancel
          if: cancelled()
          run: echo cancelled
        """
    cell = run_cell(tmp_path, workflow(steps, job="timeout-minutes: ${{ 0.005 }}"))
    assert cell.outcome("slow") == (FAILURE, FAILURE)
    assert cell.outcome("normal") == (SKIPPED, SKIPPED)
    # cancelled() holds once the job timed out: the step runs (with no time left)
    assert cell.outcome("on-cancel")[0] != SKIPPED
    assert cell.result.result == FAILURE
    assert cell.result.note.startswith("timed out")
    assert "0.005" in cell.result.note
    assert cell.result.seconds < 4


def test_a_job_that_timed_out_keeps_that_reason_over_a_later_failure(tmp_path: Path) -> None:
    steps = """
        - id: slow
          continue-on-error: true
          run: sleep 5
        - id: late
          name: the late one
          if: always()
          run: sleep 0.6
        """
    cell = run_cell(tmp_path, workflow(steps, job="timeout-minutes: 0.005"))
    # the job's time is up: the step that still runs gets none of it
    assert cell.outcomes() == {"slow": (FAILURE, SUCCESS), "late": (FAILURE, FAILURE)}
    assert cell.result.failed_step == "the late one"
    assert cell.result.note.startswith("timed out")


def test_a_step_timeout_longer_than_the_job_has_left_ends_with_the_job(tmp_path: Path) -> None:
    steps = "- id: slow\n  timeout-minutes: 10\n  run: sleep 5"
    cell = run_cell(tmp_path, workflow(steps, job="timeout-minutes: 0.005"))
    assert cell.outcome("slow") == (FAILURE, FAILURE)
    assert cell.result.seconds < 4


@pytest.mark.parametrize("where", ["step", "job"])
def test_a_timeout_that_is_not_a_positive_number_stops_the_run(tmp_path: Path, where: str) -> None:
    line = "timeout-minutes: ${{ matrix.minutes }}"
    steps = f"""
        - id: first
          {line if where == "step" else ""}
          run: echo first
        - id: second
          if: always()
          run: echo second
        """
    job = line if where == "job" else ""
    cell = run_cell(tmp_path, workflow(steps, job=job), matrix={"minutes": 0})
    assert cell.result.result == FAILURE
    assert cell.run.records == {}
    assert cell.setup.refused.is_set()
    assert [error.exit_code for error in cell.setup.errors] == [2]
    assert "timeout-minutes" in cell.result.note
    assert cell.result.note.endswith(timeout_problem(0))
    assert not cell.result.note.startswith("ci-sessions: ")
    assert cell.result.tail == cell.setup.errors[0].render().splitlines()
    assert "timeout-minutes" in cell.log


def test_a_timeout_that_cannot_be_evaluated_names_its_place(tmp_path: Path) -> None:
    cell = run_cell(tmp_path, workflow(f"- id: first\n  timeout-minutes: {BAD}\n  run: echo first"))
    assert cell.outcome("first") == (FAILURE, FAILURE)
    assert "(jobs.build.steps[0].timeout-minutes)" in cell.result.note


@pytest.mark.parametrize(
    ("key", "step"),
    [
        ("shell", f"- shell: {BAD}\n  run: echo ok"),
        ("run", f"- run: echo {BAD}"),
        ("working-directory", f"- working-directory: {BAD}\n  run: echo ok"),
    ],
    ids=["shell", "run", "working-directory"],
)
def test_an_expression_that_fails_in_a_script_setting_names_its_place(
    tmp_path: Path, key: str, step: str
) -> None:
    cell = run_cell(tmp_path, workflow(step))
    assert cell.result.result == FAILURE
    assert f"(jobs.build.steps[0].{key})" in cell.result.note


@pytest.mark.parametrize(
    ("key", "line"),
    [
        ("env.BAD", f'env: {{BAD: "{BAD}"}}'),
        ("name", f"name: {BAD}"),
        ("if", f"if: {BAD}"),
        ("continue-on-error", f"continue-on-error: {BAD}"),
    ],
    ids=["env", "name", "if", "continue-on-error"],
)
def test_an_expression_that_fails_in_a_step_setting_names_its_place(
    tmp_path: Path, key: str, line: str
) -> None:
    cell = run_cell(tmp_path, workflow(f"- id: broken\n  {line}\n  run: echo never"))
    assert cell.outcome("broken") == (FAILURE, FAILURE)
    assert f"(jobs.build.steps[0].{key})" in cell.result.note


def test_an_expression_that_fails_in_a_step_fails_that_step(tmp_path: Path) -> None:
    steps = f"""
        - id: broken
          name: broken step
          continue-on-error: true
          env:
            BAD: {BAD}
          run: echo never
        - id: next
          run: echo next
        """
    cell = run_cell(tmp_path, workflow(steps))
    # continue-on-error was not read yet: the step fails the job
    assert cell.outcomes() == {"broken": (FAILURE, FAILURE), "next": (SKIPPED, SKIPPED)}
    assert cell.result.failed_step == "broken step"
    assert cell.result.tail == [cell.result.note]
    assert "fromJSON" in cell.result.note
    assert "broken step: error" in cell.log
    assert not cell.setup.refused.is_set()


def test_an_expression_that_fails_in_the_job_fails_the_cell_without_stopping_the_run(
    tmp_path: Path,
) -> None:
    cell = run_cell(tmp_path, workflow("- id: first\n  run: echo first", job=f"name: {BAD}"))
    assert cell.result.result == FAILURE
    assert cell.run.records == {}
    assert cell.result.tail == [cell.result.note]
    assert "(jobs.build.name)" in cell.result.note
    assert not cell.setup.refused.is_set()
    assert cell.setup.errors == []


@pytest.mark.parametrize("key", ["runs-on", "continue-on-error", "timeout-minutes", "env"])
def test_an_expression_that_fails_in_a_job_setting_names_its_place(
    tmp_path: Path, key: str
) -> None:
    if key == "runs-on":
        text = workflow("- run: echo never", runs_on=BAD)
    else:
        text = workflow("- run: echo never", job=f"{key}: {BAD}")
    cell = run_cell(tmp_path, text)
    assert cell.result.result == FAILURE
    assert f"(jobs.build.{key})" in cell.result.note


def test_the_job_outputs_and_a_bad_one(tmp_path: Path) -> None:
    job = f"""
        name: Build ${{{{ matrix.python }}}}
        outputs:
          value: ${{{{ steps.made.outputs.value }}}}
          outcome: ${{{{ steps.made.outcome }}}}
          broken: {BAD}
          after: ${{{{ job.status }}}}
        """
    steps = '- id: made\n  run: echo "value=42" >> "$GITHUB_OUTPUT"'
    cell = run_cell(tmp_path, workflow(steps, job=job), matrix={"python": "3.12"}, label="3.12")
    assert cell.result.name == "Build 3.12"
    assert cell.result.outputs["value"] == "42"
    assert cell.result.outputs["outcome"] == SUCCESS
    assert "broken" not in cell.result.outputs
    assert cell.result.note.startswith(".github/workflows/ci.yml:9 (jobs.build.outputs.broken)")
    assert cell.result.outputs["after"] == SUCCESS  # the status the steps left
    assert cell.result.result == FAILURE
    assert "fromJSON" in cell.result.note
    assert cell.printed[0] == "▶ build (3.12)\n"


@pytest.mark.parametrize("key", ["container", "services"])
def test_containers_and_services_cannot_run_here(tmp_path: Path, key: str) -> None:
    job = f"{key}:\n  image: postgres"
    cell = run_cell(tmp_path, workflow("- id: first\n  run: echo first", job=job))
    assert cell.result.result == CANNOT_RUN
    assert f"jobs.build.{key}" in cell.result.note
    assert cell.run.records == {}
    assert any(f"jobs.build.{key}" in line for line in cell.printed)


def test_a_foreign_runner_skips_the_cell(tmp_path: Path) -> None:
    runs_on = "${{ github.event_name == 'push' && 'macos-14' || 'ubuntu-latest' }}"
    cell = run_cell(tmp_path, workflow("- id: first\n  run: echo first", runs_on=runs_on))
    assert cell.result.result == SKIPPED
    assert "macos-14" in cell.result.note
    assert cell.run.records == {}


def test_a_failing_step_after_a_skip_or_a_cannot_run_does_not_change_the_result(
    tmp_path: Path,
) -> None:
    steps = """
        - id: first
          run: exit 1
        - id: other
          if: always()
          uses: someone/unknown-action@v1
        - id: never
          if: always()
          run: echo never
        """
    job = "outputs:\n  first: ${{ steps.first.outcome }}"
    cell = run_cell(tmp_path, workflow(steps, job=job))
    assert cell.result.result == CANNOT_RUN
    assert "someone/unknown-action@v1" in cell.result.note
    assert cell.outcome("other") == (CANNOT_RUN, CANNOT_RUN)
    assert "never" not in cell.run.records
    assert cell.result.outputs == {}  # a job that could not run has no outputs
    assert cell.printed[-1].startswith("  - build: ")
