"""The differential harness, short: benchmarks/differential.py's own code applies single edits of
every kind to a fixture project whose tests reach code through a subprocess, an entry point, a
computed import, a data file and a shared fixture, and after each compares the incremental run
with a whole run, test by test and diagnostic by diagnostic. No edit may disagree.

The long version runs on the real-project corpus and writes benchmarks/differential-results.json.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest
from fixture_projects import write_files
from gitrepo import git
from test_incremental_channels import FILES, PY

pytestmark = [pytest.mark.integration, pytest.mark.slow]

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def harness() -> ModuleType:
    spec = importlib.util.spec_from_file_location("differential", BENCHMARKS / "differential.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["differential"] = module
    spec.loader.exec_module(module)
    return module


def test_no_edit_of_any_kind_gives_an_incremental_verdict_a_whole_run_does_not(
    tmp_path: Path,
) -> None:
    differential = harness()
    root = tmp_path / "demo"
    write_files(root, {**FILES, "src/demo/table.txt": "a,b\n"})
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    target = differential.Target("fixture", root, ["src/demo"], ["tests"])
    records, planned = differential.run_project(target, PY, 14, {}, tmp_path / "log.jsonl")
    assert planned == len(records)
    kinds = {r["kind"] for r in records}
    assert {"mutation", "rename", "delete", "data", "new-test", "public-rename"} <= kinds, kinds
    assert {"test-mutation", "conftest-mutation", "module-constant"} <= kinds, kinds
    assert len(records) >= 14
    disagreements = [
        (r["kind"], r["path"], r["what"], r["differences"]) for r in records if not r["agree"]
    ]
    assert disagreements == []
    # the harness judges: a run that reused results did so on some edit, and a whole run failed
    reused = [r for r in records if (r["incremental"][f"tests-{PY}"].get("files_rerun") or 0)
              < (r["incremental"][f"tests-{PY}"].get("files") or 0)]  # fmt: skip
    assert reused, "no edit ran incrementally: the harness compared nothing"
    assert any(r["whole"][f"tests-{PY}"]["status"] == "FAIL" for r in records)


def test_the_harness_sees_a_wrong_verdict(tmp_path: Path) -> None:
    """A harness that cannot see a disagreement proves nothing: a kept outcome made wrong by
    hand in the state file is caught, test by test."""
    differential = harness()
    from incremental_runs import CheckView, RunView, differences

    truth = RunView(
        1.0,
        {"tests-3.12": CheckView("FAIL", {"t.py::a"}, {"t.py::a": "failed", "t.py::b": "passed"})},
        1,
    )
    ours = RunView(
        1.0,
        {"tests-3.12": CheckView("FAIL", {"t.py::a"}, {"t.py::a": "failed", "t.py::b": "failed"})},
        1,
    )
    assert differences(ours, truth) != []
    assert differences(truth, truth) == []
    assert (
        differential.totals(
            [{"agree": False, "kind": "m", "first_differences": ["x"], "flaky": []}]
        )["disagreements"]
        == 1
    )


def test_a_test_that_writes_into_the_tree_does_not_change_the_next_runs_input(
    tmp_path: Path,
) -> None:
    """tomlkit's own test writes tests/examples/example.toml and puts it back in a ``finally``;
    a mutant that fails the write before the ``try`` left it empty, and the whole run after the
    incremental one read the empty file: a difference that came from the harness, not from
    incremental. The edited tree is put back before every run, and what a run wrote is listed."""
    differential = harness()
    import edits

    root = tmp_path / "demo"
    files = {
        **FILES,
        "tests/test_reads.py": "from pathlib import Path\n\n\ndef test_reads():\n"
        "    assert (Path(__file__).parent / 'data' / 'shared.txt').read_text() == 'full\\n'\n",
        "tests/test_zz_writes.py": "from pathlib import Path\n\n\ndef test_writes():\n"
        "    (Path(__file__).parent / 'data' / 'shared.txt').write_text('')\n",
        "tests/data/shared.txt": "full\n",
    }
    write_files(root, files)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    target = differential.Target("fixture", root, ["src/demo"], ["tests"])
    differential.prepare(target, PY, {})
    edit = edits.Edit(
        "test-mutation", "tests/test_zz_writes.py", "a comment added",
        {"tests/test_zz_writes.py": files["tests/test_zz_writes.py"] + "# edited\n"},
    )  # fmt: skip
    record = differential.one_edit(target, edit, PY, tmp_path / "scratch")
    assert record["first_differences"] == []
    assert record["agree"] is True
    assert record["whole"][f"tests-{PY}"]["status"] == "PASS"
    assert any("tests/data/shared.txt" in line for line in record["tree_written_by_tests"])
