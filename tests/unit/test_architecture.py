"""The architecture holds: layers import downward only, only the sessions import nox, no cycles.

The contract lives in pyproject.toml ([tool.importlinter]); import-linter checks it on the
package's real import graph (grimp), so a new upward import fails this test in the essential tier.
"""

from __future__ import annotations

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
