"""The rule, for every check, through real nox and the real tools: a check configured so that it
checks nothing is never PASS. Nothing to check is SKIP with the reason; a tool pointed at nothing
is ERROR. Every row states what it checked.

One project (and its environments) serves the whole module; each test edits it and puts it back.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
from fixture_projects import NoxRun, clean_src_project, run_nox, write_files

pytestmark = [pytest.mark.integration, pytest.mark.slow]
PY = f"{sys.version_info.major}.{sys.version_info.minor}"


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.email=t@t", "-c", "user.name=t", *args], cwd=root,
                   check=True, capture_output=True)  # fmt: skip


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = clean_src_project(tmp_path_factory.mktemp("rule") / "proj")
    write_files(root, {".gitignore": ".nox/\n.ci-sessions/\n"})
    _git(root, "init", "-q")
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "init")
    return root


@contextlib.contextmanager
def edited(root: Path, files: Mapping[str, str]) -> Iterator[None]:
    """The project with ``files`` written (and committed); put back as it was afterwards."""
    previous = {name: (root / name).read_text() if (root / name).exists() else None
                for name in files}  # fmt: skip
    write_files(root, files)
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "edit", "--allow-empty")
    try:
        yield
    finally:
        for name, text in previous.items():
            if text is None:
                (root / name).unlink()
            else:
                (root / name).write_text(text)
        _git(root, "add", "-A")
        _git(root, "commit", "-qm", "restore", "--allow-empty")


def _row(run: NoxRun, label: str) -> dict[str, object]:
    row = run.result(label)
    return {"status": row["status"], "summary": row["summary"], "checked": row["checked"]}


def test_lint_and_format_with_a_ruff_include_that_matches_nothing_are_errors(
    project: Path,
) -> None:
    # issue 12 item 2: ruff warned "No Python files found" and both rows were PASS
    with edited(project, {"ruff.toml": 'include = ["srcx/**/*.py"]\n'}):
        run = run_nox(project, "-s", "lint", "format")
    for label in ("lint", "format"):
        row = _row(run, label)
        assert row["status"] == "ERROR", run.output
        assert "checked 0 files, but the project has 3 Python file(s)" in str(row["summary"])
        assert row["checked"] == {"what": "files", "count": 0}
    assert "checked" in run.stdout and "files 0" in run.stdout  # the table's checked column


def test_typecheck_of_a_folder_that_does_not_exist_is_an_error(project: Path) -> None:
    # issue 12 item 1: "0 file(s) analyzed" was PASS
    with edited(project, {"pyrightconfig.json": '{"include": ["srcx"]}\n'}):
        run = run_nox(project, "-s", "typecheck")
    row = _row(run, "typecheck")
    assert row["status"] == "ERROR", run.output
    assert "pyright analysed 0 files" in str(row["summary"])
    assert row["checked"] == {"what": "files", "count": 0}


def test_tests_that_all_skip_or_none_collected_are_never_pass(project: Path) -> None:
    skipping = 'import pytest\n\n\n@pytest.mark.skip(reason="later")\ndef test_later() -> None:\n    pass\n'
    with edited(project, {"tests/test_later.py": skipping}):
        run = run_nox(project, "-s", f"tests-{PY}",
                      env={"CI_SESSIONS_TESTS_PATHS": "tests/test_later.py"})  # fmt: skip
        none = run_nox(
            project, "-s", f"tests-{PY}", env={"CI_SESSIONS_TESTS_ARGS": "-k,nothing_here"}
        )
    [row] = run.results["results"]  # type: ignore[index]
    assert row["status"] == "SKIP", run.output
    assert row["checked"] == {"what": "tests", "count": 0}
    assert "0 passed, 0 failed, 1 skipped" in row["summary"]
    [row] = none.results["results"]  # type: ignore[index]
    assert row["status"] == "FAIL", none.output
    assert row["summary"] == "no tests collected"


def test_sast_secrets_and_audit_that_check_nothing_are_never_pass(project: Path) -> None:
    run = run_nox(
        project, "-s", "sast", "secrets",
        env={"CI_SESSIONS_SAST_EXCLUDE": "demo", "CI_SESSIONS_SECRETS_EXCLUDE": ".*"},
    )  # fmt: skip
    sast, secrets = _row(run, "sast"), _row(run, "secrets")
    assert sast["status"] == "ERROR" and "bandit scanned 0 files" in str(sast["summary"])
    assert secrets["status"] == "ERROR" and "scanned 0 files" in str(secrets["summary"])
    # every installed distribution skipped: nothing audited is SKIP (was PASS "0 packages")
    env = next(p for p in (project / ".nox" / "ci-sessions").glob("project-3.*") if p.is_dir())
    installed = sorted(
        p.name.split("-")[0] for p in env.glob("lib/python3.*/site-packages/*.dist-info")
    )
    skipped = run_nox(project, "-s", "audit", env={
        "CI_SESSIONS_AUDIT_SERVICE": "osv", "CI_SESSIONS_AUDIT_OSV_URL": "http://127.0.0.1:9",
        "CI_SESSIONS_AUDIT_SKIP_PACKAGES": ",".join(installed),
    })  # fmt: skip
    row = _row(skipped, "audit")
    assert row["status"] == "SKIP", skipped.output
    assert "no third-party packages to audit" in str(row["summary"])
    # data unreachable and accepted as a warning: a visible WARN with 0 packages, not a PASS
    offline = run_nox(project, "-s", "audit", env={
        "CI_SESSIONS_AUDIT_SERVICE": "osv", "CI_SESSIONS_AUDIT_OSV_URL": "http://127.0.0.1:9",
        "CI_SESSIONS_AUDIT_UNREACHABLE": "warn", "CI_SESSIONS_AUDIT_TIMEOUT": "2",
    })  # fmt: skip
    row = _row(offline, "audit")
    assert row["status"] == "WARN", offline.output
    assert row["checked"] == {"what": "packages", "count": 0}


def test_precommit_whose_only_hooks_call_nox_is_a_skip(project: Path) -> None:
    # issue 12 item 3: "4 hook(s), 0 failed" was PASS with no hook run
    config = """
        repos:
          - repo: local
            hooks:
              - id: ci-sessions-lint
                name: lint (nox -s lint)
                entry: nox -s lint
                language: system
                pass_filenames: false
        """
    with edited(project, {".pre-commit-config.yaml": config}):
        run = run_nox(project, "-s", "precommit")
    row = _row(run, "precommit")
    assert row["status"] == "SKIP", run.output
    assert "no hook ran" in str(row["summary"]) and "ci-sessions-lint" in str(row["summary"])
    assert row["checked"] == {"what": "hooks", "count": 0}


def test_coverage_docs_and_bench_that_check_nothing_are_never_pass(project: Path) -> None:
    files = {
        "mkdocs.yml": "site_name: demo\n",
        "docs/.keep": "",
        "pyproject.toml": (project / "pyproject.toml").read_text()
        + '\n[tool.coverage.run]\ninclude = ["nothing/*"]\n'
        + '\n[tool.pytest.ini_options]\nfilterwarnings = ["error"]\n',
    }
    with edited(project, files):
        run = run_nox(project, "-s", "coverage", "docs")
        alone = run_nox(project, "-s", "bench")
    coverage, docs, bench = _row(run, "coverage"), _row(run, "docs"), _row(alone, "bench")
    assert coverage["status"] == "ERROR" and "measured no file" in str(coverage["summary"])
    assert docs["status"] == "ERROR", run.output
    assert "built no pages" in str(docs["summary"])
    assert docs["checked"] == {"what": "pages", "count": 0}
    # issue 12 item 5: "no benchmarks" under `filterwarnings = error` was ERROR, printed twice
    assert bench["status"] == "SKIP", alone.output
    assert bench["checked"] == {"what": "benchmarks", "count": 0}
    assert alone.output.count("test session starts") == 1
    assert "Traceback" not in alone.output
    # benchmarks in a file pytest's python_files does not match, in the project's testpaths
    # (pluggy's testing/benchmark.py), are found, still under `filterwarnings = error`
    files["pyproject.toml"] = files["pyproject.toml"].replace(
        'filterwarnings = ["error"]', 'filterwarnings = ["error"]\ntestpaths = ["tests", "testing"]'
    )
    files["testing/benchmark.py"] = (
        "def test_speed(benchmark) -> None:\n    benchmark(sum, range(9))\n"
    )
    with edited(project, files):
        found = run_nox(project, "-s", "bench", env={"CI_SESSIONS_BENCH_MAX_TIME": "0.05"})
    row = _row(found, "bench")
    assert row["checked"] == {"what": "benchmarks", "count": 1}, found.output
    assert row["status"] == "WARN"  # measured; no baseline yet
    assert not (project / ".benchmarks").exists()


def test_build_of_an_empty_wheel_fails_and_an_sbom_of_nothing_is_a_skip(tmp_path: Path) -> None:
    root = tmp_path / "empty"
    write_files(root, {
        "pyproject.toml": """
            [build-system]
            requires = ["setuptools>=61"]
            build-backend = "setuptools.build_meta"

            [project]
            name = "empty"
            version = "0.1.0"
            readme = "README.md"

            [tool.setuptools]
            packages = []
            """,
        "README.md": "# empty\n",
        "noxfile.py": "import ci_sessions\n\nci_sessions.register()\n",
        ".gitignore": ".nox/\n.ci-sessions/\n",
    })  # fmt: skip
    _git(root, "init", "-q")
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "init")
    run = run_nox(root, "-s", "build", "sbom")
    build, sbom = _row(run, "build"), _row(run, "sbom")
    assert build["status"] == "FAIL", run.output
    assert build["checked"] == {"what": "files", "count": 0}
    assert "wheel files besides metadata 0 < 1" in run.stdout
    assert sbom["status"] == "SKIP", run.output
    assert "no runtime dependencies" in str(sbom["summary"])
