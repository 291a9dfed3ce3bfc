"""A cell's log and folders: where the log is, secrets masked in every line of ours, the copy
removed or kept (and linked), and what a step left running ended with the job."""

from __future__ import annotations

import os
import time
from pathlib import Path

from job_cell import run_cell, workflow

from ci_sessions._secrets import MASK
from ci_sessions.ci.model import FAILURE, SUCCESS, RunSetup

HIDDEN = "hunter2-secret"


def test_secrets_are_masked_in_every_line_the_cell_writes(tmp_path: Path) -> None:
    steps = """
        - name: skipped ${{ secrets.TOKEN }}
          if: false
          run: echo never
        - name: deploy ${{ secrets.TOKEN }}
          run: echo "the value is ${{ secrets.TOKEN }}"
        - name: broken ${{ secrets.TOKEN }}
          if: ${{ fromJSON('{') }}
          run: echo never
        - name: escape
          if: always()
          working-directory: /${{ secrets.TOKEN }}
          run: echo never
        """
    cell = run_cell(tmp_path, workflow(steps), secrets={"TOKEN": HIDDEN})
    log = cell.log
    assert HIDDEN not in log
    # each line of ours is there, masked: the skipped step, the step and its end, the error
    # of a step, the refusal that ended the cell
    assert f"skipped {MASK}: skipped" in log
    assert f"=== deploy {MASK} ===" in log
    assert f"=== deploy {MASK}: success" in log
    assert f"the value is {MASK}" in log
    assert f"=== broken {MASK}: error ===" in log
    assert f"/{MASK} leads outside" in log
    assert cell.result.result == FAILURE
    assert all(HIDDEN not in line for line in cell.printed)


def test_the_log_is_kept_with_the_run_and_the_copy_is_removed(tmp_path: Path) -> None:
    cell = run_cell(tmp_path, workflow('- run: echo "in the log"'), label="a b", index=3)
    assert (cell.result.job_id, cell.result.name, cell.result.cell) == ("build", "build", "a b")
    assert cell.result.index == 3
    assert cell.result.log == tmp_path / "demo" / ".ci-sessions" / "ci" / "build" / "a-b.log"
    assert "in the log" in cell.log
    assert cell.run.cell_dir == tmp_path / "work" / "build" / "a-b"
    assert not cell.run.cell_dir.exists()
    assert (tmp_path / "work").is_dir()
    assert not (tmp_path / "demo" / ".ci-sessions" / "ci" / "build" / "a-b").exists()
    assert cell.result.seconds < 60


def test_a_kept_copy_is_linked_from_the_project(tmp_path: Path) -> None:
    cell = run_cell(tmp_path, workflow("- run: echo kept > kept.txt"), keep=True)
    link = tmp_path / "demo" / ".ci-sessions" / "ci" / "build" / "cell"
    assert link.is_symlink()
    assert link.resolve() == cell.run.cell_dir.resolve()
    assert (link / "demo" / "kept.txt").read_text() == "kept\n"


def test_a_link_already_there_is_left_alone(tmp_path: Path) -> None:
    link = tmp_path / "demo" / ".ci-sessions" / "ci" / "build" / "cell"

    def prepare(_setup: RunSetup) -> None:
        link.parent.mkdir(parents=True)
        link.symlink_to(tmp_path / "gone", target_is_directory=True)

    cell = run_cell(tmp_path, workflow("- run: echo kept"), keep=True, prepare=prepare)
    assert cell.result.result == SUCCESS
    assert os.readlink(link) == str(tmp_path / "gone")


def test_what_a_step_leaves_running_ends_with_the_job(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    steps = f"""
        - run: |
            sleep 60 > /dev/null 2>&1 &
            echo $! > {pid_file}
        - run: kill -0 "$(cat {pid_file})"
        """
    cell = run_cell(tmp_path, workflow(steps))
    assert cell.result.result == SUCCESS  # the server lived on for the next step
    pid = int(pid_file.read_text())
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(0.05)
    assert not _alive(pid)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie left for its reaper is not running
    status = Path(f"/proc/{pid}/stat")
    return status.exists() and status.read_text().split(") ")[-1][:1] != "Z"
