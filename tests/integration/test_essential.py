"""The essential tier on fixture projects, through real nox, ruff, pyright and pytest."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from fixture_projects import NOXFILE, NoxRun, pyproject, write_files

from ci_sessions.junit import parse_outcomes

pytestmark = [pytest.mark.integration, pytest.mark.slow]

Make = Callable[..., Path]
Run = Callable[..., NoxRun]


def test_clean_src_project_passes_every_gate(make_project: Make, nox_runner: Run) -> None:
    root = make_project()
    run = nox_runner(root, "-s", "essential")
    assert run.returncode == 0, run.output
    assert run.results is not None
    labels = [r["label"] for r in run.results["results"]]
    assert labels[:3] == ["lint", "format", "typecheck"]
    assert labels[3].startswith("tests-3.")
    assert {r["status"] for r in run.results["results"]} == {"PASS"}
    # the gate table is printed, one row per check
    assert "ci-sessions · essential" in run.stdout
    assert "findings 0 <= 0" in run.stdout
    artifacts = run.result(labels[3])["artifacts"]
    outcomes = parse_outcomes(root / artifacts["outcomes"], root).outcomes
    assert [(t.test_id, t.outcome) for t in outcomes] == [("tests/test_add.py::test_add", "passed")]
    assert "junit" not in artifacts  # JUnit XML is written on CI (tests.junit = "ci")
    # tools live in their own environments, never beside the project's tests
    envs = root / ".nox" / "ci-sessions"
    project_env = next(envs.glob("project-3.*"))
    assert not list(project_env.glob("lib/python*/site-packages/pyright*"))
    assert not list(project_env.glob("lib/python*/site-packages/ruff*"))


def test_unused_import_fails_lint_even_when_the_project_ignores_f401(
    make_project: Make, nox_runner: Run
) -> None:
    root = make_project(
        {
            "src/demo/util.py": "import os\n\n\ndef helper() -> int:\n    return 1\n",
            "ruff.toml": 'fix = true\n[lint]\nselect = ["E", "F"]\nignore = ["F401"]\n',
        },
        name="demo",
    )
    before = (root / "src/demo/util.py").read_text()
    run = nox_runner(root, "-s", "essential")
    assert run.returncode == 1, run.output
    lint = run.result("lint")
    assert lint["status"] == "FAIL"
    assert [f["rule"] for f in lint["findings"]] == ["F401"]
    assert lint["findings"][0]["path"] == "src/demo/util.py"
    assert lint["findings"][0]["line"] == 1
    # the other checks still ran and reported
    assert run.status("format") == "PASS"
    assert run.status("typecheck") == "PASS"
    # checks never modify the tree, even with `fix = true` in the project's ruff config
    assert (root / "src/demo/util.py").read_text() == before
    # the verdict matches ruff run by hand under the zero-tolerance selection
    ruff = next((root / ".nox" / "ci-sessions").glob("ruff-*")) / "bin" / "ruff"
    by_hand = subprocess.run(
        [str(ruff), "check", "--no-fix", "--isolated", "--select", "F", "src"],
        cwd=root, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert "F401" in by_hand.stdout and by_hand.returncode == 1


def test_type_error_fails_typecheck_with_location(make_project: Make, nox_runner: Run) -> None:
    root = make_project({"src/demo/bad.py": "def length(text: str) -> int:\n    return text + 1\n"})
    run = nox_runner(root, "-s", "typecheck")
    assert run.returncode == 1, run.output
    typecheck = run.result("typecheck")
    assert typecheck["status"] == "FAIL"
    locations = {(f["path"], f["line"]) for f in typecheck["findings"]}
    assert ("src/demo/bad.py", 2) in locations
    assert "errors 1 > 0" in run.stdout or "errors 2 > 0" in run.stdout


def test_failing_test_fails_tests_and_junit_counts_it(make_project: Make, nox_runner: Run) -> None:
    root = make_project(
        {
            "tests/test_more.py": """
                from demo import add


                def test_ok() -> None:
                    assert add(1, 1) == 2


                def test_wrong() -> None:
                    assert add(1, 1) == 3
                """
        }
    )
    run = nox_runner(root, "-s", "essential")
    assert run.returncode == 1, run.output
    tests_row = next(r for r in run.results["results"] if r["check"] == "tests")  # type: ignore[index]
    assert tests_row["status"] == "FAIL"
    assert tests_row["metrics"]["tests"] == 3
    assert tests_row["metrics"]["failed"] == 1
    assert tests_row["metrics"]["passed"] == 2
    assert any("tests/test_more.py::test_wrong" in f["message"] for f in tests_row["findings"])
    assert run.status("lint") == "PASS"


def test_flat_layout_and_test_dependency_group(tmp_path: Path, nox_runner: Run) -> None:
    root = tmp_path / "flat"
    write_files(
        root,
        {
            "pyproject.toml": pyproject("flatpkg")
            + '\n[dependency-groups]\ntest = ["pytest>=8", "six"]\n',
            "noxfile.py": NOXFILE,
            "flatpkg/__init__.py": "VALUE = 3\n",
            "tests/test_value.py": "import six\n\nfrom flatpkg import VALUE\n\n\ndef test_value() -> None:\n    assert VALUE == 3 and six.PY3\n",
        },
    )
    run = nox_runner(root, "-s", "essential")
    assert run.returncode == 0, run.output
    typecheck = run.result("typecheck")
    assert typecheck["command"][-1] == "flatpkg"  # pyright scope: the package, not the tests


def test_broken_config_is_a_clear_error_with_exit_2(make_project: Make, nox_runner: Run) -> None:
    root = make_project()
    text = (root / "pyproject.toml").read_text()
    (root / "pyproject.toml").write_text(text + "\n[tool.ci-sessions]\njobz = 2\n")
    run = nox_runner(root, "-l")
    assert run.returncode == 2
    assert "pyproject.toml [tool.ci-sessions]: jobz: unknown key" in run.stderr
    assert "did you mean `jobs`?" in run.stderr
    assert "Traceback" not in run.output

    (root / "pyproject.toml").write_text(
        text + '\n[tool.ci-sessions.tiers]\nfast = ["lint", "typechek"]\n'
    )
    run = nox_runner(root, "-s", "essential")
    assert run.returncode == 2
    assert "tiers.fast: unknown check or tier 'typechek'" in run.stderr
    assert "did you mean `typecheck`?" in run.stderr
    assert "Traceback" not in run.output


def test_unknown_environment_override_is_rejected(make_project: Make, nox_runner: Run) -> None:
    root = make_project()
    run = nox_runner(root, "-l", env={"CI_SESSIONS_LINT_MAX_FINDNGS": "3"})
    assert run.returncode == 2
    assert "CI_SESSIONS_LINT_MAX_FINDNGS" in run.stderr
    assert "did you mean `CI_SESSIONS_LINT_MAX_FINDINGS`?" in run.stderr
    run = nox_runner(root, "-l", env={"CI_SESSIONS_JOBS": "many"})
    assert run.returncode == 2
    assert "expected: an integer" in run.stderr


def test_project_ruff_pin_is_respected(make_project: Make, nox_runner: Run) -> None:
    root = make_project(
        {
            ".pre-commit-config.yaml": """
                repos:
                  - repo: https://github.com/astral-sh/ruff-pre-commit
                    rev: v0.15.0
                    hooks:
                      - id: ruff
                """
        }
    )
    run = nox_runner(root, "-s", "lint")
    assert run.returncode == 0, run.output
    ruff = next((root / ".nox" / "ci-sessions").glob("ruff-*")) / "bin" / "ruff"
    version = subprocess.run([str(ruff), "--version"], capture_output=True, text=True, check=True)
    assert version.stdout.strip() == "ruff 0.15.0"


def test_every_python_runs_for_real(make_project: Make, nox_runner: Run) -> None:
    from ci_sessions._interpreters import find_interpreter

    versions = ["3.10", "3.11", "3.12", "3.13"]
    missing = [v for v in versions if find_interpreter(v) is None]
    if missing:
        pytest.skip(f"interpreters not installed here: {missing}")
    root = make_project(
        {
            "tests/test_version.py": """
                import sys


                def test_report_version() -> None:
                    print("RUNNING", sys.version_info[:2])
                    assert sys.version_info >= (3, 10)
                """
        }
    )
    text = (root / "pyproject.toml").read_text()
    (root / "pyproject.toml").write_text(
        text + '\n[tool.ci-sessions]\npython = ["3.10", "3.11", "3.12", "3.13"]\n'
    )
    run = nox_runner(root, "-s", "tests")
    assert run.returncode == 0, run.output
    for version in versions:
        assert run.status(f"tests-{version}") == "PASS"
        env_python = root / ".nox" / "ci-sessions" / f"project-{version}" / "bin" / "python"
        probe = subprocess.run(
            [str(env_python), "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        assert probe.stdout.strip() == version


def test_sessions_are_listed_with_tags_and_pythons(make_project: Make, nox_runner: Run) -> None:
    import json

    root = make_project()
    text = (root / "pyproject.toml").read_text()
    (root / "pyproject.toml").write_text(text + '\n[tool.ci-sessions]\npython = ["3.11", "3.12"]\n')
    import sys

    def listed(*args: str) -> dict[str, dict[str, object]]:
        listing = subprocess.run(
            [sys.executable, "-m", "nox", "-l", "--json", *args],
            cwd=root, capture_output=True, text=True, check=True,
        )  # fmt: skip
        return {s["name"]: s for s in json.loads(listing.stdout)}

    # bare `nox` runs the essential tier only; tags select the rest
    assert list(listed()) == ["essential"]
    by_tag = listed("-t", "essential")
    assert set(by_tag) == {"lint", "format", "typecheck", "tests-3.11", "tests-3.12"}
    assert by_tag["tests-3.12"]["python"] == "3.12"
    assert "tier" in listed("-t", "tier")["essential"]["tags"]


def test_fix_session_applies_safe_fixes_and_never_commits(
    make_project: Make, nox_runner: Run
) -> None:
    root = make_project({"src/demo/messy.py": "import os\nx=[1,2 ,3]\n"})
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    subprocess.run(["git", "add", "-A"], cwd=root, check=True)
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "init"],
        cwd=root,
        check=True,
    )
    run = nox_runner(root, "-s", "fix")
    assert run.returncode == 0, run.output
    assert (root / "src/demo/messy.py").read_text() == "x = [1, 2, 3]\n"
    assert "src/demo/messy.py" in run.output
    log = subprocess.run(
        ["git", "log", "--oneline"], cwd=root, capture_output=True, text=True, check=True
    )
    assert len(log.stdout.splitlines()) == 1  # nothing committed
    # and the tree now passes lint and format
    assert nox_runner(root, "-s", "lint").returncode == 0


def test_fix_touches_what_the_gates_check_and_never_runs_tests(
    make_project: Make, nox_runner: Run
) -> None:
    """ruff fixes the lint gate's paths only, formats the Python files the format gate counts
    (not a Markdown code block), runs the autofix hooks and skips the hook that runs the tests."""
    python = sys.executable
    readme = "# demo\n\n```python\nx  =  1\n```\n"
    root = make_project(
        {
            "README.md": readme,
            "scripts/tool.py": "import os\n",  # outside lint.paths: the lint gate never sees it
            "src/demo/messy.py": "import os\nx=[1,2 ,3]\n",
            "tests/conftest.py": """
                from pathlib import Path


                def pytest_configure(config):
                    (Path(__file__).parent.parent / "tests-ran").write_text("yes")
                """,
            ".pre-commit-config.yaml": f"""
                repos:
                  - repo: local
                    hooks:
                      - id: run-the-tests
                        name: tests
                        entry: {python} -m pytest -q
                        language: system
                        pass_filenames: false
                        always_run: true
                      - id: a-fixer
                        name: a fixer
                        entry: {python} -c "open('hook-ran', 'w').write('ok')"
                        language: system
                        pass_filenames: false
                        always_run: true
                """,
            ".gitignore": ".nox/\n.ci-sessions/\n",
        }
    )
    with (root / "pyproject.toml").open("a") as handle:
        handle.write('\n[tool.ci-sessions.lint]\npaths = ["src", "tests"]\n')
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    subprocess.run(["git", "add", "-A"], cwd=root, check=True)
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "init"],
        cwd=root, check=True,
    )  # fmt: skip
    run = nox_runner(root, "-s", "fix")
    assert run.returncode == 0, run.output
    assert (root / "src/demo/messy.py").read_text() == "x = [1, 2, 3]\n"
    assert (root / "README.md").read_text() == readme  # the format gate does not count it
    assert (root / "scripts/tool.py").read_text() == "import os\n"  # nor lint this one
    assert (root / "hook-ran").read_text() == "ok"  # the autofix hook ran
    assert not (root / "tests-ran").exists(), run.output  # the test hook did not
    assert "not run: run-the-tests" in run.output


def test_known_flaky_test_is_rerun_once_and_a_new_failure_still_fails(
    make_project: Make, nox_runner: Run
) -> None:
    root = make_project(
        {
            ".gitignore": ".counter\n.nox/\n.ci-sessions/\n",
            "tests/test_flaky.py": """
                from pathlib import Path


                def test_flaky() -> None:
                    counter = Path(__file__).parent.parent / ".counter"
                    count = int(counter.read_text()) if counter.exists() else 0
                    counter.write_text(str(count + 1))
                    assert count % 2 == 1
                """,
        }
    )
    text = (root / "pyproject.toml").read_text()
    (root / "pyproject.toml").write_text(text + "\n[tool.ci-sessions]\ncache = false\n")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    subprocess.run([*git, "add", "-A"], cwd=root, check=True)
    subprocess.run([*git, "commit", "-qm", "init"], cwd=root, check=True)

    first = nox_runner(root, "-s", "tests-3.11")
    assert first.returncode == 1  # never seen flaking: a plain failure, no rerun
    assert "flaky_reruns" not in first.result("tests-3.11")["metrics"]
    assert nox_runner(root, "-s", "tests-3.11").returncode == 0  # same commit, now it passed

    (root / "tests/test_new.py").write_text("def test_new_failure() -> None:\n    assert False\n")
    third = nox_runner(root, "-s", "tests-3.11")
    row = third.result("tests-3.11")
    assert row["metrics"]["flaky_reruns"] == 1
    assert row["metrics"]["flaky_passed"] == 1
    assert row["metrics"]["failed"] == 1  # the new failure is never hidden
    assert row["status"] == "FAIL"
    assert any(f["rule"] == "flaky-test" for f in row["findings"])


def test_unformatted_file_fails_format_like_ruff_by_hand(
    make_project: Make, nox_runner: Run
) -> None:
    root = make_project({"src/demo/ugly.py": "x=[1,2 ,3]\n"})
    run = nox_runner(root, "-s", "format")
    assert run.returncode == 1, run.output
    row = run.result("format")
    assert row["status"] == "FAIL"
    assert [f["path"] for f in row["findings"]] == ["src/demo/ugly.py"]
    assert "files to reformat 1 > 0" in run.stdout
    assert (root / "src/demo/ugly.py").read_text() == "x=[1,2 ,3]\n"  # checked, never changed


def test_session_help_lists_the_arguments_and_runs_nothing(
    make_project: Make, nox_runner: Run
) -> None:
    root = make_project()
    run = nox_runner(root, "-s", "essential", "--", "--help")
    assert run.returncode == 0, run.output
    assert "usage: nox -s essential -- [-h] [--jobs N]" in run.stdout
    for option in ("--fail-fast", "--no-cache", "--reinstall", "--package NAME", "--base REF"):
        assert option in run.stdout
    assert run.results is None  # nothing ran, nothing was reported
    assert not (root / ".nox" / "ci-sessions").exists()
    tests = nox_runner(root, "-s", f"tests-{sys.version_info.major}.{sys.version_info.minor}", "--", "-h")  # fmt: skip
    assert tests.returncode == 0, tests.output
    assert "--affected" in tests.stdout and "Any other argument goes to pytest" in tests.stdout


def test_a_workflow_forcing_colour_does_not_break_the_parsers(
    make_project: Make, nox_runner: Run
) -> None:
    """The generated workflow sets FORCE_COLOR: "1"; ruff then colours its report, and the format
    check read the escape codes as a crash (ERROR) instead of one file to reformat (FAIL)."""
    root = make_project({"src/demo/ugly.py": "x=[1,2 ,3]\n"})
    run = nox_runner(root, "-s", "lint", "format", env={"FORCE_COLOR": "1"})
    assert run.result("format")["status"] == "FAIL", run.output
    assert [f["path"] for f in run.result("format")["findings"]] == ["src/demo/ugly.py"]
    assert run.result("lint")["status"] == "PASS", run.output
