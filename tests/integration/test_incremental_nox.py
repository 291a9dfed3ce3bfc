"""Incremental typecheck and tests through real nox runs: after an edit only the files whose import
closure changed run, every planted mutation is still caught, and what the graph cannot see runs
everything with the reason printed.

The project and the behaviour mutations are the affected-tests ones (test_affected_selection.py);
the type mutations extend them to pyright: each plants an error in a module that imports the
edited one, and the incremental run must report exactly what a whole run reports.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fixture_projects import NOXFILE, NoxRun, tracked_python, write_files
from gitrepo import git
from test_affected_selection import FILES, MUTATIONS, failing_files

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PY = tracked_python()
TESTS = f"tests-{PY}"
PYPROJECT = FILES["pyproject.toml"] + f'\n[tool.ci-sessions]\npython = ["{PY}"]\n'

#: edits that plant a type error in a module importing the edited one (directly or not)
TYPE_MUTATIONS = {
    # core.base now returns str: mid.double returns str, api's `double(x) + 1` is str + int
    "src/calc/core.py": (
        ("def base(x):\n    return x + 1\n", "def base(x) -> str:\n    return str(x + 1)\n"),
        "src/calc/api.py",
    ),
    # sub.leaf.LEAF becomes an int: sub/__init__ re-exports it, other.py now adds it to a str
    "src/calc/sub/leaf.py": (("LEAF = 'leaf'\n", "LEAF = 7\n"), "src/calc/other.py"),
}
OTHER_USES_LEAF = "from calc.sub import LEAF\n\n\ndef other():\n    return 42\n\n\ndef tag() -> str:\n    return LEAF + '!'\n"


@pytest.fixture
def calc(tmp_path: Path) -> Path:
    root = tmp_path / "calc"
    write_files(
        root,
        {
            **FILES,
            "pyproject.toml": PYPROJECT,
            "noxfile.py": NOXFILE,
            ".gitignore": ".nox/\n.ci-sessions/\n__pycache__/\n",
        },
    )
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    return root


def note(run: NoxRun, label: str) -> str:
    """The ``incremental:`` line of one check's output."""
    for line in run.output.splitlines():
        if line.startswith("incremental:"):
            return line
    raise AssertionError(f"{label}: no incremental line in\n{run.output}")


def failing_in(run: NoxRun, label: str) -> set[str]:
    return {f["path"] for f in run.result(label)["findings"] if f["rule"] == "test-failure"}


def test_tests_rerun_only_reached_files_and_catch_every_mutation(
    calc: Path, nox_runner: Callable[..., NoxRun]
) -> None:
    first = nox_runner(calc, "-s", TESTS)
    assert first.returncode == 0, first.output
    assert "full run: no earlier run to build on" in note(first, TESTS)

    core = calc / "src/calc/core.py"
    core.write_text(core.read_text() + "# a comment changes the text, not the behaviour\n")
    edited = nox_runner(calc, "-s", TESTS)
    assert edited.returncode == 0, edited.output
    assert note(edited, TESTS).startswith("incremental: 3 of 5 files run again")
    metrics = edited.result(TESTS)["metrics"]
    assert (metrics["files_rerun"], metrics["tests"], metrics["passed"]) == (3, 6, 6)
    assert metrics["tests_rerun"] == 3
    assert "test_other.py" not in note(edited, TESTS)

    for target, (old, new) in sorted(MUTATIONS.items()):
        path = calc / target
        original = path.read_text()
        path.write_text(original.replace(old, new))
        truth = failing_files(calc)
        run = nox_runner(calc, "-s", TESTS)
        assert truth, f"the mutation in {target} should break a test"
        assert run.returncode == 1, run.output
        assert "files run again" in note(run, TESTS), target
        assert failing_in(run, TESTS) == truth, (target, run.output)
        path.write_text(original)


def findings(run: NoxRun) -> set[tuple[str, int, str]]:
    return {(f["path"], f["line"], f["rule"]) for f in run.result("typecheck")["findings"]}


