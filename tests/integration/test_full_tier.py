"""The full tier's checks and the reports, through real nox, coverage, build, twine, cyclonedx-py
and mkdocs on fixture projects."""

from __future__ import annotations

import json
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import jsonschema
import pytest
from fixture_projects import NoxRun, pyproject
from gitrepo import git

pytestmark = [pytest.mark.integration, pytest.mark.slow]

Make = Callable[..., Path]
Run = Callable[..., NoxRun]
SCHEMA = Path(__file__).parent.parent / "data" / "sarif-schema-2.1.0.json"
PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"

#: a package where tests reach exactly 6 of 10 statements
GRADES = '''
"""Grades."""


def grade(score: int) -> str:
    if score >= 90:
        return "A"
    if score >= 80:
        return "B"
    return "C"


def unused(x: int) -> int:
    y = x * 2
    z = y + 1
    return z
'''
MKDOCS = "site_name: demo\ntheme:\n  name: material\n  font: false\n"


def release_project(
    make_project: Make, *, tiers: str, extra: str = "", files: dict[str, str] | None = None
) -> Path:
    config = f"""
        readme = "README.md"
        dependencies = ["packaging>=20"]

        [tool.coverage.run]
        source = ["demo"]

        [tool.ci-sessions]
        python = ["{PYTHON}"]

        [tool.ci-sessions.tiers]
        {tiers}
        {extra}
        """
    return make_project(
        {
            "pyproject.toml": pyproject("demo")
            + "\n".join(line.strip() for line in config.splitlines())
            + "\n",
            "README.md": "# demo\n\nA fixture project.\n",
            ".gitignore": ".ci-sessions/\n.nox/\n",
            "mkdocs.yml": MKDOCS,
            "docs/index.md": "# demo\n\nSee [usage](usage.md).\n",
            "docs/usage.md": "# Usage\n\n`import demo`\n",
            **(files or {}),
        }
    )


