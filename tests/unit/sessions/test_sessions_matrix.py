"""ci-sessions matrix: parse real `nox -l --json` output into a GitHub Actions matrix."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ci_sessions.sessions import matrix

# Captured from nox 2026.10.20 `nox -l --json` on a noxfile shaped like ci_sessions.register()'s.
REAL_LISTING = (
    '[{"session": "lint", "name": "lint", "description": "", "python": null, "tags": ["essential"],'
    ' "call_spec": {}}, {"session": "tests", "name": "tests", "description": "", "python": false,'
    ' "tags": ["tests", "essential"], "call_spec": {}}, {"session": "tests-3.13", "name": "tests-3.13",'
    ' "description": "", "python": "3.13", "tags": ["tests"], "call_spec": {}}, {"session": "essential",'
    ' "name": "essential", "description": "", "python": null, "tags": ["tier"], "call_spec": {}}]'
)

NOXFILE = """
import nox

nox.options.sessions = ["lint"]  # like register(): only a tier session is selected by default

@nox.session(venv_backend="none", tags=["essential"])
def lint(session): pass

for _v in ("3.11", "3.12"):
    @nox.session(name=f"tests-{_v}", python=_v, venv_backend="none", tags=["tests", "essential"])
    def _t(session): pass

@nox.session(name="bench-3.12", venv_backend="none", tags=["bench"])
def bench(session): pass

@nox.session(venv_backend="none", tags=["tests"])
def tests(session): pass
"""


def test_parse_keeps_only_single_python_sessions_with_the_tag() -> None:
    assert matrix.parse_sessions(REAL_LISTING, "tests") == [("tests-3.13", "3.13")]
    assert matrix.parse_sessions(REAL_LISTING, "tier") == []


def test_build_matrix_crosses_oses() -> None:
    built = matrix.build_matrix([("tests-3.12", "3.12")], ["ubuntu-latest", "windows-latest"])
    assert built == {
        "include": [
            {"session": "tests-3.12", "python": "3.12", "os": "ubuntu-latest"},
            {"session": "tests-3.12", "python": "3.12", "os": "windows-latest"},
        ]
    }


def test_bad_listing_is_an_error() -> None:
    with pytest.raises(matrix.SessionListError, match="did not print JSON"):
        matrix.parse_sessions("nox: error", "tests")


def test_real_nox_listing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "noxfile.py").write_text(NOXFILE, encoding="utf-8")
    pairs = matrix.parse_sessions(matrix.list_sessions(tmp_path, tag="tests"), "tests")
    assert pairs == [("tests-3.11", "3.11"), ("tests-3.12", "3.12")]
    assert matrix.main([str(tmp_path), "--tag", "bench", "--os", "macos-latest"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out == {"include": [{"session": "bench-3.12", "python": "3.12", "os": "macos-latest"}]}
    assert matrix.main([str(tmp_path), "--tag", "nope"]) == 1


def test_missing_noxfile_is_a_usage_error(tmp_path: Path) -> None:
    assert matrix.main([str(tmp_path)]) == 2


def test_shards_multiply_every_cell() -> None:
    built = matrix.build_matrix([("tests-3.12", "3.12")], ["ubuntu-latest", "windows-latest"], 3)
    cells = [(c["os"], c["shard"]) for c in built["include"]]
    assert cells == [
        ("ubuntu-latest", "1/3"), ("ubuntu-latest", "2/3"), ("ubuntu-latest", "3/3"),
        ("windows-latest", "1/3"), ("windows-latest", "2/3"), ("windows-latest", "3/3"),
    ]  # fmt: skip
    assert (
        "shard"
        not in matrix.build_matrix([("tests-3.12", "3.12")], ["ubuntu-latest"])["include"][0]
    )


def test_auto_shards_follow_the_recorded_durations(tmp_path: Path) -> None:
    from ci_sessions.history import store
    from ci_sessions.history.durations import shards_needed, test_durations
    from ci_sessions.history.testdata import store_tests
    from ci_sessions.junit import TestOutcome
    from ci_sessions.results import CheckResult, RunRecord, Status

    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "p"\nversion = "1"\n\n[tool.ci-sessions.tests]\nshards = "auto"\n'
        "shard-minutes = 1\n"
    )
    assert matrix.shard_count(tmp_path) == (
        1,
        "shards = auto: no recorded durations yet, one shard",
    )
    result = CheckResult("tests", "tests-3.12", Status.PASS, python="3.12", per_python=True)
    run = RunRecord(run_id="r", project="p", started=1.0, results=[result])
    with store.open_history(tmp_path) as db:
        row = store.store_run(db, run, root=tmp_path)
        check = int(db.execute("SELECT id FROM checks WHERE run = ?", (row,)).fetchone()[0])
        with store.transaction(db):
            store_tests(db, check, [TestOutcome(f"t.py::t{i}", "passed", 30.0) for i in range(9)])
    assert test_durations(tmp_path, "3.12") == {f"t.py::t{i}": 30.0 for i in range(9)}
    assert matrix.shard_count(tmp_path)[0] == 5  # 4.5 minutes of tests, at most 1 minute each
    assert shards_needed({}, 10.0) == 1


@pytest.mark.parametrize("value", ["0", "-2", "two"])
def test_shards_below_one_are_a_usage_error(tmp_path: Path, value: str) -> None:
    with pytest.raises(SystemExit) as stopped:
        matrix.main([str(tmp_path), "--shards", value])
    assert stopped.value.code == 2
