"""The ratchet: thresholds rise to what the history shows, never fall; --check catches hand edits."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from ci_sessions.config import load_config
from ci_sessions.history import ratchet
from ci_sessions.history import store as history
from ci_sessions.results import CheckResult, RunRecord, Status

PYPROJECT = """\
[project]
name = "demo"  # the demo project

# quality gates
[tool.ci-sessions.lint]
max-findings = 10  # legacy code, going down
"""


def _runs(
    root: Path, lint: list[int], coverage: list[float], errors: list[int] | None = None
) -> None:
    for n, (findings, percent) in enumerate(zip(lint, coverage, strict=True)):
        results = [
            CheckResult("lint", "lint", Status.PASS, metrics={"findings": findings}),
            CheckResult("coverage", "coverage", Status.PASS, metrics={"percent": percent}),
        ]
        if errors is not None:
            results.append(
                CheckResult("typecheck", "typecheck", Status.FAIL, metrics={"errors": errors[n]})
            )
        history.record_run(
            root, RunRecord(run_id=f"r{n}", project="demo", started=1000.0 + n, results=results)
        )


def _git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.email=ci@example.com", "-c", "user.name=ci", *args], cwd=root, check=True,
        capture_output=True,
    )  # fmt: skip


def test_raises_to_the_worst_of_the_latest_runs_and_keeps_comments(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    # oldest run first; only the latest 5 count: lint worst 4, coverage worst 90.56 -> 90.5
    _runs(
        tmp_path,
        [9, 3, 4, 2, 3, 4],
        [60.0, 91.27, 90.56, 92.0, 91.0, 90.93],
        errors=[5, 1, 1, 0, 1, 1],
    )
    assert ratchet.main(["--root", str(tmp_path)]) == 0
    text = (tmp_path / "pyproject.toml").read_text()
    assert "max-findings = 4  # legacy code, going down" in text
    assert 'name = "demo"  # the demo project' in text and "# quality gates" in text
    config = load_config(tmp_path)
    assert config.section("lint").int("max-findings") == 4
    assert config.section("coverage").float("min") == 90.5
    assert config.section("typecheck").int("max-errors") == 0  # measured 1 is worse than 0: kept
    before = (tmp_path / "pyproject.toml").read_text()
    assert ratchet.main(["--root", str(tmp_path)]) == 0  # nothing more to gain: unchanged
    assert (tmp_path / "pyproject.toml").read_text() == before


def test_margin_and_run_count_hold_it_back(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    _runs(tmp_path, [9, 9, 9], [85.5, 85.9, 85.7])
    assert ratchet.main(["--root", str(tmp_path), "--runs", "5"]) == 0
    assert "3 of 5 runs recorded" in capsys.readouterr().out
    assert ratchet.main(["--root", str(tmp_path), "--runs", "3", "--margin", "1"]) == 0
    text = (tmp_path / "pyproject.toml").read_text()
    assert "max-findings = 9" in text  # 10 - 9 >= 1
    assert "[tool.ci-sessions.coverage]" not in text  # 85.5 - 85 < 1
    assert ratchet.main(["--root", str(tmp_path), "--runs", "3", "--margin", "0.5"]) == 0
    assert load_config(tmp_path).section("coverage").float("min") == 85.5


def test_environment_overrides_are_left_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    _runs(tmp_path, [1] * 5, [99.0] * 5)
    monkeypatch.setenv("CI_SESSIONS_LINT_MAX_FINDINGS", "10")
    changes = {c.threshold.dotted: c for c in ratchet.plan(tmp_path, 1.0, 5)}
    assert changes["lint.max-findings"].new is None
    assert "environment variable" in changes["lint.max-findings"].note
    assert changes["coverage.min"].new == 99.0


def test_check_mode_fails_when_a_commit_loosens_a_threshold(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "pyproject.toml").write_text(
        PYPROJECT + "\n[tool.ci-sessions.coverage]\nmin = 90.0\n"
    )
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", "pyproject.toml")
    _git(tmp_path, "commit", "-qm", "gates")
    args = ["--root", str(tmp_path), "--check", "--base", "HEAD"]
    assert ratchet.main(args) == 0
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace("max-findings = 10", "max-findings = 8"))
    assert ratchet.main(args) == 0  # stricter by hand is fine
    pyproject.write_text(
        pyproject.read_text().replace("min = 90.0", "min = 80.0").replace("s = 8", "s = 12")
    )
    capsys.readouterr()
    assert ratchet.main(args) == 1
    out = capsys.readouterr().out
    assert "FAIL coverage.min loosened from 90 to 80 (at HEAD)" in out
    assert "FAIL lint.max-findings loosened from 10 to 12 (at HEAD)" in out
    pyproject.write_text(PYPROJECT)  # removing the coverage table falls back to the default 85 < 90
    assert ratchet.main(args) == 1
    assert before_is_untouched(pyproject)
    assert ratchet.main(["--root", str(tmp_path), "--check", "--base", "no-such-ref"]) == 2


def before_is_untouched(pyproject: Path) -> bool:
    """--check never writes."""
    return pyproject.read_text() == PYPROJECT


@pytest.mark.parametrize(
    ("base", "head", "loosened"),
    [
        # absent at the base: the default 85 was in force, so 80 loosens it
        ("", "\n[tool.ci-sessions.coverage]\nmin = 80.0\n", "coverage.min loosened from 85 to 80"),
        # the base's fail_under stood in for coverage.min
        (
            "\n[tool.coverage.report]\nfail_under = 95\n",
            "\n[tool.coverage.report]\nfail_under = 95\n\n[tool.ci-sessions.coverage]\nmin = 90\n",
            "coverage.min loosened from 95 to 90",
        ),
        # a key absent at the base for lint: the default 0 was in force
        (
            "",
            "\n[tool.ci-sessions.typecheck]\nmax-errors = 3\n",
            "typecheck.max-errors loosened from 0 to 3",
        ),
        # adding a stricter key is fine
        ("", "\n[tool.ci-sessions.coverage]\nmin = 90.0\n", ""),
    ],
)
def test_check_compares_the_values_in_force(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], base: str, head: str, loosened: str
) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[project]\nname = "demo"\n' + base)
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", "pyproject.toml")
    _git(tmp_path, "commit", "-qm", "gates")
    pyproject.write_text('[project]\nname = "demo"\n' + head)
    capsys.readouterr()
    code = ratchet.main(["--root", str(tmp_path), "--check", "--base", "HEAD"])
    out = capsys.readouterr().out
    if loosened:
        assert code == 1, out
        assert f"FAIL {loosened} (at HEAD)" in out
    else:
        assert code == 0, out
