"""SARIF validation is the [sarif] extra: without jsonschema a file is not checked, never valid."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from ci_sessions.ci import upload_sarif
from ci_sessions.errors import MissingValidator

GOOD = {"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "ruff"}}, "results": []}]}


def test_without_jsonschema_a_file_is_not_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "good.sarif"
    path.write_text(json.dumps(GOOD), encoding="utf-8")
    assert upload_sarif.validate(path) == 0
    monkeypatch.setitem(sys.modules, "jsonschema", None)  # as if not installed
    with pytest.raises(MissingValidator, match=r"not checked.*ci-sessions\[sarif\]"):
        upload_sarif.validate(path)


def test_jsonschema_is_not_a_runtime_dependency() -> None:
    from ci_sessions.config import load_toml

    pyproject = load_toml(Path(__file__).resolve().parents[3] / "pyproject.toml")
    runtime = " ".join(pyproject["project"]["dependencies"])
    assert "jsonschema" not in runtime
    assert pyproject["project"]["optional-dependencies"]["sarif"] == ["jsonschema>=4"]
