"""What a step's process sees (the runner's variables, ``env:`` at each level, the command files,
PATH, the working directory, the shell) and what its expressions see (the contexts)."""

from __future__ import annotations

import json
import os
import platform
import sys
from pathlib import Path

import pytest
from job_cell import HEAD, run_cell, workflow

from ci_sessions.ci.model import FAILURE, SUCCESS

#: a step that writes its environment, as JSON, to the file named by its first argument
DUMP = f"{sys.executable} -c 'import json, os, sys; json.dump(dict(os.environ), open(sys.argv[1], \"w\"))'"


def _arch() -> str:
    machine = platform.machine().lower()
    return {"x86_64": "X64", "amd64": "X64", "aarch64": "ARM64", "arm64": "ARM64"}.get(
        machine, machine.upper()
    )


def test_the_runner_variables_of_a_step(tmp_path: Path) -> None:
    dump = tmp_path / "env.json"
    steps = f"""
        - run: echo first
        - id: dump
          run: |
            {DUMP} {dump}
            cp "$GITHUB_EVENT_PATH" {tmp_path}/event.json
            pwd > {tmp_path}/pwd.txt
        """
    environ = {"PATH": os.environ["PATH"], "HOME": "/home/someone", "GITHUB_SHA": "stale"}
    cell = run_cell(tmp_path, workflow(steps), environ=environ)
    assert cell.result.result == SUCCESS
    env = json.loads(dump.read_text())
    workspace = cell.run.workspace
    temp = cell.run.temp
    commands = temp / "_runner_file_commands" / "step1"
    assert Path((tmp_path / "pwd.txt").read_text().strip()) == workspace
    assert workspace == tmp_path / "work" / "build" / "cell" / "demo"
    assert temp == tmp_path / "work" / "build" / "cell" / "temp"
    expected = {
        "CI": "true",
        "GITHUB_ACTIONS": "true",
        "GITHUB_WORKSPACE": str(workspace),
        "GITHUB_EVENT_NAME": "push",
        "GITHUB_EVENT_PATH": str(temp / "_github_workflow" / "event.json"),
        "GITHUB_SHA": HEAD,
        "GITHUB_REF": "refs/heads/main",
        "GITHUB_REF_NAME": "main",
        "GITHUB_REF_TYPE": "branch",
        "GITHUB_BASE_REF": "",
        "GITHUB_HEAD_REF": "",
        "GITHUB_REPOSITORY": "octo/demo",
        "GITHUB_REPOSITORY_OWNER": "octo",
        "GITHUB_WORKFLOW": "CI",
        "GITHUB_JOB": "build",
        "GITHUB_ACTION": "dump",
        "GITHUB_ACTOR": "octocat",
        "GITHUB_RUN_ID": "1",
        "GITHUB_RUN_NUMBER": "1",
        "GITHUB_RUN_ATTEMPT": "1",
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_API_URL": "https://api.github.com",
        "GITHUB_GRAPHQL_URL": "https://api.github.com/graphql",
        "RUNNER_OS": "Linux",
        "RUNNER_ARCH": _arch(),
        "RUNNER_NAME": "ci-sessions-local",
        "RUNNER_ENVIRONMENT": "self-hosted",
        "RUNNER_TEMP": str(temp),
        "RUNNER_TOOL_CACHE": str(temp / "_tool"),
        "GITHUB_OUTPUT": str(commands / "github_output"),
        "GITHUB_ENV": str(commands / "github_env"),
        "GITHUB_PATH": str(commands / "github_path"),
        "GITHUB_STEP_SUMMARY": str(commands / "github_step_summary"),
        "GITHUB_STATE": str(commands / "github_state"),
        "HOME": "/home/someone",
        "PATH": os.environ["PATH"],
    }
    assert {k: env.get(k) for k in expected} == expected
    event = json.loads((tmp_path / "event.json").read_text())
    assert event == cell.setup.github["event"]
    assert event["head_commit"]["message"] == "the change"


def test_a_step_without_an_id_is_named_by_its_place(tmp_path: Path) -> None:
    steps = f"""
        - run: echo first
        - run: echo "action=$GITHUB_ACTION" > {tmp_path}/action.txt
        """
    cell = run_cell(tmp_path, workflow(steps))
    assert cell.result.result == SUCCESS
    assert (tmp_path / "action.txt").read_text().strip() == "action=__run_1"


