"""ci-sessions validate: each CIS rule passes on what init renders and fails on the drift it names."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from ci_sessions.scaffold import init as scaffold
from ci_sessions.scaffold.facts import detect
from ci_sessions.scaffold.render import render
from ci_sessions.validate import cli as validate
from ci_sessions.validate.rules import evaluate, nox_sessions, repo_review_checks

PYPROJECT = """[project]
name = "demo"
version = "0.1"
requires-python = ">=3.11"
classifiers = ["Programming Language :: Python :: 3.11", "Programming Language :: Python :: 3.12"]
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    (tmp_path / "demo").mkdir()
    (tmp_path / "demo" / "__init__.py").write_text("", encoding="utf-8")
    facts = detect(tmp_path)
    answers = scaffold.answers_for(facts, {}, {"tier": "extended"})
    scaffold.write(tmp_path, scaffold.plan(tmp_path, render(answers), force=False))
    return tmp_path


def _results(root: Path) -> dict[str, bool | None]:
    return {o.rule.id: o.passed for o in evaluate(root)}


def test_rendered_project_passes_every_rule(project: Path) -> None:
    results = _results(project)
    assert all(v is not False for v in results.values()), results
    assert results["CIS122"] is True
    assert results["CIS141"] is True  # --tier extended adds the coverage threshold


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_drift_is_caught_rule_by_rule(project: Path) -> None:
    workflow = project / ".github" / "workflows" / "ci.yml"
    pinned = re.search(r"actions/checkout@[0-9a-f]{40}", workflow.read_text(encoding="utf-8"))
    assert pinned is not None  # the pin comes from configs/action-pins.yaml
    _edit(workflow, pinned.group(), "actions/checkout@v5")
    _edit(workflow, "\npermissions: {}\n", "\n")  # every job still declares its own
    _edit(workflow, 'nox -s "$SESSION"', "pytest")
    _edit(
        project / ".pre-commit-config.yaml", "entry: nox -s essential", "entry: nox -s lint format"
    )
    _edit(project / "noxfile.py", '"ci-sessions>=0.1"', '"ci-sessions"')
    _edit(project / "pyproject.toml", 'requires-python = ">=3.11"', 'requires-python = ">=3.10"')
    results = _results(project)
    failed = {k for k, v in results.items() if v is False}
    assert failed == {"CIS102", "CIS112", "CIS122", "CIS123", "CIS131"}
    assert validate.exit_code(evaluate(project)) == 1


def test_permissions_missing_everywhere(project: Path) -> None:
    workflow = project / ".github" / "workflows" / "ci.yml"
    text = workflow.read_text(encoding="utf-8")
    workflow.write_text(
        "\n".join(line for line in text.splitlines() if "permissions" not in line and "contents: read" not in line
                  and "security-events" not in line),
        encoding="utf-8",
    )  # fmt: skip
    assert _results(project)["CIS124"] is False


def test_empty_repository(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert validate.main([str(tmp_path), "--json"]) == 1
    payload = json.loads(capsys.readouterr().out)
    by_id = {r["id"]: r for r in payload["rules"]}
    assert payload["status"] == "fail"
    assert by_id["CIS101"]["result"] is False
    assert by_id["CIS101"]["fix"]
    assert by_id["CIS123"]["result"] is None


def test_select_and_unknown_ids(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert validate.main([str(project), "--select", "CIS101"]) == 0
    assert "CIS101" in capsys.readouterr().out
    assert validate.main([str(project), "--select", "CIS999"]) == 2


def test_repo_review_plugin(project: Path) -> None:
    checks = repo_review_checks(project)
    assert checks["CIS101"].family == "ci-sessions"
    assert checks["CIS101"].check() is True
    (project / "noxfile.py").write_text("import nox\n", encoding="utf-8")
    failing = repo_review_checks(project)["CIS101"].check()
    assert isinstance(failing, str)
    assert "register" in failing


def test_nox_sessions_parsing() -> None:
    assert nox_sessions('uvx nox -s "$SESSION"') == ["$SESSION"]
    assert nox_sessions("nox -s lint format -- --fix") == ["lint", "format"]
    assert nox_sessions("pytest") == []


# -- broken files are errors, settings with a default are not warnings (issues 12.14, 16.6) ----


def test_an_unparseable_precommit_config_is_a_failure_with_its_line(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / ".pre-commit-config.yaml").write_text(
        "repos:\n  - repo: local\n    hooks: [\n", encoding="utf-8"
    )
    outcomes = {o.rule.id: o for o in evaluate(project)}
    assert outcomes["CIS104"].passed is False
    assert outcomes["CIS104"].rule.required
    assert ".pre-commit-config.yaml is not valid YAML (line 4" in outcomes["CIS104"].detail
    assert validate.main([str(project)]) == 1
    out = capsys.readouterr().out
    assert "FAIL  CIS104" in out
    assert "run `ci-sessions init`" not in out.split("FAIL  CIS104")[1].split("\n\n")[0]


def test_a_workflow_that_is_a_directory_is_named_not_a_traceback(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    workflow = project / ".github" / "workflows" / "ci.yml"
    workflow.unlink()
    workflow.mkdir()
    outcomes = {o.rule.id: o for o in evaluate(project)}
    assert outcomes["CIS104"].passed is False
    assert ".github/workflows/ci.yml is a directory" in outcomes["CIS104"].detail
    assert not [o for o in outcomes.values() if "rule crashed" in o.detail]
    assert validate.main([str(project)]) == 1


def test_coverage_min_with_its_default_is_not_a_warning(tmp_path: Path) -> None:
    # no fail_under anywhere: coverage.min (85 by default) gates the tier, nothing to warn about
    (tmp_path / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    assert _results(tmp_path)["CIS141"] is True


def test_coverage_minimums_that_disagree_are_a_warning(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        PYPROJECT + "\n[tool.coverage.report]\nfail_under = 70\n"
        "\n[tool.ci-sessions.coverage]\nmin = 90\n",
        encoding="utf-8",
    )
    outcome = {o.rule.id: o for o in evaluate(tmp_path)}["CIS141"]
    assert outcome.passed is False
    assert not outcome.rule.required
    assert "coverage.min = 90" in outcome.detail and "fail_under = 70" in outcome.detail


def test_a_lower_bound_is_not_called_pinned(project: Path) -> None:
    rule = {o.rule.id: o for o in evaluate(project)}["CIS102"]
    assert rule.passed is True
    assert "pinned" not in rule.rule.name
    assert "version constraint" in rule.rule.name


def test_run_scripts_that_paste_untrusted_text_fail_cis126(project: Path) -> None:
    workflow = project / ".github" / "workflows" / "ci.yml"
    assert _results(project)["CIS126"] is True  # the templates pass nothing untrusted
    text = workflow.read_text(encoding="utf-8")
    bad = text.replace(
        'nox -s "$SESSION"',
        'echo "${{ github.event.head_commit.message }}" && echo ${{ env.BRANCH }} '
        '&& echo ${{ matrix.session }} ${{ github.sha }} && nox -s "$SESSION"',
    ).replace("\nenv:\n", "\nenv:\n  BRANCH: ${{ github.head_ref }}\n", 1)  # one env: only
    assert bad != text
    workflow.write_text(bad, encoding="utf-8")
    outcome = {o.rule.id: o for o in evaluate(project)}["CIS126"]
    assert outcome.passed is False
    assert "github.event.head_commit.message" in outcome.detail and "env.branch" in outcome.detail
    assert "matrix.session" not in outcome.detail and "github.sha" not in outcome.detail
    assert "env:" in outcome.rule.fix
