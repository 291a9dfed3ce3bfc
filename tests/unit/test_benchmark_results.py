"""The committed results files of benchmarks/ and the figures docs/ quotes from them.

Every speed figure on a docs page comes from a script whose committed output holds it: the
pages are checked against the JSON here, the JSON's rows against what the scripts write, and the
scripts' writing (atomic, a partial run keeps the other parts) is checked on temporary files.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import results_file
import speed

ROOT = Path(__file__).resolve().parents[2]
BENCHMARKS = ROOT / "benchmarks"
DOCS = ROOT / "docs"


def _results(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((BENCHMARKS / name).read_text(encoding="utf-8"))
    return document


def _page(name: str) -> str:
    """A docs page with its line breaks folded: a quoted figure may wrap across lines."""
    return " ".join((DOCS / name).read_text(encoding="utf-8").split())


# -- how the scripts write ----------------------------------------------------------------------


def test_write_atomic_replaces_the_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    out = tmp_path / "x-results.json"
    out.write_text('{"old": 1}\n', encoding="utf-8")
    results_file.write_atomic(out, {"new": 2})
    assert json.loads(out.read_text(encoding="utf-8")) == {"new": 2}
    assert [p.name for p in tmp_path.iterdir()] == ["x-results.json"]


def test_a_write_that_fails_half_way_leaves_the_committed_file_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The new text goes to a temporary file first: when putting it in place fails, the
    committed file is the old one and the temporary file is gone."""
    out = tmp_path / "x-results.json"
    out.write_text('{"old": 1}\n', encoding="utf-8")

    def fail(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(results_file.os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        results_file.write_atomic(out, {"new": 2})
    assert out.read_text(encoding="utf-8") == '{"old": 1}\n'
    assert [p.name for p in tmp_path.iterdir()] == ["x-results.json"]


def test_a_part_run_alone_keeps_the_other_parts(tmp_path: Path) -> None:
    out = tmp_path / "x-results.json"
    out.write_text(json.dumps({"a": {"v": 1}, "b": {"v": 2}}), encoding="utf-8")
    assert results_file.merge_parts(out, {"b": {"v": 3}}) == {"a": {"v": 1}, "b": {"v": 3}}
    assert results_file.merge_parts(tmp_path / "none.json", {"b": {"v": 3}}) == {"b": {"v": 3}}


def test_run_facts_record_the_machine_its_load_and_the_niceness() -> None:
    facts = results_file.run_facts(0.0, [1.0, 2.0, 3.0])
    assert facts["load_average_start"] == [1.0, 2.0, 3.0]
    assert len(facts["load_average_end"]) == 3
    assert {"date", "commit", "cpus", "python", "niceness", "seconds"} <= set(facts)


def test_speed_figures_measured_alone_replace_theirs_and_keep_the_others(tmp_path: Path) -> None:
    out = tmp_path / "speed-results.json"
    old = {"machine": {"date": "old"}, "figures": [
        {"figure": "edit", "ratio": 0.2, "run": {"date": "old"}},
        {"figure": "precommit", "ratio": None, "run": {"date": "old"}},
    ]}  # fmt: skip
    out.write_text(json.dumps(old), encoding="utf-8")
    document = speed.merged(out, {"date": "new"}, [{"figure": "precommit", "ratio": 1.0}])
    rows = {row["figure"]: row for row in document["figures"]}
    assert list(rows) == ["edit", "precommit"]
    assert rows["edit"] == {"figure": "edit", "ratio": 0.2, "run": {"date": "old"}}
    assert rows["precommit"] == {"figure": "precommit", "ratio": 1.0, "run": {"date": "new"}}


def _keys_speed_writes() -> set[str]:
    """Every key of the dicts ``speed.py``'s figure functions return (``_pairs``' keys are
    spread into two of them), plus the two ``main`` adds."""
    tree = ast.parse((BENCHMARKS / "speed.py").read_text(encoding="utf-8"))
    keys = {"figure", "run"}
    for function in tree.body:
        if isinstance(function, ast.FunctionDef) and (
            function.name.startswith("bench_") or function.name == "_pairs"
        ):
            for node in ast.walk(function):
                value = node.value if isinstance(node, (ast.Return, ast.AnnAssign)) else None
                if isinstance(value, ast.Dict):  # returned, or built as ``found: dict = {...}``
                    keys |= {k.value for k in value.keys if isinstance(k, ast.Constant)}
                elif isinstance(node, ast.Assign):  # ``found["key"] = ...``
                    for target in node.targets:
                        if isinstance(target, ast.Subscript) and isinstance(
                            target.slice, ast.Constant
                        ):
                            keys.add(target.slice.value)
    return keys


def test_every_key_of_the_committed_speed_results_is_one_the_script_writes() -> None:
    """No hand-added key (a ``rerun`` note) and every row measured within its own run."""
    written = _keys_speed_writes()
    for row in _results("speed-results.json")["figures"]:
        assert set(row) <= written, (row["figure"], set(row) - written)
        assert row["figure"] in speed.FIGURES
        assert {"date", "load_average_start", "load_average_end", "seconds"} <= set(row["run"])


# -- the pages quote what the files hold --------------------------------------------------------


def test_changes_page_quotes_changes_results() -> None:
    part = _results("changes-results.json")["changes"]
    seconds = part["seconds"]
    page = _page("changes.md")
    quoted = (
        f"{part['runs']} runs: median {seconds['changes_median']:.2f} s, best "
        f"{seconds['changes_best']:.2f} s, against a best of {seconds['git_diff_best']:.3f} s"
    )
    assert quoted in page
    assert part["met"] == (seconds["changes_median"] < part["budget_seconds"])
    assert "Budget: 1 s (met)" in page if part["met"] else "Budget: 1 s (not met)" in page
    assert (part["files_at_base"], part["commits"], part["diff_files"]) == (10_000, 1_000, 500)
    load = part["run"]["load_average_start"][0], part["run"]["load_average_end"][0]
    assert f"load average {load[0]:.1f} to {load[1]:.1f}" in page


def test_performance_page_quotes_speed_results() -> None:
    rows = {row["figure"]: row for row in _results("speed-results.json")["figures"]}
    page = _page("performance.md")
    edit = rows["edit"]["seconds"]
    assert (
        f"| {edit['essential']:.2f} s against {edit['by_hand']:.2f} s (no-change rerun "
        f"{edit['no_change_rerun']:.2f} s) | {rows['edit']['ratio']:.2f} |"
    ) in page
    commit = rows["precommit"]
    assert (
        f"| {commit['seconds']['commit']:.2f} s (CPU {commit['seconds']['cpu_commit']:.2f} s) |"
    ) in page
    assert ("| < 3 s | yes |" in page) == commit["met"]
    load = commit["run"]["load_average_start"][0], commit["run"]["load_average_end"][0]
    assert f"load average {load[0]:.1f} at the start, {load[1]:.1f} at the end" in page
    first = rows["edit"]["run"]
    start, end = first["load_average_start"][0], first["load_average_end"][0]
    assert f"load average {start:.1f} at the start, {end:.1f} at the end" in page
    big = rows["overhead"]["run"]
    start, end = big["load_average_start"][0], big["load_average_end"][0]
    assert f"load average {start:.1f} at the start and {end:.1f} at the end" in page
    assert (
        f"{rows['shards']['seconds']['ideal']:.2f} s ideal | {rows['shards']['ratio']:.2f} |"
        in page
    )
    xdist = rows["xdist"]["seconds"]
    assert (
        f"{xdist['two_workers']:.2f} s against {xdist['one_process']:.2f} s | "
        f"{rows['xdist']['ratio']:.2f}x faster"
    ) in page
    for name in ("overhead", "tracking"):
        row = rows[name]
        assert (
            f"{row['seconds']['ours_median']:.1f} s against {row['seconds']['plain_median']:.1f} s"
        ) in page
        assert f"{row['wall_median']:.2f} (CPU {row['cpu_median']:.2f}" in page
    history = rows["history"]
    assert f"{history['bytes']['per_run'] / 1e6:.2f} MB per run" in page
    slowest = max(history["seconds"][q] for q in ("flaky", "stats", "trends"))
    assert f"{slowest:.2f} s |" in page


def test_history_page_quotes_history_results() -> None:
    document = _results("history-results.json")
    questions, writers = document["questions"]["seconds"], document["writers"]
    page = _page("history.md")
    for name in ("stats", "trends", "slowest", "failures"):
        assert f"| `{name}` | {questions[name]:.3f} |" in page
    flaky = next(v for k, v in questions.items() if k.startswith("flaky"))
    known = next(v for k, v in questions.items() if k.startswith("known_flaky"))
    assert f"4 MB) | {flaky:.2f} |" in page
    assert f"(what a failing test run asks) | {known:.2f} |" in page
    assert f"1,000 runs each at once | {writers['seconds']:.1f} |" in page
    loads = [
        document[part]["run"][key] for part in ("questions", "writers")
        for key in ("load_average_start", "load_average_end")
    ]  # fmt: skip
    ones = [load[0] if isinstance(load, list) else load for load in loads]
    assert f"load average {min(ones):.1f} to {max(ones):.1f}" in page


def test_init_and_quick_start_quote_adoption_results() -> None:
    projects = _results("adoption-results.json")["projects"]
    totals = {
        p["project"]: round(p["seconds"]["init"] + p["seconds"]["essential"], 1) for p in projects
    }
    fastest, slowest = min(totals, key=totals.__getitem__), max(totals, key=totals.__getitem__)
    init, quick = _page("init.md"), _page("quick-start.md")
    assert (
        f"from {totals[fastest]:.1f} s ({fastest}) to {totals[slowest]:.1f} s ({slowest})" in init
    )
    under = sum(1 for total in totals.values() if total < 60)
    assert f"{under} of the {len(totals)} projects stayed under the 60 s target" in init
    iniconfig = next(p for p in projects if p["project"] == "iniconfig")["seconds"]
    assert (
        f"{iniconfig['init']:.1f} s + {iniconfig['essential']:.1f} s = {totals['iniconfig']:.1f} s"
    ) in init
    assert (
        f"took {totals['iniconfig']:.1f} s for iniconfig, and from {totals[fastest]:.1f} s to "
        f"{totals[slowest]:.1f} s across the {len(totals)} projects"
    ) in quick


def test_history_page_quotes_the_size_speed_measured() -> None:
    history = next(
        row for row in _results("speed-results.json")["figures"] if row["figure"] == "history"
    )
    sizes = history["bytes"]
    assert (
        f"a run costs {sizes['per_run'] / 1e6:.2f} MB (durations, compressed; the first run "
        f"{sizes['first_run'] / 1e6:.1f} MB"
    ) in _page("history.md")


def test_the_readme_says_whether_own_suite_has_been_recorded() -> None:
    """The README may say no run is recorded only while benchmarks/ holds none; once
    ``own_suite.py`` writes its results the README must quote them instead."""
    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    recorded = (BENCHMARKS / "own-suite-results.json").exists()
    assert ("no run of it has been recorded yet" in readme) is not recorded


def test_performance_page_quotes_engagement_results() -> None:
    document = _results("engagement-results.json")
    page = _page("performance.md")

    def share(value: float) -> str:
        return "0%" if value == 0 else f"{value * 100:.1f}%"

    engaged = [(name, p) for name, p in document["projects"].items() if p.get("engaged")]
    assert engaged
    for name, project in engaged:
        tracking = project["tracking"]
        assert (
            f"| {name} | {share(project['tests_share_median'])} | "
            f"{share(project['typecheck_share_median'])} | {project['ratio_median']:.2f} | "
            f"{tracking['ratio']:.2f} ({tracking['cpu_ratio']:.2f}) |"
        ) in page, name
    assert f"the median of incremental / whole is {document['totals']['ratio_median']:.2f}" in page


def _quotes_differential(document: dict[str, Any], text: str) -> None:
    """``text`` quotes a differential run's totals, its edits by kind and per project."""
    totals = document["totals"]
    flaky = len(totals["flaky_tests"])
    assert (
        f"**{totals['edits']} edits on {len(totals['projects'])} real projects, "
        f"{totals['disagreements']} disagreements**, {flaky} flaky test{'' if flaky == 1 else 's'}"
    ) in text
    words = {
        "mutation": "mutations of package modules", "test-mutation": "of tests",
        "conftest-mutation": "of a conftest", "module-constant": "module constants",
        "rename": "unstaged renames", "public-rename": "public renames",
        "delete": "unstaged deletions", "data": "data-file edits", "stub": "stub edits",
        "new-test": "new test files",
    }  # fmt: skip
    for kind, count in totals["by_kind"].items():
        assert f" {count} {words[kind]}" in text, kind
    per_project: dict[str, int] = {}
    for edit in document["edits"]:
        if edit["agree"] is not None:  # an edit with no verdict (a run that timed out) is no edit
            per_project[edit["project"]] = per_project.get(edit["project"], 0) + 1
    for project, count in per_project.items():
        assert f"{project} {count}" in text, project


def test_incremental_page_quotes_differential_results() -> None:
    _quotes_differential(_results("differential-results.json"), _page("incremental.md"))


def test_incremental_page_quotes_the_differential_run_of_followed_processes() -> None:
    document = _results("differential-followed-results.json")
    page = _page("incremental.md")  # folded: one line
    start = page.index("**Followed processes, run again.**")
    paragraph = page[start : page.index("**A test placed by the garbage collector.**", start)]
    assert document["machine"]["commit"][:7] in paragraph
    _quotes_differential(document, paragraph)
    for replaced in document.get("superseded", []):  # a part run again is said, not hidden
        part = f"first {replaced['project']} part, on {replaced['machine']['commit'][:7]}"
        assert (
            part in paragraph
            and f"counted {len(replaced['not_agreeing'])} disagreement" in paragraph
        )
    for edit in document["edits"]:  # every Python process the tests started was followed
        said = json.dumps(edit.get("incremental"))
        assert "any change: it starts a Python process" not in said, edit["path"]


def test_performance_page_quotes_the_plugins_instruction_counts() -> None:
    document = _results("plugin-instructions-results.json")
    page = _page("performance.md")
    per_test = document["per_test"]
    assert (
        f"A test costs pytest {per_test['pytest']:,.0f} instructions, and "
        f"{per_test['plugin']:,.0f} with the plugin: **+{document['plugin_per_test_share']:.2%} "
        f"per test**, plus {document['plugin_once']:,.0f} once per run"
    ) in page
    assert document["tests"] == [1000, 2000] and document["python"] == "3.11"


def test_bench_gate_noise_page_quotes_its_results() -> None:
    document = _results("bench-gate-noise-results.json")
    page = _page("performance-gate.md")
    for setting, part in document.items():
        timer = setting.split()[0].removeprefix("timer=")
        ratios = [row["mean_ratio"] for row in part["reruns"]]
        assert (
            f"timed with {'CPU time' if timer == 'cpu' else 'the wall clock'}, {part['repeats']} "
            f"reruns of unchanged code"
        ) in page, setting
        start, end = part["run"]["load_average_start"][0], part["run"]["load_average_end"][0]
        assert (
            f"reruns of unchanged code (load average {start:.1f} to {end:.1f}): mean ratio "
            f"{min(ratios):.2f}x to {max(ratios):.2f}x"
        ) in page, setting
        assert (
            f"`mean:10%` would have failed {part['mean_10pct_fails']} of "
            f"{part['measurements']}, this gate {part['gate_fails']}"
        ) in page, setting


def _load(name: str, path: Path) -> Any:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("argv", "writes"),
    [
        ([], True),
        (["--repeat", "7"], True),
        (["--quick"], False),
        (["--no-cold"], False),
        (["--no-tox"], False),
        (["--modules", "10"], False),
        (["--sizes", "1,10"], False),
    ],
)
def test_run_py_writes_the_committed_file_only_from_a_complete_run(
    argv: list[str], writes: bool
) -> None:
    """``run.py`` with a figure left out or another fixture prints its table only."""
    bench_run = _load("bench_run", BENCHMARKS / "run.py")
    args = bench_run.build_parser().parse_args(argv)
    out = bench_run.committed_output(args, bench_run.sizes_of(args))
    assert out == (BENCHMARKS / "results.json" if writes else None)


def test_overhead_page_quotes_overhead_results() -> None:
    warm = _results("overhead-results.json")["warm"]
    page = _page("performance.md")
    assert f"| tools by hand, one after the other | {warm['by_hand']:.2f} | 1.00 |" in page
    assert (
        f"| `nox -R -s essential -- --no-cache --jobs 1` | {warm['sequential']:.2f} | "
        f"{warm['ratio_sequential']:.2f}"
    ) in page
    assert f"| `nox -R -s essential` (cached) | {warm['cached']:.2f} |" in page
    assert (
        f"| CPU seconds: by hand / `--jobs 1` | {warm['cpu_by_hand']:.2f} / "
        f"{warm['cpu_sequential']:.2f} | {warm['ratio_cpu_sequential']:.2f} |"
    ) in page
    met = "met" if warm["ratio_sequential"] <= 1.3 else "not met"
    assert (
        f"**Sequential overhead (issue 2): {met}**, {warm['ratio_sequential']:.2f} against" in page
    )
    start, end = warm["run"]["load_average_start"][0], warm["run"]["load_average_end"][0]
    assert f"load average {start:.1f} at the start and {end:.1f} at the end" in page


def test_changes_page_quotes_the_affected_parts() -> None:
    document = _results("changes-results.json")
    page = _page("changes.md")
    parts = {
        k.removeprefix("affected:"): v for k, v in document.items() if k.startswith("affected:")
    }
    assert {"packaging", "idna"} <= set(parts)
    for project, part in parts.items():
        assert part["ok"], project
        for pair in part["pairs"]:
            row = f"| {project} {pair['old']} -> {pair['new']} | "
            assert row in page, row
            line = page[page.index(row) :].split("| |")[0] + "|"
            assert (
                f"| {pair['tests_run']:,} / {pair['tests_all']:,} | {len(pair['missed'])} |" in line
            )
            assert ("whole suite" in line.split("|")[2]) is pair["run_all"]
            assert all(not m["missed"] for m in pair["mutations"])
    pair = parts["packaging"]["pairs"][0]
    selected = [len(m["test_files"]) for m in pair["mutations"]]
    counts = ", ".join(str(n) for n in selected[:-1]) + f" and {selected[-1]}"
    assert f"selected {counts} of its {len(pair['test_files'])} test files" in page
    assert f"(0 missed out of {len(selected)} mutations)" in page
    loads = [
        part["run"][key][0]
        for part in parts.values()
        for key in ("load_average_start", "load_average_end")
    ]
    assert f"niced, load average {min(loads):.1f} to {max(loads):.1f})" in page
    idna = [m for pair in parts["idna"]["pairs"] for m in pair["mutations"]]
    assert {len(m["test_files"]) for m in idna} == {6}
    assert f"every mutation ({len(parts['idna']['pairs'][0]['mutations'])} per pair)" in page


def test_mutation_page_quotes_mutation_results() -> None:
    """Every module's row of docs/mutation.md holds the counts of benchmarks/mutation-results.json,
    and the total over the modules is the file's."""
    page = _page("mutation.md")
    killed = covered = 0
    for entry in _results("mutation-results.json")["modules"]:
        counts = entry["counts"]
        short = entry["module"].removeprefix("ci_sessions/")
        row = (
            f"| {short} | {entry['mutants']:,} | {counts.get('killed', 0):,} | "
            f"{counts.get('survived', 0):,} | {counts.get('no tests', 0):,} |"
        )
        assert row in page, row
        killed += counts.get("killed", 0)
        covered += counts.get("killed", 0) + counts.get("survived", 0) + counts.get("timeout", 0)
    assert (
        f"{killed:,} of the {covered:,} mutants the unit tests cover are killed "
        f"({100 * killed / covered:.1f}%)"
    ) in page


def test_mutation_page_quotes_the_recorded_timing_of_every_run() -> None:
    """mutmut records no time: benchmarks/mutation_run.py does, and the page quotes each run it
    recorded (its wall and CPU minutes, the load), never a time from a session's notes."""
    page = _page("mutation.md")
    runs = _results("mutation-results.json").get("runs", [])
    assert runs, "no recorded mutmut run: run benchmarks/mutation_run.py (docs/mutation.md)"
    for run in runs:
        quoted = (
            f"{run['wall_seconds'] / 60:.1f} min wall, {run['cpu_seconds'] / 60:.1f} min CPU, "
            f"load {run['load_mean']:.1f} (at most {run['load_max']:.1f})"
        )
        assert quoted in page, quoted
        assert run["commit"][:7] in page, run["commit"]
