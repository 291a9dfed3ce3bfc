"""Pure logic of the full tier's checks: thresholds, report parsing, builder detection."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from ci_sessions.checks import build as build_check
from ci_sessions.checks import coverage, docs, sbom
from ci_sessions.checks.base import CheckContext
from ci_sessions.config import load_config
from ci_sessions.config.project import load_project
from ci_sessions.errors import ConfigError
from ci_sessions.results import CheckResult, Status


def context(root: Path, pyproject: str = "", environ: dict[str, str] | None = None) -> CheckContext:
    (root / "pyproject.toml").write_text('[project]\nname = "demo"\nversion = "1"\n' + pyproject)
    return CheckContext(
        root=root,
        config=load_config(root, environ=environ or {}),
        project=load_project(root),
        python="3.11",
        session="full",
    )


def test_coverage_threshold_order(tmp_path: Path) -> None:
    assert coverage.threshold(context(tmp_path)) == (85.0, "defaults")
    own = "[tool.coverage.report]\nfail_under = 70\n"
    assert coverage.threshold(context(tmp_path, own)) == (70.0, "[tool.coverage.report] fail_under")
    configured = own + "[tool.ci-sessions.coverage]\nmin = 92.5\n"
    assert coverage.threshold(context(tmp_path, configured))[0] == 92.5
    from_env = context(tmp_path, configured, {"CI_SESSIONS_COVERAGE_MIN": "50"})
    assert coverage.threshold(from_env)[0] == 50.0


def test_coverage_min_must_be_a_number(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as error:
        context(tmp_path, '[tool.ci-sessions.coverage]\nmin = "high"\n')
    assert "coverage.min" in error.value.render()


def test_coverage_gate_reads_value_vs_threshold(tmp_path: Path) -> None:
    ctx = context(tmp_path)
    report = tmp_path / "coverage.json"
    report.write_text(json.dumps({"files": {"a.py": {}}, "totals": {
        "percent_covered": 59.996, "num_statements": 10, "covered_lines": 6, "missing_lines": 4,
    }}))  # fmt: skip
    metrics = coverage.parse_totals(report)
    assert metrics["percent"] == 60.0 and metrics["files"] == 1
    result = CheckResult("coverage", "full", Status.PASS, metrics=dict(metrics))
    evaluated = coverage.CoverageCheck().evaluate(ctx, result)
    assert evaluated.status is Status.FAIL
    assert evaluated.gates[0].describe() == "coverage 60.00 < 85.00"


def test_reset_data_removes_combined_and_parallel_files(tmp_path: Path) -> None:
    data = tmp_path / "cov" / ".coverage"
    data.parent.mkdir()
    for name in (".coverage", ".coverage.host.pid1.abc", "keep.txt"):
        (data.parent / name).write_text("x")
    assert coverage.reset_data(data) == 2
    assert [p.name for p in data.parent.iterdir()] == ["keep.txt"]


def test_twine_output_becomes_findings(tmp_path: Path) -> None:
    ctx = context(tmp_path)
    output = (
        f"Checking {tmp_path}/.ci-sessions/dist/demo-1-py3-none-any.whl: FAILED due to warnings\n"
        "WARNING  `long_description_content_type` missing. defaulting to `text/x-rst`.\n"
        "ERROR    `long_description` has syntax errors in markup and would not be rendered on PyPI.\n"
        f"Checking {tmp_path}/.ci-sessions/dist/demo-1.tar.gz: PASSED\n"
    )
    findings = build_check.parse_twine(ctx, output)
    assert [(f.rule, f.severity, f.path) for f in findings] == [
        ("twine-warning", "warning", ".ci-sessions/dist/demo-1-py3-none-any.whl"),
        ("twine-error", "error", ".ci-sessions/dist/demo-1-py3-none-any.whl"),
    ]


def test_wheel_contents(tmp_path: Path) -> None:
    wheel = tmp_path / "demo-1-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("demo/__init__.py", "x = 1\n")
        archive.writestr("demo-1.dist-info/METADATA", "Name: demo\n")
    assert build_check.wheel_contents(wheel) == [
        ("demo/__init__.py", 6),
        ("demo-1.dist-info/METADATA", 11),
    ]


def test_docs_builder_detection_and_requirements(tmp_path: Path) -> None:
    assert docs.detect_builder(context(tmp_path)) is None
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "conf.py").write_text("project = 'demo'\n")
    assert docs.detect_builder(context(tmp_path)) == ("sphinx", "docs/conf.py")
    (tmp_path / "mkdocs.yml").write_text("site_name: demo\n")
    ctx = context(tmp_path)
    assert docs.detect_builder(ctx) == ("mkdocs", "mkdocs.yml")
    assert docs.docs_requirements(ctx, "mkdocs") == ("-e", ".", "mkdocs-material==9.8.1")
    with_extra = context(tmp_path, '[project.optional-dependencies]\ndocs = ["mkdocs-material"]\n')
    assert docs.docs_requirements(with_extra, "mkdocs") == ("-e", ".[docs]")
    (tmp_path / "docs" / "requirements.txt").write_text("sphinx\n")
    assert docs.docs_requirements(context(tmp_path), "sphinx") == (
        "-e",
        ".",
        "-r",
        "docs/requirements.txt",
    )


def test_mkdocs_and_sphinx_warnings(tmp_path: Path) -> None:
    ctx = context(tmp_path)
    mkdocs_out = (
        "INFO    -  Building documentation...\n"
        "WARNING -  Doc file 'index.md' contains a link 'gone.md', but the target is not found among documentation files.\n"
        "Aborted with 1 warnings in strict mode!\n"
    )
    [finding] = docs.parse_mkdocs(ctx, mkdocs_out)
    assert finding.path == "docs/index.md" and "gone.md" in finding.message
    sphinx_out = f"{tmp_path}/docs/index.rst:12: WARNING: undefined label: 'nowhere'\nbuild finished with problems.\n"
    [warning] = docs.parse_sphinx(ctx, sphinx_out)
    assert (warning.path, warning.line, warning.rule) == ("docs/index.rst", 12, "sphinx-warning")


def test_sbom_components_and_runtime_env(tmp_path: Path) -> None:
    ctx = context(tmp_path, '[tool.ci-sessions.sbom]\nextras = ["cli"]\n')
    assert sbom.runtime_env(ctx).requirements == (".[cli]",)
    document = tmp_path / "sbom.json"
    document.write_text(
        json.dumps({"bomFormat": "CycloneDX", "components": [{"name": "packaging"}, "junk"]})
    )
    assert sbom.read_components(document) == [{"name": "packaging"}]
    document.write_text(json.dumps({"bomFormat": "SPDX"}))
    with pytest.raises(ValueError, match="not a CycloneDX"):
        sbom.read_components(document)


def test_state_directories_in_the_sdist_are_findings(tmp_path: Path) -> None:
    import io
    import tarfile

    sdist = tmp_path / "demo-1.tar.gz"
    with tarfile.open(sdist, "w:gz") as archive:
        for name in ("demo-1/pyproject.toml", "demo-1/.ci-sessions/reports/results.json",
                     "demo-1/.ci-sessions/site/index.html", "demo-1/src/.nox/x"):  # fmt: skip
            info = tarfile.TarInfo(name)
            archive.addfile(info, io.BytesIO(b""))
    findings = build_check.stray_files(sdist, "dist/demo-1.tar.gz")
    assert [(f.rule, f.path) for f in findings] == [("sdist-stray-files", "dist/demo-1.tar.gz")] * 2
    assert "2 file(s) under .ci-sessions/" in findings[0].message and ".nox/" in findings[1].message
