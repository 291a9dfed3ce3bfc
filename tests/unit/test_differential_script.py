"""benchmarks/differential.py run on some projects keeps the committed figures of the others;
parts run side by side merge into one file only when they measured one commit."""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import pytest
from differential import merged, with_earlier


def test_a_run_of_some_projects_keeps_the_other_projects_entries_and_edits(
    tmp_path: Path,
) -> None:
    out = tmp_path / "differential-results.json"
    out.write_text(
        json.dumps(
            {
                "projects": {"a": {"edits": 1}, "b": {"edits": 1}},
                "edits": [{"project": "a", "what": "old a"}, {"project": "b", "what": "old b"}],
            }
        )
    )
    results = {"a": {"edits": 1}}
    every = with_earlier(out, results, [{"project": "a", "what": "new a"}])
    assert results == {"a": {"edits": 1}, "b": {"edits": 1}}
    assert every == [{"project": "a", "what": "new a"}, {"project": "b", "what": "old b"}]
    assert with_earlier(tmp_path / "none.json", {}, []) == []


def _part(code: str, project: str, agree: list[bool], date: str = "") -> dict[str, object]:
    edits = [
        {"project": project, "kind": "mutation", "agree": a, "first_differences": [],
         "flaky": [f"{project}::t"] if not a else [], "what": f"{date or project} {i}"}
        for i, a in enumerate(agree)
    ]  # fmt: skip
    return {
        "machine": {"commit": "c", "code": code, "date": date or project},
        "projects": {project: {"edits": len(edits)}},
        "edits": edits,
    }


def test_parts_run_side_by_side_merge_into_one_file_with_totals_counted_again() -> None:
    document = merged([_part("t1", "a", [True, True]), _part("t1", "b", [True, False])])
    assert document["totals"]["edits"] == 4 and document["totals"]["disagreements"] == 1
    assert document["totals"]["projects"] == ["a", "b"]
    assert document["totals"]["flaky_tests"] == ["b::t"]
    assert [m["date"] for m in document["machine"]["parts"]] == ["a", "b"]
    assert document["superseded"] == [] and len(document["edits"]) == 4
    with pytest.raises(SystemExit, match="different code"):
        merged([_part("t1", "a", [True]), _part("t2", "b", [True])])


def test_a_project_run_again_replaces_its_earlier_part_and_what_it_replaced_is_kept() -> None:
    first = _part("t1", "a", [True, False], date="first")
    document = merged([first, _part("t1", "b", [True]), _part("t1", "a", [True], date="again")])
    assert document["totals"]["edits"] == 2 and document["totals"]["disagreements"] == 0
    assert [e["what"] for e in document["edits"]] == ["again 0", "b 0"]
    (replaced,) = document["superseded"]
    assert replaced["project"] == "a" and replaced["machine"]["date"] == "first"
    assert [e["what"] for e in replaced["not_agreeing"]] == ["first 1"]


def test_a_failure_placed_by_the_collector_is_left_out_only_between_full_runs() -> None:
    from incremental_runs import CheckView, RunView, differences, placed_by_the_collector

    leak = "pytest.PytestUnraisableExceptionWarning: Exception ignored in: <Popen>"

    def tests(failures: dict[str, str], rerun: int, files: int = 3) -> RunView:
        outcomes = {t: "failed" if t in failures else "passed" for t in ("t::a", "t::b", "t::c")}
        row = CheckView(
            "FAIL", set(failures), outcomes, files_rerun=rerun, files=files, failures=failures
        )
        return RunView(1.0, {"tests-3.12": row}, 1)

    whole = tests({"t::a": leak, "t::b": leak}, rerun=3)
    full = tests({"t::a": leak, "t::c": leak}, rerun=3)
    assert placed_by_the_collector(full, whole) == {"t::b", "t::c"}
    assert differences(full, whole, placed_by_the_collector(full, whole)) == []
    # a partial run (a file's result kept): the kept result could be the cause, so it counts
    partial = tests({"t::a": leak, "t::c": leak}, rerun=2)
    assert placed_by_the_collector(partial, whole) == set()
    assert differences(partial, whole)
    # a failure of another kind is never placed by the collector
    other = tests({"t::a": leak, "t::c": "AssertionError: assert 1 == 2"}, rerun=3)
    assert placed_by_the_collector(other, whole) == {"t::b"}


def test_a_known_flaky_failure_placed_by_the_collector_is_recognised() -> None:
    """The whole run reran a test the history knows as flaky: its finding is a note, its first
    outcome a failure; what failed it is still the finalizer's exception."""
    from incremental_runs import CheckView, RunView, placed_by_the_collector, view

    row = {
        "label": "tests-3.12", "status": "FAIL", "metrics": {},
        "findings": [{
            "rule": "flaky-test", "tool": "pytest",
            "message": "t::b: known flaky, passed on rerun (pytest.PytestUnraisableExceptionWarning: "
            "Exception ignored in: <Popen>)",
        }],
    }  # fmt: skip
    whole = view(Path("/nonexistent"), row, "3.12", incremental=False)
    assert whole.failing == set() and "t::b" in whole.failures
    whole.outcomes = {"t::a": "passed", "t::b": "failed"}
    ours = CheckView("FAIL", outcomes={"t::a": "passed", "t::b": "passed"}, files_rerun=2, files=2)
    runs = RunView(1.0, {"tests-3.12": ours}, 1), RunView(1.0, {"tests-3.12": whole}, 1)
    assert placed_by_the_collector(*runs) == {"t::b"}


def test_incremental_and_whole_runs_share_one_hash_seed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Test ids made by iterating a set of strings name another case under another seed: the
    two runs an edit is judged by must differ by the edit alone."""
    import incremental_runs

    seen: list[dict[str, str]] = []

    class Started:
        returncode = 0

        def __init__(self, argv: list[str], **options: object) -> None:
            del argv
            seen.append(dict(options["env"]))  # type: ignore[arg-type]

        def communicate(self, timeout: float | None = None) -> tuple[str, None]:
            del timeout
            return "", None

    monkeypatch.setenv("PYTHONHASHSEED", "random")
    monkeypatch.setattr(incremental_runs.subprocess, "Popen", Started)
    incremental_runs.run(tmp_path, "3.12", whole=False)
    incremental_runs.run(tmp_path, "3.12", whole=True)
    assert [env["PYTHONHASHSEED"] for env in seen] == ["0", "0"]
    assert [env.get("CI_SESSIONS_INCREMENTAL") for env in seen] == [None, "never"]
