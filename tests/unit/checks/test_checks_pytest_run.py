"""The tests check's run, command and verdict, with a stand-in for the environment's Python.

The stand-in is a small script in place of ``bin/python``: it records each command it is given
(its arguments, working folder and the variables the check sets) and plays the next step of a
plan: the outcomes file the plugin would write, a JUnit report, a coverage report, the as-built
finder's imports, its output and its exit code. Real pytest runs of the check are the
integration tests' (tests/integration); these tests pin what the check asks for and what it
makes of the answer, fast enough for mutation testing.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from ci_sessions.checks.base import CheckContext, Environment, EnvSpec, Shard
from ci_sessions.checks.pytest import PLUGIN, PLUGIN_DIR, REACH_VARIABLE, TestsCheck
from ci_sessions.config import load_config
from ci_sessions.config.project import load_project
from ci_sessions.results import Checked, CheckResult, Status

_STAND_IN = r"""
import json, os, sys
here = os.path.dirname(os.path.abspath(__file__))
log = os.path.join(here, "calls.jsonl")
done = 0
if os.path.exists(log):
    with open(log, encoding="utf-8") as f:
        done = sum(1 for _ in f)
args = sys.argv[1:]
names = ("PYTHONPATH", "COVERAGE_FILE", "CI_SESSIONS_PYTEST_REACH", "CI_SESSIONS_IMPORTS",
         "VIRTUAL_ENV")
with open(log, "a", encoding="utf-8") as f:
    seen = {"argv": args, "cwd": os.getcwd(), "env": {n: os.environ.get(n) for n in names}}
    f.write(json.dumps(seen) + "\n")
with open(os.path.join(here, "plan.json"), encoding="utf-8") as f:
    plan = json.load(f)
step = plan[min(done, len(plan) - 1)]
def value(prefix):
    return next((a[len(prefix):] for a in args if a.startswith(prefix)), None)
def write(path, text):
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
outcomes = value("--ci-sessions-outcomes=")
if outcomes and "tests" in step:
    rootdir = os.path.join(os.getcwd(), step.get("rootdir", ""))
    write(outcomes, json.dumps({"format": 1, "rootdir": rootdir, "tests": step["tests"]}))
if outcomes and "outcomes_text" in step:
    write(outcomes, step["outcomes_text"])
junit = value("--junitxml=")
if junit and "junit" in step:
    write(junit, step["junit"])
if "-o" in args and "report" in step:
    write(args[args.index("-o") + 1], step["report"])
imports = os.environ.get("CI_SESSIONS_IMPORTS")
if imports and "imports" in step:
    write(imports, "".join(json.dumps(pair) + "\n" for pair in step["imports"]))
sys.stdout.write(step.get("stdout", ""))
sys.stderr.write(step.get("stderr", ""))
sys.stdout.flush()
if "signal" in step:
    os.kill(os.getpid(), step["signal"])