def test_a_pull_request_has_its_base_and_head_refs(tmp_path: Path) -> None:
    step = f'- run: echo "$GITHUB_BASE_REF $GITHUB_HEAD_REF $GITHUB_REF" > {tmp_path}/refs.txt'
    cell = run_cell(
        tmp_path,
        workflow(step, on="pull_request"),
        event_name="pull_request",
        base_ref="trunk",
        base_sha="f" * 40,
    )
    assert cell.result.result == SUCCESS
    assert (tmp_path / "refs.txt").read_text().split() == ["trunk", "main", "refs/pull/1/merge"]


def test_env_at_each_level_and_what_a_step_exports(tmp_path: Path) -> None:
    top = """
        env:
          LEVEL: workflow
          ONLY_WORKFLOW: w
          RUNNER_NAME: mine
        """
    job = """
        env:
          LEVEL: job
          NUMBER: ${{ 1 == 1 }}
        outputs:
          exported: ${{ env.EXPORTED }}
          level: ${{ env.LEVEL }}
        """
    steps = f"""
        - id: export
          run: |
            echo "EXPORTED=from-step" >> "$GITHUB_ENV"
            mkdir -p "$RUNNER_TEMP/one" "$RUNNER_TEMP/two"
            printf '#!/bin/sh\\necho one\\n' > "$RUNNER_TEMP/one/tool"
            printf '#!/bin/sh\\necho two\\n' > "$RUNNER_TEMP/two/tool"
            chmod +x "$RUNNER_TEMP/one/tool" "$RUNNER_TEMP/two/tool"
            echo "$RUNNER_TEMP/one" >> "$GITHUB_PATH"
            echo "$RUNNER_TEMP/two" >> "$GITHUB_PATH"
        - id: see
          name: sees ${{{{ env.LEVEL }}}} ${{{{ env.EXPORTED }}}}
          env:
            LEVEL: step
            FROM_EXPRESSION: ${{{{ env.EXPORTED }}}}-${{{{ env.ONLY_WORKFLOW }}}}
          run: |
            echo "$LEVEL $ONLY_WORKFLOW $NUMBER $EXPORTED $FROM_EXPRESSION $RUNNER_NAME" > {tmp_path}/seen.txt
            tool >> {tmp_path}/seen.txt
            echo "$RUNNER_TEMP/three" >> "$GITHUB_PATH"
        - id: path
          run: echo "$PATH" > {tmp_path}/path.txt
        """
    cell = run_cell(tmp_path, workflow(steps, job=job, top=top))
    assert cell.result.result == SUCCESS
    seen = (tmp_path / "seen.txt").read_text().split("\n")
    assert seen[0] == "step w true from-step from-step-w mine"
    assert seen[1] == "two"  # the last line of GITHUB_PATH comes first
    temp = cell.run.temp
    path = (tmp_path / "path.txt").read_text().strip().split(os.pathsep)
    assert path[:3] == [str(temp / "three"), str(temp / "two"), str(temp / "one")]
    assert path[3:] == cell.setup.environ["PATH"].split(os.pathsep)
    assert cell.result.outputs == {"exported": "from-step", "level": "job"}
    assert "sees step from-step" in cell.printed[2]


CUSTOM = "/opt/custom:/usr/bin:/bin"


@pytest.mark.parametrize(
    ("step", "environ", "expected"),
    [
        (f"- env:\n    PATH: {CUSTOM}\n  run: {{run}}", None, CUSTOM),
        ("- run: {run}", {"HOME": "/root"}, os.defpath),
    ],
    ids=["its-own", "the-default"],
)
def test_a_step_sets_its_own_path_and_without_any_gets_the_default(
    tmp_path: Path, step: str, environ: dict[str, str] | None, expected: str
) -> None:
    step = step.format(run=f'echo "$PATH" > {tmp_path}/path.txt')
    cell = run_cell(tmp_path, workflow(step), environ=environ)
    assert cell.result.result == SUCCESS
    assert (tmp_path / "path.txt").read_text().strip() == expected


def test_each_step_gets_empty_command_files(tmp_path: Path) -> None:
    steps = f"""
        - id: one
          run: |
            echo "a=1" >> "$GITHUB_OUTPUT"
            echo "# one" >> "$GITHUB_STEP_SUMMARY"
            echo "STATE=x" >> "$GITHUB_STATE"
        - id: two
          run: |
            cat "$GITHUB_OUTPUT" "$GITHUB_STEP_SUMMARY" "$GITHUB_STATE" > {tmp_path}/two.txt
            echo "b=2" >> "$GITHUB_OUTPUT"
            echo "   " >> "$GITHUB_STEP_SUMMARY"
        """
    cell = run_cell(tmp_path, workflow(steps))
    assert cell.result.result == SUCCESS
    assert (tmp_path / "two.txt").read_text() == ""
    assert cell.outputs("one") == {"a": "1"}
    assert cell.outputs("two") == {"b": "2"}
    assert cell.result.summaries == ["# one\n"]  # a blank summary is left out


