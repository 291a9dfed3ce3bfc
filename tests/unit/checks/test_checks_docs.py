"""The docs check: mkdocs or Sphinx, and their warnings as findings."""

from __future__ import annotations

from pathlib import Path

from ci_sessions.checks import docs
from ci_sessions.checks.base import CheckContext, ToolRun
from ci_sessions.config import load_config
from ci_sessions.config.project import load_project
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


OFFLINE_SPHINX = """\
loading intersphinx inventory 'python' from https://docs.python.org/3/objects.inv ...
build finished with problems, 2 warnings (with warnings treated as errors).
WARNING: failed to reach any of the inventories with the following issues:
intersphinx inventory 'https://docs.python.org/3/objects.inv' not fetchable due to <class 'requests.exceptions.ConnectionError'>: HTTPSConnectionPool(host='docs.python.org', port=443)
/p/docs/index.rst:4: WARNING: py:func reference target not found: os.path.join [ref.func]
"""


def test_an_offline_sphinx_build_is_recognised_and_counted_as_sphinx_counts(
    tmp_path: Path,
) -> None:
    assert docs.unreachable_inventories(OFFLINE_SPHINX) == ["https://docs.python.org/3/objects.inv"]
    assert docs.unreachable_inventories("build succeeded.") == []
    assert docs.sphinx_total(OFFLINE_SPHINX) == 2
    assert docs.sphinx_total("build succeeded, 3 warnings.") == 3
    assert docs.sphinx_total("build succeeded.") == 0
    assert docs.sphinx_total("no summary") is None
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "d"\nversion = "1"\n')
    ctx = CheckContext(tmp_path, load_config(tmp_path, environ={}), load_project(tmp_path),
                       "3.11", "docs")  # fmt: skip
    findings = docs.parse_sphinx(ctx, OFFLINE_SPHINX)
    assert len(findings) == 2  # what Sphinx counts: the bare WARNING line is one of them
    assert findings[0].path == ""


def test_pages_are_the_projects_documents_not_the_scaffolding(tmp_path: Path) -> None:
    for name in ("index.html", "guide/index.html", "404.html", "genindex.html", "search.html",
                 "_static/x.html", "assets/y.html", "_modules/demo.html"):  # fmt: skip
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("<html/>")
    assert docs.count_pages(tmp_path) == 2
    assert docs.count_pages(tmp_path / "missing") == 0


def _sphinx(root: Path) -> None:
    (root / "docs").mkdir(exist_ok=True)
    (root / "docs" / "conf.py").write_text("html_theme = 'sphinx_rtd_theme'\n")


def test_docs_requirements_under_another_name_are_found(tmp_path: Path) -> None:
    """Issue 21, item 4: python-dateutil's docs/requirements-docs.txt, named in tox.ini's docs env."""
    _sphinx(tmp_path)
    (tmp_path / "docs" / "requirements-docs.txt").write_text("sphinx\nsphinx_rtd_theme\n")
    ctx = context(tmp_path)
    assert docs.docs_requirements(ctx, "sphinx") == ("-e", ".", "-r", "docs/requirements-docs.txt")


def test_the_tox_docs_env_says_which_requirements_build_the_docs(tmp_path: Path) -> None:
    _sphinx(tmp_path)
    (tmp_path / "requirements-dev.txt").write_text("pytest\n")
    (tmp_path / "docs" / "reqs.txt").write_text("sphinx_rtd_theme\n")
    (tmp_path / "docs" / "requirements.txt").write_text("unrelated\n")
    (tmp_path / "tox.ini").write_text(
        "[testenv]\ndeps = -rrequirements-dev.txt\n\n"
        "[testenv:docs]\ndeps = -r docs/reqs.txt\n       {[testenv]deps}\n       furo>=2024\n"
        "commands = python -m sphinx docs out\n"
    )
    assert docs.docs_requirements(context(tmp_path), "sphinx") == (
        "-e", ".", "-r", "docs/reqs.txt", "-r", "requirements-dev.txt", "furo>=2024",
    )  # fmt: skip


def test_read_the_docs_configuration_comes_first(tmp_path: Path) -> None:
    _sphinx(tmp_path)
    (tmp_path / "docs" / "requirements-docs.txt").write_text("sphinx\n")
    (tmp_path / "rtd.txt").write_text("sphinx\n")
    (tmp_path / ".readthedocs.yaml").write_text(
        "version: 2\npython:\n  install:\n    - requirements: rtd.txt\n"
        "    - method: pip\n      path: .\n      extra_requirements: [docs]\n"
    )
    ctx = context(tmp_path, '[project.optional-dependencies]\ndocs = ["sphinx"]\n')
    assert docs.docs_requirements(ctx, "sphinx") == ("-e", ".[docs]", "-r", "rtd.txt")


