"""Packaging hygiene (issue 16 item 4): the license file matches the declared license, the typing
marker ships, Read the Docs builds the same site with the same pin as `nox -s docs`."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_the_license_file_is_the_declared_license() -> None:
    assert PYPROJECT["project"]["license"] == "MIT"
    assert (ROOT / "LICENSE").read_text(encoding="utf-8").startswith("MIT License\n")
    assert (ROOT / "ci_sessions" / "py.typed").is_file()
    assert "Typing :: Typed" in PYPROJECT["project"]["classifiers"]


def test_readthedocs_builds_with_the_docs_pin() -> None:
    import yaml

    config = yaml.safe_load((ROOT / ".readthedocs.yaml").read_text(encoding="utf-8"))
    assert config["mkdocs"]["configuration"] == "mkdocs.yml"
    requirements = (ROOT / "docs" / "requirements.txt").read_text(encoding="utf-8")
    tiers = yaml.safe_load((ROOT / "configs" / "quality-tiers.yaml").read_text(encoding="utf-8"))
    assert tiers["tools"]["mkdocs-material"] in requirements.splitlines()
    checker = shutil.which("check-jsonschema", path=str(Path(sys.executable).parent))
    if checker is None:
        pytest.skip("check-jsonschema needs Python 3.11+")
    done = subprocess.run(
        [checker, "--builtin-schema", "vendor.readthedocs", str(ROOT / ".readthedocs.yaml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


# -- the weight of a plain install (issue 23 item 1) -------------------------------------------

sys.path.insert(0, str(ROOT / "benchmarks"))
import dependency_closure  # noqa: E402

TINY_LOCK = """
[[package]]
name = "ci-sessions"
source = { editable = "." }
dependencies = [
    { name = "a" },
    { name = "old-only", marker = "python_full_version < '3.11'" },
    { name = "b", extra = ["fast"] },
]

[package.optional-dependencies]
sarif = [{ name = "never" }]

[[package]]
name = "a"
version = "1"
dependencies = [
    { name = "shared", version = "2.0", marker = "python_full_version >= '3.11'" },
    { name = "shared", version = "1.0", marker = "python_full_version < '3.11'" },
    { name = "windows-only", marker = "sys_platform == 'win32'" },
]

[[package]]
name = "B"
version = "3"

[package.optional-dependencies]
fast = [{ name = "speedup" }]

[[package]]
name = "shared"
version = "1.0"

[[package]]
name = "shared"
version = "2.0"

[[package]]
name = "speedup"
version = "4"

[[package]]
name = "old-only"
version = "5"

[[package]]
name = "windows-only"
version = "6"

[[package]]
name = "never"
version = "7"
"""


def test_the_closure_follows_markers_versions_and_extras(tmp_path: Path) -> None:
    lock = tmp_path / "uv.lock"
    lock.write_text(TINY_LOCK, encoding="utf-8")
    assert dependency_closure.closure_from_lock(lock) == {
        "a": "1",
        "b": "3",
        "shared": "2.0",  # the 3.12 one of two versions
        "speedup": "4",  # b's extra, asked for
    }


def test_a_plain_install_brings_at_most_21_packages() -> None:
    closure = dependency_closure.closure_from_lock()
    assert len(closure) <= dependency_closure.LIMIT == 21, sorted(closure)
    for heavy in ("copier", "pydantic", "jsonschema", "rpds-py"):
        assert heavy not in closure
    committed = json.loads((ROOT / "benchmarks" / "dependency-closure.json").read_text("utf-8"))
    assert [p.split("==")[0] for p in committed["packages"]] == list(closure), (
        "benchmarks/dependency-closure.json is stale: run python benchmarks/dependency_closure.py"
    )
