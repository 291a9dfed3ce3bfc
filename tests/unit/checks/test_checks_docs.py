"""The docs check: mkdocs or Sphinx, and their warnings as findings."""

from __future__ import annotations

from pathlib import Path

from ci_sessions.checks import docs
from ci_sessions.checks.base import CheckContext
from ci_sessions.config import load_config
from ci_sessions.config.project import load_project


def context(root: Path, pyproject: str = "", environ: dict[str, str] | None = None) -> CheckContext:
    (root / "pyproject.toml").write_text('[project]\nname = "demo"\nversion = "1"\n' + pyproject)
    return CheckContext(
        root=root,
        config=load_config(root, environ=environ or {}),
        project=load_project(root),
        python="3.11",
        session="full",
    )


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
