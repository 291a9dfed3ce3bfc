"""`ci-sessions ci` on small synthetic workflows with real bash steps in tmp_path repositories."""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import pytest
from ci_run import repo, run_ci

from ci_sessions._fs import remove_tree

pytestmark = pytest.mark.integration

CURRENT = f"{sys.version_info.major}.{sys.version_info.minor}"

OUTPUTS_AND_MATRIX = """
name: Flow
on: [push, pull_request]
env:
  LEVEL: workflow
  ONLY_WORKFLOW: w
jobs:
  plan:
    runs-on: ubuntu-latest
    env:
      LEVEL: job
    outputs:
      matrix: ${{ steps.plan.outputs.matrix }}
      notes: ${{ steps.plan.outputs.notes }}
      count: ${{ steps.plan.outputs.count }}
    steps:
      - uses: actions/checkout@v5
      - id: plan
        run: |
          echo 'matrix={"include":[{"name":"one","n":1},{"name":"two","n":2}]}' >> "$GITHUB_OUTPUT"
          {
            echo 'notes<<END'
            echo 'first line'
            echo 'second = line'
            echo 'END'
          } >> "$GITHUB_OUTPUT"
          echo "count=$(ls -A | wc -l)" >> "$GITHUB_OUTPUT"
          echo "FROM_STEP=exported" >> "$GITHUB_ENV"
          mkdir -p "$RUNNER_TEMP/bin" && printf '#!/bin/sh\\necho tool-ran\\n' > "$RUNNER_TEMP/bin/mytool"
          chmod +x "$RUNNER_TEMP/bin/mytool" && echo "$RUNNER_TEMP/bin" >> "$GITHUB_PATH"
      - name: env precedence (${{ env.LEVEL }})
        env:
          LEVEL: step
        run: |
          test "$LEVEL" = step
          test "$ONLY_WORKFLOW" = w
          test "$FROM_STEP" = exported
          test "$(mytool)" = tool-ran
          test "$CI" = true && test "$GITHUB_ACTIONS" = true
          test "$GITHUB_WORKSPACE" = "$PWD"
          echo "### plan done" >> "$GITHUB_STEP_SUMMARY"
  use:
    needs: plan
    runs-on: ubuntu-latest
    strategy:
      matrix: ${{ fromJSON(needs.plan.outputs.matrix) }}
    steps:
      - name: cell ${{ matrix.name }}
        env:
          NOTES: ${{ needs.plan.outputs.notes }}
        run: |
          test "$NOTES" = "$(printf 'first line\\nsecond = line')"
          test "${{ matrix.n }}" -ge 1
          test "${{ needs.plan.outputs.count }}" -ge 2
          test "${{ strategy.job-total }}" = 2
          echo "cell ${{ matrix.name }} of ${{ github.event_name }}" >> "$GITHUB_STEP_SUMMARY"
"""


def test_outputs_flow_between_jobs_and_drive_a_matrix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = repo(tmp_path / "p", OUTPUTS_AND_MATRIX, {"README.md": "hi\n"})
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))  # where the copies go
    done = run_ci(root, monkeypatch=monkeypatch, capsys=capsys)
    assert done.code == 0, done.err
    assert [(r["job"], r["cell"], r["result"]) for r in done.rows] == [
        ("plan", "", "success"),
        ("use", "one, 1", "success"),
        ("use", "two, 2", "success"),
    ]
    summary = (root / ".ci-sessions" / "ci" / "summary.md").read_text()
    assert "### plan done" in summary
    assert "## use (two, 2)" in summary and "cell two of push" in summary
    # the copies are gone, the logs stay, the user's tree is as it was
    assert list(scratch.iterdir()) == []
    assert "first line" not in (root / ".ci-sessions" / "ci" / "plan" / "plan.log").read_text()
    assert (root / ".ci-sessions" / "ci" / "use" / "one-1.log").exists()
    assert sorted(p.name for p in root.iterdir()) == [
        ".ci-sessions",
        ".git",
        ".github",
        "README.md",
    ]


