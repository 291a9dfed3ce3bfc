"""`ci-sessions report`: evidence pack integrity, the weekly digest's numbers, the dashboard file."""

from __future__ import annotations

import hashlib
import json
import subprocess
import zipfile
from pathlib import Path

import pytest

from ci_sessions.history import store as history
from ci_sessions.reports import cli, digest, pack
from ci_sessions.results import CheckResult, RunRecord, Status

NOW = 1_800_000_000.0
DAY = 86400.0


def _git_repo(root: Path) -> str:
    git = ["git", "-c", "user.email=ci@example.com", "-c", "user.name=ci"]
    subprocess.run([*git, "init", "-q"], cwd=root, check=True)
    (root / "README.md").write_text("x\n")
    subprocess.run([*git, "add", "README.md"], cwd=root, check=True)
    subprocess.run([*git, "commit", "-qm", "x"], cwd=root, check=True)
    return subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True
    ).stdout.strip()


def test_pack_manifest_has_sha256_of_every_file_the_commit_and_run_id(tmp_path: Path) -> None:
    head = _git_repo(tmp_path)
    reports = tmp_path / ".ci-sessions" / "reports"
    reports.mkdir(parents=True)
    run = RunRecord(run_id="abc123", project="p", started=NOW, commit="f" * 40)
    (reports / "results.json").write_text(json.dumps(run.to_json()))
    (reports / "junit-tests-3.12.xml").write_text("<testsuites/>")
    (reports / "sub").mkdir()
    (reports / "sub" / "summary.md").write_text("# ok\n")
    history.record_run(tmp_path, RunRecord(run_id="h1", project="p", started=NOW))

    assert cli.main(["--root", str(tmp_path), "--pack"]) == 0
    target = tmp_path / ".ci-sessions" / "evidence-abc123.zip"
    with zipfile.ZipFile(target) as archive:
        manifest = json.loads(archive.read("MANIFEST.json"))
        for name, digest_ in manifest["files"].items():
            assert hashlib.sha256(archive.read(name)).hexdigest() == digest_
        assert set(archive.namelist()) == {"MANIFEST.json", *manifest["files"]}
    assert set(manifest["files"]) == {
        "reports/results.json", "reports/junit-tests-3.12.xml", "reports/sub/summary.md", "history.db",
    }  # fmt: skip
    assert (manifest["run_id"], manifest["commit"], manifest["head"]) == ("abc123", "f" * 40, head)
    assert manifest["files"]["reports/sub/summary.md"] == hashlib.sha256(b"# ok\n").hexdigest()
    assert cli.main(["--verify", str(target)]) == 0

    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(target) as source, zipfile.ZipFile(tampered, "w") as out:
        for name in source.namelist():
            data = source.read(name)
            out.writestr(name, b"# edited\n" if name == "reports/sub/summary.md" else data)
    assert pack.verify(tampered) == ["reports/sub/summary.md: sha256 differs from the manifest"]
    assert cli.main(["--verify", str(tampered)]) == 1
    assert cli.main(["--verify", str(tmp_path / "README.md")]) == 2
    assert "reproducible" not in manifest  # no double build in this run


def test_pack_manifest_repeats_the_double_build_numbers(tmp_path: Path) -> None:
    _git_repo(tmp_path)
    reports = tmp_path / ".ci-sessions" / "reports"
    reports.mkdir(parents=True)
    double_build = {
        "verdict": "reproducible", "commit": "c" * 40, "source_date_epoch": 1_700_000_000,
        "tools": {"uv": "0.13.9", "backend": "hatchling 1.33.0"},
        "artifacts": [{"name": "demo-1.0.tar.gz", "sha256": "a" * 64, "second_sha256": "a" * 64, "identical": True}],
        "differences": [],
    }  # fmt: skip
    (reports / "reproducible.json").write_text(json.dumps(double_build))
    _, manifest = pack.build(tmp_path)
    assert manifest["reproducible"] == {
        "verdict": "reproducible", "commit": "c" * 40, "source_date_epoch": 1_700_000_000,
        "tools": {"uv": "0.13.9", "backend": "hatchling 1.33.0"},
        "artifacts": {"demo-1.0.tar.gz": {"sha256": "a" * 64, "second_sha256": "a" * 64}},
        "differences": 0,
    }  # fmt: skip
    assert "reports/reproducible.json" in manifest["files"]


def _record(root: Path, n: int, started: float, status: Status, coverage: float) -> None:
    result = CheckResult(
        "tests", "tests-3.12", status, python="3.12", duration=2.0, metrics={"coverage": coverage}
    )
    if status is Status.FAIL:
        result.output = "E   assert 1 == 2"
    history.record_run(
        root, RunRecord(run_id=f"r{n}", project="p", started=started, results=[result])
    )


def test_digest_compares_this_week_with_the_week_before(tmp_path: Path) -> None:
    # week before: 4 runs, 2 pass (50%), coverage 70; this week: 5 runs, 4 pass (80%), coverage 75
    for n in range(4):
        _record(tmp_path, n, NOW - 10 * DAY + n * 3600, Status.PASS if n % 2 else Status.FAIL, 70.0)
    for n in range(5):
        _record(
            tmp_path, 10 + n, NOW - 3 * DAY + n * 3600, Status.FAIL if n == 0 else Status.PASS, 75.0
        )
    with history.open_history(tmp_path) as db:
        text = digest.render(db, project="p", now=NOW)
    assert "- **Runs:** 5 (week before: 4)" in text
    assert "- **Pass rate:** 80.0% (+30.0%)" in text
    assert "- **Coverage:** 75.0% (+5.00 points)" in text
    assert "| 1 | test assertion | tests | E   assert 1 == 2 |" in text
    assert "No flaky tests this week." in text


def test_html_report_command_writes_one_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _record(tmp_path, 1, NOW, Status.PASS, 80.0)
    out = tmp_path / "site" / "dash.html"
    assert cli.main(["--root", str(tmp_path), "--html", "--days", "0", "--out", str(out)]) == 0
    html = out.read_text()
    assert html.startswith("<!DOCTYPE html>") and html.count("<svg") == 3
    assert "dash.html" in capsys.readouterr().out
    with pytest.raises(SystemExit) as usage:
        cli.main(["--html", "--pack"])
    assert usage.value.code == 2
