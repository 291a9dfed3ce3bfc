"""The build check: twine output, wheel contents and stray files in the sdist."""

from __future__ import annotations

import zipfile
from pathlib import Path

from ci_sessions.checks import build as build_check
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


def test_twine_output_becomes_findings(tmp_path: Path) -> None:
    ctx = context(tmp_path)
    output = (
        f"Checking {tmp_path}/.ci-sessions/dist/demo-1-py3-none-any.whl: FAILED due to warnings\n"
        "WARNING  `long_description_content_type` missing. defaulting to `text/x-rst`.\n"
        "ERROR    `long_description` has syntax errors in markup and would not be rendered on PyPI.\n"
        f"Checking {tmp_path}/.ci-sessions/dist/demo-1.tar.gz: PASSED\n"
    )
    findings = build_check.parse_twine(ctx, output)
    assert [(f.rule, f.severity, f.path) for f in findings] == [
        ("twine-warning", "warning", ".ci-sessions/dist/demo-1-py3-none-any.whl"),
        ("twine-error", "error", ".ci-sessions/dist/demo-1-py3-none-any.whl"),
    ]


def test_wheel_contents(tmp_path: Path) -> None:
    wheel = tmp_path / "demo-1-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("demo/__init__.py", "x = 1\n")
        archive.writestr("demo-1.dist-info/METADATA", "Name: demo\n")
    assert build_check.wheel_contents(wheel) == [
        ("demo/__init__.py", 6),
        ("demo-1.dist-info/METADATA", 11),
    ]


def test_state_directories_in_the_sdist_are_findings(tmp_path: Path) -> None:
    import io
    import tarfile

    sdist = tmp_path / "demo-1.tar.gz"
    with tarfile.open(sdist, "w:gz") as archive:
        for name in ("demo-1/pyproject.toml", "demo-1/.ci-sessions/reports/results.json",
                     "demo-1/.ci-sessions/site/index.html", "demo-1/src/.nox/x"):  # fmt: skip
            info = tarfile.TarInfo(name)
            archive.addfile(info, io.BytesIO(b""))
    findings = build_check.stray_files(sdist, "dist/demo-1.tar.gz")
    assert [(f.rule, f.path) for f in findings] == [("sdist-stray-files", "dist/demo-1.tar.gz")] * 2
    assert "2 file(s) under .ci-sessions/" in findings[0].message and ".nox/" in findings[1].message


def test_the_wheels_payload_leaves_its_metadata_out() -> None:
    members = [("demo/__init__.py", 10), ("demo-0.1.dist-info/METADATA", 5),
               ("demo-0.1.dist-info/RECORD", 5)]  # fmt: skip
    assert build_check.payload_files(members) == 1
    assert build_check.payload_files(members[1:]) == 0
