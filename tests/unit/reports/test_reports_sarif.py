"""The merged SARIF log: one run per tool, relative locations, valid against SARIF 2.1.0."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from ci_sessions.reports import sarif
from ci_sessions.results import CheckResult, Finding, RunRecord, Status

SCHEMA = Path(__file__).parents[2] / "data" / "sarif-schema-2.1.0.json"


def validate(log: object) -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft4Validator(schema).validate(log)


def results() -> list[CheckResult]:
    return [
        CheckResult(
            "lint", "lint", Status.FAIL, tools=["ruff"],
            findings=[Finding("ruff", "F401", "`os` imported but unused", "pkg/a.py", 1, 8)],
        ),
        CheckResult("typecheck", "typecheck", Status.PASS, tools=["pyright"]),
        CheckResult(
            "sast", "sast", Status.FAIL, tools=["bandit"],
            findings=[Finding("bandit", "B602", "shell=True", "pkg/run dir/b.py", 3, severity="error",
                              fingerprint="abc123")],
            artifacts={"sarif": ".ci-sessions/reports/bandit.sarif"},
        ),
        CheckResult(
            "audit", "audit", Status.FAIL, tools=["pip-audit"],
            findings=[Finding("pip-audit", "PYSEC-2099-1", "demo 1.0 is vulnerable; fixed in 1.1")],
        ),
        CheckResult("secrets", "secrets", Status.ERROR, summary="detect-secrets crashed", tools=["detect-secrets"]),
        CheckResult("tests", "tests", Status.FAIL, findings=[Finding("pytest", "test-failure", "x", "t.py")]),
        CheckResult("docs", "docs", Status.SKIP, summary="no mkdocs.yml"),
    ]  # fmt: skip


def test_log_is_valid_sarif_with_one_run_per_tool(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname='x'\n")
    reports = tmp_path / ".ci-sessions" / "reports"
    reports.mkdir(parents=True)
    native = {
        "version": "2.1.0",
        "runs": [{"tool": {"driver": {"name": "Bandit", "rules": [
            {"id": "B602", "name": "subprocess_popen_with_shell_equals_true",
             "helpUri": "https://bandit.readthedocs.io/en/latest/plugins/b602.html",
             "properties": {"tags": ["security"]}},
        ]}}, "results": [{"ruleId": "B602", "message": {"text": "snippet: password='hunter2'"}}]}],
    }  # fmt: skip
    (reports / "bandit.sarif").write_text(json.dumps(native))
    run = RunRecord("r1", "x", 0.0, sessions=["extended"], results=results())
    sarif.write(tmp_path, run)
    log = json.loads(sarif.path_for(tmp_path).read_text())
    validate(log)

    by_tool = {r["tool"]["driver"]["name"]: r for r in log["runs"]}
    assert list(by_tool) == ["ruff", "pyright", "bandit", "pip-audit", "detect-secrets"]
    ruff = by_tool["ruff"]["results"][0]
    location = ruff["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "pkg/a.py", "uriBaseId": "%SRCROOT%"}
    assert location["region"] == {"startLine": 1, "startColumn": 8}
    assert by_tool["pyright"]["results"] == []
    bandit = by_tool["bandit"]
    assert bandit["tool"]["driver"]["rules"][0]["helpUri"].endswith("b602.html")
    assert (
        bandit["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        == "pkg/run%20dir/b.py"
    )
    assert bandit["results"][0]["partialFingerprints"] == {"ciSessionsFingerprint/v1": "abc123"}
    assert "hunter2" not in json.dumps(log)  # native results are never copied
    audit = by_tool["pip-audit"]["results"][0]
    assert audit["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "pyproject.toml"
    secrets = by_tool["detect-secrets"]["invocations"][0]
    assert secrets["executionSuccessful"] is False
    assert "crashed" in secrets["toolExecutionNotifications"][0]["message"]["text"]


def test_empty_run_is_still_valid(tmp_path: Path) -> None:
    log = sarif.build_log(tmp_path, [])
    validate(log)
    assert log["runs"] == []


def test_schema_rejects_a_broken_log(tmp_path: Path) -> None:
    log = sarif.build_log(tmp_path, results())
    log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] = 0
    with pytest.raises(jsonschema.ValidationError):
        validate(log)


def test_clean_checks_keep_their_runs_so_alerts_close(tmp_path: Path) -> None:
    clean = [
        CheckResult("build", "full", Status.PASS, tools=["build", "twine"]),
        CheckResult("docs", "full", Status.PASS, metrics={"builder": "sphinx"}, tools=["sphinx"]),
    ]
    failing = [
        CheckResult("build", "full", Status.FAIL, tools=["build", "twine"],
                    findings=[Finding("build", "sdist-stray-files", "x", ".ci-sessions/dist/d.tar.gz")]),
        CheckResult("docs", "full", Status.FAIL, metrics={"builder": "sphinx"}, tools=["sphinx"],
                    findings=[Finding("sphinx", "sphinx-warning", "undefined label", "docs/index.rst", 4)]),
    ]  # fmt: skip
    names = [
        [r["tool"]["driver"]["name"] for r in sarif.build_log(tmp_path, rs)["runs"]]
        for rs in (clean, failing)
    ]
    assert names[0] == names[1] == ["build", "twine", "sphinx"]
    validate(sarif.build_log(tmp_path, failing))
