"""ci-sessions init: never overwrites, merges pyproject keeping every byte, idempotent."""

from __future__ import annotations

from pathlib import Path

import pytest

from ci_sessions.scaffold import init as scaffold
from ci_sessions.scaffold.render import merge_pyproject, snippet_blocks

PYPROJECT = """[project]
name = "demo"  # keep this comment
version = "0.1"
requires-python = ">=3.11"
classifiers = ["Programming Language :: Python :: 3.11"]

[tool.ruff]   # odd spacing kept
line-length = 99
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    (tmp_path / "src" / "demo").mkdir(parents=True)
    (tmp_path / "src" / "demo" / "__init__.py").write_text("", encoding="utf-8")
    (tmp_path / "tests").mkdir()
    return tmp_path


def _snapshot(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_init_writes_files_and_merges_pyproject(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert scaffold.main([str(project), "--no-baseline"]) == 0
    out = capsys.readouterr().out
    for name in (
        "noxfile.py",
        ".pre-commit-config.yaml",
        ".github/workflows/ci.yml",
        ".github/dependabot.yml",
    ):
        assert (project / name).is_file()
        assert f"created   {name}" in out
    text = (project / "pyproject.toml").read_text(encoding="utf-8")
    assert text.startswith(PYPROJECT)  # every existing byte kept
    assert "[tool.ci-sessions]" in text
    assert "merged    [tool.ci-sessions] into pyproject.toml" in out
    assert "src layout" in out
    assert not (project / ".ci-sessions-pyproject.toml").exists()


def test_rerun_changes_nothing(project: Path) -> None:
    assert scaffold.main([str(project), "--no-baseline"]) == 0
    before = _snapshot(project)
    assert scaffold.main([str(project), "--no-baseline"]) == 0
    assert _snapshot(project) == before


def test_existing_files_are_never_overwritten(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    own = "repos: []  # the project's own\n"
    (project / ".pre-commit-config.yaml").write_text(own, encoding="utf-8")
    assert scaffold.main([str(project), "--no-baseline"]) == 0
    assert (project / ".pre-commit-config.yaml").read_text(encoding="utf-8") == own
    beside = project / ".pre-commit-config.yaml.ci-sessions-new"
    assert "nox -s essential" in beside.read_text(encoding="utf-8")
    assert "wrote .pre-commit-config.yaml.ci-sessions-new beside it" in capsys.readouterr().out
    before = _snapshot(project)
    assert scaffold.main([str(project), "--no-baseline"]) == 0
    assert _snapshot(project) == before
    assert scaffold.main([str(project), "--no-baseline", "--force"]) == 0
    assert (project / ".pre-commit-config.yaml").read_text(encoding="utf-8") == beside.read_text(
        encoding="utf-8"
    )


def test_dry_run_writes_nothing_and_shows_a_diff(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = _snapshot(project)
    assert scaffold.main([str(project), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert _snapshot(project) == before
    assert "+++ b/noxfile.py" in out
    assert "+[tool.ci-sessions]" in out


def test_previous_answers_are_kept(project: Path) -> None:
    assert (
        scaffold.main(
            [str(project), "--no-baseline", "--tier", "extended", "--os", "windows-latest"]
        )
        == 0
    )
    before = _snapshot(project)
    assert scaffold.main([str(project), "--no-baseline"]) == 0  # no flags: the same choices
    assert _snapshot(project) == before
    workflow = (project / ".github" / "workflows" / "ci.yml").read_text(encoding="utf-8")
    assert "--os windows-latest" in workflow
    assert "nox -s extended" in workflow
    assert "fail_under = 80" in (project / "pyproject.toml").read_text(encoding="utf-8")


def test_merge_skips_tables_the_project_has() -> None:
    snippet = '[tool.ci-sessions]\nbaseline = "b"\n\n[tool.coverage.run]\nbranch = true\n\n[tool.coverage.report]\nfail_under = 80\n'
    assert [k for k, _ in snippet_blocks(snippet)] == ["ci-sessions", "coverage"]
    merged, added = merge_pyproject("[tool.coverage.run]\nbranch = false\n", snippet)
    assert added == ["ci-sessions"]
    assert merged.startswith("[tool.coverage.run]\nbranch = false\n\n[tool.ci-sessions]")
    assert merge_pyproject(merged, snippet) == (merged, [])


def test_invalid_pyproject_is_a_config_error(tmp_path: Path) -> None:
    from ci_sessions.errors import ConfigError

    with pytest.raises(ConfigError, match="invalid TOML"):
        merge_pyproject("[project\n", "[tool.ci-sessions]\n")


# -- update: 3-way merge ------------------------------------------------------------------------


def _git(root: Path, *args: str) -> None:
    import subprocess

    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=root,
        check=True,
        capture_output=True,
    )


def test_update_merges_template_changes_with_project_edits(project: Path) -> None:
    from ci_sessions.scaffold import update as scaffold_update
    from ci_sessions.scaffold.facts import detect
    from ci_sessions.scaffold.render import render

    assert scaffold.main([str(project), "--no-baseline"]) == 0
    _git(project, "init", "-q")
    _git(project, "add", "-A")
    _git(project, "commit", "-qm", "adopt ci-sessions")
    workflow = project / ".github" / "workflows" / "ci.yml"
    ours = workflow.read_text(encoding="utf-8").replace(
        "  workflow_dispatch:\n", "  workflow_dispatch:\n  merge_group:\n"
    )
    workflow.write_text(ours, encoding="utf-8")
    # noxfile.py stays as init wrote it: an unedited file is simply replaced
    rendered = render(scaffold.answers_for(detect(project), scaffold.load_answers(project), {}))
    rendered[".github/workflows/ci.yml"] = rendered[".github/workflows/ci.yml"].replace(
        'FORCE_COLOR: "1"', 'FORCE_COLOR: "1"\n  PIP_DISABLE_PIP_VERSION_CHECK: "1"'
    )
    rendered["noxfile.py"] += "# template change\n"
    actions = {a.path: a for a in scaffold_update.plan_update(project, rendered)}
    assert actions["noxfile.py"].note == "unedited"
    assert actions[".github/workflows/ci.yml"].note == "merged"
    merged = actions[".github/workflows/ci.yml"].text
    assert "merge_group:" in merged
    assert "PIP_DISABLE_PIP_VERSION_CHECK" in merged
    # both sides change the same line: a conflict, written beside the file
    workflow.write_text(ours.replace('FORCE_COLOR: "1"', 'FORCE_COLOR: "0"'), encoding="utf-8")
    conflict = {a.path: a for a in scaffold_update.plan_update(project, rendered)}[
        ".github/workflows/ci.yml"
    ]
    assert conflict.note == "conflict"
    assert conflict.target.endswith(".ci-sessions-new")
    assert "<<<<<<< project" in conflict.text


def test_update_needs_a_previous_init(tmp_path: Path) -> None:
    from ci_sessions.scaffold import update as scaffold_update

    assert scaffold_update.main([str(tmp_path)]) == 2


def test_pythons_from_requires_python_are_written_down(tmp_path: Path) -> None:
    from ci_sessions.config import load_config
    from ci_sessions.scaffold.facts import detect

    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\nrequires-python = ">=3.8"\n', encoding="utf-8"
    )
    found = list(detect(tmp_path).python_versions)
    assert scaffold.main([str(tmp_path), "--no-baseline"]) == 0
    # a CI runner with other interpreters must compute the same matrix: the list is explicit
    assert load_config(tmp_path, environ={}).python == found


def test_detect_reads_configs_from_every_place(tmp_path: Path) -> None:
    from ci_sessions.scaffold.facts import detect

    (tmp_path / "setup.py").write_text("from setuptools import setup\nsetup()\n", encoding="utf-8")
    (tmp_path / "tox.ini").write_text("[pytest]\naddopts = -ra\n", encoding="utf-8")
    (tmp_path / "setup.cfg").write_text("[coverage:run]\nbranch = true\n", encoding="utf-8")
    (tmp_path / "mkdocs.yml").write_text("site_name: x\n", encoding="utf-8")
    (tmp_path / "tool.py").write_text("", encoding="utf-8")
    facts = detect(tmp_path)
    assert (facts.has_pytest_config, facts.has_coverage_config, facts.docs_tool) == (
        True,
        True,
        "mkdocs",
    )
    assert (facts.layout, facts.packages, facts.name) == ("flat", ("tool.py",), tmp_path.name)
    # with existing pytest/coverage config, --tier extended adds neither table
    answers = scaffold.answers_for(facts, {}, {"tier": "extended"})
    assert (answers["add_pytest_config"], answers["add_coverage_config"]) == (False, False)


def test_extended_tier_adds_tool_tables_the_project_lacks(project: Path) -> None:
    from ci_sessions.config import load_toml

    assert scaffold.main([str(project), "--no-baseline", "--tier", "full"]) == 0
    tool = load_toml(project / "pyproject.toml")["tool"]
    assert tool["ruff"] == {"line-length": 99}  # the project's own ruff config is untouched
    assert tool["pyright"] == {"include": ["src/demo"], "typeCheckingMode": "strict"}
    assert tool["coverage"]["report"]["fail_under"] == 80
    assert tool["pytest"]["ini_options"]["testpaths"] == ["tests"]


def test_pins_come_from_the_installed_version_not_old_answers(project: Path) -> None:
    assert scaffold.main([str(project), "--no-baseline"]) == 0
    answers_file = project / ".ci-sessions-answers.yml"
    old = answers_file.read_text(encoding="utf-8")
    answers_file.write_text(
        old.replace("ci-sessions==0.1.0", "ci-sessions==0.0.1"), encoding="utf-8"
    )
    assert scaffold.load_answers(project)["ci_sessions_install"] == "ci-sessions==0.0.1"
    from ci_sessions.scaffold.facts import detect

    answers = scaffold.answers_for(detect(project), scaffold.load_answers(project), {})
    from ci_sessions._version import __version__

    assert answers["ci_sessions_install"] == f"ci-sessions=={__version__}"


def test_the_noxfile_shown_in_docs_is_the_rendered_one(project: Path) -> None:
    import re

    from ci_sessions.scaffold.facts import detect
    from ci_sessions.scaffold.render import render

    docs = Path(__file__).resolve().parents[3] / "docs" / "init.md"
    shown = re.search(r"```python\n(#!.*?)```", docs.read_text(encoding="utf-8"), re.S)
    assert shown is not None
    answers = scaffold.answers_for(
        detect(project), {}, {"ci_sessions_requirement": "ci-sessions>=0.1"}
    )
    assert render(answers)["noxfile.py"] == shown.group(1)


def test_gitignore_gains_only_what_is_missing(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("/.nox\nbuild/", encoding="utf-8")
    action = scaffold._plan_gitignore(tmp_path)  # pyright: ignore[reportPrivateUsage]
    assert action.kind == "merge"
    assert action.text.startswith("/.nox\nbuild/\n\n# written by ci-sessions")
    assert action.text.endswith("\n.ci-sessions/\n")
    assert ".nox/" not in action.text.split("# written")[1]  # already ignored as /.nox
    (tmp_path / ".gitignore").write_text(action.text, encoding="utf-8")
    assert scaffold._plan_gitignore(tmp_path).kind == "unchanged"  # pyright: ignore[reportPrivateUsage]


@pytest.mark.parametrize(
    ("source", "registers"),
    [
        ("import ci_sessions\n\nci_sessions.register()\n", True),
        ("import ci_sessions as cs\n\ncs.register(python=['3.12'])\n", True),
        ("from ci_sessions import register\n\nregister()\n", True),
        ("from ci_sessions import register as reg\n\nreg()\n", True),
        ("import ci_sessions\n", False),  # imported, never called: no sessions
        ("import nox\n# ci_sessions.register()\n", False),
        ("import nox\n\nnox.register()\n", False),
        ("import other as ci_sessions_like\n\nci_sessions_like.register()\n", False),
        ("from .ci_sessions import register\n\nregister()\n", False),
        ("def broken(:\n", False),
    ],
)
def test_registers_ci_sessions(source: str, registers: bool) -> None:
    assert scaffold.registers_ci_sessions(source) is registers


OWN_NOXFILE = '"""Sessions."""\n\nimport nox\n\n\n@nox.session\ndef unit(session):\n    pass\n'


def _next_lines(out: str) -> list[str]:
    return out[out.index("\nnext: ") + 1 :].splitlines()


def test_next_steps_for_a_noxfile_of_its_own_start_with_register(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`nox -s essential` alone fails there: the project's noxfile has no such session yet."""
    (project / "noxfile.py").write_text(OWN_NOXFILE, encoding="utf-8")
    assert scaffold.main([str(project), "--no-baseline"]) == 0
    lines = _next_lines(capsys.readouterr().out)
    assert lines[0] == f"next: {scaffold.ADD_REGISTER}"
    assert lines[1] == "      then: nox -s essential"
    assert lines[2] == "      review: noxfile.py.ci-sessions-new"
    assert (project / "noxfile.py").read_text(encoding="utf-8") == OWN_NOXFILE


def test_next_steps_for_a_noxfile_that_registers_are_the_tier(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "noxfile.py").write_text(
        OWN_NOXFILE.replace("import nox\n", "import ci_sessions\nimport nox\n")
        + "\n\nci_sessions.register()\n",
        encoding="utf-8",
    )
    assert scaffold.main([str(project), "--no-baseline"]) == 0
    lines = _next_lines(capsys.readouterr().out)
    assert lines[0] == "next: nox -s essential"


def test_next_steps_name_the_baseline_when_init_could_not_record_it() -> None:
    steps = scaffold.next_steps(
        registers=False, baseline=True, beside=["noxfile.py.ci-sessions-new"]
    )
    assert steps[1] == "      then: ci-sessions baseline --update --allow-growth; nox -s essential"
    assert scaffold.next_steps(registers=True, baseline=True, beside=[]) == [
        "next: nox -s essential; pre-commit install"
    ]