def test_typecheck_reruns_importers_and_reports_what_a_whole_run_reports(
    calc: Path, nox_runner: Callable[..., NoxRun]
) -> None:
    write_files(calc, {"src/calc/other.py": OTHER_USES_LEAF})
    first = nox_runner(calc, "-s", "typecheck")
    assert first.returncode == 0, first.output
    analysed = first.result("typecheck")["metrics"]["files"]
    assert analysed == 7

    for target, ((old, new), importer) in sorted(TYPE_MUTATIONS.items()):
        path = calc / target
        original = path.read_text()
        assert old in original
        path.write_text(original.replace(old, new))
        run = nox_runner(calc, "-s", "typecheck")
        assert run.returncode == 1, run.output
        assert "files run again" in note(run, "typecheck"), target
        assert run.result("typecheck")["metrics"]["files"] == analysed
        assert run.result("typecheck")["metrics"]["files_reused"] > 0
        whole = nox_runner(calc, "-s", "typecheck", "--", "--no-cache")
        assert "full run: --no-cache" in note(whole, "typecheck")
        assert findings(run) == findings(whole), target
        assert importer in {path for path, _line, _rule in findings(run)}, (target, run.output)
        path.write_text(original)
    clean = nox_runner(calc, "-s", "typecheck")  # the first run's tree again: its cached PASS
    assert clean.returncode == 0, clean.output


BLIND_EDITS = [
    ("tests/conftest.py", "import pytest\n\n\n@pytest.fixture\ndef seven():\n    return 7  # same\n",
     "tests/conftest.py or a module it imports changed: conftest fixtures can reach any test"),
    ("tests/data/more.txt", "more\n", "tests/data/more.txt was added: a data file among the tests that no test was seen reading"),
    ("pyproject.toml", PYPROJECT + "\n[tool.ruff]\nline-length = 99\n", "pyproject.toml changed"),
]  # fmt: skip


def test_what_the_graph_cannot_see_runs_everything_with_the_reason(
    calc: Path, nox_runner: Callable[..., NoxRun]
) -> None:
    assert nox_runner(calc, "-s", TESTS).returncode == 0
    for rel, text, reason in BLIND_EDITS:
        (calc / rel).write_text(text)
        run = nox_runner(calc, "-s", TESTS)
        assert f"full run: {reason}" in note(run, TESTS), run.output
        metrics = run.result(TESTS)["metrics"]
        assert metrics["tests_rerun"] == metrics["tests"] == 6


def test_docs_edits_reuse_everything_and_ci_runs_everything(
    calc: Path, nox_runner: Callable[..., NoxRun]
) -> None:
    assert nox_runner(calc, "-s", TESTS).returncode == 0
    (calc / "docs/index.md").write_text("# calc, documented\n")
    docs = nox_runner(calc, "-s", TESTS)
    assert docs.returncode == 0, docs.output
    assert note(docs, TESTS).startswith("incremental: 0 of 5 files run again")
    assert docs.result(TESTS)["metrics"]["tests"] == 6

    (calc / "src/calc/other.py").write_text("def other():\n    return 42  # same\n")
    in_ci = nox_runner(calc, "-s", TESTS, env={"CI": "true"})
    assert in_ci.returncode == 0, in_ci.output
    assert "incremental:" not in in_ci.output
    assert in_ci.result(TESTS)["metrics"]["tests"] == 6
    assert "junit" in in_ci.result(TESTS)["artifacts"]  # CI reads JUnit XML

    (calc / "src/calc/other.py").write_text("def other():\n    return 42  # again\n")
    forced_env = {"CI": "true", "CI_SESSIONS_INCREMENTAL": "always"}
    forced = nox_runner(calc, "-s", TESTS, env=forced_env)
    # CI=true is an input (it writes JUnit, it may change what tests do): the state kept by the
    # last laptop run does not answer for it
    assert note(forced, TESTS) == "incremental: full run: environment variables changed"
    (calc / "src/calc/other.py").write_text("def other():\n    return 42  # once more\n")
    forced = nox_runner(calc, "-s", TESTS, env=forced_env)
    assert "incremental: 1 of 5 files run again" in note(forced, TESTS)