sys.exit(step.get("exit", 0))
"""


@pytest.fixture(autouse=True)
def _no_inherited_pythonpath(monkeypatch: pytest.MonkeyPatch) -> None:
    """The check puts its plugin folder before the ``PYTHONPATH`` it inherits: under
    ``nox -s tests`` that is the plugin folder already (this suite runs under ci-sessions)."""
    monkeypatch.delenv("PYTHONPATH", raising=False)


def stand_in(tmp_path: Path, *steps: dict[str, Any], as_built: bool = False) -> Environment:
    """An environment whose Python plays ``steps``, one per command (the last one repeats)."""
    bin_dir = tmp_path / "venv" / "bin"
    bin_dir.mkdir(parents=True, exist_ok=True)
    python = bin_dir / "python"
    python.write_text(f"#!{sys.executable} -IS\n{_STAND_IN}", encoding="utf-8")
    python.chmod(0o755)
    (bin_dir / "plan.json").write_text(json.dumps(list(steps) or [{}]), encoding="utf-8")
    return Environment(EnvSpec("project", "3.12", as_built=as_built), bin_dir.parent, python)


def calls(env: Environment) -> list[dict[str, Any]]:
    log = env.bin_dir / "calls.jsonl"
    if not log.is_file():
        return []
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]


def context(tmp_path: Path, tests: str = "", extra: str = "", **fields: Any) -> CheckContext:
    """A project ``demo`` (one package) with ``tests`` as its ``[tool.ci-sessions.tests]``."""
    root = tmp_path / "p"
    (root / "src" / "demo").mkdir(parents=True, exist_ok=True)
    (root / "src" / "demo" / "__init__.py").write_text("")
    text = '[project]\nname = "demo"\nversion = "1"\n'
    if tests:
        text += f"[tool.ci-sessions.tests]\n{tests}\n"
    text += extra
    (root / "pyproject.toml").write_text(text)
    ctx = CheckContext(root, load_config(root, environ={}), load_project(root), "3.12", "tests")
    return replace(ctx, **fields)


def row(test_id: str, outcome: str = "passed", message: str = "") -> list[object]:
    return [test_id, outcome, 0.25, message]


REPORTS = ".ci-sessions/reports"


def reports(ctx: CheckContext) -> Path:
    return ctx.root / REPORTS


def private_outcomes(argv: Sequence[str], name: str = "outcomes-tests-3.12.json") -> str:
    """The outcomes argument, checked to name a file private to this run beside ``name``."""
    found = [a for a in argv if a.startswith("--ci-sessions-outcomes=")]
    assert len(found) == 1
    path = Path(found[0].removeprefix("--ci-sessions-outcomes="))
    assert re.fullmatch(rf"\.{re.escape(name)}\.{os.getpid()}-[0-9a-f]{{8}}", path.name)
    return found[0]


# -- a run, its files and its counts ---------------------------------------------------------


def test_a_run_reads_its_own_outcomes_and_publishes_them_under_the_shared_name(
    tmp_path: Path,
) -> None:
    ctx = context(tmp_path)
    folder = reports(ctx)
    folder.mkdir(parents=True)
    stale = ["outcomes-tests-3.12.json", "junit-tests-3.12.xml", "coverage-tests-3.12.json",
             "imports-tests-3.12.jsonl"]  # fmt: skip
    for name in stale:
        (folder / name).write_text("stale")
    tests = [row("tests/test_a.py::a"), row("tests/test_a.py::b"), row("tests/test_b.py::c"),
             row("tests/test_b.py::d", "skipped"), row("tests/test_b.py::e", "xfailed")]  # fmt: skip
    env = stand_in(tmp_path, {"tests": tests, "stdout": "out\n\n", "stderr": "err\n"})
    result = TestsCheck().run(ctx, {"project": env})
    [call] = calls(env)
    argv = call["argv"]
    assert argv == ["-m", "pytest", "-p", PLUGIN, private_outcomes(argv)]
    assert result.command == [str(env.python), *argv]
    assert call["cwd"] == str(ctx.root)
    assert call["env"] == {"PYTHONPATH": str(PLUGIN_DIR), "COVERAGE_FILE": None,
                           "CI_SESSIONS_PYTEST_REACH": None, "CI_SESSIONS_IMPORTS": None,
                           "VIRTUAL_ENV": str(env.location)}  # fmt: skip
    assert sorted(p.name for p in folder.iterdir()) == ["outcomes-tests-3.12.json"]
    assert json.loads((folder / "outcomes-tests-3.12.json").read_text())["tests"] == tests
    assert result.artifacts == {"outcomes": f"{REPORTS}/outcomes-tests-3.12.json"}
    assert result.metrics == {"exit_code": 0, "tests": 5, "passed": 3, "failed": 0, "errors": 0,
                              "skipped": 1, "xfailed": 1}  # fmt: skip
    assert result.checked == Checked("tests", 4)
    assert (result.check, result.session, result.python) == ("tests", "tests", "3.12")
    assert result.status is Status.PASS and result.output == "out\n\nerr"
    assert result.findings == []
    judged = TestsCheck().evaluate(ctx, result)
    assert judged.status is Status.PASS
    assert judged.summary == "3 passed, 0 failed, 1 skipped, 1 xfailed"


def test_the_plugin_folder_comes_before_the_projects_own_pythonpath(tmp_path: Path) -> None:
    ctx = context(tmp_path, env_overrides={"PYTHONPATH": "/elsewhere"})
    env = stand_in(tmp_path, {"tests": [row("tests/test_a.py::a")]})
    TestsCheck().run(ctx, {"project": env})
    assert calls(env)[0]["env"]["PYTHONPATH"] == os.pathsep.join([str(PLUGIN_DIR), "/elsewhere"])


def test_a_streamed_run_shows_its_output_and_keeps_none(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    ctx = context(tmp_path, stream=True)
    env = stand_in(tmp_path, {"tests": [row("tests/test_a.py::a")], "stdout": "shown\n"})
    result = TestsCheck().run(ctx, {"project": env})
    assert capfd.readouterr().out == "shown\n"  # pytest's output went to the terminal
    assert result.output == ""
    assert result.metrics["passed"] == 1


def test_failed_tests_are_findings_and_fail_the_gate(tmp_path: Path) -> None:
    ctx = context(tmp_path)
    tests = [row("tests/test_a.py::a"), row("tests/test_a.py::b", "failed", "assert 0\nmore"),
             row("tests/test_b.py", "error", "ImportError")]  # fmt: skip
    env = stand_in(tmp_path, {"tests": tests, "exit": 1})
    result = TestsCheck().run(ctx, {"project": env})
    assert result.metrics["failed"] == 1 and result.metrics["errors"] == 1
    assert result.metrics["passed"] == 1 and result.metrics["exit_code"] == 1
    assert [(f.rule, f.path) for f in result.findings] == [
        ("test-failure", "tests/test_a.py"),
        ("test-failure", "tests/test_b.py"),
    ]
    judged = TestsCheck().evaluate(ctx, result)
    assert judged.status is Status.FAIL
    assert [(g.name, g.value, g.threshold) for g in judged.gates] == [("failed tests", 2, 0)]


@pytest.mark.parametrize("code", [3, 4, 6, 127])
def test_pytest_that_could_not_run_is_an_error_with_its_output_and_command(
    tmp_path: Path, code: int
) -> None:
    ctx = context(tmp_path)
    lines = "".join(f"line {n}\n" for n in range(20))
    env = stand_in(tmp_path, {"tests": [row("tests/test_a.py::a")], "stdout": lines,
                              "exit": code})  # fmt: skip
    result = TestsCheck().run(ctx, {"project": env})
    assert result.status is Status.ERROR
    assert f"exit {code}" in result.summary
    assert result.output == lines.rstrip()  # all of it, not only the tail
    assert result.command == [str(env.python), *calls(env)[0]["argv"]]
    assert result.checked is None and (result.check, result.python) == ("tests", "3.12")


def test_pytest_killed_by_a_signal_is_an_error(tmp_path: Path) -> None:
    ctx = context(tmp_path, stream=True)
    env = stand_in(tmp_path, {"tests": [row("tests/test_a.py::a")], "signal": 9})
    result = TestsCheck().run(ctx, {"project": env})
    assert result.status is Status.ERROR
    assert "exit -9" in result.summary


@pytest.mark.parametrize("code", [1, 2])
def test_an_interrupted_or_failing_run_is_judged_on_its_outcomes(tmp_path: Path, code: int) -> None:
    ctx = context(tmp_path)
    env = stand_in(tmp_path, {"tests": [row("tests/test_a.py::a")], "exit": code})
    result = TestsCheck().run(ctx, {"project": env})
    assert result.status is Status.PASS and result.metrics["tests"] == 1
    judged = TestsCheck().evaluate(ctx, result)
    assert judged.status is Status.FAIL  # no test failed, pytest's exit code did
    assert judged.gates[-1].comparison == "=="
    assert [(g.name, g.value, g.threshold) for g in judged.gates][-1] == (
        "pytest exit code",
        code,
        0,
    )


def test_no_tests_collected_fails_unless_allowed(tmp_path: Path) -> None:
    env = stand_in(tmp_path, {"exit": 5})
    ctx = context(tmp_path)
    result = TestsCheck().run(ctx, {"project": env})
    assert result.status is Status.PASS and result.checked == Checked("tests", 0)
    assert result.metrics == {"exit_code": 5, "tests": 0, "passed": 0, "failed": 0, "errors": 0,
                              "skipped": 0, "xfailed": 0}  # fmt: skip
    judged = TestsCheck().evaluate(ctx, result)
    assert judged.status is Status.FAIL
    assert [(g.name, g.value, g.comparison, g.threshold) for g in judged.gates] == [
        ("tests collected", 0, ">=", 1)
    ]
    allowed = context(tmp_path, "allow-no-tests = true")
    skipped = TestsCheck().evaluate(allowed, TestsCheck().run(allowed, {"project": env}))
    assert skipped.status is Status.SKIP and skipped.summary  # a SKIP says why


def test_exit_5_with_outcomes_is_still_no_tests(tmp_path: Path) -> None:
    ctx = context(tmp_path)
    result = CheckResult(check="tests", session="tests", status=Status.PASS, python="3.12",
                         metrics={"exit_code": 5, "tests": 2, "passed": 2})  # fmt: skip
    assert TestsCheck().evaluate(ctx, result).status is Status.FAIL


def test_a_run_that_wrote_no_outcomes_or_unreadable_ones_is_an_error(tmp_path: Path) -> None:
    ctx = context(tmp_path)
    for step in ({"exit": 1, "stdout": "said"}, {"exit": 0, "stdout": "said"},
                 {"outcomes_text": '{"format": 2}'}, {"outcomes_text": "not json"},
                 {"junit": "<testsuite><testcase"}):  # fmt: skip
        env = stand_in(tmp_path, step)
        result = TestsCheck().run(replace(ctx, ci=True), {"project": env})
        assert result.status is Status.ERROR, step
        assert (result.check, result.python) == ("tests", "3.12") and result.summary
        assert result.output == step.get("stdout", ""), step  # what pytest said, if anything


def test_without_the_plugins_file_the_junit_report_counts(tmp_path: Path) -> None:
    ctx = context(tmp_path, 'junit = "always"')
    junit = (
        '<testsuite><testcase classname="tests.test_a" name="a" time="0.1"/>'
        '<testcase classname="tests.test_a" name="b"><failure message="no"/></testcase>'
        '<testcase classname="tests.test_a" name="c"><skipped/></testcase></testsuite>'
    )
    (ctx.root / "tests").mkdir()
    (ctx.root / "tests" / "test_a.py").write_text("")
    env = stand_in(tmp_path, {"junit": junit, "exit": 1})
    result = TestsCheck().run(ctx, {"project": env})
    assert result.metrics["tests"] == 3 and result.metrics["failed"] == 1
    assert result.checked == Checked("tests", 2)
    assert result.artifacts == {"junit": f"{REPORTS}/junit-tests-3.12.xml"}
    assert (reports(ctx) / "junit-tests-3.12.xml").is_file()
    # JUnit's dotted class name is the project's file
    assert [(f.path, f.message.split(": ")[0]) for f in result.findings] == [
        ("tests/test_a.py", "tests/test_a.py::b")
    ]


# -- the command ------------------------------------------------------------------------------


def test_the_command_holds_the_settings_paths_args_posargs_progress_and_junit(
    tmp_path: Path,
) -> None:
    progress = tmp_path / "progress.json"
    ctx = context(tmp_path, 'paths = ["tests"]\nargs = ["-x", "-q"]', ci=True,
                  posargs=["-k", "a"], progress_file=progress)  # fmt: skip
    env = stand_in(tmp_path, {"tests": [row("tests/test_a.py::a")], "junit": "<testsuite/>"})
    result = TestsCheck().run(ctx, {"project": env})
    argv = calls(env)[0]["argv"]
    token = private_outcomes(argv).rsplit(".", 1)[1]
    junit = reports(ctx) / f".junit-tests-3.12.xml.{token}"
    assert argv == [
        "-m", "pytest", "-p", PLUGIN, private_outcomes(argv),
        f"--ci-sessions-progress={progress}",
        f"--junitxml={junit}", "-o", "junit_suite_name=tests-3.12",
        "-x", "-q", "tests", "-k", "a",
    ]  # fmt: skip
    assert result.artifacts == {"outcomes": f"{REPORTS}/outcomes-tests-3.12.json",
                                "junit": f"{REPORTS}/junit-tests-3.12.xml"}  # fmt: skip
    assert "workers" not in result.metrics


@pytest.mark.parametrize(("mode", "ci", "wanted"), [
    ("ci", False, False), ("ci", True, True), ("always", False, True), ("never", True, False),
])  # fmt: skip
def test_junit_is_asked_for_by_its_setting(
    tmp_path: Path, mode: str, ci: bool, wanted: bool
) -> None:
    ctx = context(tmp_path, f'junit = "{mode}"', ci=ci)
    env = stand_in(tmp_path, {"tests": [row("tests/test_a.py::a")]})
    TestsCheck().run(ctx, {"project": env})
    assert any(a.startswith("--junitxml=") for a in calls(env)[0]["argv"]) is wanted


def test_selected_tests_replace_the_paths_and_an_empty_selection_runs_nothing(
    tmp_path: Path,
) -> None:
    ctx = context(tmp_path, 'paths = ["tests"]', selected_tests=["tests/test_b.py"])
    env = stand_in(tmp_path, {"tests": [row("tests/test_b.py::a")]})
    TestsCheck().run(ctx, {"project": env})
    assert calls(env)[0]["argv"][-1] == "tests/test_b.py"
    assert "tests" not in calls(env)[0]["argv"]
    nothing = stand_in(tmp_path / "other", {"tests": [row("tests/test_b.py::a")]})
    result = TestsCheck().run(replace(ctx, selected_tests=[]), {"project": nothing})
    assert result.status is Status.SKIP and calls(nothing) == []
    assert (result.check, result.session, result.python) == ("tests", "tests", "3.12")
    assert result.summary  # a SKIP says why


def test_an_incremental_run_lists_its_files_and_a_few_files_run_without_workers(
    tmp_path: Path,
) -> None:
    few = [f"tests/test_{n}.py" for n in range(7)]
    ctx = context(tmp_path, "workers = 2", only_files=few)
    env = stand_in(tmp_path, {"tests": [row("tests/test_0.py::a")]})
    result = TestsCheck().run(ctx, {"project": env})
    argv = calls(env)[0]["argv"]
    listing = ctx.root / ".ci-sessions" / "cache" / "reach" / "only-tests-3.12.txt"
    assert argv[5] == f"--ci-sessions-only={listing}"
    assert listing.read_text() == "".join(f"{ctx.root / f}\n" for f in few)
    assert "-n" not in argv and "workers" not in result.metrics
    eight = [*few, "tests/test_7.py"]
    env = stand_in(tmp_path / "eight", {"tests": [row("tests/test_0.py::a")]})
    result = TestsCheck().run(replace(ctx, only_files=eight), {"project": env})
    argv = calls(env)[0]["argv"]
    assert argv[argv.index("-n") + 1] == "2" and result.metrics["workers"] == "2"


def test_workers_run_pytest_xdist(tmp_path: Path) -> None:
    ctx = context(tmp_path, "workers = 3")
    env = stand_in(tmp_path, {"tests": [row("tests/test_a.py::a")]})
    result = TestsCheck().run(ctx, {"project": env})
    assert calls(env)[0]["argv"][5:] == ["-n", "3"]
    assert result.metrics["workers"] == "3"


def test_coverage_runs_pytest_under_coverage_and_through_pytest_cov_with_workers(
    tmp_path: Path,
) -> None:
    data = tmp_path / "p" / ".ci-sessions" / "coverage" / "3.12" / ".coverage"
    ctx = context(tmp_path, coverage_data=data)
    env = stand_in(tmp_path, {"tests": [row("tests/test_a.py::a")]})
    TestsCheck().run(ctx, {"project": env})
    argv = calls(env)[0]["argv"]
    assert argv[:8] == ["-m", "coverage", "run", "--parallel-mode", f"--data-file={data}",
                        "-m", "pytest", "-p"]  # fmt: skip
    assert data.parent.is_dir()
    assert calls(env)[0]["env"]["COVERAGE_FILE"] is None
    ctx = context(tmp_path, "workers = 2", coverage_data=data)
    env = stand_in(tmp_path / "xdist", {"tests": [row("tests/test_a.py::a")]})
    TestsCheck().run(ctx, {"project": env})
    [call] = calls(env)
    assert call["argv"][:4] == ["-m", "pytest", "-p", PLUGIN]
    assert call["argv"][5:] == ["-n", "2", "--cov", "--cov-report="]
    assert call["env"]["COVERAGE_FILE"] == f"{data}.xdist-3.12"


def test_the_environments_hold_coverage_and_pytest_cov_only_when_needed(tmp_path: Path) -> None:
    check = TestsCheck()
    plain = check.environments(context(tmp_path))
    assert list(plain) == ["project"] and plain["project"].name == "project"
    assert not any(r.startswith("coverage") for r in plain["project"].requirements)
    data = tmp_path / "data" / ".coverage"
    for ctx in (context(tmp_path, coverage_data=data), context(tmp_path, shard=Shard(1, 2))):
        cov = check.environments(ctx)["project"]
        assert cov.name == "project-cov"
        assert any(r.startswith("coverage") for r in cov.requirements)
        assert not any(r.startswith("pytest-cov") for r in cov.requirements)
    xdist = check.environments(context(tmp_path, "workers = 2", coverage_data=data))["project"]
    assert any(r.startswith("pytest-cov") for r in xdist.requirements)
    assert any(r.startswith("coverage") for r in xdist.requirements)


# -- shards -----------------------------------------------------------------------------------


def test_a_shard_runs_its_part_with_the_durations_and_reports_its_coverage(tmp_path: Path) -> None:
    ctx = context(tmp_path, shard=Shard(2, 4, {"tests/test_a.py::a": 1.5}))
    data = ctx.root / ".ci-sessions" / "coverage" / "shard-3.12" / ".coverage"
    data.parent.mkdir(parents=True)
    (data.parent / ".coverage.old").write_text("stale")
    (data.parent / "keep.txt").write_text("")
    env = stand_in(
        tmp_path,
        {"tests": [row("tests/test_a.py::a")]},
        {"stdout": '["omitted/*"]'},  # coverage's own omit setting
        {},  # combine
        {"report": "{}"},  # json
    )
    result = TestsCheck().run(ctx, {"project": env})
    run, omit, combine, report = calls(env)
    durations = reports(ctx) / "test-durations-3.12.json"
    argv = run["argv"]
    assert argv[:8] == ["-m", "coverage", "run", "--parallel-mode", f"--data-file={data}",
                        "-m", "pytest", "-p"]  # fmt: skip
    private_outcomes(argv, "outcomes-tests-3.12-shard2of4.json")
    assert argv[-2:] == ["--ci-sessions-shard=2/4", f"--ci-sessions-durations={durations}"]
    assert json.loads(durations.read_text()) == {
        "root": str(ctx.root),
        "durations": {"tests/test_a.py::a": 1.5},
    }
    assert sorted(p.name for p in data.parent.iterdir()) == ["keep.txt"]
    assert omit["argv"][0] == "-c"
    assert {c["env"]["VIRTUAL_ENV"] for c in (omit, combine, report)} == {str(env.location)}
    assert combine["argv"] == ["-m", "coverage", "combine", f"--data-file={data}",
                               str(data.parent)]  # fmt: skip
    json_report = reports(ctx) / "coverage-tests-3.12-shard2of4.json"
    assert report["argv"][:4] == ["-m", "coverage", "json", f"--data-file={data}"]
    assert report["argv"][4].startswith("--omit=omitted/*,")
    assert report["argv"][5:] == ["-o", str(json_report)]
    assert result.artifacts == {
        "outcomes": f"{REPORTS}/outcomes-tests-3.12-shard2of4.json",
        "coverage-shard": f"{REPORTS}/coverage-tests-3.12-shard2of4.json",
    }
    assert result.metrics["shard"] == "2/4"


def test_a_shard_whose_coverage_cannot_be_combined_or_reported_reports_none(
    tmp_path: Path,
) -> None:
    ctx = context(tmp_path, shard=Shard(1, 2))
    env = stand_in(tmp_path, {"tests": [row("tests/test_a.py::a")], "stdout": "ran"},
                   {"exit": 1}, {"exit": 1, "stderr": "combine failed"}, {"report": "{}"})  # fmt: skip
    result = TestsCheck().run(ctx, {"project": env})
    steps = calls(env)
    assert len(steps) == 3 and steps[2]["argv"][:3] == ["-m", "coverage", "combine"]
    assert "coverage-shard" not in result.artifacts
    assert result.output.startswith("ran\n") and result.output.endswith("combine failed")
    assert result.status is Status.PASS and result.metrics["passed"] == 1
    env = stand_in(tmp_path / "json", {"tests": [row("tests/test_a.py::a")]}, {"exit": 1}, {},
                   {"exit": 1})  # fmt: skip
    result = TestsCheck().run(ctx, {"project": env})
    assert len(calls(env)) == 4 and "coverage-shard" not in result.artifacts


def test_a_shard_report_without_coverages_omit_setting_has_no_omit(
    tmp_path: Path,
) -> None:
    ctx = context(tmp_path, shard=Shard(1, 2))
    env = stand_in(tmp_path, {"tests": [row("tests/test_a.py::a")]}, {"exit": 1}, {},
                   {"report": "{}"})  # fmt: skip
    result = TestsCheck().run(ctx, {"project": env})
    data = ctx.root / ".ci-sessions" / "coverage" / "shard-3.12" / ".coverage"
    report = reports(ctx) / "coverage-tests-3.12-shard1of2.json"
    assert calls(env)[3]["argv"] == ["-m", "coverage", "json", f"--data-file={data}", "-o",
                                     str(report)]  # fmt: skip
    assert result.artifacts["coverage-shard"] == f"{REPORTS}/coverage-tests-3.12-shard1of2.json"


def test_a_shard_under_the_runs_own_coverage_keeps_it(tmp_path: Path) -> None:
    data = tmp_path / "p" / ".ci-sessions" / "coverage" / "3.12" / ".coverage"
    ctx = context(tmp_path, shard=Shard(1, 2), coverage_data=data)
    env = stand_in(tmp_path, {"tests": [row("tests/test_a.py::a")]})
    result = TestsCheck().run(ctx, {"project": env})
    assert len(calls(env)) == 1  # no shard report: the run's coverage check reads the data
    assert f"--data-file={data}" in calls(env)[0]["argv"]
    assert "coverage-shard" not in result.artifacts


# -- known-flaky reruns -----------------------------------------------------------------------


def flaky_run(tmp_path: Path, rerun: dict[str, Any], table: str = "") -> tuple[
    CheckContext, Environment, CheckResult, list[list[str]]
]:  # fmt: skip
    asked: list[list[str]] = []

    def known(ids: Sequence[str]) -> list[str]:
        asked.append(list(ids))
        return [i for i in ids if "flaky" in i]

    ctx = context(tmp_path, extra=table, known_flaky=known)
    stale = reports(ctx) / "outcomes-rerun-tests-3.12.json"
    stale.parent.mkdir(parents=True, exist_ok=True)
    stale.write_text(json.dumps({"format": 1, "rootdir": str(ctx.root), "tests": []}))
    tests = [row("tests/test_a.py::ok"), row("tests/test_a.py::flaky_1", "failed"),
             row("tests/test_a.py::flaky_2", "failed"), row("tests/test_a.py::bad", "failed"),
             row("tests/test_a.py::flaky_3", "error")]  # fmt: skip
    env = stand_in(tmp_path, {"tests": tests, "exit": 1}, rerun)
    return ctx, env, TestsCheck().run(ctx, {"project": env}), asked


def test_known_flaky_failures_are_rerun_once_and_those_that_pass_count_as_passed(
    tmp_path: Path,
) -> None:
    rerun = {"tests": [row("tests/test_a.py::flaky_1"), row("tests/test_a.py::flaky_2", "failed"),
                       row("tests/test_a.py::flaky_3")], "exit": 1, "stdout": "rerun said"}  # fmt: skip
    ctx, env, result, asked = flaky_run(tmp_path, rerun)
    assert asked == [["tests/test_a.py::flaky_1", "tests/test_a.py::flaky_2",
                      "tests/test_a.py::bad", "tests/test_a.py::flaky_3"]]  # fmt: skip
    first, second = calls(env)
    rerun_file = reports(ctx) / "outcomes-rerun-tests-3.12.json"
    assert second["argv"] == [
        "-m", "pytest", "-p", PLUGIN, f"--ci-sessions-outcomes={rerun_file}",
        "-p", "no:cacheprovider",
        "tests/test_a.py::flaky_1", "tests/test_a.py::flaky_2", "tests/test_a.py::flaky_3",
    ]  # fmt: skip
    assert second["env"]["PYTHONPATH"] == first["env"]["PYTHONPATH"] == str(PLUGIN_DIR)
    assert result.metrics["flaky_reruns"] == 3 and result.metrics["flaky_passed"] == 2
    # a failure and the error passed on rerun: each leaves its own count
    assert result.metrics["failed"] == 2 and result.metrics["errors"] == 0
    assert result.metrics["passed"] == 1 + 2 and result.metrics["tests"] == 5
    assert result.artifacts["outcomes-rerun"] == f"{REPORTS}/outcomes-rerun-tests-3.12.json"
    assert "rerun said" in result.output
    assert [(f.rule, f.message.split(": ")[0]) for f in result.findings] == [
        ("flaky-test", "tests/test_a.py::flaky_1"),
        ("test-failure", "tests/test_a.py::flaky_2"),
        ("test-failure", "tests/test_a.py::bad"),
        ("flaky-test", "tests/test_a.py::flaky_3"),
    ]  # fmt: skip
    judged = TestsCheck().evaluate(ctx, result)
    assert judged.status is Status.FAIL  # two still fail


def test_passing_reruns_take_the_errors_after_the_failures(tmp_path: Path) -> None:
    ctx = context(tmp_path, known_flaky=lambda ids: list(ids))
    tests = [row("t.py::a", "failed"), row("t.py::b", "error"), row("t.py::c", "error")]
    rerun = {"tests": [row("t.py::a"), row("t.py::b"), row("t.py::c", "error")]}
    env = stand_in(tmp_path, {"tests": tests, "exit": 1}, rerun)
    result = TestsCheck().run(ctx, {"project": env})
    assert (result.metrics["failed"], result.metrics["errors"], result.metrics["passed"]) == (
        0, 1, 2
    )  # fmt: skip


def test_when_every_known_flaky_failure_passes_again_the_run_passes(tmp_path: Path) -> None:
    ctx = context(tmp_path, known_flaky=lambda ids: list(ids))
    env = stand_in(tmp_path, {"tests": [row("t.py::a"), row("t.py::b", "failed")], "exit": 1},
                   {"tests": [row("t.py::b")]})  # fmt: skip
    result = TestsCheck().run(ctx, {"project": env})
    assert (result.metrics["failed"], result.metrics["passed"]) == (0, 2)
    judged = TestsCheck().evaluate(ctx, result)
    assert judged.status is Status.PASS  # pytest's exit code 1 was the flaky test's
    assert [g.name for g in judged.gates] == ["failed tests"]


def test_no_rerun_when_the_setting_is_off_nothing_is_known_or_nothing_failed(
    tmp_path: Path,
) -> None:
    rerun = {"tests": [row("tests/test_a.py::flaky_1")]}
    _, env, result, asked = flaky_run(
        tmp_path, rerun, "[tool.ci-sessions.history]\nrerun-flaky = false\n"
    )
    assert len(calls(env)) == 1 and asked == []
    assert "flaky_reruns" not in result.metrics and result.metrics["failed"] == 3
    nobody = context(tmp_path / "b", known_flaky=lambda ids: [])
    env = stand_in(tmp_path / "b", {"tests": [row("t.py::a", "failed")], "exit": 1})
    assert "flaky_reruns" not in TestsCheck().run(nobody, {"project": env}).metrics
    assert len(calls(env)) == 1
    asked_too: list[Sequence[str]] = []
    passing = context(tmp_path / "c", known_flaky=lambda ids: asked_too.append(ids) or [])
    env = stand_in(tmp_path / "c", {"tests": [row("t.py::a")]})
    TestsCheck().run(passing, {"project": env})
    assert asked_too == []


def test_a_rerun_that_wrote_no_outcomes_changes_nothing(tmp_path: Path) -> None:
    ctx, env, result, _ = flaky_run(tmp_path, {"exit": 1})  # the stale file must not count
    assert len(calls(env)) == 2
    assert not (reports(ctx) / "outcomes-rerun-tests-3.12.json").exists()
    assert "flaky_reruns" not in result.metrics and "outcomes-rerun" not in result.artifacts
    assert result.metrics["failed"] == 3 and result.metrics["errors"] == 1
    assert all(f.rule == "test-failure" for f in result.findings)


# -- what a run tracks, and a compiled project --------------------------------------------------


def test_an_observed_run_tells_the_plugin_where_to_record_and_keeps_the_record(
    tmp_path: Path,
) -> None:
    ctx = context(tmp_path, observe=True)
    reach = ctx.root / ".ci-sessions" / "cache" / "reach"
    reach.mkdir(parents=True)
    (reach / "tests-3.12.json.gw0").write_text("stale")
    (reach / "tests-3.12.json").write_text("stale")
    (reach / "other.json").write_text("kept")
    env = stand_in(tmp_path, {"tests": [row("tests/test_a.py::a")]})
    result = TestsCheck().run(ctx, {"project": env})
    settings = reach / "settings-tests-3.12.json"
    assert calls(env)[0]["env"][REACH_VARIABLE] == str(settings)
    assert json.loads(settings.read_text()) == {
        "root": str(ctx.root), "output": str(reach / "tests-3.12.json"), "packages": ["demo"]
    }  # fmt: skip
    assert sorted(p.name for p in reach.iterdir()) == ["other.json", "settings-tests-3.12.json"]
    assert result.artifacts["reach"] == ".ci-sessions/cache/reach/tests-3.12.json"
    unobserved = TestsCheck().run(replace(ctx, observe=False), {"project": env})
    assert "reach" not in unobserved.artifacts
    assert calls(env)[1]["env"][REACH_VARIABLE] is None


def test_a_compiled_module_imported_from_the_tree_is_an_error(tmp_path: Path) -> None:
    ctx = context(tmp_path)
    tree = str(ctx.root / "src" / "demo" / "_speed.cpython-312-x86_64-linux-gnu.so")
    env = stand_in(tmp_path, {"tests": [row("tests/test_a.py::a")], "stdout": "ran",
                              "imports": [["demo._speed", tree]]}, as_built=True)  # fmt: skip
    result = TestsCheck().run(ctx, {"project": env})
    imports = reports(ctx) / "imports-tests-3.12.jsonl"
    assert calls(env)[0]["env"]["CI_SESSIONS_IMPORTS"] == str(imports)
    assert result.status is Status.ERROR and "demo._speed" in result.summary
    assert (result.check, result.python) == ("tests", "3.12")
    assert result.output.startswith("ran\ncompiled: demo._speed")
    assert result.command == [str(env.python), *calls(env)[0]["argv"]]


def test_a_compiled_module_from_the_build_passes_and_says_where_it_came_from(
    tmp_path: Path,
) -> None:
    ctx = context(tmp_path)
    built = str(tmp_path / "venv" / "lib" / "demo" / "_speed.cpython-312-x86_64-linux-gnu.so")
    env = stand_in(tmp_path, {"tests": [row("tests/test_a.py::a")],
                              "imports": [["demo._speed", built]]}, as_built=True)  # fmt: skip
    result = TestsCheck().run(ctx, {"project": env})
    assert result.status is Status.PASS and result.metrics["passed"] == 1
    assert result.output == f"compiled: demo._speed from {built}"
    env = stand_in(tmp_path / "py", {"tests": [row("tests/test_a.py::a")],
                                     "imports": [["demo", str(ctx.root / "src/demo/__init__.py")]]},
                   as_built=True)  # fmt: skip
    result = TestsCheck().run(ctx, {"project": env})
    assert result.status is Status.PASS
    assert result.output.splitlines()[0] == "as built: demo from the tree (src/demo/__init__.py)"
    assert len(result.output.splitlines()) == 2  # and the note that nothing compiled was seen
    plain = stand_in(tmp_path / "plain", {"tests": [row("tests/test_a.py::a")],
                                          "imports": [["demo._speed", "x.so"]]})  # fmt: skip
    result = TestsCheck().run(ctx, {"project": plain})
    assert calls(plain)[0]["env"]["CI_SESSIONS_IMPORTS"] is None and result.output == ""


# -- the verdict --------------------------------------------------------------------------------


def judged(tmp_path: Path, table: str = "", **metrics: int) -> CheckResult:
    result = CheckResult(check="tests", session="tests", status=Status.PASS, python="3.12",
                         metrics=dict(metrics))  # fmt: skip
    return TestsCheck().evaluate(context(tmp_path, table), result)


def test_failures_and_errors_are_judged_against_max_failures(tmp_path: Path) -> None:
    assert judged(tmp_path, exit_code=1, tests=4, passed=3, failed=1).status is Status.FAIL
    allowed = judged(tmp_path, "max-failures = 2", exit_code=1, tests=4, passed=2, failed=1,
                     errors=1)  # fmt: skip
    assert allowed.status is Status.PASS
    assert [(g.name, g.value, g.threshold) for g in allowed.gates] == [("failed tests", 2, 2)]
    over = judged(tmp_path, "max-failures = 2", exit_code=1, tests=4, failed=2, errors=1)
    assert over.status is Status.FAIL
    assert judged(tmp_path, exit_code=0, tests=2, passed=2).status is Status.PASS
    assert judged(tmp_path, tests=2, passed=2).status is Status.PASS  # no exit code: 0
    assert judged(tmp_path, exit_code=0).status is Status.FAIL  # no tests


def test_the_summary_counts_and_says_what_was_kept(tmp_path: Path) -> None:
    result = judged(tmp_path, exit_code=1, tests=9, passed=5, failed=1, errors=1, skipped=2)
    assert result.summary == "5 passed, 2 failed, 2 skipped"
    kept = judged(tmp_path, exit_code=0, tests=9, passed=9, tests_rerun=3, xfailed=0)
    assert kept.summary == "9 passed, 0 failed, 0 skipped (3 run now, the rest kept)"
    none_passed = judged(tmp_path, exit_code=1, tests=2, failed=2)
    assert none_passed.summary == "0 passed, 2 failed, 0 skipped"
    whole = judged(tmp_path, exit_code=0, tests=9, passed=9, tests_rerun=9)
    assert whole.summary == "9 passed, 0 failed, 0 skipped"


# -- incremental parts --------------------------------------------------------------------------


def test_runs_that_cannot_be_incremental_say_why(tmp_path: Path) -> None:
    from ci_sessions.checks.base import ProjectFiles

    files = ProjectFiles(python=("tests/test_a.py",), tests=("tests/test_a.py",))
    check = TestsCheck()
    assert check.units(context(tmp_path), files) == ["tests/test_a.py"]
    assert check.units(context(tmp_path, 'args = ["-x", "--lf-ish"]'), files) == ["tests/test_a.py"]
    for ctx in (
        replace(context(tmp_path), python="pypy3.10"),
        replace(context(tmp_path), python="3.11"),
        context(tmp_path, coverage_data=tmp_path / ".coverage"),
        context(tmp_path, selected_tests=["tests/test_a.py"]),
        context(tmp_path, selected_tests=[]),
        context(tmp_path, shard=Shard(1, 2)),
        context(tmp_path, posargs=["-k", "x"]),
        *(context(tmp_path, f'args = ["-q", "{arg}"]')
          for arg in ("--lf", "--ff", "--sw", "--nf", "--sw-skip", "--lfnf=all",
                      "--last-failed-no-failures=none", "--stepwise", "--new-first")),
    ):  # fmt: skip
        assert isinstance(check.units(ctx, files), str), ctx
    assert check.units(replace(context(tmp_path), python="3.13"), files) == ["tests/test_a.py"]
    assert check.units(replace(context(tmp_path), python="4.0"), files) == ["tests/test_a.py"]


def test_units_are_the_test_files_under_the_paths_and_modules_with_doctest_modules(
    tmp_path: Path,
) -> None:
    from ci_sessions.checks.base import ProjectFiles

    files = ProjectFiles(
        python=("src/demo/a.py", "tests/test_a.py", "tests2/test_b.py", "testsX/test_c.py"),
        tests=("tests/test_a.py", "tests2/test_b.py", "testsX/test_c.py", "test_top.py"),
    )
    check = TestsCheck()
    assert check.units(context(tmp_path, 'paths = ["testsX/"]'), files) == ["testsX/test_c.py"]
    for paths in ('["tests"]', '["./tests/"]', '["tests/test_a.py"]'):
        assert check.units(context(tmp_path, f"paths = {paths}"), files) == ["tests/test_a.py"]
    everything = ["test_top.py", "tests/test_a.py", "tests2/test_b.py", "testsX/test_c.py"]
    for paths in ('["."]', '["./"]', '[""]', "[]", '["nowhere", "."]'):
        assert check.units(context(tmp_path, f"paths = {paths}"), files) == everything, paths
    modules = check.units(context(tmp_path, 'args = ["--doctest-modules"]'), files)
    assert modules == ["src/demo/a.py", *everything]


def test_observed_needs_a_record_made_by_sys_monitoring(tmp_path: Path) -> None:
    ctx = context(tmp_path)
    reach = ctx.root / ".ci-sessions" / "cache" / "reach"
    reach.mkdir(parents=True)
    result = CheckResult(check="tests", session="tests", status=Status.PASS, python="3.12",
                         artifacts={"reach": ".ci-sessions/cache/reach/tests-3.12.json"})  # fmt: skip
    check = TestsCheck()
    assert check.observed(ctx, result) is None  # no record at all
    document = {"format": 1, "how": "sys.monitoring", "buckets": {}}
    (reach / "tests-3.12.json").write_text(json.dumps(document))
    assert check.observed(ctx, result) is not None
    assert check.observed(ctx, replace(result, artifacts={})) is None
    (reach / "tests-3.12.json.gw1").write_text(json.dumps({**document, "how": "settrace"}))
    assert check.observed(ctx, result) is None


def test_a_run_without_outcomes_keeps_nothing_unless_it_ran_no_test(tmp_path: Path) -> None:
    ctx = context(tmp_path)
    empty = CheckResult(check="tests", session="tests", status=Status.PASS, python="3.12",
                        metrics={"tests": 0})  # fmt: skip
    check = TestsCheck()
    assert check.unit_results(ctx, empty, ["tests/test_a.py"]) == {"tests/test_a.py": []}
    assert check.unit_results(ctx, replace(empty, metrics={}), ["t.py"]) == {"t.py": []}
    ran = replace(empty, metrics={"tests": 3})
    assert isinstance(check.unit_results(ctx, ran, ["tests/test_a.py"]), str)


def test_a_merge_counts_each_kept_outcome_as_what_it_was(tmp_path: Path) -> None:
    ctx = context(tmp_path)
    check = TestsCheck()

    def result(output: str = "ran", **metrics: int) -> CheckResult:
        return CheckResult(check="tests", session="tests", status=Status.PASS, python="3.12",
                           output=output, metrics=dict(metrics))  # fmt: skip

    kept = {"a.py": [["a.py::x", "passed", 0.1], ["a.py::y", "xfailed", 0.1]],
            "b.py": [["b.py::z", "skipped", 0.0], ["b.py::w", "passed", 0.1]]}  # fmt: skip
    merged = check.merge(ctx, result(exit_code=0, tests=2, passed=1, skipped=1), kept)
    assert merged.metrics == {"exit_code": 0, "tests": 6, "tests_rerun": 2, "passed": 3,
                              "skipped": 2, "xfailed": 1, "failed": 0, "errors": 0}  # fmt: skip
    assert merged.checked == Checked("tests", 4)
    assert merged.output.startswith("ran\n") and "4 test(s) in 2 unchanged file(s)" in merged.output
    alone = check.merge(ctx, result("", exit_code=5, tests=0), {"a.py": kept["a.py"][:1]})
    assert alone.metrics["exit_code"] == 0  # nothing ran now, but kept tests are tests
    assert alone.metrics["tests"] == 1 and alone.checked == Checked("tests", 1)
    assert alone.output == "1 test(s) in 1 unchanged file(s) kept from the last run"
    assert check.evaluate(ctx, alone).status is Status.PASS
    none_kept = check.merge(ctx, result(exit_code=5), {"a.py": []})
    assert none_kept.metrics["exit_code"] == 5
    nothing = check.merge(ctx, result(tests=2, passed=2), {})
    assert nothing.metrics == {"tests": 2, "passed": 2, "tests_rerun": 2}
    assert nothing.checked is None and nothing.output == "ran"
    no_code = check.merge(ctx, result(tests=0), {"a.py": kept["a.py"]})
    assert no_code.metrics["exit_code"] == 0


def test_each_failure_is_a_pytest_finding_at_its_file(tmp_path: Path) -> None:
    from ci_sessions.checks.pytest import _failure_findings
    from ci_sessions.junit import JUnitReport, TestOutcome

    counts = JUnitReport([TestOutcome("tests/test_a.py::TestA::test_b[x::y]", "failed"),
                          TestOutcome("tests/test_a.py::TestA::flaky", "failed")])  # fmt: skip
    findings = _failure_findings(counts, {"tests/test_a.py::TestA::flaky"})
    assert [(f.tool, f.rule, f.path) for f in findings] == [
        ("pytest", "test-failure", "tests/test_a.py"),
        ("pytest", "flaky-test", ""),
    ]


def test_a_kept_row_needs_an_outcome_string_in_second_place() -> None:
    from ci_sessions.checks.pytest import kept_outcomes

    rows = [["a", "passed"], ["b", "skipped", 0.1], ["c"], "d", ["e", 1, 0.1]]
    assert kept_outcomes(rows) == ["passed", "skipped", "unknown", "unknown", "unknown"]
    assert kept_outcomes({"a": "passed"}) == []


def test_kept_rows_are_per_file_with_ids_from_the_project_root(tmp_path: Path) -> None:
    ctx = context(tmp_path)
    folder = reports(ctx)
    folder.mkdir(parents=True)
    rows = [["tests/test_a.py::TestA::t[a::b]", "passed", 0.123456, ""]]
    # pytest's rootdir is a folder of the project: its ids are made relative to the project
    document = {"format": 1, "rootdir": str(ctx.root / "sub"), "tests": rows}
    (folder / "outcomes-tests-3.12.json").write_text(json.dumps(document))
    result = CheckResult(check="tests", session="tests", status=Status.PASS, python="3.12",
                         artifacts={"outcomes": f"{REPORTS}/outcomes-tests-3.12.json"},
                         metrics={"tests": 1})  # fmt: skip
    kept = TestsCheck().unit_results(ctx, result, ["sub/tests/test_a.py"])
    assert kept == {"sub/tests/test_a.py": [["sub/tests/test_a.py::TestA::t[a::b]", "passed",
                                             0.1235]]}  # fmt: skip


@pytest.mark.parametrize(
    "rerun",
    [
        {"tests": [], "exit": 4},  # pytest could not find the ids: no test ran again
        {"tests": [row("t.py::b", "skipped")], "exit": 0},  # skipped is not passed
        {"tests": [row("t.py::other")], "exit": 0},  # another test passed, not this one
    ],
)
def test_a_known_flaky_failure_passes_only_when_its_rerun_passed(
    tmp_path: Path, rerun: dict[str, Any]
) -> None:
    ctx = context(tmp_path, known_flaky=lambda ids: list(ids))
    env = stand_in(tmp_path, {"tests": [row("t.py::a"), row("t.py::b", "failed")], "exit": 1},
                   rerun)  # fmt: skip
    result = TestsCheck().run(ctx, {"project": env})
    assert len(calls(env)) == 2
    assert result.metrics["flaky_passed"] == 0
    assert (result.metrics["failed"], result.metrics["passed"]) == (1, 1)
    assert [f.rule for f in result.findings] == ["test-failure"]
    assert TestsCheck().evaluate(ctx, result).status is Status.FAIL


def test_a_failure_and_an_error_that_pass_again_leave_the_other_kind_counted(
    tmp_path: Path,
) -> None:
    ctx = context(tmp_path, known_flaky=lambda ids: [i for i in ids if "flaky" in i])
    tests = [row("t.py::bad", "failed"), row("t.py::flaky", "error")]
    env = stand_in(tmp_path, {"tests": tests, "exit": 1}, {"tests": [row("t.py::flaky")]})
    result = TestsCheck().run(ctx, {"project": env})
    # the error passed on rerun: the failure is still a failure, no error is left
    assert (result.metrics["failed"], result.metrics["errors"]) == (1, 0)
    assert result.metrics["passed"] == 1 and result.metrics["flaky_passed"] == 1


def test_a_flaky_id_that_did_not_fail_here_is_never_counted(tmp_path: Path) -> None:
    ctx = context(tmp_path, known_flaky=lambda ids: [*ids, "t.py::ghost"])
    env = stand_in(tmp_path, {"tests": [row("t.py::a", "failed")], "exit": 1},
                   {"tests": [row("t.py::a", "failed"), row("t.py::ghost")]})  # fmt: skip
    result = TestsCheck().run(ctx, {"project": env})
    assert result.metrics["flaky_passed"] == 0
    assert (result.metrics["failed"], result.metrics["passed"]) == (1, 0)


def test_an_interrupted_run_fails_even_when_its_flaky_failures_passed_again(
    tmp_path: Path,
) -> None:
    # pytest exits 2 when interrupted or when collection failed: not every test ran
    result = judged(tmp_path, exit_code=2, tests=3, passed=3, failed=0, flaky_passed=1)
    assert result.status is Status.FAIL
    assert [(g.name, g.value) for g in result.gates if g.status is Status.FAIL] == [
        ("pytest exit code", 2)
    ]
    assert judged(tmp_path, exit_code=1, tests=3, passed=3, flaky_passed=1).status is Status.PASS


def test_a_merge_adds_to_every_count_of_the_run_and_keeps_its_failure(tmp_path: Path) -> None:
    result = CheckResult(check="tests", session="tests", status=Status.PASS, python="3.12",
                         metrics={"exit_code": 1, "tests": 4, "passed": 1, "failed": 1,
                                  "errors": 1, "xfailed": 1})  # fmt: skip
    merged = TestsCheck().merge(context(tmp_path), result, {"a.py": [["a.py::x", "passed", 0.1]]})
    assert merged.metrics == {"exit_code": 1, "tests": 5, "tests_rerun": 4, "passed": 2,
                              "failed": 1, "errors": 1, "xfailed": 1, "skipped": 0}  # fmt: skip
    bare = CheckResult(check="tests", session="tests", status=Status.PASS, python="3.12")
    merged = TestsCheck().merge(context(tmp_path), bare, {"a.py": [["a.py::x", "passed", 0.1]]})
    assert merged.metrics["tests_rerun"] == 0 and merged.metrics["passed"] == 1


def test_a_first_observed_run_makes_the_folder_for_its_record(tmp_path: Path) -> None:
    ctx = context(tmp_path, observe=True)
    env = stand_in(tmp_path, {"tests": [row("tests/test_a.py::a")]})
    TestsCheck().run(ctx, {"project": env})
    settings = ctx.root / ".ci-sessions" / "cache" / "reach" / "settings-tests-3.12.json"
    assert calls(env)[0]["env"][REACH_VARIABLE] == str(settings) and settings.is_file()


def test_a_rerun_under_a_rootdir_inside_the_project_matches_its_tests(tmp_path: Path) -> None:
    # pytest's rootdir is a folder of the project: ids of both runs are made relative to the root
    ctx = context(tmp_path, known_flaky=lambda ids: list(ids))
    env = stand_in(
        tmp_path,
        {"tests": [row("tests/t.py::a", "failed")], "exit": 1, "rootdir": "sub", "stdout": "first"},
        {"tests": [row("tests/t.py::a")], "rootdir": "sub", "stdout": "second"},
    )
    result = TestsCheck().run(ctx, {"project": env})
    second = calls(env)[1]
    assert second["argv"][-1] == "sub/tests/t.py::a"
    assert second["env"]["VIRTUAL_ENV"] == str(env.location)
    assert result.metrics["flaky_passed"] == 1 and result.metrics["failed"] == 0
    assert result.output.startswith("first") and result.output.endswith("second")
