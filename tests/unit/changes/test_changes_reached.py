"""Dependencies from what a test run reached: which buckets count for which test file, what is
shared by all, and what each token is worth in a project state."""

from __future__ import annotations

import hashlib
from pathlib import Path

from ci_sessions.changes.closure import ProjectGraph
from ci_sessions.checks.base import Observed, Reached

FILES = {
    "pyproject.toml": '[project]\nname = "calc"\nversion = "1"\n',
    "src/calc/__init__.py": "",
    "src/calc/core.py": "def base(x):\n    return x + 1\n",
    "src/calc/table.py": "def build():\n    return {}\n",
    "src/calc/consts.py": "from calc.table import build\n\nTABLE = build()\n",
    "src/calc/plug.py": "def hello():\n    return 'hi'\n",
    "tests/test_core.py": "from calc.core import base\n",
    "tests/test_consts.py": "from calc.consts import TABLE\n",
    "tests/test_again.py": "from calc.consts import TABLE\n",
    "tests/test_plug.py": "import importlib\n",
    "tests/data/x.txt": "x\n",
}


def write(root: Path, files: dict[str, str]) -> dict[str, str]:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in root.rglob("*")
        if p.is_file() and ".ci-sessions" not in p.parts
    }


def reached(**fields: object) -> Reached:
    return Reached(**{k: frozenset(v) if k != "spawned" else tuple(v) for k, v in fields.items()})  # type: ignore[arg-type]


#: a run: test_consts imported consts first (its import ran table.build), test_plug loaded plug
#: by a computed name, test_core started a Python process
OBSERVED = Observed(
    units={
        "tests/test_core.py": reached(code={"tests/test_core.py", "src/calc/core.py"},
                                      spawned=["a Python process: python -m calc"]),
        "tests/test_consts.py": reached(code={"tests/test_consts.py"}, caused={"src/calc/consts.py"}),
        "tests/test_again.py": reached(code={"tests/test_again.py"}),
        "tests/test_plug.py": reached(code={"tests/test_plug.py"}, caused={"src/calc/plug.py"},
                                      read={"tests/data/x.txt"}, listed={"tests/data"},
                                      imports={"calc.missing"}),
    },
    imports={
        "src/calc/consts.py": reached(code={"src/calc/consts.py", "src/calc/table.py"}),
        "src/calc/plug.py": reached(code={"src/calc/plug.py"}),
    },
    shared=reached(code={"src/calc/__init__.py"}),
)  # fmt: skip


def test_what_a_first_import_ran_counts_for_every_importer(tmp_path: Path) -> None:
    graph = ProjectGraph(tmp_path, write(tmp_path, FILES), ignored_python=False)
    deps = graph.dependencies(OBSERVED, list(OBSERVED.units))
    # test_again imported consts after test_consts had: table.build ran for both
    assert "file:src/calc/table.py" in deps.units["tests/test_again.py"]
    assert "file:src/calc/table.py" in deps.units["tests/test_consts.py"]
    assert "file:src/calc/table.py" not in deps.units["tests/test_core.py"]


def test_a_module_loaded_through_no_edge_counts_for_every_test(tmp_path: Path) -> None:
    graph = ProjectGraph(tmp_path, write(tmp_path, FILES), ignored_python=False)
    deps = graph.dependencies(OBSERVED, list(OBSERVED.units))
    assert "file:src/calc/plug.py" in deps.shared
    assert "computed" in deps.why["file:src/calc/plug.py"]
    assert "file:src/calc/__init__.py" in deps.shared  # ran outside any test file
    assert "file:src/calc/consts.py" not in deps.shared  # test_consts imports it: an edge


def test_a_process_that_may_run_project_code_makes_its_test_depend_on_every_file(
    tmp_path: Path,
) -> None:
    write(tmp_path, FILES)
    graph = ProjectGraph(tmp_path, write(tmp_path, FILES), ignored_python=False)
    deps = graph.dependencies(OBSERVED, list(OBSERVED.units))
    assert "tree" in deps.units["tests/test_core.py"]
    assert deps.spawned["tests/test_core.py"].startswith("a Python process")
    assert "tree" not in deps.units["tests/test_consts.py"]
    after = ProjectGraph(tmp_path, write(tmp_path, {"README.md": "new\n"}), ignored_python=False)
    assert after.stale(deps.units["tests/test_core.py"]) == "tree"
    assert after.stale(deps.units["tests/test_consts.py"]) == ""


def test_tokens_change_exactly_when_what_they_name_changes(tmp_path: Path) -> None:
    graph = ProjectGraph(tmp_path, write(tmp_path, FILES), ignored_python=False)
    plug = graph.dependencies(OBSERVED, list(OBSERVED.units)).units["tests/test_plug.py"]
    assert {"file:tests/data/x.txt", "dir:tests/data", "mod:calc.missing"} <= set(plug)

    def stale_after(changes: dict[str, str]) -> str:
        after = ProjectGraph(tmp_path, write(tmp_path, changes), ignored_python=False)
        return after.stale(plug)

    assert stale_after({"src/calc/core.py": "def base(x):\n    return x + 2\n"}) == ""
    assert stale_after({"tests/data/x.txt": "y\n"}) == "file:tests/data/x.txt"
    write(tmp_path, {"tests/data/x.txt": "x\n"})
    assert stale_after({"tests/data/y.txt": "new\n"}) == "dir:tests/data"
    (tmp_path / "tests/data/y.txt").unlink()
    assert stale_after({"src/calc/missing.py": "X = 1\n"}) == "mod:calc.missing"
    (tmp_path / "src/calc/missing.py").unlink()
    (tmp_path / "tests/data/x.txt").unlink()
    digests = write(tmp_path, {})
    gone = ProjectGraph(tmp_path, digests, ignored_python=False)
    assert gone.stale(plug) == "file:tests/data/x.txt"
    assert gone.explain("file:tests/data/x.txt") == "tests/data/x.txt was removed"
