"""Do incremental runs pay on real projects (issue 20)? A one-statement edit of a leaf module.

    python benchmarks/engagement.py                     # every corpus project
    python benchmarks/engagement.py cachetools click    # some
    python benchmarks/engagement.py --leaves 3 --pairs 3

For each project of the real-project corpus (``benchmarks/corpus.py``), set up with the three-line
noxfile and ``[tool.ci-sessions]`` on Python 3.12 (tests are tracked from 3.12 on): up to
``--leaves`` package modules that no other package module imports, and in each one statement
of a function body changed (``return x`` becomes ``return (x)``: new text, same behaviour).
``--others`` more edits go to other package modules (modules others import: a body edit there
reruns the tests seen running that function). After each edit, warm: ``nox -s typecheck
tests-PY`` incrementally, then the same edit whole
(``CI_SESSIONS_INCREMENTAL=never``, ``--no-cache``). Recorded: the share of test files and of
type-checked files that ran again, incremental over whole time, and the reason printed when a
run was whole. A project engages when the median edit reruns under 30% of both.

The tracking's own cost: ``--pairs`` alternating pairs of whole test runs with tracking
(incremental on, ``--no-cache``) and without (``never``), against what one incremental run saves.

Writes ``benchmarks/engagement-results.json``: a run of some projects replaces their entries and
keeps the others (each entry holds the facts of the run that measured it); the totals are over
every entry.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from harness import bench_env, nox_argv, sample  # noqa: E402
from incremental_runs import configure, machine_facts, restore, run, tests_settings  # noqa: E402

OUT = HERE / "engagement-results.json"
THRESHOLD = 0.30


def leaves(root: Path) -> list[str]:
    """Package modules that no other package module imports (for the type checker or the
    interpreter), by ci-sessions' own import graph."""
    from ci_sessions.changes.closure import project_graph
    from ci_sessions.engine.cache import TreeHasher

    hasher = TreeHasher(root)
    hasher.digest()
    graph = project_graph(root, hasher.files)
    modules = [
        p
        for p in graph.python
        if p.endswith(".py")
        and graph.in_package(p)
        and not p.endswith(("__init__.py", "__main__.py", "conftest.py"))
        and not graph.layout.is_test_file(p)
        and "/tests/" not in f"/{p}"
    ]
    imported: set[str] = set()
    for path in graph.python:
        if graph.in_package(path):
            imported.update(graph.edges(path, "types"))
    return sorted(m for m in modules if m not in imported)


def statement_edit(root: Path, module: str) -> tuple[str, str] | None:
    """(new text, what) with one statement of a function body changed, behaviour kept."""
    source = (root / module).read_text(encoding="utf-8")
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    lines = source.splitlines(keepends=True)
    for node in ast.walk(tree):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for statement in ast.walk(node):
            value = getattr(statement, "value", None)
            if not isinstance(statement, (ast.Return, ast.Assign)) or value is None:
                continue
            if value.lineno != value.end_lineno or statement.lineno != value.lineno:
                continue
            line = lines[value.lineno - 1].encode()
            start, end = value.col_offset, value.end_col_offset or 0
            changed = line[:start] + b"(" + line[start:end] + b")" + line[end:]
            new = (
                "".join(lines[: value.lineno - 1])
                + changed.decode()
                + "".join(lines[value.lineno :])
            )
            try:
                ast.parse(new)
            except SyntaxError:
                continue
            kind = "return" if isinstance(statement, ast.Return) else "assignment"
            return new, f"line {value.lineno}: the {kind}'s value put in parentheses"
    return None


def collected_files(root: Path, python: str) -> set[str]:
    """The test files a whole run ran tests from (its outcomes file)."""
    path = root / ".ci-sessions" / "reports" / f"outcomes-tests-{python}.json"
    if not path.exists():
        return set()
    rows = json.loads(path.read_text(encoding="utf-8")).get("tests", [])
    return {str(row[0]).split("::", 1)[0] for row in rows}


def rerun_files(root: Path, python: str, note: str) -> set[str] | None:
    """The test files the incremental run ran again (None: it ran whole)."""
    if note.startswith("full run"):
        return None
    listing = root / ".ci-sessions" / "cache" / "reach" / f"only-tests-{python}.txt"
    if not listing.exists() or note.startswith("0 of"):
        return set()
    prefix = f"{root}/"
    return {line.removeprefix(prefix) for line in listing.read_text().splitlines() if line}


