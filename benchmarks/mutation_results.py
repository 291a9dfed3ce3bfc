"""The mutation score of the verdict paths, read from mutmut's own results (docs/mutation.md).

Run after ``mutmut run``, from the repository root, with the venv that ran mutmut (it reads
mutmut's result files under mutants/ with mutmut's own exit-code table, and its diff of each
mutant). Writes benchmarks/mutation-results.json: one entry per module that mutmut ran
(a module whose mutants were all left unchecked is not in this run, and keeps the entry a
committed earlier run gave it, with that run's date); each entry has the counts, the score
(killed / (killed + survived)) and every mutant that was not killed, with its diff.

One kind of survivor is equivalent by rule and is marked, not hidden: the letter case of an SQL
statement changed (SQLite keywords and names ignore case). ``sql_case`` counts them and
``score_without_sql_case`` leaves them out of the score; ``score`` stays mutmut's own.

Usage: python benchmarks/mutation_results.py [--out benchmarks/mutation-results.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import time
from collections import Counter
from pathlib import Path
from typing import Any

from mutmut.mutation.diff_apply import get_diff_for_mutant
from mutmut.stats import status_by_exit_code
from results_file import write_atomic

OUT = Path(__file__).resolve().parent / "mutation-results.json"
#: the statuses of a mutant that no test of the selection stopped
NOT_KILLED = ("survived", "no tests", "timeout", "suspicious", "segfault")


#: a string literal (as mutmut writes them: double quotes) and the SQL words one may start with
_STRING = re.compile(r'"[^"]*"')
_SQL = re.compile(r'^"\s*(SELECT|INSERT|DELETE|DROP|UPDATE|CREATE|AND|ORDER BY|JOIN|VALUES)\b')


def sql_case_only(diff: list[str]) -> bool:
    """Whether a mutant only changed the letter case of SQL statement strings."""
    old = [line[1:] for line in diff if line.startswith("-")]
    new = [line[1:] for line in diff if line.startswith("+")]
    if not old or len(old) != len(new):
        return False
    for before, after in zip(old, new, strict=True):
        if before == after:
            continue
        if before.lower() != after.lower():
            return False
        changed = [
            a
            for a, b in zip(_STRING.findall(before), _STRING.findall(after), strict=False)
            if a != b
        ]
        if not changed or not all(_SQL.match(literal) for literal in changed):
            return False
    return True


def _diff(name: str, source: Path) -> list[str]:
    text = get_diff_for_mutant(name, path=source)
    return [
        line
        for line in text.splitlines()
        if line.startswith(("+", "-")) and not line.startswith(("+++", "---"))
    ]


def module_results(meta: Path) -> dict[str, Any] | None:
    """The counts and the mutants not killed of one module, None when mutmut did not run it."""
    source = meta.relative_to("mutants").with_suffix("")
    codes: dict[str, int | None] = json.loads(meta.read_text())["exit_code_by_key"]
    statuses = {name: status_by_exit_code[code] for name, code in codes.items()}
    if all(status == "not checked" for status in statuses.values()):
        return None
    counts = Counter(statuses.values())
    killed, survived = counts["killed"], counts["survived"]
    not_killed = [
        {"mutant": name, "status": status, "diff": _diff(name, source)}
        for name, status in sorted(statuses.items())
        if status in NOT_KILLED
    ]
    for mutant in not_killed:
        if mutant["status"] == "survived" and sql_case_only(mutant["diff"]):
            mutant["equivalent"] = "sql-case"
    sql_case = sum(1 for m in not_killed if m.get("equivalent") == "sql-case")
    rest = killed + survived - sql_case
    return {
        "module": source.as_posix(),
        "mutants": len(statuses),
        "counts": dict(sorted(counts.items())),
        "score": round(100 * killed / (killed + survived), 1) if killed + survived else None,
        "sql_case": sql_case,
        "score_without_sql_case": round(100 * killed / rest, 1) if rest else None,
        "not_killed": not_killed,
        "measured": time.strftime("%Y-%m-%d %H:%M", time.localtime(meta.stat().st_mtime)),
    }


def _with_sql_case(module: dict[str, Any]) -> dict[str, Any]:
    """Mark the SQL-case survivors of an entry an earlier run of this script wrote."""
    for mutant in module["not_killed"]:
        if mutant["status"] == "survived" and sql_case_only(mutant["diff"]):
            mutant["equivalent"] = "sql-case"
    counts = module["counts"]
    sql_case = sum(1 for m in module["not_killed"] if m.get("equivalent") == "sql-case")
    rest = counts.get("killed", 0) + counts.get("survived", 0) - sql_case
    module["sql_case"] = sql_case
    module["score_without_sql_case"] = (
        round(100 * counts.get("killed", 0) / rest, 1) if rest else None
    )
    return module


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    earlier: dict[str, Any] = {}
    if args.out.is_file():
        earlier = json.loads(args.out.read_text())
    kept: dict[str, Any] = {m["module"]: m for m in earlier.get("modules", [])}
    for meta in sorted(Path("mutants").rglob("*.py.meta")):
        found = module_results(meta)
        if found is not None:
            kept[found["module"]] = found
    modules = [_with_sql_case(kept[name]) for name in sorted(kept)]
    for module in modules:
        counts = module["counts"]
        print(
            f"{module['module']:40} mutants {module['mutants']:5}  killed {counts.get('killed', 0):5}"
            f"  survived {counts.get('survived', 0):4}  no tests {counts.get('no tests', 0):4}"
            f"  score {module['score']}%"
            f"  (sql case {module.get('sql_case', 0)}: {module.get('score_without_sql_case')}%)"
        )
    facts = {"machine": platform.machine(), "cpus": os.cpu_count(), "load": os.getloadavg()[0]}
    # the timings mutation_run.py recorded stay (mutmut itself records none)
    write_atomic(args.out, {**earlier, "facts": facts, "modules": modules})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