FAILING_CELL = """
on: push
jobs:
  tests:
    runs-on: ubuntu-latest
    strategy:
      fail-fast: false
      matrix:
        python: ["3.11", "3.12"]
    steps:
      - name: run the tests
        run: |
          echo "testing on ${{ matrix.python }}"
          if [ "${{ matrix.python }}" = "3.12" ]; then echo "AssertionError: boom"; exit 3; fi
      - name: never after a failure
        run: echo should-not-run
      - name: report anyway
        if: always()
        id: report
        run: echo "ran=yes" >> "$GITHUB_OUTPUT"
      - name: only on failure
        if: failure() && steps.report.outputs.ran == 'yes'
        run: echo "failure handler ran"
  summary:
    needs: tests
    if: always()
    runs-on: ubuntu-latest
    steps:
      - run: |
          echo "tests were ${{ needs.tests.result }}"
          test "${{ needs.tests.result }}" = failure
  after:
    needs: tests
    runs-on: ubuntu-latest
    steps:
      - run: echo "skipped, a need failed"
"""


def test_a_failing_cell_fails_the_workflow_and_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = repo(tmp_path / "p", FAILING_CELL)
    done = run_ci(root, monkeypatch=monkeypatch, capsys=capsys)
    assert done.code == 1
    assert done.result("tests", "3.11") == "success"
    failed = done.row("tests", "3.12")
    assert failed["result"] == "failure"
    assert failed["failed_step"] == "run the tests"
    assert "exit code 3" in failed["note"]
    assert done.result("summary") == "success"  # if: always() runs after the failure
    assert done.result("after") == "skipped"
    log = (root / ".ci-sessions" / "ci" / "tests" / "3.12.log").read_text()
    assert "should-not-run" not in log.split("never after a failure")[-1].split("===")[0]
    assert "failure handler ran" in log
    summary = (root / ".ci-sessions" / "ci" / "summary.md").read_text()
    assert "| tests | 3.12 | failure |" in summary
    assert "run the tests" in summary
    assert "AssertionError: boom" in done.err  # the failing step's log tail is printed


