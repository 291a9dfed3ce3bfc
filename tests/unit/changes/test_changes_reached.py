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
    def convert(name: str, value: object) -> object:
        if name == "spawned":
            return tuple(value)  # type: ignore[call-overload]
        if name == "code":  # where in each file is not said: each counts whole
            return {path: frozenset() for path in value}  # type: ignore[attr-defined]
        return value if name in ("via", "lazy", "computes") else frozenset(value)  # type: ignore[call-overload]

    return Reached(**{k: convert(k, v) for k, v in fields.items()})  # type: ignore[arg-type]


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


def test_a_module_loaded_by_code_outside_the_project_counts_for_every_test(
    tmp_path: Path,
) -> None:
    graph = ProjectGraph(tmp_path, write(tmp_path, FILES), ignored_python=False)
    deps = graph.dependencies(OBSERVED, list(OBSERVED.units))  # plug: no "via", a plugin
    assert "file:src/calc/plug.py" in deps.shared
    assert "outside the project" in deps.why["file:src/calc/plug.py"]
    assert "file:src/calc/__init__.py" in deps.shared  # ran outside any test file
    assert "file:src/calc/consts.py" not in deps.shared  # test_consts imports it: an edge


def test_a_module_project_code_loads_by_a_computed_name_counts_for_its_importers(
    tmp_path: Path,
) -> None:
    files = {
        **FILES,
        "src/calc/registry.py": "import importlib\n\n\ndef load(n):\n    return importlib.import_module(n)\n",
        "tests/test_registry.py": "from calc.registry import load\n",
        "tests/test_registry_again.py": "from calc import registry\n",
    }
    graph = ProjectGraph(tmp_path, write(tmp_path, files), ignored_python=False)
    loaded = Observed(
        units={
            **OBSERVED.units,
            "tests/test_registry.py": reached(code={"src/calc/registry.py"}, caused={"src/calc/plug.py"}),
            "tests/test_registry_again.py": reached(code={"tests/test_registry_again.py"}),
        },
        imports={**OBSERVED.imports, "src/calc/plug.py": reached(code={"src/calc/plug.py"}, via="src/calc/registry.py")},
        shared=OBSERVED.shared,
    )  # fmt: skip
    deps = graph.dependencies(loaded, list(loaded.units))
    assert "file:src/calc/plug.py" not in deps.shared
    assert "file:src/calc/plug.py" not in deps.units["tests/test_consts.py"]
    computing = Observed(
        units={**loaded.units, "tests/test_consts.py": reached(code={"tests/test_consts.py"}, computes=True)},
        imports=loaded.imports,
    )  # fmt: skip
    # test_consts asks for a module by a computed name: it may get plug (already loaded)
    assert (
        "file:src/calc/plug.py"
        in graph.dependencies(computing, ["tests/test_consts.py"]).units["tests/test_consts.py"]
    )
    # the module that loads it is imported by both registry tests: either may hold plug's objects
    assert "file:src/calc/plug.py" in deps.units["tests/test_registry_again.py"]
    assert "file:src/calc/plug.py" not in deps.units["tests/test_core.py"]


def test_a_submodule_a_package_loads_lazily_counts_for_computed_access_only(
    tmp_path: Path,
) -> None:
    files = {
        **FILES,
        "src/calc/__init__.py": "import importlib\n\n\ndef __getattr__(name):\n    return importlib.import_module('.' + name, __name__)\n",
        "tests/test_lazy.py": "import calc\n\n\ndef test_it():\n    calc.plug.hello()\n",
        "tests/test_names.py": "import calc\n\n\ndef test_all(name):\n    getattr(calc, name)\n",
    }
    graph = ProjectGraph(tmp_path, write(tmp_path, files), ignored_python=False)
    lazy = Observed(
        units={
            "tests/test_lazy.py": reached(code={"tests/test_lazy.py"}, caused={"src/calc/plug.py"}),
            "tests/test_names.py": reached(code={"tests/test_names.py"}),
            "tests/test_core.py": reached(code={"tests/test_core.py"}),
        },
        imports={"src/calc/plug.py": reached(code={"src/calc/plug.py"}, via="src/calc/__init__.py", lazy=True)},
    )  # fmt: skip
    deps = graph.dependencies(lazy, list(lazy.units))
    assert "file:src/calc/plug.py" in deps.units["tests/test_lazy.py"]  # `calc.plug`: an edge
    assert "file:src/calc/plug.py" in deps.units["tests/test_names.py"]  # getattr(calc, name)
    assert "file:src/calc/plug.py" not in deps.units["tests/test_core.py"]  # imports calc, too
    assert "file:src/calc/plug.py" not in deps.shared


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


def test_a_module_hypothesis_harvested_counts_by_its_constants_for_its_users(
    tmp_path: Path,
) -> None:
    """hypothesis read core.py only for its literal constants: an edit that changes none keeps
    the results of the tests that use hypothesis; a changed constant reruns them."""
    graph = ProjectGraph(tmp_path, write(tmp_path, FILES), ignored_python=False)
    observed = Observed(
        units=OBSERVED.units,
        imports=OBSERVED.imports,
        marked={"hypothesis": (reached(constants={"src/calc/core.py"}), frozenset({"tests/test_again.py"}))},
    )  # fmt: skip
    deps = graph.dependencies(observed, list(observed.units))
    again = deps.units["tests/test_again.py"]
    assert "constants:src/calc/core.py" in again and "file:src/calc/core.py" not in again
    assert "constants:src/calc/core.py" not in deps.units["tests/test_consts.py"]

    def stale_after(text: str) -> str:
        after = ProjectGraph(
            tmp_path, write(tmp_path, {"src/calc/core.py": text}), ignored_python=False
        )
        return after.stale(again)

    assert stale_after("def base(x):\n    return (x - 1)\n") == ""
    assert stale_after("def base(x):\n    return x - 200\n") == "constants:src/calc/core.py"
    assert "constants of src/calc/core.py" in graph.explain("constants:src/calc/core.py")
    (tmp_path / "src/calc/core.py").unlink()
    gone = ProjectGraph(tmp_path, write(tmp_path, {}), ignored_python=False)
    assert gone.stale(again) == "constants:src/calc/core.py"