def test_clean_project_passes_coverage_build_sbom_docs_and_writes_every_report(
    make_project: Make, nox_runner: Run, tmp_path: Path
) -> None:
    root = release_project(
        make_project, tiers='release = ["tests", "coverage", "build", "sbom", "docs"]'
    )
    step_summary = tmp_path / "step-summary.md"
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "init")
    before = git(root, "status", "--porcelain", "--ignored").splitlines()
    run = nox_runner(
        root,
        "-s",
        "release",
        env={"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(step_summary)},
    )
    assert run.returncode == 0, run.output
    # checks never modify the tree: what the tier (tests, coverage, build, SBOM, docs) leaves
    # is its own state and the caches the tools write when run by hand (README)
    after = git(root, "status", "--porcelain", "--ignored").splitlines()
    assert set(after) - set(before) <= {"!! .ci-sessions/", "!! .nox/", "!! .pytest_cache/"}
    statuses = {r["label"]: r["status"] for r in run.results["results"]}  # type: ignore[index]
    assert statuses == {
        f"tests-{PYTHON}": "PASS",
        "coverage": "PASS",
        "build": "PASS",
        "sbom": "PASS",
        "docs": "PASS",
    }

    # coverage: combined from the tests run of the same tier, XML + JSON written
    coverage = run.result("coverage")
    assert coverage["metrics"]["percent"] == 100.0
    assert "coverage 100.00 >= 85.00" in run.stdout
    assert (root / coverage["artifacts"]["coverage_xml"]).read_text().startswith("<?xml")
    assert (
        json.loads((root / coverage["artifacts"]["coverage_json"]).read_text())["totals"][
            "percent_covered"
        ]
        == 100.0
    )
    assert not list(
        (root / ".ci-sessions" / "coverage").glob(".coverage.*")
    )  # parallel data consumed

    # build: sdist + wheel in .ci-sessions/dist, twine check passed, wheel contents listed
    build = run.result("build")
    wheel = root / build["artifacts"]["wheel"]
    assert (
        wheel.parent == root / ".ci-sessions" / "dist"
        and (root / build["artifacts"]["sdist"]).is_file()
    )
    assert "demo/__init__.py" in zipfile.ZipFile(wheel).namelist()
    assert "demo/__init__.py" in run.stdout and "PASSED" in run.stdout

    # sbom: CycloneDX JSON of the runtime dependencies only (no pytest, no coverage)
    sbom = json.loads((root / ".ci-sessions/reports/sbom.cdx.json").read_text())
    assert sbom["bomFormat"] == "CycloneDX"
    names = {c["name"] for c in sbom["components"]}
    assert "packaging" in names and not names & {"pytest", "coverage", "pluggy"}
    assert sbom["metadata"]["component"]["name"] == "demo"

    # docs: built strictly into .ci-sessions/site
    assert (root / ".ci-sessions/site/usage/index.html").is_file()

    # reports: merged SARIF validates, summary has the gate table, step summary written once
    sarif = json.loads((root / ".ci-sessions/reports/ci-sessions.sarif").read_text())
    jsonschema.Draft4Validator(json.loads(SCHEMA.read_text())).validate(sarif)
    summary = (root / ".ci-sessions/reports/summary.md").read_text()
    assert "| ✅ PASS | `coverage` | files 1 | coverage 100.00 >= 85.00 |" in summary
    assert step_summary.read_text() == summary
    assert (root / f".ci-sessions/reports/outcomes-tests-{PYTHON}.json").is_file()


def test_low_coverage_broken_docs_and_a_crashing_tool_are_all_reported(
    make_project: Make, nox_runner: Run
) -> None:
    root = release_project(
        make_project,
        tiers='broken = ["coverage", "docs", "sbom", "build"]',
        extra='[tool.ci-sessions.sbom]\nargs = ["--no-such-option"]',
        files={
            "src/demo/__init__.py": GRADES,
            "tests/test_add.py": (
                "from demo import grade\n\n\ndef test_a() -> None:\n    assert grade(95) == 'A'\n\n\n"
                "def test_b() -> None:\n    assert grade(85) == 'B'\n"
            ),
            "mkdocs.yml": MKDOCS + "nav:\n  - Home: index.md\n  - Gone: missing.md\n",
        },
    )
    stale = root / ".ci-sessions" / "coverage" / ".coverage.stale-host.pid1.x"
    stale.parent.mkdir(parents=True)
    stale.write_text("not coverage data")  # a stale data file must not break or skew the run
    run = nox_runner(root, "-s", "broken", env={"GITHUB_ACTIONS": "true"})
    assert run.returncode == 1, run.output
    # coverage alone runs the tests itself, under coverage, then gates on the configured minimum
    assert run.status("coverage") == "FAIL"
    assert "coverage 60.00 < 85.00" in run.stdout
    # docs: mkdocs --strict fails on the nav entry that points nowhere
    docs = run.result("docs")
    assert docs["status"] == "FAIL"
    assert any("missing.md" in f["message"] for f in docs["findings"])
    # a tool that crashes is an ERROR row with its last output lines, and the others still ran
    sbom = run.result("sbom")
    assert sbom["status"] == "ERROR"
    assert "cyclonedx-py failed" in sbom["summary"]
    assert "--no-such-option" in run.output
    assert run.status("build") == "PASS"
    # annotations for GitHub, and the summary lists all of it
    assert "::error title=ci-sessions sbom%3A could not check::" in run.stdout
    assert "::error title=docs%3A mkdocs-warning::" in run.stdout
    assert "::error title=ci-sessions coverage::coverage 60.00 < 85.00" in run.stdout
    summary = (root / ".ci-sessions/reports/summary.md").read_text()
    assert "coverage 60.00 < 85.00" in summary and "💥 ERROR | `sbom`" in summary


def test_coverage_alone_combines_every_python(make_project: Make, nox_runner: Run) -> None:
    from ci_sessions._interpreters import find_interpreter

    versions = [v for v in ("3.11", "3.12") if find_interpreter(v) is not None]
    if len(versions) < 2:
        pytest.skip("needs Python 3.11 and 3.12")
    root = make_project(
        {
            "pyproject.toml": pyproject("demo")
            + '\n[tool.coverage.run]\nsource = ["demo"]\n\n[tool.ci-sessions]\npython = ["3.11", "3.12"]\n'
            + "\n[tool.ci-sessions.coverage]\nall-pythons = true\n",
            # each Python runs 4 of the 5 statements: 80% alone, 100% combined
            "src/demo/__init__.py": (
                "import sys\n\n\ndef flavour() -> str:\n    if sys.version_info >= (3, 12):\n"
                "        return 'new'\n    return 'old'\n"
            ),
            "tests/test_add.py": "from demo import flavour\n\n\ndef test_f() -> None:\n    assert flavour()\n",
        }
    )
    run = nox_runner(root, "-s", "coverage")
    assert run.returncode == 0, run.output
    assert "Combined 2 files" in run.stdout
    assert run.result("coverage")["metrics"]["percent"] == 100.0
    reports = root / ".ci-sessions" / "reports"
    assert all((reports / f"outcomes-tests-{v}.json").is_file() for v in versions)
    single = nox_runner(root, "-s", "coverage", env={"CI_SESSIONS_COVERAGE_ALL_PYTHONS": "false"})
    assert single.returncode == 1, single.output
    assert "coverage 80.00 < 85.00" in single.stdout