def measure_edit(root: Path, python: str, module: str) -> dict[str, Any] | None:
    found = statement_edit(root, module)
    if found is None:
        return None
    text, what = found
    restore(root)
    (root / module).write_text(text, encoding="utf-8")
    incremental = run(root, python, whole=False)
    tests_row = incremental.checks.get(f"tests-{python}")
    types_row = incremental.checks.get("typecheck")
    rerun = rerun_files(root, python, tests_row.note if tests_row else "full run")
    whole = run(root, python, whole=True)
    collected = collected_files(root, python)
    restore(root)
    run(root, python, whole=False)  # the revert, absorbed: the next edit starts clean
    tests_share = 1.0 if rerun is None else len(rerun & collected) / max(1, len(collected))
    types_total = (types_row.files or 0) if types_row else 0
    types_share = (types_row.files_rerun or 0) / types_total if types_row and types_total else 1.0
    return {
        "module": module,
        "what": what,
        "tests": {
            "rerun": None if rerun is None else sorted(rerun & collected),
            "collected": len(collected),
            "share": round(tests_share, 3),
            "note": tests_row.note[:400] if tests_row else "",
        },
        "typecheck": {
            "rerun": types_row.files_rerun if types_row else None,
            "files": types_total,
            "share": round(types_share, 3),
            "note": types_row.note[:400] if types_row else "",
        },
        "seconds": {"incremental": round(incremental.seconds, 2), "whole": round(whole.seconds, 2)},
        "ratio": round(incremental.seconds / whole.seconds, 3),
        "statuses": {k: v.status for k, v in whole.checks.items()},
    }


def tracking_cost(root: Path, python: str, pairs: int) -> dict[str, Any]:
    """Whole test runs with tracking (incremental on) against without, alternating."""
    session = f"tests-{python}"
    tracked = nox_argv("-R", "-s", session, "--", "--no-cache")
    plain_env = bench_env({"CI_SESSIONS_INCREMENTAL": "never"})
    # a suite that fails by hand fails here too (python-dateutil: 3 tests on this machine's
    # time-zone data): exit 1 is a verdict, not a broken run
    samples = [
        (
            sample(tracked, root, bench_env(), expect=(0, 1)),
            sample(tracked, root, plain_env, expect=(0, 1)),
        )
        for _ in range(pairs)
    ]
    with_tracking = [a for a, _b in samples]
    without = [b for _a, b in samples]
    return {
        "tracked_median": round(statistics.median(w for w, _c in with_tracking), 2),
        "untracked_median": round(statistics.median(w for w, _c in without), 2),
        "ratio": round(
            statistics.median(w for w, _c in with_tracking)
            / statistics.median(w for w, _c in without),
            3,
        ),
        "cpu_ratio": round(
            statistics.median(c for _w, c in with_tracking)
            / statistics.median(c for _w, c in without),
            3,
        ),
        "samples": {"tracked": with_tracking, "untracked": without},
    }


def package_modules(root: Path) -> list[str]:
    """Every package module (``__init__`` included), by ci-sessions' own graph."""
    from ci_sessions.changes.closure import project_graph
    from ci_sessions.engine.cache import TreeHasher

    hasher = TreeHasher(root)
    hasher.digest()
    graph = project_graph(root, hasher.files)
    return sorted(
        p for p in graph.python
        if p.endswith(".py") and graph.in_package(p) and not graph.layout.is_test_file(p)
        and "/tests/" not in f"/{p}" and not p.endswith("conftest.py")
    )  # fmt: skip


def _edits(root: Path, python: str, modules: list[str], count: int) -> list[dict[str, Any]]:
    edits: list[dict[str, Any]] = []
    for module in modules:
        if len(edits) >= count:
            break
        measured = measure_edit(root, python, module)
        if measured is not None:
            edits.append(measured)
    return edits


def _medians(edits: list[dict[str, Any]]) -> dict[str, Any]:
    tests_share = statistics.median(e["tests"]["share"] for e in edits)
    types_share = statistics.median(e["typecheck"]["share"] for e in edits)
    return {
        "tests_share_median": tests_share,
        "typecheck_share_median": types_share,
        "ratio_median": statistics.median(e["ratio"] for e in edits),
        "engaged": tests_share < THRESHOLD and types_share < THRESHOLD,
    }


