"""True verdicts, through real nox and real tools: baselined findings are never shown as live
ones, real run times, the environment as an input of the result cache, a cached PASS is not a
new test outcome, configuration mistakes are errors, a failed install is ERROR (issue 12)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from fixture_projects import NOXFILE, clean_src_project, nox_env, pyproject, run_nox, write_files

from ci_sessions.history import open_history
from ci_sessions.history.testdata import read_tests

pytestmark = [pytest.mark.integration, pytest.mark.slow]
PY = f"{sys.version_info.major}.{sys.version_info.minor}"
ENV_TEST = """
import os


def test_flag_is_off() -> None:
    assert os.environ.get("FLIP") != "1"
"""


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.email=t@t", "-c", "user.name=t", *args], cwd=root,
                   check=True, capture_output=True)  # fmt: skip


def _cli(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ci_sessions.cli", *args], cwd=root,
                          env=nox_env(), capture_output=True, text=True, check=False)  # fmt: skip


def _history(root: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(root / ".ci-sessions" / "history.db") as db:
        return list(db.execute(sql))


def test_baselined_findings_are_said_apart_and_the_recording_run_is_not_history(
    tmp_path: Path,
) -> None:
    root = clean_src_project(tmp_path / "adopt")
    write_files(root, {
        "src/demo/old.py": "import os\n\n\ndef length(text: str) -> int:\n    return text + 1\n",
        "src/demo/ugly.py": "x  =  1\n",
        ".gitignore": ".nox/\n.ci-sessions/\n",
    })  # fmt: skip
    _git(root, "init", "-q")
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "init")
    recorded = _cli(root, "baseline", "--update", "--allow-growth")
    assert recorded.returncode == 0, recorded.stdout + recorded.stderr
    # issue 12 item 11: the adoption-day recording run is not counted as failed lint/typecheck
    assert not (root / ".ci-sessions" / "history.db").exists() or not _history(
        root, "SELECT status FROM checks WHERE status != 'PASS'"
    )

    run = run_nox(root, "-s", "lint", "format", "typecheck")
    assert run.returncode == 0, run.output
    for label in ("lint", "format", "typecheck"):
        assert run.status(label) == "PASS"
        assert run.result(label)["metrics"]["baselined"] >= 1
    # issue 12 item 10: never "Found 1 finding(s)." / "1 error(s)" / "Would reformat" then PASS
    assert "Found 1 finding" not in run.stdout
    assert "Would reformat" not in run.stdout
    assert "1 error(s)" not in run.stdout
    assert "ruff check: 0 finding(s)" in run.stdout
    assert run.stdout.count("accepted by the baseline (not counted)") == 3
    # issue 12 item 11: the record's times are real
    assert run.results is not None
    started, finished = run.results["started"], run.results["finished"]
    assert finished - started >= sum(r["duration"] for r in run.results["results"]) / 3
    assert finished - started > 0.5


def test_the_environment_is_an_input_of_the_cache_and_a_cached_pass_is_no_new_outcome(
    tmp_path: Path,
) -> None:
    root = clean_src_project(tmp_path / "envkey")
    write_files(root, {"tests/test_env.py": ENV_TEST})
    session = f"tests-{PY}"
    first = run_nox(root, "-s", session)
    assert first.status(session) == "PASS", first.output
    again = run_nox(root, "-s", session, env={"SHLVL": "7", "OLDPWD": "/elsewhere"})
    row = again.result(session)
    assert row["cached"] is True and row["status"] == "PASS", again.output  # volatile: a hit
    assert row["cached_at"] > 0
    assert "PASS (cached " in again.stdout  # the row says when the result was stored
    # a variable the project declares volatile is ignored
    noisy = run_nox(root, "-s", session,
                    env={"MY_BUILD_ID": "42", "CI_SESSIONS_CACHE_IGNORE_ENV": "MY_*"})  # fmt: skip
    assert noisy.result(session)["cached"] is True, noisy.output
    # issue 12 item 18: FLIP=1 would fail the test; the cached PASS must not answer for it
    flipped = run_nox(root, "-s", session, env={"FLIP": "1"})
    assert flipped.status(session) == "FAIL", flipped.output
    # issue 12 item 23: the cached runs added no test outcomes; only the two real runs count
    with open_history(root) as db:
        checks = [int(row[0]) for row in db.execute("SELECT id FROM checks")]
        outcomes = [
            test.test_id
            for check_id in checks
            for test in read_tests(db, check_id)
            if test.test_id == "tests/test_env.py::test_flag_is_off"
        ]
    assert len(outcomes) == 2
    cached_rows = _history(root, "SELECT COUNT(*) FROM checks WHERE cached = 1")
    assert cached_rows == [(2,)]


def test_configuration_mistakes_are_errors_and_the_row_never_vanishes(tmp_path: Path) -> None:
    root = clean_src_project(
        tmp_path / "cfg", extra_pyproject='\n[tool.ci-sessions.tiers]\nsec = ["lint", "audit"]\n'
    )
    # issue 12 item 23: a missing advisory directory made the audit row vanish and the tier pass
    missing = run_nox(root, "-s", "sec", env={"CI_SESSIONS_AUDIT_SERVICE": "none",
                                              "CI_SESSIONS_AUDIT_ADVISORIES": "nope"})  # fmt: skip
    assert missing.returncode == 2, missing.output
    assert "audit.advisories" in missing.stderr and "does not exist" in missing.stderr
    assert "Traceback" not in missing.output
    write_files(root, {"notes.txt": "not an advisory\n", "adv/README.md": "# advisories\n"})
    for where, why in (("notes.txt", "is a file, not a directory"), ("adv", "holds no OSV")):
        run = run_nox(root, "-s", "audit", env={"CI_SESSIONS_AUDIT_SERVICE": "none",
                                                "CI_SESSIONS_AUDIT_ADVISORIES": where})  # fmt: skip
        assert run.returncode == 2, run.output
        assert why in run.stderr


def test_a_dependency_the_index_does_not_have_is_an_error_not_a_skip(tmp_path: Path) -> None:
    # issue 12 item 23: "was not found in the package registry" was taken for a missing Python
    root = tmp_path / "dep"
    write_files(root, {
        "pyproject.toml": pyproject(
            "depdemo", extra='dependencies = ["internal-lib-ci-sessions-test>=1"]\n'
        ),
        "noxfile.py": NOXFILE,
        "src/depdemo/__init__.py": "X = 1\n",
        "tests/test_x.py": "def test_x() -> None:\n    assert True\n",
    })  # fmt: skip
    run = run_nox(root, "-s", "typecheck", f"tests-{PY}")
    assert run.returncode == 1, run.output
    for label in ("typecheck", f"tests-{PY}"):
        row = run.result(label)
        assert row["status"] == "ERROR", run.output
        assert "installing the project failed" in row["summary"]

    # the same for a monorepo package whose sibling the index does not have
    mono = tmp_path / "mono"
    write_files(mono, {
        "pyproject.toml": '[tool.ci-sessions]\npackages = ["packages/*"]\n\n'
        '[tool.ci-sessions.tiers]\nquick = ["typecheck"]\n',
        "noxfile.py": NOXFILE,
        "packages/corelib-ci-sessions-test/pyproject.toml": pyproject("corelib-ci-sessions-test"),
        "packages/corelib-ci-sessions-test/src/corelib/__init__.py": "VALUE = 1\n",
        "packages/app/pyproject.toml": pyproject(
            "app", extra='dependencies = ["corelib-ci-sessions-test"]\n'
        ),
        "packages/app/src/app/__init__.py": "from corelib import VALUE\n",
    })  # fmt: skip
    sibling = run_nox(mono, "-s", "quick", "--", "--package", "app")
    assert sibling.returncode == 1, sibling.output
    assert sibling.status("app/typecheck") == "ERROR"


def test_docs_strict_false_passes_with_warnings_and_offline_sphinx_is_an_error(
    tmp_path: Path,
) -> None:
    root = clean_src_project(tmp_path / "docs")
    write_files(root, {"mkdocs.yml": "site_name: demo\n",
                       "docs/index.md": "# Demo\n\n[gone](missing.md)\n"})  # fmt: skip
    strict = run_nox(root, "-s", "docs")
    assert strict.status("docs") == "FAIL", strict.output
    # issue 12 item 23: docs.strict = false still failed the row on the same warning
    lenient = run_nox(root, "-s", "docs", env={"CI_SESSIONS_DOCS_STRICT": "false"})
    row = lenient.result("docs")
    assert row["status"] == "PASS", lenient.output
    assert row["checked"] == {"what": "pages", "count": 1}
    assert "1 warning(s) (docs.strict = false: not counted)" in row["summary"]

    # issue 12 item 6: Sphinx without network cannot check intersphinx references
    (root / "mkdocs.yml").unlink()
    write_files(root, {
        "docs/conf.py": 'project = "demo"\nextensions = ["sphinx.ext.intersphinx"]\n'
        'intersphinx_mapping = {"python": ("https://docs.invalid/3", None)}\nnitpicky = True\n',
        "docs/index.rst": "Demo\n====\n\nSee :func:`os.path.join`.\n",
    })  # fmt: skip
    offline = run_nox(root, "-s", "docs", env={"CI_SESSIONS_DOCS_INSTALL_PROJECT": "false"})
    row = offline.result("docs")
    assert row["status"] == "ERROR", offline.output
    assert "could not fetch 1 intersphinx inventory" in row["summary"]
    accepted = run_nox(root, "-s", "docs", env={"CI_SESSIONS_DOCS_INSTALL_PROJECT": "false",
                                                "CI_SESSIONS_DOCS_UNREACHABLE": "warn"})  # fmt: skip
    row = accepted.result("docs")
    assert row["status"] == "WARN", accepted.output
    assert row["checked"] == {"what": "pages", "count": 1}
    assert row["metrics"]["reported_problems"] == 2  # what Sphinx itself counted
    assert os.path.isdir(root / ".ci-sessions" / "site")
