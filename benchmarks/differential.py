"""The differential harness (issue 20): incremental verdicts against whole runs, edit by edit.

    python benchmarks/differential.py                        # every corpus project, 75 edits each
    python benchmarks/differential.py cachetools tomlkit --edits 20
    python benchmarks/differential.py cachetools:50 tomlkit:12 click     # a count per project
    python benchmarks/differential.py --workdir /tmp/diff    # resumable: done edits are skipped
    python benchmarks/differential.py --merge A.json B.json --out F   # parts run side by side

For each project of the real-project corpus (``benchmarks/corpus.py``): a fresh copy, set up
with the three-line noxfile and ``[tool.ci-sessions]``, a first run (environments, per-file
state), then single edits, each applied to the committed tree: mutations in the style of mutmut in
package modules, conftest files and tests, module constants, unstaged renames and deletions,
data-file and stub edits, a new test file, and edits reached only through a subprocess or a
computed import (two planted test files, committed with the setup, run a module in a subprocess
and load one by a computed name). After each edit the incremental run (``nox -s typecheck
tests-PY``, building on the state the previous edit left) is compared with a whole run of the
same sessions in the same environments: each check's row, each test's outcome, each file's
diagnostics. A disagreement counts when a repeat of both runs shows it again; a test whose two
whole runs disagree is flaky, listed and left out; so is a test that failed, in only one of two
full runs (the incremental one reused nothing), on an exception a finalizer raised: where that
lands depends on when garbage is collected (``placed_by_the_collector``).

Writes ``benchmarks/differential-results.json``: every edit, what ran, how long, and the totals.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import edits as E  # noqa: E402
from incremental_runs import (  # noqa: E402
    GIT,
    RunView,
    code_tree,
    configure,
    differences,
    flaky_between,
    machine_facts,
    placed_by_the_collector,
    restore,
    run,
    tests_settings,
)
from results_file import write_atomic  # noqa: E402

OUT = HERE / "differential-results.json"
SEED = 20


@dataclass
class Target:
    """A project to edit: where it is and what its parts are."""

    name: str
    root: Path
    packages: list[str]
    tests: list[str]


# -- the edits of one project --------------------------------------------------------------------


def planted(target: Target) -> dict[str, str]:
    """Two test files the setup adds: one runs a package module in a subprocess, one loads it
    by a computed name. Edits of that module reach them through channels no import shows."""
    root = target.root
    modules = [
        m
        for package in target.packages
        for m in E.python_files(root, [package])
        if not m.endswith("__init__.py") and E.public_renames(root, m)
    ]
    if not modules or not target.tests:
        return {}
    module = sorted(modules)[0]
    dotted = _dotted(target, module)
    head, _, tail = dotted.rpartition(".")
    names = sorted(n.what.split()[1] for n in E.public_renames(root, module))
    folder = target.tests[0]
    code = f"import {dotted} as m; assert all(hasattr(m, n) for n in {names!r})"
    subprocess_test = (
        "import subprocess\nimport sys\n\n\ndef test_module_in_a_subprocess():\n"
        f"    code = {code!r}\n"
        "    done = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True)\n"
        "    assert done.returncode == 0, done.stderr\n"
    )
    computed_test = (
        "import importlib\n\n\ndef test_module_by_a_computed_name():\n"
        f"    module = importlib.import_module({head!r} + '.' + {tail!r})\n"
        f"    assert all(hasattr(module, n) for n in {names!r})\n"
    )
    return {
        f"{folder}/test_harness_subprocess.py": subprocess_test,
        f"{folder}/test_harness_computed.py": computed_test,
        "_module": module,
    }


def _dotted(target: Target, module: str) -> str:
    for package in target.packages:
        if module.startswith(package + "/"):
            base = Path(package).parent
            rel = Path(module).relative_to(base).with_suffix("")
            return ".".join(p for p in rel.parts if p != "__init__")
    return Path(module).stem


def project_edits(
    target: Target, count: int, rng: random.Random, planted_module: str
) -> list[E.Edit]:
    """About ``count`` edits of every kind, spread over the project's files."""
    root = target.root
    modules = [m for m in E.python_files(root, target.packages) if "/tests/" not in m]
    tests = [t for t in E.python_files(root, target.tests) if Path(t).name.startswith("test_")]
    conftests = [
        c for c in E.python_files(root, target.tests + target.packages) if c.endswith("conftest.py")
    ]
    data = [
        p.relative_to(root).as_posix()
        for folder in target.tests + target.packages
        for p in sorted((root / folder).rglob("*"))
        if p.is_file()
        and p.suffix not in (".py", ".pyc", ".pyi", ".so", ".c", ".pyx", ".h")
        and "__pycache__" not in p.parts
        and p.stat().st_size < 200_000
    ]
    stubs = [
        p.relative_to(root).as_posix()
        for f in target.packages
        for p in sorted((root / f).rglob("*.pyi"))
    ]
    chosen: list[E.Edit] = []
    quota = {
        "module-constant": max(2, count // 20), "conftest": 3, "test": max(2, count // 15),
        "rename": 2, "delete": 2, "data": 3, "stub": 3, "new-test": 1, "public-rename": 2,
    }  # fmt: skip
    pool = [e for m in modules for e in E.module_constants(root, m)]
    chosen += E.sample(pool, quota["module-constant"], rng)
    conftest = [e for c in conftests for e in E.mutations(root, c, kind="conftest-mutation")]
    chosen += E.sample(conftest, quota["conftest"], rng)
    in_tests = [e for t in tests for e in E.mutations(root, t, kind="test-mutation")]
    chosen += E.sample(in_tests, quota["test"], rng)
    leaves = [m for m in modules if not m.endswith("__init__.py")]
    for path in rng.sample(leaves, min(quota["rename"], len(leaves))):
        chosen.append(E.rename(root, path))
    if tests:
        chosen.append(E.delete(root, rng.choice(tests)))
    if leaves:
        chosen.append(E.delete(root, rng.choice(leaves)))
    for path in rng.sample(data, min(quota["data"], len(data))):
        edit = E.data_edit(root, path)
        if edit is not None:
            chosen.append(edit)
    chosen += E.sample([e for s in stubs for e in E.stub_edits(root, s)], quota["stub"], rng)
    if target.tests and modules:
        chosen.append(E.new_test(target.tests[0], _dotted(target, rng.choice(modules))))
    if planted_module:
        chosen += E.public_renames(root, planted_module)[: quota["public-rename"]]
        chosen += E.sample(E.mutations(root, planted_module), 2, rng)
    chosen = [e for e in chosen if E.parses(e)]
    rest = max(0, count - len(chosen))
    chosen += E.sample([e for m in modules for e in E.mutations(root, m)], rest, rng)
    return chosen


# -- one edit ------------------------------------------------------------------------------------


def state_copy(root: Path, python: str, into: Path) -> None:
    """The per-file state and the tracking records, kept aside to repeat an incremental run."""
    if into.exists():
        shutil.rmtree(into)
    for part in ("files", "reach"):
        source = root / ".ci-sessions" / "cache" / part
        if source.exists():
            shutil.copytree(source, into / part)
    del python


def state_back(root: Path, saved: Path) -> None:
    for part in ("files", "reach"):
        target = root / ".ci-sessions" / "cache" / part
        if target.exists():
            shutil.rmtree(target)
        if (saved / part).exists():
            shutil.copytree(saved / part, target)


def summary(view: RunView, label: str) -> dict[str, Any]:
    row = view.checks.get(label)
    if row is None:
        return {}
    return {
        "status": row.status,
        "files_rerun": row.files_rerun,
        "files": row.files,
        "tests": row.tests,
        "note": row.note[:300],
        "cached": row.cached,
    }


def edited(root: Path, edit: E.Edit) -> str:
    """The committed tree with the edit applied, and ``git status`` of it. Before every run:
    a test that writes into the tree (a mutant of tomlkit's ``TOMLFile.write`` truncates
    tests/examples/example.toml) must not change the input of the run that follows."""
    restore(root)
    edit.apply(root)
    return tree_status(root)


def tree_status(root: Path) -> str:
    return subprocess.run(
        [*GIT, "status", "--porcelain", "--untracked-files=no"],
        cwd=root, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip


def one_edit(target: Target, edit: E.Edit, python: str, scratch: Path) -> dict[str, Any]:
    root = target.root
    expected = edited(root, edit)
    saved = scratch / "state"
    state_copy(root, python, saved)
    changed: set[str] = set()

    def fresh_run(*, whole: bool) -> RunView:
        now = tree_status(root)
        if now != expected:  # the run before wrote into the tree: put it back
            changed.update(set(now.splitlines()) ^ set(expected.splitlines()))
            edited(root, edit)
        return run(root, python, whole=whole)

    named = {"project": target.name, "kind": edit.kind, "path": edit.path, "what": edit.what}
    first = fresh_run(whole=False)
    if first.timed_out:  # an endless loop: no verdict to compare, and the whole run would hang
        return {**named, "agree": None, "first_differences": [], "differences": [], "flaky": [],
                "error": first.output[:200]}  # fmt: skip
    truth = fresh_run(whole=True)
    found = differences(first, truth)
    flaky: set[str] = set()
    placed: set[str] = set()
    repeated: list[str] = []
    if found:  # both again: a disagreement counts when it comes back
        edited(root, edit)
        state_back(root, saved)
        again = fresh_run(whole=False)
        truth_again = fresh_run(whole=True)
        flaky = flaky_between(truth, truth_again)
        placed = placed_by_the_collector(again, truth_again) - flaky
        repeated = differences(again, truth_again, flaky | placed)
        first, truth = again, truth_again
    labels = sorted(truth.checks)
    record = {
        **named,
        "agree": not repeated,
        "first_differences": found,
        "differences": repeated,
        "flaky": sorted(flaky),
        "placed_by_the_collector": sorted(placed),
        "tree_written_by_tests": sorted(changed),
        "seconds": {"incremental": round(first.seconds, 2), "whole": round(truth.seconds, 2)},
        "incremental": {label: summary(first, label) for label in labels},
        "whole": {label: summary(truth, label) for label in labels},
    }
    if not truth.checks:
        record["agree"] = None
        record["error"] = truth.output[-1500:]
    return record


# -- a project -----------------------------------------------------------------------------------


def prepare(target: Target, python: str, tests: dict[str, list[str]]) -> str:
    """Set the project up (planted channel tests included), commit, first run; the planted
    module ("" when none)."""
    plants = planted(target)
    module = plants.pop("_module", "")
    for rel, text in plants.items():
        (target.root / rel).write_text(text)
    configure(target.root, python, tests)
    first = run(target.root, python, whole=False)
    if not first.checks:
        raise RuntimeError(f"{target.name}: the first run gave no results:\n{first.output}")
    return module


def run_project(
    target: Target,
    python: str,
    count: int,
    tests: dict[str, list[str]],
    log: Path,
    seed: int = SEED,
    minutes: float | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """The edits of one project and how many were planned (resumable: edits already in ``log``
    are kept). In an order of their own, so the edits done within ``minutes`` are a mix of every
    kind; after ``minutes`` no new edit starts."""
    done: dict[str, dict[str, Any]] = {}
    if log.exists():
        for line in log.read_text().splitlines():
            record = json.loads(line)
            done[f"{record['kind']} {record['path']}: {record['what']}"] = record
    marker = log.parent / f".{target.name}-harness-module"  # outside the tree git cleans
    if marker.exists():
        module = marker.read_text()
    else:
        module = prepare(target, python, tests)
        marker.write_text(module)
    rng = random.Random(f"{seed}-{target.name}")  # noqa: S311 - a reproducible sample, not a secret
    chosen = project_edits(target, count, rng, module)
    random.Random(f"{seed}-{target.name}-order").shuffle(chosen)  # noqa: S311 - same reason
    deadline = None if minutes is None else time.perf_counter() + 60 * minutes
    records: list[dict[str, Any]] = []
    scratch = log.parent / f".{target.name}-scratch"
    for number, edit in enumerate(chosen, 1):
        if edit.label in done:
            records.append(done[edit.label])
            continue
        if deadline is not None and time.perf_counter() > deadline:
            continue  # its time is up: the edits already in the log are still counted
        record = one_edit(target, edit, python, scratch)
        records.append(record)
        with log.open("a") as handle:
            handle.write(json.dumps(record) + "\n")
        verdict = (
            "agree" if record["agree"] else "DISAGREE" if record["agree"] is False else "no result"
        )
        print(f"  [{number}/{len(chosen)}] {verdict}: {edit.label}", flush=True)
    restore(target.root)
    return records, len(chosen)


def totals(records: Sequence[dict[str, Any]]) -> dict[str, Any]:
    judged = [r for r in records if r["agree"] is not None]
    by_kind: dict[str, int] = {}
    for record in judged:
        by_kind[record["kind"]] = by_kind.get(record["kind"], 0) + 1
    return {
        "edits": len(judged),
        "disagreements": sum(1 for r in judged if not r["agree"]),
        "first_run_differences_not_repeated": sum(
            1 for r in judged if r["first_differences"] and r["agree"]
        ),
        "no_result": len(records) - len(judged),
        "by_kind": dict(sorted(by_kind.items())),
        "flaky_tests": sorted({t for r in judged for t in r["flaky"]}),
        "placed_by_the_collector": sorted(
            {t for r in judged for t in r.get("placed_by_the_collector", [])}
        ),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "projects",
        nargs="*",
        help="corpus project names, NAME:EDITS for a count of its own (default: all)",
    )
    parser.add_argument("--edits", type=int, default=75, help="edits per project")
    parser.add_argument("--python", default="3.12", help="the Python of the test runs (3.12+)")
    parser.add_argument(
        "--minutes-per-project", type=float, default=None,
        help="start no new edit of a project after this long (its planned edits are reported)",
    )  # fmt: skip
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument(
        "--collect", action="store_true",
        help="start no edit: write the results of the logs in --workdir (runs done in parts)",
    )  # fmt: skip
    parser.add_argument(
        "--merge", type=Path, nargs="+", default=None,
        help="start no edit: one file of the results files of parts run side by side (one code)",
    )  # fmt: skip
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    if args.merge:
        document = merged([json.loads(path.read_text(encoding="utf-8")) for path in args.merge])
        write_atomic(args.out, document)
        print(json.dumps(document["totals"], indent=1))
        return 0 if document["totals"]["disagreements"] == 0 else 1
    from corpus import PROJECTS, fresh_copy

    counts = {
        name: int(count) if count else args.edits
        for name, _, count in (given.partition(":") for given in args.projects or sorted(PROJECTS))
    }
    names = list(counts)
    work = args.workdir or Path(tempfile.mkdtemp(prefix="ci-sessions-differential-"))
    work.mkdir(parents=True, exist_ok=True)
    started, load = time.perf_counter(), os.getloadavg()
    results: dict[str, Any] = {}
    every: list[dict[str, Any]] = []
    for name in names if not args.collect else []:
        project = PROJECTS[name]
        root = work / name
        if root.exists() and not (work / f".{name}-harness-module").exists():
            # never prepared whole (a run stopped during its set-up or an edit): the set-up
            # commits the tree as it is, so start from the sdist again
            shutil.rmtree(root)
        if not root.exists():
            fresh_copy(name, root)
        target = Target(name, root, list(project.packages), list(project.tests))
        print(f"{name}: ...", flush=True)
        try:
            records, planned = run_project(
                target, args.python, counts[name], tests_settings(project.install, project.test),
                work / f"{name}.jsonl", minutes=args.minutes_per_project,
            )  # fmt: skip
        except RuntimeError as exc:
            results[name] = {"excluded": str(exc)[:2000]}
            print(f"{name}: excluded: {str(exc)[:300]}", flush=True)
            continue
        results[name] = {**totals(records), "planned": planned}
        every += records
        print(
            f"{name}: {results[name]['edits']} edits, {results[name]['disagreements']} disagreements",
            flush=True,
        )
    if args.collect:
        for log in sorted(work.glob("*.jsonl")):
            records = [json.loads(line) for line in log.read_text().splitlines() if line]
            results[log.stem] = {**totals(records), "planned": counts.get(log.stem, args.edits)}
            every += records
    if not args.collect:
        every = with_earlier(args.out, results, every)
    document = {
        "machine": machine_facts(args.python, load, started),
        "totals": {
            **totals(every),
            "projects": sorted(n for n in results if "excluded" not in results[n]),
        },
        "projects": results,
        "edits": every,
    }
    write_atomic(args.out, document)
    print(json.dumps(document["totals"], indent=1))
    print(f"written: {args.out} (work files in {work})")
    return 0 if document["totals"]["disagreements"] == 0 else 1


def merged(parts: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """One results document of parts run side by side on the same code (``ci_sessions/``), each
    part's facts kept (``parts``), totals counted again. A project in a later part replaces
    its entry and edits from an earlier one; what was replaced stays in ``superseded`` (with
    its part's facts and every edit that did not agree), never silently dropped."""
    codes = {part["machine"].get("code") or code_tree(part["machine"]["commit"]) for part in parts}
    if len(codes) != 1:
        raise SystemExit(
            f"--merge: parts measured different code (ci_sessions/ trees {sorted(codes)})"
        )
    results: dict[str, Any] = {}
    by_project: dict[str, list[dict[str, Any]]] = {}
    source: dict[str, dict[str, Any]] = {}
    superseded: list[dict[str, Any]] = []
    for part in parts:
        for name, entry in part["projects"].items():
            if name in results:
                superseded.append({
                    "project": name, "machine": source[name], "entry": results[name],
                    "not_agreeing": [e for e in by_project[name] if e["agree"] is not True],
                })  # fmt: skip
            results[name] = entry
            source[name] = part["machine"]
            by_project[name] = [e for e in part["edits"] if e["project"] == name]
    every = [edit for name in results for edit in by_project[name]]
    machines = [part["machine"] for part in parts]
    return {
        "machine": {**machines[-1], "parts": machines},
        "totals": {
            **totals(every),
            "projects": sorted(n for n in results if "excluded" not in results[n]),
        },
        "projects": results,
        "superseded": superseded,
        "edits": every,
    }


def with_earlier(
    out: Path, results: dict[str, Any], every: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """This run's edits, and the earlier file's entries and edits of the projects this run did
    not touch (added to ``results``): a run of some projects never drops the others' figures."""
    if not out.exists():
        return every
    earlier = json.loads(out.read_text(encoding="utf-8"))
    kept = list(every)
    for name, entry in earlier.get("projects", {}).items():
        if name in results:
            continue
        results[name] = entry
        kept += [e for e in earlier.get("edits", []) if e.get("project") == name]
    return kept


if __name__ == "__main__":
    raise SystemExit(main())