def project_figures(
    root: Path, python: str, count: int, pairs: int, others: int = 0
) -> dict[str, Any]:
    first = run(root, python, whole=False)
    if not first.checks:
        return {"excluded": f"the first run gave no results: {first.output[-1500:]}"}
    modules = leaves(root)
    edits = _edits(root, python, modules, count)
    any_module: dict[str, Any] = {}
    if others:
        rest = [m for m in package_modules(root) if m not in modules]
        chosen = (
            [rest[i * len(rest) // others] for i in range(others)] if len(rest) > others else rest
        )
        found = _edits(root, python, chosen, others)
        if found:
            any_module = {"edits": found, **_medians(found)}
    if not edits:
        return {
            "leaves": modules,
            "excluded": "no leaf module with a statement to change",
            "any_module": any_module,
        }
    medians = _medians(edits)
    reasons = sorted(
        {
            e[c]["note"]
            for e in edits
            for c in ("tests", "typecheck")
            if e[c]["note"].startswith("full run")
        }
    )
    cost = tracking_cost(root, python, pairs) if pairs else {}
    saved = statistics.median(e["seconds"]["whole"] - e["seconds"]["incremental"] for e in edits)
    if cost:
        extra = cost["tracked_median"] - cost["untracked_median"]
        cost["seconds_saved_per_edit"] = round(saved, 2)
        cost["extra_seconds_per_whole_run"] = round(extra, 2)
        cost["pays_back_after_edits"] = round(extra / saved, 2) if saved > 0 else None
    return {
        "leaves": modules,
        "edits": edits,
        **medians,
        "reasons": reasons,
        "tracking": cost,
        "any_module": any_module,
    }


def committed(out: Path) -> dict[str, Any]:
    """The projects a committed run measured, each with the facts of its own run (a project
    measured before runs were recorded per project gets the file's)."""
    if not out.exists():
        return {}
    document = json.loads(out.read_text(encoding="utf-8"))
    found: dict[str, Any] = document.get("projects", {})
    for figures in found.values():
        figures.setdefault("run", document.get("machine", {}))
    return found


def write_results(out: Path, fresh: dict[str, Any], facts: dict[str, Any]) -> dict[str, Any]:
    """The results file with ``fresh`` projects replacing theirs, after each project (a run
    stopped half way keeps what it measured), written atomically."""
    projects = {**committed(out), **fresh}  # a partial run keeps the other projects
    measured = {n: p for n, p in projects.items() if "excluded" not in p}
    ratios = [p["ratio_median"] for p in measured.values()]
    others = {n: p["any_module"] for n, p in projects.items() if p.get("any_module")}
    document = {
        "machine": facts,
        "totals": {
            "projects": len(measured),
            "engaged": sorted(n for n, p in measured.items() if p["engaged"]),
            "not_engaged": {n: p["reasons"] for n, p in measured.items() if not p["engaged"]},
            "ratio_median": statistics.median(ratios) if ratios else None,
            "excluded": {n: p["excluded"][:300] for n, p in projects.items() if "excluded" in p},
            "any_module": {
                "projects": len(others),
                "engaged": sorted(n for n, p in others.items() if p["engaged"]),
                "ratio_median": statistics.median(p["ratio_median"] for p in others.values())
                if others
                else None,
            },
        },
        "projects": projects,
    }
    partial = out.with_name(f".{out.name}.tmp")
    partial.write_text(json.dumps(document, indent=1) + "\n")
    os.replace(partial, out)
    return document


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("projects", nargs="*", help="corpus project names (default: all)")
    parser.add_argument("--leaves", type=int, default=3, help="leaf modules edited per project")
    parser.add_argument("--pairs", type=int, default=3, help="pairs measuring the tracking cost")
    parser.add_argument(
        "--others", type=int, default=2, help="other package modules edited (not leaves)"
    )
    parser.add_argument("--python", default="3.12")
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    from corpus import PROJECTS, fresh_copy

    names = args.projects or sorted(PROJECTS)
    work = args.workdir or Path(tempfile.mkdtemp(prefix="ci-sessions-engagement-"))
    work.mkdir(parents=True, exist_ok=True)
    started, load = time.perf_counter(), os.getloadavg()
    projects: dict[str, Any] = {}
    document: dict[str, Any] = {}
    for name in names:
        project = PROJECTS[name]
        root = work / name
        if not root.exists():
            fresh_copy(name, root)
            configure(root, args.python, tests_settings(project.install, project.test))
        print(f"{name}: ...", flush=True)
        projects[name] = project_figures(root, args.python, args.leaves, args.pairs, args.others)
        shown = {
            k: v
            for k, v in projects[name].items()
            if k
            in (
                "engaged",
                "ratio_median",
                "tests_share_median",
                "typecheck_share_median",
                "excluded",
            )
        }
        print(f"{name}: {shown}", flush=True)
        projects[name]["run"] = machine_facts(args.python, load, started)
        document = write_results(args.out, projects, projects[name]["run"])
    if not document:
        return 0
    print(json.dumps(document["totals"], indent=1))
    print(f"written: {args.out} (work files in {work})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
