"""benchmarks/adoption.py: what it counts, how it compares, and the page that shows its table."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import adoption


def _row(check: str, **fields: Any) -> dict[str, Any]:
    return {"check": check, "label": check, "status": "PASS", **fields}


def test_ours_counts_findings_before_the_baseline() -> None:
    rows = {
        "lint": _row("lint", checked={"what": "files", "count": 12},
                     findings=[{"rule": "E501"}], metrics={"baselined": 3}),
        "typecheck": _row("typecheck", checked={"what": "files", "count": 4},
                          findings=[{"severity": "warning"}], metrics={"baselined": 2}),
        "tests": _row("tests", metrics={"passed": 9, "failed": 1, "errors": 1, "skipped": 2,
                                        "xfailed": 1}),
        "sast": {**_row("sast"), "status": "ERROR"},
        "coverage": _row("coverage", metrics={"percent": 91.234}),
    }  # fmt: skip
    got = adoption.ours(rows)
    assert (got["lint.files"], got["lint.findings"]) == (12, 4)  # 1 counted + 3 accepted
    assert got["typecheck.problems"] == 3  # errors and warnings, before the baseline
    assert (got["tests.passed"], got["tests.failed"], got["tests.skipped"]) == (9, 2, 2)
    assert got["tests.xfailed"] == 1
    assert "sast.findings" not in got  # could not check: nothing to compare
    assert got["coverage.percent"] == 91.2


def test_every_difference_is_listed_explained_or_not() -> None:
    ours = {"lint.files": 10, "tests.passed": 5, "coverage.percent": 90.0}
    hand = {"lint.files": 10, "tests.passed": 6, "coverage.percent": 90.1}
    diffs = adoption.differences("nosuchproject", ours, hand)
    assert diffs == [
        {"field": "tests.passed", "ours": 5, "hand": 6, "explained": ""}
    ]  # a percent within rounding is the same number
    adoption.EXPLAINED[("nosuchproject", "tests.passed")] = "a reason"
    try:
        assert adoption.differences("nosuchproject", ours, hand)[0]["explained"] == "a reason"
    finally:
        del adoption.EXPLAINED[("nosuchproject", "tests.passed")]


def test_the_page_shows_the_committed_results() -> None:
    """docs/adoption.md holds exactly what ``adoption.py --table`` prints from the results."""
    document = json.loads(adoption.RESULTS.read_text(encoding="utf-8"))
    page = adoption.PAGE.read_text(encoding="utf-8")
    start, end = page.index(adoption.START), page.index(adoption.END) + len(adoption.END)
    assert page[start:end] + "\n" == adoption.page_block(document), (
        "docs/adoption.md drifted: paste `python benchmarks/adoption.py --table` between its "
        "adoption-table markers"
    )
    assert len(document["projects"]) >= 12  # the whole corpus, not a subset
    unexplained = [
        (r["project"], d["field"])
        for r in document["projects"]
        for d in adoption.explain(r)["differences"]
        if not d["explained"]
    ]
    assert unexplained == []


def test_a_run_of_some_projects_replaces_their_rows_and_keeps_the_others(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    first = [{"project": "msgpack", "v": 1}, {"project": "cachetools", "v": 1}]
    out.write_text(json.dumps({"projects": first}), encoding="utf-8")
    kept = adoption._with_earlier(out, [{"project": "cachetools", "v": 2}])
    assert [(r["project"], r["v"]) for r in kept] == [("msgpack", 1), ("cachetools", 2)]
    assert adoption._with_earlier(tmp_path / "none.json", first) == first
