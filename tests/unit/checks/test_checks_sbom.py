"""The SBOM check: components of the runtime environment."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ci_sessions.checks import sbom
from ci_sessions.checks.base import CheckContext
from ci_sessions.config import load_config
from ci_sessions.config.project import load_project


def context(root: Path, pyproject: str = "", environ: dict[str, str] | None = None) -> CheckContext:
    (root / "pyproject.toml").write_text('[project]\nname = "demo"\nversion = "1"\n' + pyproject)
    return CheckContext(
        root=root,
        config=load_config(root, environ=environ or {}),
        project=load_project(root),
        python="3.11",
        session="full",
    )


def test_sbom_components_and_runtime_env(tmp_path: Path) -> None:
    ctx = context(tmp_path, '[tool.ci-sessions.sbom]\nextras = ["cli"]\n')
    assert sbom.runtime_env(ctx).requirements == (".[cli]",)
    document = tmp_path / "sbom.json"
    document.write_text(
        json.dumps({"bomFormat": "CycloneDX", "components": [{"name": "packaging"}, "junk"]})
    )
    assert sbom.read_components(document) == [{"name": "packaging", "version": "", "purl": ""}]
    document.write_text(json.dumps([{"bomFormat": "CycloneDX"}]))
    with pytest.raises(ValueError, match=r"sbom\.json: expected a JSON object"):
        sbom.read_components(document)
    document.write_text(json.dumps({"bomFormat": "SPDX"}))
    with pytest.raises(ValueError, match="not a CycloneDX"):
        sbom.read_components(document)
