"""The architecture holds: layers import downward only, only the sessions import nox, no cycles.

The contract lives in pyproject.toml ([tool.importlinter]); import-linter checks it on the
package's real import graph (grimp), so a new upward import fails this test in the essential tier.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_import_linter_contracts_hold() -> None:
    linter = Path(sys.executable).with_name("lint-imports")
    if not linter.exists():
        pytest.skip("import-linter is not installed (it is in the test dependency group)")
    done = subprocess.run(
        [str(linter), "--config", str(ROOT / "pyproject.toml")],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Contracts: 2 kept, 0 broken." in done.stdout


def test_no_module_imports_itself_back() -> None:
    """No import cycle between modules (a package's own __init__ re-exports aside)."""
    graph = grimp.build_graph("ci_sessions", cache_dir=None)
    cycles = [
        (a, b)
        for a in sorted(graph.modules)
        for b in graph.find_modules_directly_imported_by(a)
        if a != b
        and not b.startswith(a + ".")
        and not a.startswith(b + ".")
        and graph.chain_exists(importer=b, imported=a)
    ]
    assert cycles == []


# -- every arrow visible (issue 23 item 3) -----------------------------------------------------


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("ci_sessions", cache_dir=None)


def test_the_contract_sees_the_cli_reach_every_command(graph: grimp.ImportGraph) -> None:
    from ci_sessions import cli

    for name in cli.COMMANDS:
        module = cli.command_module(name)
        target = getattr(module, "__name__", "")
        assert graph.direct_import_exists(importer="ci_sessions.cli", imported=target), name


def test_the_contract_sees_the_registry_reach_every_check(graph: grimp.ImportGraph) -> None:
    from ci_sessions.checks.registry import CHECKS

    for name, check in CHECKS.items():
        assert graph.direct_import_exists(
            importer="ci_sessions.checks.registry", imported=check.__module__
        ), name


_HIDDEN_ARROW = re.compile(r"""["']ci_sessions(\.\w+)+(:\w+)?["']""")


def _is_import_by_name(node: ast.Call) -> bool:
    """``importlib.import_module(x)`` / ``__import__(x)`` where x may be a module of ours."""
    if ast.unparse(node.func) not in ("importlib.import_module", "import_module", "__import__"):
        return False
    argument = node.args[0] if node.args else None
    if isinstance(argument, ast.Constant):
        return str(argument.value).startswith("ci_sessions")
    # tomllib or tomli, chosen by version, is fine; any other computed name is not
    return not (isinstance(argument, ast.IfExp) and "ci_sessions" not in ast.unparse(argument))


def _hidden_arrows(path: Path, rel: str) -> list[str]:
    found: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and _is_import_by_name(node):
            found.append(f"{rel}:{node.lineno}: {ast.unparse(node)}")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = repr(node.value)
            if _HIDDEN_ARROW.fullmatch(text):
                found.append(f"{rel}:{node.lineno}: {text}")
    return found


def test_no_module_of_ours_is_named_in_a_string() -> None:
    """No ``importlib.import_module("ci_sessions...")``, no "module:Class" registry: an import in a
    string is an arrow the contract cannot see."""
    hidden = [
        arrow
        for path in sorted((ROOT / "ci_sessions").rglob("*.py"))
        for arrow in _hidden_arrows(path, path.relative_to(ROOT).as_posix())
    ]
    assert hidden == []


def test_an_import_by_name_is_found(tmp_path: Path) -> None:
    module = tmp_path / "probe.py"
    cases = {
        'importlib.import_module("ci_sessions.ci.cli")': True,
        "importlib.import_module(name)": True,
        "__import__('ci_sessions.history')": True,
        'CHECKS = {"lint": "ci_sessions.checks.ruff:LintCheck"}': True,
        'importlib.import_module("tomllib" if new else "tomli")': False,
        'import_module("yaml")': False,
    }
    for source, hidden in cases.items():
        module.write_text(source + "\n", encoding="utf-8")
        assert bool(_hidden_arrows(module, "ci_sessions/probe.py")) is hidden, source


def _tree_deletes(path: Path) -> list[str]:
    """Calls of ``shutil.rmtree`` (or ``rmtree`` imported from shutil) in one module."""
    found: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name == "rmtree":
                found.append(f"{path.relative_to(ROOT).as_posix()}:{node.lineno}")
    return found


def test_every_tree_delete_goes_through_the_one_helper() -> None:
    """``_fs.remove_tree`` refuses a path outside the folder the run made and a way through a
    link; a ``shutil.rmtree`` anywhere else would delete without that check (issue 22)."""
    deletes = [
        where
        for path in sorted((ROOT / "ci_sessions").rglob("*.py"))
        if path.name != "_fs.py"
        for where in _tree_deletes(path)
    ]
    assert deletes == []


# -- each file name means one thing (issue 23 item 2) ------------------------------------------

#: one meaning in every package: ``cli.py`` is the command line of the package it sits in (the
#: ``ci-sessions`` dispatch at the top, a feature's subcommand below), as ``__init__``/``__main__``
SHARED_NAMES = {"__init__.py", "__main__.py", "cli.py"}


def test_no_module_name_is_used_twice() -> None:
    """Two ``matrix.py`` (ci's expansion of ``strategy.matrix``, the ``matrix`` command) read as
    one thing and were two: every other module name appears once in the package."""
    seen: dict[str, list[str]] = {}
    for path in sorted((ROOT / "ci_sessions").rglob("*.py")):
        if path.name not in SHARED_NAMES:
            seen.setdefault(path.name, []).append(path.relative_to(ROOT).as_posix())
    assert {name: paths for name, paths in seen.items() if len(paths) > 1} == {}