def test_a_command_file_that_cannot_be_read_fails_the_step(tmp_path: Path) -> None:
    steps = """
        - id: bad-output
          continue-on-error: true
          run: echo "name<<" >> "$GITHUB_OUTPUT"
        - id: failed-and-bad
          continue-on-error: true
          run: |
            echo "name<<" >> "$GITHUB_OUTPUT"
            exit 7
        - id: bad-path
          run: printf 'a\\0b\\n' >> "$GITHUB_PATH"
        """
    cell = run_cell(tmp_path, workflow(steps))
    assert cell.outcomes() == {
        "bad-output": (FAILURE, SUCCESS),
        "failed-and-bad": (FAILURE, SUCCESS),
        "bad-path": (FAILURE, FAILURE),
    }
    assert cell.result.note.startswith("GITHUB_PATH")
    assert cell.result.note in cell.result.tail


def test_a_bad_command_file_names_itself_when_the_step_had_no_reason(tmp_path: Path) -> None:
    first = run_cell(tmp_path / "first", workflow('- run: echo "name<<" >> "$GITHUB_OUTPUT"'))
    assert first.result.note.startswith("GITHUB_OUTPUT")
    steps = """
        - run: |
            echo "name<<" >> "$GITHUB_ENV"
            exit 7
        """
    failed = run_cell(tmp_path / "failed", workflow(steps))
    assert "7" in failed.result.note  # the step's own reason comes first
    assert any(line.startswith("GITHUB_ENV") for line in failed.result.tail)


def test_the_contexts_a_job_sees(tmp_path: Path) -> None:
    job = """
        env:
          JOBVAR: j
        outputs:
          job: ${{ github.job }}
          workspace: ${{ github.workspace }}
          sha: ${{ github.sha }}
          env: ${{ env.JOBVAR }}
          matrix: ${{ matrix.python }}
          needs: ${{ needs.plan.outputs.x }}
          strategy: ${{ strategy.fail-fast }}
          status: ${{ job.status }}
          container: ${{ toJSON(job.container) }}
          services: ${{ toJSON(job.services) }}
          os: ${{ runner.os }}
          arch: ${{ runner.arch }}
          name: ${{ runner.name }}
          temp: ${{ runner.temp }}
          tool_cache: ${{ runner.tool_cache }}
          environment: ${{ runner.environment }}
          debug: ${{ runner.debug }}
          outcome: ${{ steps.made.outcome }}
          conclusion: ${{ steps.made.conclusion }}
          output: ${{ steps.made.outputs.x }}
          secret: ${{ secrets.TOKEN }}
          vars: ${{ toJSON(vars) }}
          inputs: ${{ toJSON(inputs) }}
        """
    steps = """
        - id: made
          continue-on-error: true
          run: |
            echo "x=made" >> "$GITHUB_OUTPUT"
            exit 1
        """
    cell = run_cell(
        tmp_path,
        workflow(steps, job=job),
        matrix={"python": "3.13"},
        needs={"plan": {"outputs": {"x": "planned"}, "result": "success"}},
        strategy={"fail-fast": True},
        secrets={"TOKEN": "tok-123"},
    )
    temp = cell.run.temp
    assert cell.result.outputs == {
        "job": "build",
        "workspace": str(cell.run.workspace),
        "sha": HEAD,
        "env": "j",
        "matrix": "3.13",
        "needs": "planned",
        "strategy": "true",
        "status": SUCCESS,
        "container": "{}",
        "services": "{}",
        "os": "Linux",
        "arch": _arch(),
        "name": "ci-sessions-local",
        "temp": str(temp),
        "tool_cache": str(temp / "_tool"),
        "environment": "self-hosted",
        "debug": "",
        "outcome": FAILURE,
        "conclusion": SUCCESS,
        "output": "made",
        "secret": "tok-123",
        "vars": "{}",
        "inputs": "{}",
    }


