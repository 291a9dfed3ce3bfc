"""Packaging hygiene (issue 16 item 4): the license file matches the declared license, the typing
marker ships, Read the Docs builds the same site with the same pin as `nox -s docs`."""

from __future__ import annotations

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