def test_a_readthedocs_config_of_another_shape_names_nothing(tmp_path: Path) -> None:
    from ci_sessions.checks.docs_requirements import discover

    _sphinx(tmp_path)
    (tmp_path / "docs" / "requirements-docs.txt").write_text("sphinx\n")
    rtd = tmp_path / ".readthedocs.yaml"
    for text in ("- python\n", "python: [install]\n", "python:\n  install: rtd.txt\n",
                 "python:\n  install:\n    - rtd.txt\n    - {requirements: 3}\n"):  # fmt: skip
        rtd.write_text(text)
        found = discover(tmp_path)
        assert found.origin == "docs/requirements-docs.txt", text
    rtd.write_text("python:\n  install:\n    - {path: ., extra_requirements: [docs, 2]}\n")
    assert discover(tmp_path).extras == ["docs", "2"]


def test_configured_requirements_win(tmp_path: Path) -> None:
    _sphinx(tmp_path)
    (tmp_path / "docs" / "requirements-docs.txt").write_text("sphinx\n")
    ctx = context(tmp_path, '[tool.ci-sessions.docs]\nrequirements = ["mine.txt"]\n')
    assert docs.docs_requirements(ctx, "sphinx") == ("-e", ".", "-r", "mine.txt")


MISSING = [
    (
        "Sphinx error:\nno theme named 'sphinx_rtd_theme' found (missing theme.conf?)\n",
        "sphinx_rtd_theme",
    ),
    (
        "Extension error:\nCould not import extension sphinx_copybutton (exception: No module "
        "named 'sphinx_copybutton')\n",
        "sphinx_copybutton",
    ),
    ("Configuration error:\nThere is a programmable error in your configuration file:\n\n"
     "Traceback (most recent call last):\nModuleNotFoundError: No module named 'furo'\n", "furo"),
    ("Error: Unrecognised theme name: 'material'. The available installed themes are: mkdocs",
     "material"),
    ("ERROR   -  Config value 'plugins': The \"mkdocstrings\" plugin is not installed\n",
     "mkdocstrings"),
]  # fmt: skip


def test_a_missing_builder_dependency_is_recognised() -> None:
    for text, name in MISSING:
        assert docs.missing_dependency(text) == name, text
    assert docs.missing_dependency("index.rst:3: WARNING: undefined label: 'x'\n") is None


def test_the_build_command_follows_the_builder_and_strictness(tmp_path: Path) -> None:
    site = tmp_path / "site"
    strict = context(tmp_path).settings("docs")  # strict by default
    assert docs.build_argv("mkdocs", "mkdocs.yml", "py", site, strict) == [
        "py", "-m", "mkdocs", "build", "--config-file", "mkdocs.yml", "--site-dir", str(site),
        "--clean", "--strict",
    ]  # fmt: skip
    assert docs.build_argv("sphinx", "docs/conf.py", "py", site, strict) == [
        "py", "-m", "sphinx", "--keep-going", "-b", "html", "-W", "docs", str(site),
    ]  # fmt: skip
    loose = context(tmp_path, '[tool.ci-sessions.docs]\nstrict = false\nargs = ["-q"]\n').settings(
        "docs"
    )
    assert docs.build_argv("mkdocs", "mkdocs.yml", "py", site, loose)[-2:] == ["--clean", "-q"]
    assert docs.build_argv("sphinx", "docs/conf.py", "py", site, loose)[-3:] == [
        "docs", str(site), "-q",
    ]  # fmt: skip


def test_a_build_that_could_not_build_is_an_error_a_failed_build_is_not(tmp_path: Path) -> None:
    ctx = context(tmp_path)
    check = docs.DocsCheck()

    def unbuilt(code: int, text: str) -> CheckResult | None:
        run = ToolRun(["mkdocs"], code, text, "", 0.1)
        return check._unbuilt(ctx, "mkdocs", ["mkdocs"], run, text)

    theme = "ERROR - Config value 'theme': Unrecognised theme name: 'material'."
    missing = unbuilt(1, theme)
    assert missing is not None and missing.status is Status.ERROR
    assert "'material' is not installed" in missing.summary and missing.tools == ["mkdocs"]
    assert unbuilt(0, theme) is None  # a build that passed names no missing theme
    crashed = unbuilt(1, "Traceback (most recent call last):\n  boom")
    assert crashed is not None and "crashed (exit 1)" in crashed.summary
    signal = unbuilt(-9, "killed")
    assert signal is not None and "crashed (exit -9)" in signal.summary
    assert unbuilt(1, "WARNING - a broken link") is None  # findings judge it
    assert unbuilt(1, "Traceback (most recent call last):\nConfigurationError: x") is None