def test_fail_fast_cancels_the_other_cells(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    workflow = """
    on: push
    jobs:
      cells:
        runs-on: ubuntu-latest
        strategy:
          matrix:
            kind: [fast-fail, slow]
        steps:
          - run: |
              if [ "${{ matrix.kind }}" = fast-fail ]; then sleep 1; exit 1; fi
              sleep 60
    """
    root = repo(tmp_path / "p", workflow)
    start = time.monotonic()
    done = run_ci(root, "--jobs", "2", monkeypatch=monkeypatch, capsys=capsys)
    assert time.monotonic() - start < 30
    assert done.code == 1
    assert done.result("cells", "fast-fail") == "failure"
    assert done.result("cells", "slow") == "cancelled"


def test_an_unknown_action_cannot_run_locally(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    workflow = """
    on: push
    jobs:
      build:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v5
          - uses: docker/build-push-action@v6
            with:
              push: false
          - run: echo never
      other:
        runs-on: ubuntu-latest
        steps:
          - run: echo fine
    """
    root = repo(tmp_path / "p", workflow)
    done = run_ci(root, monkeypatch=monkeypatch, capsys=capsys)
    assert done.code == 1  # never a silent pass
    assert done.result("build") == "cannot-run"
    assert done.row("build")["note"] == "cannot run locally: docker/build-push-action@v6"
    assert done.result("other") == "success"


def test_a_missing_python_or_a_foreign_runner_is_skipped_and_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    workflow = """
    on: push
    jobs:
      tests:
        runs-on: ${{ matrix.os }}
        strategy:
          matrix:
            os: [ubuntu-latest, macos-latest]
            python: ["CURRENT", "3.4"]
        steps:
          - uses: actions/setup-python@v6
            with:
              python-version: ${{ matrix.python }}
          - run: python -c "import sys; assert sys.version.startswith('${{ matrix.python }}.')"
      mac:
        runs-on: macos-latest
        steps:
          - run: echo on a mac
      after-mac:
        needs: mac
        runs-on: ubuntu-latest
        steps:
          - run: echo "runs only when mac succeeded"
    """.replace("CURRENT", CURRENT)
    root = repo(tmp_path / "p", workflow)
    done = run_ci(root, monkeypatch=monkeypatch, capsys=capsys)
    assert done.code == 0, done.err
    assert done.result("tests", f"ubuntu-latest, {CURRENT}") == "success"
    missing = done.row("tests", "ubuntu-latest, 3.4")
    assert missing["result"] == "skipped"
    assert "Python 3.4 is not installed here" in missing["note"]
    mac = done.row("tests", f"macos-latest, {CURRENT}")
    assert mac["result"] == "skipped" and "macos-latest: cannot run here" in mac["note"]
    assert done.result("mac") == "skipped"
    assert done.result("after-mac") == "skipped"  # needs a job that did not run here


def test_a_bad_expression_is_a_usage_error_naming_file_and_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    workflow = """
    on: push
    jobs:
      a:
        runs-on: ubuntu-latest
        steps:
          - run: echo ok
          - run: echo ${{ fromJSON(github.event }}
    """
    root = repo(tmp_path / "p", workflow)
    done = run_ci(root, monkeypatch=monkeypatch, capsys=capsys)
    assert done.code == 2
    assert ".github/workflows/ci.yml: line 7: jobs.a.steps[1].run" in done.err
    assert "fromJSON(github.event" in done.err
    assert not (root / ".ci-sessions" / "ci" / "a").exists()  # nothing ran


def test_a_bad_output_is_a_job_failure_naming_the_expression(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    workflow = """
    on: push
    jobs:
      plan:
        runs-on: ubuntu-latest
        outputs:
          matrix: ${{ steps.p.outputs.matrix }}
        steps:
          - id: p
            run: echo 'matrix=[not json' >> "$GITHUB_OUTPUT"
      use:
        needs: plan
        runs-on: ubuntu-latest
        strategy:
          matrix: ${{ fromJSON(needs.plan.outputs.matrix) }}
        steps:
          - run: echo never
    """
    root = repo(tmp_path / "p", workflow)
    done = run_ci(root, monkeypatch=monkeypatch, capsys=capsys)
    assert done.code == 1
    note = done.row("use")["note"]
    assert ".github/workflows/ci.yml:14" in note and "not valid JSON" in note


PULL_REQUEST = """
on:
  push:
  pull_request:
jobs:
  changes:
    runs-on: ubuntu-latest
    outputs:
      docs-only: ${{ steps.diff.outputs.docs-only }}
    steps:
      - uses: actions/checkout@v5
        with:
          fetch-depth: 0
      - id: diff
        if: github.event_name == 'pull_request'
        env:
          BASE_REF: ${{ github.base_ref }}
        run: |
          changed="$(git diff --name-only "$(git merge-base "origin/$BASE_REF" HEAD)")"
          echo "changed: $changed"
          if echo "$changed" | grep -qv '^docs/'; then echo docs-only=false; else echo docs-only=true; fi >> "$GITHUB_OUTPUT"
  tests:
    needs: changes
    if: needs.changes.outputs.docs-only != 'true'
    runs-on: ubuntu-latest
    steps:
      - run: echo testing
"""


def test_pull_request_event_with_base_and_skipped_jobs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from gitrepo import git

    root = repo(tmp_path / "p", PULL_REQUEST, {"src/app.py": "x = 1\n", "docs/index.md": "# d\n"})
    git(root, "switch", "-qc", "docs-change")
    (root / "docs" / "index.md").write_text("# changed docs\n")
    git(root, "commit", "-qam", "docs only")
    done = run_ci(root, "--base", "main", monkeypatch=monkeypatch, capsys=capsys)
    assert done.code == 0, done.err
    assert done.result("changes") == "success"
    assert done.result("tests") == "skipped"
    log = (root / ".ci-sessions" / "ci" / "changes" / "changes.log").read_text()
    assert "changed: docs/index.md" in log
    # a code change runs the tests; a push event skips the diff step
    (root / "src" / "app.py").write_text("x = 2\n")
    done = run_ci(
        root, "--event", "pull_request", "--base", "main", monkeypatch=monkeypatch, capsys=capsys
    )
    assert done.result("tests") == "success"
    push = run_ci(root, monkeypatch=monkeypatch, capsys=capsys)
    assert push.result("tests") == "success"
    assert (
        "skipped (if: false)"
        in (root / ".ci-sessions" / "ci" / "changes" / "changes.log").read_text()
    )


def test_job_selection_keep_timeouts_and_shells(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    workflow = """
    on: push
    defaults:
      run:
        shell: bash
    jobs:
      first:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v5
          - name: pipefail is on with shell bash
            id: pipe
            continue-on-error: true
            run: false | true
          - name: outcome and conclusion
            run: |
              test "${{ steps.pipe.outcome }}" = failure
              test "${{ steps.pipe.conclusion }}" = success
          - name: python shell in a sub-folder
            shell: python
            working-directory: sub
            run: |
              import pathlib
              assert pathlib.Path("marker.txt").exists()
          - name: hashFiles
            if: hashFiles('sub/*.txt') != ''
            run: echo "hash=${{ hashFiles('sub/*.txt') }}"
      slow:
        needs: first
        runs-on: ubuntu-latest
        steps:
          - name: too slow
            timeout-minutes: 0.05
            run: sleep 60
      unrelated:
        runs-on: ubuntu-latest
        steps:
          - run: echo unrelated
    """
    root = repo(tmp_path / "p", workflow, {"sub/marker.txt": "m\n"})
    start = time.monotonic()
    done = run_ci(root, "--job", "slow", "--keep", monkeypatch=monkeypatch, capsys=capsys)
    assert time.monotonic() - start < 30
    assert [r["job"] for r in done.rows] == ["first", "slow"]  # the job and what it needs
    assert done.result("first") == "success"
    assert done.result("slow") == "failure"
    assert "timed out" in done.row("slow")["note"]
    assert done.code == 1
    kept = root / ".ci-sessions" / "ci" / "first" / "first"
    assert kept.is_symlink() and not kept.resolve().is_relative_to(root)  # outside the project
    assert (kept / "p" / "sub" / "marker.txt").exists() and (kept / "p" / ".git").is_dir()
    assert f"the copies are kept in {kept.resolve().parents[1]}" in done.err
    remove_tree(kept.resolve().parents[1], within=kept.resolve().parents[1])
    log = (root / ".ci-sessions" / "ci" / "first" / "first.log").read_text()
    assert "hash=" in log and "hash=\n" not in log
    unknown = run_ci(root, "--job", "frist", monkeypatch=monkeypatch, capsys=capsys)
    assert unknown.code == 2 and "did you mean 'first'" in unknown.err


def test_the_running_ci_sessions_replaces_the_index_spec(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    workflow = """
    on: push
    env:
      CIS_PACKAGE: "ci-sessions>=0.1"
    jobs:
      a:
        runs-on: ubuntu-latest
        steps:
          - run: |
              echo "spec: $CIS_PACKAGE"
              case "$CIS_PACKAGE" in *.whl) test -f "$CIS_PACKAGE" ;; *) exit 1 ;; esac
    """
    root = repo(tmp_path / "p", workflow)
    done = run_ci(root, monkeypatch=monkeypatch, capsys=capsys)
    assert done.code == 0, done.err
    assert "instead of ci-sessions>=0.1" in done.err
    assert ".whl" in done.err.split("instead of")[0]


def test_job_level_success_reads_every_ancestor(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """GitHub skips a job whose grandparent failed even when its parent ran with always()."""
    workflow = """
    on: push
    jobs:
      broken:
        runs-on: ubuntu-latest
        steps:
          - run: exit 1
      cleanup:
        needs: broken
        if: always()
        runs-on: ubuntu-latest
        steps:
          - run: echo cleanup
      publish:
        needs: cleanup
        runs-on: ubuntu-latest
        steps:
          - run: echo publish
      report:
        needs: cleanup
        if: failure()
        runs-on: ubuntu-latest
        steps:
          - run: echo "an ancestor failed"
    """
    root = repo(tmp_path / "p", workflow)
    done = run_ci(root, monkeypatch=monkeypatch, capsys=capsys)
    assert done.code == 1
    assert [done.result(j) for j in ("broken", "cleanup", "publish", "report")] == [
        "failure",
        "success",
        "skipped",
        "success",
    ]


def test_an_interrupt_stops_the_steps_and_exits_130(tmp_path: Path) -> None:
    """Ctrl-C (SIGINT to the process group) ends the running step's process tree; exit 130."""
    import os
    import signal
    import subprocess

    pid_file = tmp_path / "step.pid"
    workflow = f"""
    on: push
    jobs:
      long:
        runs-on: ubuntu-latest
        steps:
          - run: |
              echo $$ > {pid_file}
              sleep 300
    """
    root = repo(tmp_path / "p", workflow)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never", "TMPDIR": str(scratch)}
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            # as from a terminal: a shell that started this suite in the background made its
            # children ignore SIGINT, and an ignored signal stays ignored across exec
            "import signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
            "from ci_sessions.ci.cli import main; sys.exit(main([]))",
        ],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120  # a loaded 2-core machine starts slowly
    while not (pid_file.exists() and pid_file.read_text().strip()) and time.monotonic() < deadline:
        time.sleep(0.1)
    step_pid = int(pid_file.read_text())
    os.killpg(process.pid, signal.SIGINT)
    _out, err = process.communicate(timeout=120)
    assert process.returncode == 130, err
    assert "interrupted" in err
    time.sleep(0.2)
    with pytest.raises(ProcessLookupError):
        os.kill(step_pid, 0)
    assert list(scratch.iterdir()) == []  # the copies are gone


def test_max_parallel_events_and_dispatch_inputs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    lock = tmp_path / "lock"
    workflow = f"""
    on:
      merge_group:
      workflow_dispatch:
        inputs:
          level:
            default: deep
          dry:
            type: boolean
            default: true
    jobs:
      one-at-a-time:
        runs-on: ubuntu-latest
        strategy:
          max-parallel: 1
          matrix:
            n: [1, 2, 3]
        steps:
          - run: |
              mkdir {lock}  # fails if another cell of this job holds it
              sleep 0.5
              rmdir {lock}
      event:
        runs-on: ubuntu-latest
        defaults:
          run:
            working-directory: sub
        steps:
          - uses: actions/checkout@v5
          - run: |
              test -f marker
              echo "event=${{{{ github.event_name }}}} level=${{{{ inputs.level }}}} dry=${{{{ inputs.dry }}}}"
          - if: github.event_name == 'merge_group'
            run: test "${{{{ github.event.merge_group.base_ref }}}}" = refs/heads/main
    """
    root = repo(tmp_path / "p", workflow, {"sub/marker": "m\n"})
    done = run_ci(
        root, "--event", "workflow_dispatch", "--jobs", "3", monkeypatch=monkeypatch, capsys=capsys
    )
    assert done.code == 0, done.err
    assert [done.result("one-at-a-time", str(n)) for n in (1, 2, 3)] == ["success"] * 3
    log = (root / ".ci-sessions" / "ci" / "event" / "event.log").read_text()
    assert "event=workflow_dispatch level=deep dry=true" in log
    merge = run_ci(
        root, "--event", "merge_group", "--job", "event", monkeypatch=monkeypatch, capsys=capsys
    )
    assert merge.code == 0, merge.err
    assert "event=merge_group" in (root / ".ci-sessions" / "ci" / "event" / "event.log").read_text()
    push = run_ci(root, "--event", "push", monkeypatch=monkeypatch, capsys=capsys)
    assert push.code == 2 and "not triggered by push" in push.err
