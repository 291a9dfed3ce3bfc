"""The double build on real projects: hatchling is reproducible; a build that embeds the time
is not, and the differing member is named."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

import pytest
from gitrepo import git
from release_projects import write_project

from ci_sessions.builds.builder import BuildSettings
from ci_sessions.builds.double_build import NOT_REPRODUCIBLE, REPRODUCIBLE, check
from ci_sessions.builds.pyproject import load_pyproject
from ci_sessions.checks.base import CheckContext
from ci_sessions.checks.reproducible import ReproducibleCheck
from ci_sessions.config import load_config
from ci_sessions.config.project import load_project
from ci_sessions.release import records
from ci_sessions.release.cli import main
from ci_sessions.results import Status

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def committed(root: Path, files: dict[str, str]) -> Path:
    write_project(root, files)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "feat: init")
    return root


def test_hatchling_project_builds_byte_for_byte_twice(tmp_path: Path) -> None:
    root = committed(
        tmp_path / "hb",
        {
            "pyproject.toml": """
                [build-system]
                requires = ["hatchling"]
                build-backend = "hatchling.build"
                [project]
                name = "hbdemo"
                dynamic = ["version"]
                [tool.hatch.version]
                path = "hbdemo/__init__.py"
            """,
            "hbdemo/__init__.py": '__version__ = "1.0.0"\n',
            "hbdemo/data/table.csv": "a,b\n1,2\n",
        },
    )
    result = check(root, BuildSettings(), load_pyproject(root))
    assert result.verdict == REPRODUCIBLE, result.render()
    assert sorted(a.name for a in result.artifacts) == ["hbdemo-1.0.0-py2.py3-none-any.whl", "hbdemo-1.0.0.tar.gz"]  # fmt: skip
    assert all(a.identical and len(a.first) == 64 for a in result.artifacts)
    assert result.tools["backend"].startswith("hatchling ")
    assert result.epoch == int(git(root, "log", "-1", "--format=%ct").strip())
    sdist = root / result.kept / "first" / "hbdemo-1.0.0.tar.gz"
    with tarfile.open(sdist) as archive:  # SOURCE_DATE_EPOCH reached the backend
        assert {member.mtime for member in archive.getmembers()} == {result.epoch}


def stamped(root: Path, name: str, stamp: str) -> Path:
    """A setuptools project whose ``setup.py`` writes ``BUILT = <stamp>`` into the package at
    every build (``stamp`` an expression over ``datetime`` and ``time``), committed."""
    return committed(
        root,
        {
            "pyproject.toml": f"""
                [build-system]
                requires = ["setuptools>=70"]
                build-backend = "setuptools.build_meta"
                [project]
                name = "{name}"
                version = "1.0.0"
                [tool.setuptools]
                packages = ["{name}"]
            """,
            "setup.py": f"""
                import datetime
                import time
                from pathlib import Path

                from setuptools import setup

                Path("{name}", "_built.py").write_text(f"BUILT = {{{stamp}!r}}\\n")
                setup()
            """,
            f"{name}/__init__.py": "",
        },
    )


def test_a_build_that_embeds_the_time_is_not_reproducible_and_names_the_member(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = stamped(tmp_path / "st", "stdemo", "datetime.datetime.now().isoformat()")
    assert main(["--root", str(root), "check-reproducible", "--json"]) == 1
    result = json.loads(capsys.readouterr().out)
    assert result["verdict"] == NOT_REPRODUCIBLE
    content = {(d["archive"], d["member"]) for d in result["differences"] if d["how"] == "content"}
    assert ("stdemo-1.0.0-py3-none-any.whl", "stdemo/_built.py") in content
    assert ("stdemo-1.0.0.tar.gz", "stdemo-1.0.0/stdemo/_built.py") in content
    built = next(d for d in result["differences"] if d["member"] == "stdemo/_built.py")
    assert built["detail"].startswith("line 1: \"BUILT = '")
    assert not any(a["identical"] for a in result["artifacts"])
    record = records.read(root)[-1]
    assert (record.kind, record.outcome) == ("reproducible", "failed")
    assert "stdemo/_built.py: content" in record.detail


def test_a_build_that_embeds_the_time_to_the_second_is_not_reproducible(tmp_path: Path) -> None:
    """Two builds at once read the same clock: a build stamped to the second matched itself
    and passed. The builds run one after the other, the second in a later second."""
    root = stamped(tmp_path / "sec", "secdemo", "time.strftime('%H:%M:%S')")
    result = check(root, BuildSettings(), load_pyproject(root))
    assert result.verdict == NOT_REPRODUCIBLE, result.render()
    content = {(d.archive, d.member) for d in result.differences if d.how == "content"}
    assert ("secdemo-1.0.0-py3-none-any.whl", "secdemo/_built.py") in content
    assert ("secdemo-1.0.0.tar.gz", "secdemo-1.0.0/secdemo/_built.py") in content


def test_vcs_versioned_project_gets_its_version_from_the_tag(tmp_path: Path) -> None:
    root = committed(
        tmp_path / "vcs",
        {
            "pyproject.toml": """
                [build-system]
                requires = ["hatchling", "hatch-vcs"]
                build-backend = "hatchling.build"
                [project]
                name = "vcsdemo"
                dynamic = ["version"]
                [tool.hatch.version]
                source = "vcs"
            """,
            "vcsdemo/__init__.py": "",
        },
    )
    git(root, "tag", "-a", "v2.1.0", "-m", "v2.1.0")
    result = check(root, BuildSettings(), load_pyproject(root))
    assert result.verdict == REPRODUCIBLE, result.render()
    assert "vcsdemo-2.1.0.tar.gz" in [a.name for a in result.artifacts]


def test_a_setuptools_sdist_differs_only_in_file_times_and_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """issue 21 item 10: setuptools writes the checkout's file times into the sdist (no clamping
    to SOURCE_DATE_EPOCH); the wheel is identical. One line and the way forward, not ~35."""
    root = committed(
        tmp_path / "plain",
        {
            "pyproject.toml": """
                [build-system]
                requires = ["setuptools>=70"]
                build-backend = "setuptools.build_meta"
                [project]
                name = "plaindemo"
                version = "1.0.0"
                [tool.setuptools]
                packages = ["plaindemo"]
            """,
            "plaindemo/__init__.py": "",
            "plaindemo/core.py": "X = 1\n",
            "README.md": "plain\n",
        },
    )
    assert main(["--root", str(root), "check-reproducible"]) == 1
    text = capsys.readouterr().out
    assert "plaindemo-1.0.0-py3-none-any.whl: " in text and " == " in text  # the wheel: equal
    assert text.count("differs:") == 1
    assert "plaindemo-1.0.0.tar.gz: " in text and "in their file times only" in text
    assert "max-differing = 1" in text and "SOURCE_DATE_EPOCH" in text
    assert main(["--root", str(root), "check-reproducible", "--json", "--no-record"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["times_only"] == ["plaindemo-1.0.0.tar.gz"]
    assert {d["how"] for d in data["differences"]} == {"mtime"}


def test_the_check_builds_in_process_with_its_environment_and_masks_the_log(
    tmp_path: Path,
) -> None:
    """The reproducible check calls the double build itself (no `python -m ci_sessions.release`):
    the builds get the check's environment, and a failed build's log reaches the row with the
    credentials inside URLs hidden."""
    root = committed(
        tmp_path / "fails",
        {
            "pyproject.toml": """
                [build-system]
                requires = ["setuptools>=70"]
                build-backend = "setuptools.build_meta"
                [project]
                name = "failsdemo"
                version = "1.0.0"
            """,
            "setup.py": """
                import os
                import sys

                print("marker:", os.environ.get("REPRO_MARK", "absent"))
                print("index https://user:s3cr3t-value@example.invalid/simple")
                sys.exit(1)
            """,
        },
    )
    ctx = CheckContext(
        root, load_config(root, environ={}), load_project(root), "3.11", "full",
        env_overrides={"REPRO_MARK": "from-the-check"},
    )  # fmt: skip
    result = ReproducibleCheck().run(ctx, {})
    assert result.status is Status.ERROR
    assert result.summary.startswith("build error: the build failed (exit ")
    assert "marker: from-the-check" in result.output
    assert "example.invalid/simple" in result.output
    assert "s3cr3t-value" not in result.output + result.summary