def test_the_names_inside_the_contexts_as_tojson_shows_them(tmp_path: Path) -> None:
    """Names in expressions ignore case, but ``toJSON`` shows them as GitHub spells them."""
    job = """
        outputs:
          runner: ${{ toJSON(runner) }}
          job: ${{ toJSON(job) }}
          steps: ${{ toJSON(steps) }}
          github: ${{ toJSON(github) }}
          hash: ${{ hashFiles('made.txt') }}
        """
    steps = """
        - id: made
          run: |
            echo "x=1" >> "$GITHUB_OUTPUT"
            echo made > made.txt
        """
    cell = run_cell(tmp_path, workflow(steps, job=job))
    # hashFiles reads the cell's workspace
    assert len(cell.result.outputs.pop("hash")) == 64
    outputs = {key: json.loads(value) for key, value in cell.result.outputs.items()}
    assert set(outputs["runner"]) == {
        "os", "arch", "name", "temp", "tool_cache", "environment", "debug",
    }  # fmt: skip
    assert set(outputs["job"]) == {"status", "container", "services"}
    assert outputs["steps"] == {
        "made": {"outputs": {"x": "1"}, "outcome": SUCCESS, "conclusion": SUCCESS}
    }
    assert outputs["github"]["job"] == "build"
    assert outputs["github"]["workspace"] == str(cell.run.workspace)


def test_defaults_of_the_workflow_and_the_job(tmp_path: Path) -> None:
    top = """
        defaults:
          run:
            shell: sh
            working-directory: from-workflow
        """
    job = """
        defaults:
          run:
            working-directory: ${{ github.job == 'build' && 'from-job' || 'elsewhere' }}
        """
    steps = f"""
        - working-directory: .
          run: mkdir -p from-job/deeper from-workflow
        - id: default
          run: echo "$(pwd) ${{BASH_VERSION:-no-bash}}" > {tmp_path}/default.txt
        - id: own
          shell: bash
          working-directory: from-job/deeper
          run: echo "$(pwd) ${{BASH_VERSION:+bash}}" > {tmp_path}/own.txt
        - id: missing
          working-directory: nowhere
          run: echo never
        - id: after-missing
          if: always()
          run: echo after
        """
    cell = run_cell(tmp_path, workflow(steps, job=job, top=top))
    workspace = cell.run.workspace
    assert (tmp_path / "default.txt").read_text().split() == [
        str(workspace / "from-job"),
        "no-bash",
    ]
    assert (tmp_path / "own.txt").read_text().split() == [
        str(workspace / "from-job" / "deeper"),
        "bash",
    ]
    assert cell.outcome("missing") == (FAILURE, FAILURE)
    assert "nowhere" in cell.result.note
    assert cell.outcome("after-missing") == (SUCCESS, SUCCESS)  # the job goes on


@pytest.mark.parametrize(("where", "prefix"), [("workflow", ""), ("job", "jobs.build.")])
def test_a_bad_default_names_its_place(tmp_path: Path, where: str, prefix: str) -> None:
    defaults = "defaults: {run: {working-directory: \"${{ fromJSON('{') }}\"}}"
    levels = {"top": defaults} if where == "workflow" else {"job": defaults}
    cell = run_cell(tmp_path, workflow("- run: echo never", **levels))
    assert cell.result.result == FAILURE
    assert f"({prefix}defaults.working-directory)" in cell.result.note, cell.result.note


def test_a_working_directory_in_runner_temp_is_allowed(tmp_path: Path) -> None:
    steps = f"- working-directory: ${{{{ runner.temp }}}}\n  run: pwd > {tmp_path}/pwd.txt"
    cell = run_cell(tmp_path, workflow(steps))
    assert cell.result.result == SUCCESS
    assert Path((tmp_path / "pwd.txt").read_text().strip()) == cell.run.temp


def test_a_working_directory_outside_the_job_stops_the_run(tmp_path: Path) -> None:
    steps = f"""
        - id: escape
          working-directory: ../../../..
          run: touch {tmp_path}/escaped
        - id: after
          if: always()
          run: echo after
        """
    cell = run_cell(tmp_path, workflow(steps))
    assert not (tmp_path / "escaped").exists()
    assert cell.result.result == FAILURE
    assert cell.setup.refused.is_set()
    assert [error.exit_code for error in cell.setup.errors] == [2]
    assert "jobs.build.steps[0].working-directory:" in cell.result.note
    assert cell.setup.errors[0].fix  # it says how to stay inside
    assert cell.run.records == {}


def test_a_shell_github_does_not_know_fails_the_step(tmp_path: Path) -> None:
    steps = f"""
        - id: odd
          continue-on-error: true
          shell: ${{{{ matrix.shell }}}}
          run: touch {tmp_path}/ran
        - id: python
          shell: python
          run: |
            import os
            open(os.path.join({str(tmp_path)!r}, "python.txt"), "w").write("ok")
        """
    cell = run_cell(
        tmp_path,
        workflow(steps),
        environ={"PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.defpath}"},
        matrix={"shell": "fish"},
    )
    assert cell.outcome("odd") == (FAILURE, SUCCESS)
    assert not (tmp_path / "ran").exists()
    assert cell.outcome("python") == (SUCCESS, SUCCESS)
    assert (tmp_path / "python.txt").read_text() == "ok"


def test_a_shell_installed_by_an_earlier_step_is_found_on_its_path(tmp_path: Path) -> None:
    steps = f"""
        - run: |
            mkdir -p "$RUNNER_TEMP/shells"
            printf '#!/bin/sh\\nexec sh "$@"\\n' > "$RUNNER_TEMP/shells/mysh"
            chmod +x "$RUNNER_TEMP/shells/mysh"
            echo "$RUNNER_TEMP/shells" >> "$GITHUB_PATH"
        - id: custom
          shell: mysh {{0}}
          run: echo custom > {tmp_path}/custom.txt
        - id: empty
          run: ""
        """
    cell = run_cell(tmp_path, workflow(steps))
    assert cell.outcome("custom") == (SUCCESS, SUCCESS)
    assert (tmp_path / "custom.txt").read_text() == "custom\n"
    assert cell.outcome("empty") == (SUCCESS, SUCCESS)


def test_the_install_variables_are_replaced_at_every_level(tmp_path: Path) -> None:
    job = """
        env:
          CIS_PACKAGE: ci-sessions==2.0
          OTHER: ci-sessions==2.0
        """
    steps = f"""
        - run: echo "$CIS_PACKAGE" > {tmp_path}/job.txt
        - env:
            CIS_PACKAGE: ci-sessions==3.0
          run: echo "$CIS_PACKAGE $OTHER" > {tmp_path}/step.txt
        - env:
            CIS_PACKAGE: ./local
          run: echo "$CIS_PACKAGE" > {tmp_path}/local.txt
        """
    cell = run_cell(
        tmp_path,
        workflow(steps, job=job, top="env:\n  CIS_PACKAGE: ci-sessions==1.0"),
        substitute="/wheels/ci_sessions-9.9-py3-none-any.whl",
    )
    assert cell.result.result == SUCCESS
    wheel = "/wheels/ci_sessions-9.9-py3-none-any.whl"
    assert (tmp_path / "job.txt").read_text().strip() == wheel
    assert (tmp_path / "step.txt").read_text().split() == [wheel, "ci-sessions==2.0"]
    assert (tmp_path / "local.txt").read_text().strip() == "./local"


def test_untrusted_text_reaches_a_script_as_a_variable_at_every_level(tmp_path: Path) -> None:
    """A commit message is untrusted; passed through ``env:`` at the workflow, job or step level
    and read back with ``${{ env.X }}``, it must not become shell code."""
    marker = tmp_path / "PWNED"
    message = f"x; touch {marker}"
    untrusted = "${{ github.event.head_commit.message }}"
    steps = f"""
        - run: echo ${{{{ env.FROM_WORKFLOW }}}} > {tmp_path}/workflow.txt
        - run: echo ${{{{ env.FROM_JOB }}}} > {tmp_path}/job.txt
        - env:
            FROM_STEP: {untrusted}
          run: echo ${{{{ env.FROM_STEP }}}} > {tmp_path}/step.txt
        - env:
            AGAIN: ${{{{ env.FROM_JOB }}}}
          run: echo ${{{{ env.AGAIN }}}} > {tmp_path}/again.txt
        - id: python
          shell: python
          env:
            FROM_STEP: {untrusted}
          run: print("${{{{ env.FROM_STEP }}}}")
        - id: after-python
          if: always()
          run: echo after
        """
    text = workflow(
        steps, job=f"env:\n  FROM_JOB: {untrusted}", top=f"env:\n  FROM_WORKFLOW: {untrusted}"
    )
    cell = run_cell(tmp_path, text, commit_message=message)
    assert not marker.exists()
    for level in ("workflow", "job", "step", "again"):
        assert (tmp_path / f"{level}.txt").read_text().strip() == message, level
    # no variable can stand in a python script: the step is refused, not run
    assert cell.outcome("python") == (FAILURE, FAILURE)
    assert "jobs.build.steps[4].run" in cell.result.note
    assert cell.outcome("after-python") == (SUCCESS, SUCCESS)  # the job goes on
